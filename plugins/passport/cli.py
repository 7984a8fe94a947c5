"""`incubator passport check`: verify every volunteer's balance equals the sum of their ledger."""
import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from incubator.extensions import db


@click.group("passport", help="Volunteer passport (义粉护照).")
def passport_group():
    pass


@passport_group.command("check")
@with_appcontext
def check_command():
    """Compare cached balances and hours with the ledger; exit 1 on any difference."""
    from .models import LedgerEntry, Volunteer  # (not imported to list the commands)
    sums = dict((vid, (p, m)) for vid, p, m in db.session.execute(
        select(LedgerEntry.volunteer_id, func.sum(LedgerEntry.points), func.sum(LedgerEntry.minutes))
        .group_by(LedgerEntry.volunteer_id)))
    bad = 0
    count = 0
    for volunteer in db.session.scalars(select(Volunteer).order_by(Volunteer.id)):
        count += 1
        points, minutes = sums.get(volunteer.id, (0, 0))
        if (points, minutes) != (volunteer.balance, volunteer.minutes_served):
            bad += 1
            click.echo(f"{volunteer.id:>6} {volunteer.name}: balance {volunteer.balance} vs ledger {points}, "
                       f"minutes {volunteer.minutes_served} vs ledger {minutes}")
    click.echo(f"{count} volunteer(s) checked, {bad} mismatch(es).")
    if bad:
        raise SystemExit(1)
