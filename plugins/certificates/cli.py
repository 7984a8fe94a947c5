"""`incubator certificates …`: batch issue with a progress bar, the font check, and `worker` (an older
name for the platform's `incubator worker`)."""
import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("certificates", help="Certificates (证书).")
def certificates_group():
    pass


@certificates_group.command("issue-offering")
@click.argument("offering_id", type=int)
@click.option("--queue", "use_queue", is_flag=True, help="hand the job to the worker and follow its progress")
@with_appcontext
def issue_offering(offering_id, use_queue):
    """Issue 结业证书 to everyone who completed OFFERING_ID (by default in this process)."""
    from incubator.extensions import db
    from incubator.users.models import User

    from . import jobs, offerings, tasks  # (with the models and huey: not imported to list the commands)
    from .models import BatchJob
    from .services import CertificateError
    admin = db.session.scalar(db.select(User).where(User.role == "admin").order_by(User.id).limit(1))
    items = offerings.completed_enrolments(offering_id) if _has_provider() else None
    if not items:
        raise click.ClickException(f"offering {offering_id}: no completed enrolments (is the academy plugin enabled?)")
    try:
        job, created = jobs.create(offering_id, items, admin)  # audited (certificate.batch) as from a page
    except CertificateError as exc:
        raise click.ClickException(exc.message) from exc
    if not created:
        click.echo(f"offering {offering_id}: a batch is already {job.status} (job {job.id})")
    if use_queue or job.status == "running":  # a worker has it already: follow its progress
        if created:
            tasks.enqueue_batch(job.id)
        _follow(job.id)
    else:
        with click.progressbar(length=len(items), label=f"班次 {offering_id} 结业证书") as bar:
            job = jobs.run_batch(job.id, progress=bar.update)
    job = db.session.get(BatchJob, job.id)
    if job.status == "failed":
        raise click.ClickException(job.error)
    click.echo(f"done: {job.issued} issued, {job.total - job.issued} already had one.")


def _has_provider():
    from incubator.plugins import hook
    return bool(hook().incubator_certificate_completions.get_hookimpls())


def _follow(job_id):
    import time

    from incubator.extensions import db

    from .models import BatchJob
    job = db.session.get(BatchJob, job_id)
    with click.progressbar(length=job.total, label="waiting for the worker") as bar:
        shown = 0
        while job.status in ("queued", "running"):
            time.sleep(0.5)
            db.session.expire_all()
            job = db.session.get(BatchJob, job_id)
            bar.update(job.done - shown)
            shown = job.done


@certificates_group.command("worker")
@click.option("--workers", default=2, show_default=True, help="tasks run at once")
@with_appcontext
def worker(workers):
    """An older name for `incubator worker`, the platform's queue worker (certificates and the rest)."""
    from incubator.queue import run_worker
    click.echo("incubator certificates worker is now the platform's worker, `incubator worker`: "
               "certificate batches, notices and reminders")
    run_worker(current_app._get_current_object(), workers=workers)


@certificates_group.command("check")
def check():
    """Can this machine render Chinese certificates (CJK font, HarfBuzz subsetting)?"""
    from . import fonts
    problem = fonts.problem()
    if problem:
        raise click.ClickException(problem)
    click.echo("CJK fonts: " + ", ".join(fonts.cjk_families()[:6]))
    click.echo("HarfBuzz subsetting: " + ("yes" if fonts.has_harfbuzz_subset() else
                                          "NO — install libharfbuzz-subset0 (PDFs take seconds without it)"))
