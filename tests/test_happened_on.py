"""A move carries the day it happened (happened_on) beside when it was recorded: a manager may
back-date it (never into the future, never before the previous move); the incubation period, the
timeline and the audit log go by it; the migration fills it in for the moves recorded before."""
import importlib.util
import re
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy import select

from incubator.audit.models import AuditEntry
from incubator.cli import IncubatorGroup
from incubator.dates import today
from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.organizations import services
from incubator.organizations.models import Organization, Transition
from incubator.plugins import registry, set_enablement

from .helpers import page_text

MIGRATION = Path(__file__).parent.parent / "incubator/migrations/versions/0006_core_happened_on.py"


@pytest.fixture
def core_only(network):
    """Switch every loaded plugin off, so only the core's rules decide a move."""
    for info in registry().loaded():
        set_enablement(info.name, "none")
    db.session.commit()


def reviewing_since(make_org, days):
    """An organization in review whose only recorded move happened `days` days ago."""
    org = make_org(stage="reviewing")
    org.transitions[0].happened_on = today() - timedelta(days=days)
    db.session.commit()
    return org


def back_dated_history(make_org, users, *days):
    """An organization in review whose application (the first move) happened `days[0]` days ago."""
    org = make_org(stage="applied")
    first = org.transitions[0]
    first.happened_on = today() - timedelta(days=days[0])
    db.session.commit()
    services.move(org, "reviewing", user=users["fangxing-mgr"], note="材料齐全",
                  happened_on=today() - timedelta(days=days[1]))
    return org


# -- the service ------------------------------------------------------------------------------------

def test_a_back_dated_entry_into_incubation_starts_and_ends_from_the_day_it_happened(core_only, make_org, users):
    org = back_dated_history(make_org, users, 120, 100)
    entered = today() - timedelta(days=90)
    transition = services.move(org, "incubating", user=users["fangxing-mgr"], note="评审通过", happened_on=entered)
    stored = db.session.get(Organization, org.id)
    assert stored.incubation_start == entered
    assert stored.incubation_due == services.add_years(entered, 2)
    assert db.session.get(Transition, transition.id).happened_on == entered
    assert transition.created_at.date() >= today() - timedelta(days=1)  # recorded now, not back then


def test_a_move_without_a_date_happened_today(core_only, make_org, users):
    org = make_org(stage="reviewing")
    transition = services.move(org, "incubating", user=users["fangxing-mgr"], note="评审通过")
    assert transition.happened_on == today()
    assert db.session.get(Organization, org.id).incubation_start == today()


def test_a_move_cannot_happen_in_the_future(core_only, make_org, users):
    org = make_org(stage="reviewing")
    with pytest.raises(ValidationError) as refused:
        services.move(org, "incubating", user=users["fangxing-mgr"], note="评审通过",
                      happened_on=today() + timedelta(days=1))
    assert (refused.value.field, refused.value.message) == ("happened_on", "发生日期不能晚于今天")
    db.session.expire_all()
    stored = db.session.get(Organization, org.id)
    assert (stored.stage, stored.incubation_start) == ("reviewing", None)


def test_a_move_cannot_happen_before_the_previous_one(core_only, make_org, users):
    org = back_dated_history(make_org, users, 30, 10)
    previous = today() - timedelta(days=10)
    with pytest.raises(ValidationError) as refused:
        services.move(org, "incubating", user=users["fangxing-mgr"], note="评审通过",
                      happened_on=previous - timedelta(days=1))
    assert refused.value.field == "happened_on"
    assert refused.value.message == (
        f"发生日期不能早于上一次阶段变更（{previous.year}年{previous.month}月{previous.day}日）")
    # The same day as the previous move is fine.
    assert services.move(org, "incubating", user=users["fangxing-mgr"], note="评审通过",
                         happened_on=previous).happened_on == previous


def test_the_audit_entry_keeps_when_it_happened_and_when_it_was_recorded(core_only, make_org, users):
    org = back_dated_history(make_org, users, 30, 20)
    transition = services.move(org, "incubating", user=users["fangxing-mgr"], note="评审通过",
                               happened_on=today() - timedelta(days=5))
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "org.transition")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.details["happened_on"] == (today() - timedelta(days=5)).isoformat()
    assert entry.details["recorded_at"] == transition.created_at.isoformat()


# -- the timeline -----------------------------------------------------------------------------------

def test_the_timeline_orders_and_dates_moves_by_the_day_they_happened(core_only, make_org, users, login_as,
                                                                       client):
    org = back_dated_history(make_org, users, 60, 40)
    services.move(org, "incubating", user=users["fangxing-mgr"], note="评审通过")
    events = [e for e in services.timeline(org) if e["kind"] == "transition"]
    assert [e["record"].to_stage for e in events] == ["incubating", "reviewing", "applied"]
    assert [e["at"] for e in events] == [today(), today() - timedelta(days=40), today() - timedelta(days=60)]
    assert [e["backdated"] for e in events] == [False, True, True]

    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    reviewed = today() - timedelta(days=40)
    shown = re.findall(r'<span class="happened-on">([^<]*)</span>', html)
    assert shown[:2] == [f"{today().year}年{today().month}月{today().day}日",
                         f"{reviewed.year}年{reviewed.month}月{reviewed.day}日"]
    assert html.count("录入于 ") == 2  # the two back-dated moves say when they were entered


# -- the page -----------------------------------------------------------------------------------------

def test_a_manager_back_dates_a_move_on_the_organization_page(core_only, make_org, login_as, client):
    org = reviewing_since(make_org, 10)
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert f'max="{today().isoformat()}"' in html and f'value="{today().isoformat()}"' in html
    assert "发生日期" in html
    entered = today() - timedelta(days=3)
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "incubating", "move-note": "评审通过",
                                                          "move-happened_on": entered.isoformat()})
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Organization, org.id)
    assert (stored.stage, stored.incubation_start) == ("incubating", entered)


@pytest.mark.parametrize("days, message", [(1, "发生日期不能晚于今天"), (-400, "发生日期不能早于上一次阶段变更")])
def test_a_wrong_date_is_refused_beside_the_field(days, message, core_only, make_org, login_as, client):
    org = make_org(stage="reviewing")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/move", data={
        "move-to_stage": "incubating", "move-note": "评审通过",
        "move-happened_on": (today() + timedelta(days=days)).isoformat()})
    assert response.status_code == 422
    html = page_text(response)
    field = re.search(r'<input[^>]*id="move-happened_on"[^>]*>\s*<div class="invalid-feedback[^"]*"[^>]*>([^<]*)<',
                      html)
    assert field is not None and message in field.group(1)
    assert 'is-invalid' in re.search(r'<input[^>]*id="move-happened_on"[^>]*>', html).group(0)
    db.session.expire_all()
    assert db.session.get(Organization, org.id).stage == "reviewing"


# -- the API ------------------------------------------------------------------------------------------

def test_the_api_takes_and_gives_the_day_a_move_happened(core_only, make_org, client, api):
    org = reviewing_since(make_org, 10)
    headers = api("fangxing-mgr")
    entered = today() - timedelta(days=2)
    response = client.post(f"/api/v1/organizations/{org.id}/transitions", headers=headers,
                           json={"to_stage": "incubating", "note": "评审通过", "happened_on": entered.isoformat()})
    assert response.status_code == 201
    assert response.get_json()["happened_on"] == entered.isoformat()
    items = client.get(f"/api/v1/organizations/{org.id}/transitions", headers=headers).get_json()["items"]
    assert [item["happened_on"] for item in items] == [(today() - timedelta(days=10)).isoformat(),
                                                       entered.isoformat()]
    assert client.get(f"/api/v1/organizations/{org.id}", headers=headers).get_json()["incubation_start"] \
        == entered.isoformat()


@pytest.mark.parametrize("days", [1, -400])
def test_the_api_refuses_a_wrong_date_naming_the_field(days, core_only, make_org, client, api):
    org = make_org(stage="reviewing")
    response = client.post(f"/api/v1/organizations/{org.id}/transitions", headers=api("fangxing-mgr"),
                           json={"to_stage": "incubating", "happened_on": (today() + timedelta(days=days)).isoformat()})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "happened_on"


# -- the migration ------------------------------------------------------------------------------------

def incubator(workdir, *args):
    env = {"INCUBATOR_DATABASE_URL": f"sqlite:///{workdir}/db.sqlite", "INCUBATOR_INSTANCE_PATH": str(workdir),
           "INCUBATOR_TEST_DATABASE_URL": None}
    result = CliRunner().invoke(IncubatorGroup(), list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_the_upgrade_dates_earlier_moves_by_the_district_day_they_were_recorded(tmp_path):
    incubator(tmp_path, "db", "upgrade", "0005_core_files")
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        conn.execute("INSERT INTO parks (id, code, name, level, address, area_m2, description) "
                     "VALUES (1, 'p', '园区', 'district', '', 0, '')")
        conn.execute("INSERT INTO organizations (id, name, name_initials, category, registration_status, "
                     "contact_name, contact_phone, service_area, description, park_id, stage, created_at, updated_at) "
                     "VALUES (1, '启明社工', 'qmsg', '社工服务类', 'unregistered', '张芳', '13912345678', '', '', 1, "
                     "'reviewing', '2023-02-28 10:00:00.000000', '2023-02-28 10:00:00.000000')")
        conn.executemany("INSERT INTO transitions (organization_id, from_stage, to_stage, created_at, note) "
                         "VALUES (1, ?, ?, ?, '')",
                         [(None, "applied", "2023-02-28 15:59:59.000000"),        # 23:59 in Shanghai
                          ("applied", "reviewing", "2023-02-28 16:00:00.000000")])  # already 1 March
    incubator(tmp_path, "db", "upgrade")
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        days = [day for (day,) in conn.execute("SELECT happened_on FROM transitions ORDER BY id")]
        notnull = {name: notnull for _, name, _, notnull, *_ in conn.execute("PRAGMA table_info(transitions)")}
    assert days == ["2023-02-28", "2023-03-01"]
    assert notnull["happened_on"] == 1


def test_the_backfill_works_in_batches_and_leaves_dated_moves_alone():
    spec = importlib.util.spec_from_file_location("happened_on_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    engine = sa.create_engine("sqlite://")
    metadata = sa.MetaData()
    table = sa.Table("transitions", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("created_at", sa.DateTime, nullable=False), sa.Column("happened_on", sa.Date))
    metadata.create_all(engine)
    start = datetime(2026, 1, 1, 20, 0)  # UTC: 2 January in Shanghai
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"created_at": start + timedelta(days=n)} for n in range(5)])
        conn.execute(table.insert(), [{"created_at": start, "happened_on": date(2025, 12, 25)}])
        assert migration.backfill(conn, batch=2) == 5
        days = conn.execute(select(table.c.happened_on).order_by(table.c.id)).scalars().all()
    assert days == [date(2026, 1, 2 + n) for n in range(5)] + [date(2025, 12, 25)]
