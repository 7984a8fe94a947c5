"""`incubator mentoring hours|overdue`: hours per expert for paying them; overdue follow-ups."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from incubator.dates import today


@click.group("mentoring", help="Mentoring logs (督导记录).")
def mentoring_group():
    pass


def _park_ids(park_code):
    from incubator.parks.services import all_parks, by_code  # (with the models: not imported to list the commands)
    if park_code and by_code(park_code) is None:
        raise click.BadParameter(f"no park with code {park_code!r}", param_hint="--park")
    return [by_code(park_code).id] if park_code else [p.id for p in all_parks()]


@mentoring_group.command("hours")
@click.option("--year", type=click.IntRange(2000, 2100), default=lambda: today().year)
@click.option("--month", type=click.IntRange(1, 12), default=None)
@click.option("--park", "park_code", default=None, help="only this park")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), default=None, help="also write an Excel file")
@with_appcontext
def hours_command(year, month, park_code, xlsx_path):
    """Supervision hours per expert per month (confirmed hours are what experts are paid by)."""
    from incubator.exports import workbook_bytes

    from . import reporting
    report = reporting.hours_report(park_ids=_park_ids(park_code), year=year, month=month)
    for row in report["by_expert"]:
        click.echo(f"{row['month']}  {row['expert']:<10} {row['sessions']:>3} 次  "
                   f"{row['confirmed_hours']:>6.1f} h 已确认  {row['unconfirmed_hours']:>6.1f} h 未确认")
    total = sum(r["confirmed_hours"] for r in report["by_expert"])
    click.echo(f"{total:.1f} confirmed hour(s).")
    if xlsx_path:
        Path(xlsx_path).write_bytes(workbook_bytes(reporting.report_sheets(report)))
        click.echo(f"written {xlsx_path}")


@mentoring_group.command("overdue")
@click.option("--park", "park_code", default=None, help="only this park")
@with_appcontext
def overdue_command(park_code):
    """Follow-up actions past their due date."""
    from . import services
    rows = services.open_actions(park_ids=_park_ids(park_code), overdue_only=True)
    for action in rows:
        click.echo(f"{action.due_on}  {action.organization.name}: {action.description} ({action.owner})")
    click.echo(f"{len(rows)} overdue action(s).")
