"""`incubator checklist missing`: organizations in incubation lacking a graduation document."""
import click
from flask.cli import with_appcontext


@click.group("checklist", help="Document checklist (材料清单).")
def checklist_group():
    pass


@checklist_group.command("missing")
@click.option("--park", "park_code", default=None, help="only this park")
@with_appcontext
def missing_command(park_code):
    from incubator.parks.services import all_parks, by_code  # (not imported to list the commands)

    from . import services
    if park_code and by_code(park_code) is None:
        raise click.BadParameter(f"no park with code {park_code!r}", param_hint="--park")
    park_ids = [by_code(park_code).id] if park_code else [p.id for p in all_parks()]
    rows = services.missing_by_org(park_ids)
    for org, lacking in rows:
        click.echo(f"{org.id:>6}  {org.name}  ({org.park.code}): " + "、".join(str(services.DOCUMENTS[k]) for k in lacking))
    click.echo(f"{len(rows)} organization(s) missing documents.")
