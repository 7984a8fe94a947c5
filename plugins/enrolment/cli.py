"""`incubator courses sync|list`: the course catalogue (课程目录) from `plugins/enrolment/courses/` into the database."""
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from incubator.extensions import db
from incubator.numbers import show_hours


@click.group("courses", help="Course catalogue of the academy (课程目录).")
def courses_group():
    pass


@courses_group.command("sync")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="catalogue directory (default: $INCUBATOR_COURSES_DIR, else the plugin's courses/)")
@with_appcontext
def sync_command(directory):
    """Load the course files into the database (by code); refuse every change if a file is malformed."""
    from . import catalogue  # (with the models: not imported to list the commands)
    try:
        report = catalogue.sync(directory)
    except catalogue.CatalogueInvalid as exc:
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        raise click.ClickException(f"{len(exc.errors)} problem(s) in the catalogue; nothing was changed.")
    for label, codes in (("added", report.added), ("changed", report.changed), ("retired", report.retired)):
        click.echo(f"{label}: {len(codes)}" + (f" ({', '.join(codes)})" if codes else ""))
    click.echo(f"unchanged: {len(report.unchanged)}")


@courses_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="include retired courses")
@with_appcontext
def list_command(show_all):
    from .models import Course
    stmt = select(Course).order_by(Course.code)
    if not show_all:
        stmt = stmt.where(Course.active.is_(True))
    for course in db.session.scalars(stmt):
        click.echo(f"{course.code:<8} {show_hours(course.hours):>5} 学时  {course.title}{'' if course.active else '  (retired)'}")
