"""`incubator microgrant report ROUND_ID`: the round's figures per category, in the terminal."""
import click
from flask.cli import with_appcontext

from incubator.extensions import db
from incubator.numbers import show_yuan


@click.group("microgrant", help="Micro-grant rounds (公益微创投).")
def microgrant_group():
    pass


@microgrant_group.command("report")
@click.argument("round_id", type=int)
@with_appcontext
def report_command(round_id):
    from . import services  # (with the models: not imported to list the commands, `incubator --help`)
    from .models import Round
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        raise click.BadParameter(f"no round with id {round_id}", param_hint="ROUND_ID")
    data = services.report(rnd)
    click.echo(f"{rnd.title}  预算 {show_yuan(rnd.budget_fen)}  已立项 {show_yuan(rnd.committed_fen)}"
               f"  剩余 {show_yuan(rnd.remaining_fen)}")
    for row in data["rows"] + [dict(data["totals"], category="合计")]:
        click.echo(f"{row['category']:<10} 申报 {row['applications']:>3}  申请 {show_yuan(row['requested_fen']):>16}"
                   f"  立项 {row['approved']:>3}  资助 {show_yuan(row['granted_fen']):>16}"
                   f"  已拨付 {show_yuan(row['paid_fen']):>16}")
