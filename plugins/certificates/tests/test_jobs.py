"""Batch jobs that survive their worker: killed mid-batch and resumed, started once however often
the button is pressed, kept when the queue is down."""
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from incubator.db_types import utcnow
from incubator.extensions import db
from incubator.testing import race
from plugins.certificates import jobs, offerings, services, specs, storage, tasks
from plugins.certificates.models import BatchJob, Certificate


def offering_of(academy, names, **kwargs):
    offering = academy.offering(**kwargs)
    for name in names:
        academy.complete(academy.trainee(name), offering)
    return offering


def files_and_rows(app):
    """The certificate files on disk, and the serials the database has, for this test's rows."""
    directory = Path(app.config["CERTIFICATES_DIR"])
    serials = set(db.session.scalars(select(Certificate.serial)))
    files = {p.stem for p in directory.glob("*.pdf") if p.stem in serials}
    staged = sorted(p.name for p in (directory / storage.STAGING).glob("*"))
    return files, serials, staged


@pytest.fixture
def clean_store(app):
    directory = Path(app.config["CERTIFICATES_DIR"])
    for path in [*directory.glob("*.pdf"), *directory.glob(f"{storage.STAGING}/*")]:
        path.unlink()  # earlier tests' files: their rows are gone and SQLite gives their serials again
    return directory


# -- a worker that died -----------------------------------------------------------------------

def test_a_job_left_running_by_a_dead_worker_is_resumed_and_issues_nobody_twice(app, academy, users, clean_store):
    """The state a worker killed mid-group leaves: the job running under its lease, some
    certificates recorded, one recorded whose file is still staged, one staged file whose row
    never committed. A worker starting resumes the job and puts the files right."""
    offering = offering_of(academy, ["甲一", "甲二", "甲三", "甲四", "甲五"])
    items = offerings.completed_enrolments(offering.id)
    certs = services.issue([specs.completion_spec(e) for e in items[:2]])
    job, _created = jobs.create(offering.id, items, users["fangxing-mgr"])
    job.status, job.owner, job.done, job.issued = "running", "gone-host:1", 2, 2
    job.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    storage.pdf_path(certs[1]).rename(storage.staged_path(certs[1]))  # killed after the commit, before the rename
    orphan = storage.staging_dir() / "BHJY20269999999.pdf"  # killed before the commit
    orphan.write_bytes(b"%PDF-1.7 never recorded")
    os.utime(orphan, (time.time() - 3600,) * 2)

    assert tasks.recover(at_start=True) == [job.id]  # the immediate queue runs it here

    db.session.expire_all()
    job = db.session.get(BatchJob, job.id)
    assert (job.status, job.done, job.total, job.issued) == ("done", 5, 5, 5), job.error
    subjects = db.session.scalars(select(Certificate.subject)).all()
    assert sorted(subjects) == sorted(f"enrolment:{e.id}" for e in items)  # each once
    files, serials, staged = files_and_rows(app)
    assert files == serials and staged == []


def test_a_job_held_by_a_live_worker_is_left_alone(app, academy, users):
    offering = offering_of(academy, ["乙一"])
    job, _created = jobs.create(offering.id, offerings.completed_enrolments(offering.id), users["fangxing-mgr"])
    assert jobs.claim(job.id)  # this process holds it, lease fresh
    assert jobs.resumable(at_start=True) == []
    assert not jobs.claim(job.id)  # a second worker does not get it
    assert jobs.run_batch(job.id).status == "running"
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_a_group_skips_what_another_process_issued_meanwhile(app, academy, users):
    offering = offering_of(academy, ["丙一", "丙二", "丙三"])
    items = offerings.completed_enrolments(offering.id)
    job, _created = jobs.create(offering.id, items, users["fangxing-mgr"])
    real_missing = jobs._missing
    calls = []

    def issued_meanwhile(specs):  # the trainee's own completion issued hers between the check and the group
        calls.append(1)
        if len(calls) == 2:
            services.issue_for_completion(items[1])
            return specs
        return real_missing(specs)

    jobs._missing = issued_meanwhile
    try:
        job = jobs.run_batch(job.id)
    finally:
        jobs._missing = real_missing
    assert job.status == "done", job.error
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 3


# -- one job per batch -----------------------------------------------------------------------

def test_a_double_clicked_batch_starts_one_job(app, academy, users, login_as, client, queued):
    offering = offering_of(academy, ["丁一", "丁二"])
    login_as("fangxing-mgr")
    first = client.post(f"/certificates/offerings/{offering.id}/batch")
    second = client.post(f"/certificates/offerings/{offering.id}/batch", follow_redirects=True)
    assert db.session.scalar(select(func.count()).select_from(BatchJob)) == 1
    assert len(queued) == 1  # one task for the worker
    assert "该班次的批量颁发已在进行中" in second.get_data(as_text=True)
    [job] = db.session.scalars(select(BatchJob)).all()
    assert first.headers["Location"].endswith(f"/certificates/jobs/{job.id}")


def test_the_database_allows_one_active_job_per_offering(app, academy, users):
    offering = offering_of(academy, ["戊一"])
    row = {"offering_id": offering.id, "park_id": offering.park_id, "status": "queued", "total": 1, "done": 0,
           "issued": 0, "error": "", "owner": "", "attempts": 0, "created_at": utcnow()}
    db.session.execute(insert(BatchJob), [row])
    db.session.execute(insert(BatchJob), [dict(row, status="done")])  # finished jobs: any number
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(insert(BatchJob), [dict(row, status="running")])
    db.session.rollback()


def test_the_same_batch_requested_twice_at_once_is_one_job(app, academy, users, postgres_only, queued):
    offering = offering_of(academy, ["己一", "己二"])
    manager_id = users["fangxing-mgr"].id

    def start(_i):
        from incubator.users.models import User
        return jobs.start_batch(offering.id, user=db.session.get(User, manager_id)).id

    outcomes = race(app, 2, start)
    assert outcomes[0] == outcomes[1] and isinstance(outcomes[0], int), outcomes
    assert db.session.scalar(select(func.count()).select_from(BatchJob)) == 1


# -- the queue is down ----------------------------------------------------------------------

def test_a_batch_started_while_the_queue_is_down_waits_for_the_worker(app, academy, users, login_as, client,
                                                                      queue_down):
    offering = offering_of(academy, ["庚一", "庚二"])
    login_as("fangxing-mgr")
    response = client.post(f"/certificates/offerings/{offering.id}/batch", follow_redirects=True)
    queue_down.restore()  # the queue is back (immediate, as in the other tests)
    assert response.status_code == 200
    assert "任务队列暂时不可用：本次批量颁发已记录" in response.get_data(as_text=True)
    [job] = db.session.scalars(select(BatchJob)).all()
    assert job.status == "queued"
    assert tasks.recover(at_start=True) == [job.id]  # a worker starts (the immediate queue runs it here)
    db.session.expire_all()
    assert db.session.get(BatchJob, job.id).status == "done"
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2


def test_the_api_says_the_job_waits_when_the_queue_is_down(app, academy, users, client, api, queue_down):
    offering = offering_of(academy, ["辛一"])
    response = client.post(f"/api/v1/certificates/offerings/{offering.id}/batch", headers=api("fangxing-mgr"))
    assert response.status_code == 202
    assert response.get_json()["status"] == "queued" and "任务队列暂时不可用" in response.get_json()["notice"]


def test_a_batch_broken_while_its_worker_stops_is_released_not_failed(app, academy, users, monkeypatch):
    """SIGTERM: the interpreter shuts the rendering pool down under the batch ("cannot schedule new
    futures after interpreter shutdown"). That is the worker's end, not the batch's: the next
    worker takes the job over; the same error in a running worker fails the job."""
    offering = offering_of(academy, ["乙一", "乙二"])
    job, _created = jobs.create(offering.id, offerings.completed_enrolments(offering.id), users["fangxing-mgr"])

    def shut_down(*args, **kwargs):
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")
    monkeypatch.setattr(jobs, "_issue_missing", shut_down)
    monkeypatch.setattr(jobs, "stopping", lambda: True)
    with pytest.raises(RuntimeError, match="interpreter shutdown"):
        jobs.run_batch(job.id)
    db.session.expire_all()
    released = db.session.get(BatchJob, job.id)
    assert released.status == "running" and released.lease_until <= utcnow()
    assert job.id in jobs.resumable()

    monkeypatch.setattr(jobs, "stopping", lambda: False)
    released.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert jobs.run_batch(job.id).status == "failed"
