"""`incubator assessment rubrics|check|results`."""
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("assessment", help="Capacity assessments (能力评估).")
def assessment_group():
    pass


@assessment_group.command("rubrics")
@with_appcontext
def rubrics_command():
    """List the loaded rubrics and the files refused (exit status 1 when a file was refused)."""
    from . import rubrics  # (with the models: not imported to list the commands)
    loaded = rubrics.current()
    for rubric in loaded.rubrics.values():
        click.echo(f"{rubric.code:<16} v{rubric.version}  {rubric.total:g} 分  {len(rubric.indicators)} 项指标  "
                   f"{rubric.name}  ({Path(rubric.source).name})")
    for error in loaded.errors:
        click.echo(f"REFUSED {error}", err=True)
    if loaded.errors:
        raise SystemExit(1)


@assessment_group.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def check_command(path):
    """Check a rubric file before adding it (no database needed)."""
    from . import rubrics
    try:
        rubric = rubrics.load_file(Path(path))
    except rubrics.RubricError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"OK: {rubric.code} — {rubric.name}, {len(rubric.dimensions)} 个维度，"
               f"{len(rubric.indicators)} 项指标, 满分 {rubric.total:g}")


@assessment_group.command("results")
@click.option("--park", "park_code", default=None, help="only this park")
@click.option("--cohort", type=int, default=None, help="year the incubation started")
@with_appcontext
def results_command(park_code, cohort):
    """Assessment results per organization: entry, exit and the change."""
    from incubator.parks.services import all_parks, by_code

    from . import services
    if park_code and by_code(park_code) is None:
        raise click.BadParameter(f"no park with code {park_code!r}", param_hint="--park")
    park_ids = [by_code(park_code).id] if park_code else [p.id for p in all_parks()]
    rows = services.report(park_ids=park_ids, cohort=cohort)
    for r in rows:
        click.echo(f"{r['organization']}  ({r['park_code']}, {r['cohort'] or '-'}): "
                   f"入园 {r['entry_total'] if r['entry_total'] is not None else '-'} → "
                   f"出壳 {r['exit_total'] if r['exit_total'] is not None else '-'}")
    click.echo(f"{len(rows)} organization(s).")
