"""The incubation stage machine: every move, the incubation period, renewals (续驻), transfers,
plugin vetoes and follow-ups, and two people moving the same organization at once."""
import threading
from datetime import date, timedelta
from itertools import product

import pytest
from sqlalchemy import select, text

from incubator import hookimpl
from incubator.audit.models import AuditEntry
from incubator.errors import Conflict, IllegalMove, ValidationError
from incubator.extensions import db
from incubator.organizations import services, stages
from incubator.organizations.models import Organization, Renewal, Transfer, Transition
from incubator.plugins import registry, set_enablement

from .helpers import count_rows, page_text

ALL_PAIRS = list(product(stages.STAGES, stages.STAGES))
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in stages.MOVES[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in stages.MOVES[a]]


def pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


@pytest.fixture
def core_only(network):
    """Switch every loaded plugin off, so only the core's rules decide a move."""
    for info in registry().loaded():
        set_enablement(info.name, "none")
    db.session.commit()


def test_the_stage_table_is_complete():
    assert set(stages.MOVES) == set(stages.STAGES)
    for targets in stages.MOVES.values():
        assert set(targets) <= set(stages.STAGES)
    assert len(LEGAL) == 11 and len(ILLEGAL) == 53


# -- every move through the service ---------------------------------------------------------

@pytest.mark.parametrize("pair", LEGAL, ids=pair_id)
def test_a_legal_move_is_stored_with_its_transition(pair, core_only, make_org, users):
    from_stage, to_stage = pair
    org = make_org(stage=from_stage)
    transition = services.move(org, to_stage, user=users["fangxing-mgr"], note="按流程")
    assert org.stage == to_stage
    stored = db.session.get(Transition, transition.id)
    assert (stored.from_stage, stored.to_stage, stored.note) == (from_stage, to_stage, "按流程")
    assert stored.user.username == "fangxing-mgr"
    assert count_rows(AuditEntry, AuditEntry.action == "org.transition") == 1


@pytest.mark.parametrize("pair", ILLEGAL, ids=pair_id)
def test_an_illegal_move_is_refused_and_changes_nothing(pair, core_only, make_org, users):
    from_stage, to_stage = pair
    org = make_org(stage=from_stage)
    with pytest.raises(IllegalMove):
        services.move(org, to_stage, user=users["admin"])
    db.session.expire_all()
    assert org.stage == from_stage
    assert count_rows(Transition, Transition.organization_id == org.id) == 1  # only the creation


def test_an_unknown_stage_is_a_validation_error(make_org, users):
    org = make_org(stage="applied")
    with pytest.raises(ValidationError) as raised:
        services.move(org, "hatched", user=users["admin"])
    assert raised.value.field == "to_stage"


# -- every move through the pages and the API -------------------------------------------------

@pytest.mark.parametrize("from_stage", stages.STAGES)
def test_manager_moves_through_the_organization_page(from_stage, core_only, make_org, login_as, client):
    """From `from_stage` to every stage: legal moves go through (302), illegal ones are 409 and change nothing."""
    orgs = {to_stage: make_org(stage=from_stage).id for to_stage in stages.STAGES}
    login_as("fangxing-mgr")
    wrong = []
    for to_stage, org_id in orgs.items():
        response = client.post(f"/orgs/{org_id}/move", data={"move-to_stage": to_stage, "move-note": "页面操作"})
        legal = stages.is_legal(from_stage, to_stage)
        db.session.expire_all()
        stage = db.session.get(Organization, org_id).stage
        if (response.status_code, stage) != ((302, to_stage) if legal else (409, from_stage)):
            wrong.append((to_stage, response.status_code, stage))
        if not legal and "不能从" not in page_text(response):
            wrong.append((to_stage, "no explanation"))
    assert wrong == []


@pytest.mark.parametrize("from_stage", stages.STAGES)
def test_manager_moves_through_the_api(from_stage, core_only, make_org, api, client):
    """From `from_stage` to every stage: 201 with the stored transition, or 409 IllegalMove."""
    orgs = {to_stage: make_org(stage=from_stage).id for to_stage in stages.STAGES}
    headers = api("fangxing-mgr")
    wrong = []
    for to_stage, org_id in orgs.items():
        response = client.post(f"/api/v1/organizations/{org_id}/transitions", headers=headers,
                               json={"to_stage": to_stage, "note": "API"})
        body = response.get_json()
        if stages.is_legal(from_stage, to_stage):
            ok = response.status_code == 201 and (body["from_stage"], body["to_stage"], body["user"]) == (
                from_stage, to_stage, "fangxing-mgr")
        else:
            ok = response.status_code == 409 and body["errors"][0]["code"] == "IllegalMove"
        db.session.expire_all()
        expected = to_stage if stages.is_legal(from_stage, to_stage) else from_stage
        if not ok or db.session.get(Organization, org_id).stage != expected:
            wrong.append((to_stage, response.status_code, body))
    assert wrong == []


def test_an_unknown_stage_is_422_in_page_and_api(make_org, login_as, client, api):
    org = make_org(stage="applied")
    response = client.post(f"/api/v1/organizations/{org.id}/transitions", headers=api("admin"),
                           json={"to_stage": "hatched"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "to_stage"
    login_as("admin")
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "hatched", "move-note": "x"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Organization, org.id).stage == "applied"


def test_a_move_without_a_reason_is_refused_on_the_page(make_org, login_as, client):
    org = make_org(stage="applied")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "reviewing", "move-note": ""})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Organization, org.id).stage == "applied"


def test_the_page_offers_only_the_legal_moves(make_org, login_as, client):
    org = make_org(stage="reviewing")
    login_as("fangxing-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    for stage in stages.STAGES:
        offered = f'<option value="{stage}"' in html
        assert offered == (stage in stages.MOVES["reviewing"]), stage


def test_the_transitions_api_lists_the_whole_history_oldest_first(core_only, make_org, users, client, api):
    org = make_org(stage="applied")
    for stage in ("reviewing", "incubating", "virtual", "incubating"):
        services.move(org, stage, user=users["admin"], note=f"to {stage}")
    response = client.get(f"/api/v1/organizations/{org.id}/transitions", headers=api("fangxing-mgr"))
    assert response.status_code == 200
    assert [t["to_stage"] for t in response.get_json()["items"]] == ["applied", "reviewing", "incubating", "virtual",
                                                             "incubating"]


# -- the incubation period ---------------------------------------------------------------------

def test_entering_incubation_starts_a_two_year_period(core_only, make_org, users, client, api):
    org = make_org(stage="reviewing")
    assert org.incubation_start is None and org.incubation_due is None
    client.post(f"/api/v1/organizations/{org.id}/transitions", headers=api("admin"), json={"to_stage": "incubating"})
    body = client.get(f"/api/v1/organizations/{org.id}", headers=api("admin")).get_json()
    today = date.today()
    assert body["incubation_start"] == today.isoformat()
    assert body["incubation_due"] == services.add_years(today, 2).isoformat()
    assert body["stage"] == "incubating" and body["overdue"] is False


def test_going_virtual_and_back_keeps_the_original_period(core_only, make_org, users):
    start = date.today() - timedelta(days=400)
    org = make_org(stage="incubating", incubation_start=start, incubation_due=services.add_years(start, 2))
    services.move(org, "virtual", user=users["admin"])
    services.move(org, "incubating", user=users["admin"])
    assert (org.incubation_start, org.incubation_due) == (start, services.add_years(start, 2))


def test_the_period_follows_the_configured_years(app, core_only, make_org, users):
    app.config["INCUBATION_YEARS"] = 3
    try:
        org = make_org(stage="reviewing")
        services.move(org, "incubating", user=users["admin"])
        assert org.incubation_due == services.add_years(date.today(), 3)
    finally:
        app.config["INCUBATION_YEARS"] = 2


def test_a_leap_day_start_is_due_on_28_february():
    assert services.add_years(date(2024, 2, 29), 2) == date(2026, 2, 28)


# -- renewals (续驻) ----------------------------------------------------------------------------

def test_manager_renews_an_incubating_organization(make_org, users, login_as, client):
    org = make_org(stage="incubating")
    old_due = org.incubation_due
    new_due = old_due + timedelta(days=365)
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/renew", data={"renew-new_due": new_due.isoformat(),
                                                          "renew-reason": "承接政府购买服务项目未结项"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, org.id).incubation_due == new_due
    renewal = db.session.scalar(select(Renewal).where(Renewal.organization_id == org.id))
    assert (renewal.old_due, renewal.new_due, renewal.reason) == (old_due, new_due, "承接政府购买服务项目未结项")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert "续驻" in html and "承接政府购买服务项目未结项" in html


@pytest.mark.parametrize("stage", ["incubating", "virtual"])
def test_renewal_through_the_api_in_each_active_stage(stage, make_org, client, api):
    org = make_org(stage=stage)
    old_due = org.incubation_due
    new_due = old_due + timedelta(days=180)
    response = client.post(f"/api/v1/organizations/{org.id}/renewals", headers=api("fangxing-mgr"),
                           json={"new_due": new_due.isoformat(), "reason": "延期半年"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["old_due"] == old_due.isoformat()
    assert response.get_json()["new_due"] == new_due.isoformat()


@pytest.mark.parametrize("days", [0, -1, -365])
def test_a_renewal_must_move_the_due_date_later(days, make_org, users, client, api):
    org = make_org(stage="incubating")
    new_due = org.incubation_due + timedelta(days=days)
    with pytest.raises(ValidationError) as raised:
        services.renew(org, new_due, "理由", user=users["admin"])
    assert raised.value.field == "new_due"
    response = client.post(f"/api/v1/organizations/{org.id}/renewals", headers=api("admin"),
                           json={"new_due": new_due.isoformat(), "reason": "理由"})
    assert response.status_code == 422
    assert count_rows(Renewal) == 0


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_renewal_needs_a_reason(reason, make_org, users, client, api, login_as):
    org = make_org(stage="incubating")
    new_due = org.incubation_due + timedelta(days=30)
    with pytest.raises(ValidationError) as raised:
        services.renew(org, new_due, reason, user=users["admin"])
    assert raised.value.field == "reason"
    response = client.post(f"/api/v1/organizations/{org.id}/renewals", headers=api("admin"),
                           json={"new_due": new_due.isoformat(), "reason": reason})
    assert response.status_code == 422
    login_as("admin")
    response = client.post(f"/orgs/{org.id}/renew", data={"renew-new_due": new_due.isoformat(), "renew-reason": reason})
    assert response.status_code == 422
    assert count_rows(Renewal) == 0


@pytest.mark.parametrize("stage", [s for s in stages.STAGES if s not in stages.ACTIVE_STAGES])
def test_only_organizations_in_incubation_can_be_renewed(stage, make_org, users, client, api):
    org = make_org(stage=stage)
    with pytest.raises(Conflict):
        services.renew(org, date.today() + timedelta(days=900), "理由", user=users["admin"])
    response = client.post(f"/api/v1/organizations/{org.id}/renewals", headers=api("admin"),
                           json={"new_due": (date.today() + timedelta(days=900)).isoformat(), "reason": "理由"})
    assert response.status_code == 409
    assert count_rows(Renewal) == 0


def test_the_database_refuses_a_renewal_that_is_not_later(make_org, users):
    from sqlalchemy.exc import IntegrityError
    org = make_org(stage="incubating")
    db.session.add(Renewal(organization_id=org.id, old_due=org.incubation_due, new_due=org.incubation_due,
                           reason="x"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# -- transfers between parks ---------------------------------------------------------------------

def test_a_transfer_moves_the_organization_and_keeps_its_history(make_org, parks, users, login_as, client):
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/transfer", data={"transfer-park": parks["district"].id,
                                                             "transfer-note": "升级进入区级创新园"})
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Organization, org.id)
    assert moved.park.code == "district" and moved.stage == "incubating"
    record = db.session.scalar(select(Transfer).where(Transfer.organization_id == org.id))
    assert (record.from_park.code, record.to_park.code, record.note) == ("fangxing", "district", "升级进入区级创新园")
    assert count_rows(Transition, Transition.organization_id == org.id) == 1  # the history stays

    # The old park's manager no longer sees it; the new park's manager does, with the transfer on the timeline.
    assert client.get(f"/orgs/{org.id}").status_code == 403
    login_as("district-mgr")
    html = page_text(client.get(f"/orgs/{org.id}"))
    assert "转园" in html and "方兴社区社会组织孵化基地 → 包河区社会组织创新园" in html
    assert "升级进入区级创新园" in html


def test_transfer_through_the_api(make_org, client, api):
    org = make_org(park="wanci", stage="applied")
    response = client.post(f"/api/v1/organizations/{org.id}/transfers", headers=api("wannianbu-mgr"),
                           json={"park": "yunhua", "note": "就近服务"})
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["from_park"], response.get_json()["park"]) == ("wanci", "yunhua")
    assert client.get(f"/api/v1/organizations/{org.id}", headers=api("admin")).get_json()["park"] == "yunhua"


def test_transfer_to_the_same_or_an_unknown_park_is_422(make_org, client, api):
    org = make_org(park="fangxing", stage="incubating")
    headers = api("admin")
    for target in ("fangxing", "nowhere"):
        response = client.post(f"/api/v1/organizations/{org.id}/transfers", headers=headers, json={"park": target})
        assert response.status_code == 422, target
        assert response.get_json()["errors"][0]["field"] == "park"
    assert count_rows(Transfer) == 0


@pytest.mark.parametrize("stage", stages.FINAL_STAGES)
def test_a_finished_organization_cannot_be_transferred(stage, make_org, client, api):
    org = make_org(park="fangxing", stage=stage)
    response = client.post(f"/api/v1/organizations/{org.id}/transfers", headers=api("admin"), json={"park": "district"})
    assert response.status_code == 409
    assert count_rows(Transfer) == 0


# -- plugins: vetoes and follow-ups ----------------------------------------------------------------

class Vetoes:
    """A plugin that refuses admission until two things are done."""

    @hookimpl
    def incubator_transition_check(self, org, to_stage):
        if to_stage == "incubating":
            return ["须先完成入园能力评估", "须签订入园孵化协议"]


def test_a_plugin_veto_is_explained_on_the_page(extra_plugin, make_org, login_as, client):
    extra_plugin(Vetoes())
    org = make_org(stage="reviewing")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "incubating", "move-note": "评审通过"})
    assert response.status_code == 409
    html = page_text(response)
    assert "须先完成入园能力评估" in html and "须签订入园孵化协议" in html
    db.session.expire_all()
    assert db.session.get(Organization, org.id).stage == "reviewing"
    assert count_rows(Transition, Transition.organization_id == org.id) == 1


def test_a_plugin_veto_is_returned_by_the_api(extra_plugin, make_org, client, api):
    extra_plugin(Vetoes())
    org = make_org(stage="reviewing")
    response = client.post(f"/api/v1/organizations/{org.id}/transitions", headers=api("admin"),
                           json={"to_stage": "incubating"})
    assert response.status_code == 409
    errors = response.get_json()["errors"]
    assert [e["message"] for e in errors] == ["须先完成入园能力评估", "须签订入园孵化协议"]
    assert {e["code"] for e in errors} == {"Vetoed"}
    # Other moves are not affected.
    response = client.post(f"/api/v1/organizations/{org.id}/transitions", headers=api("admin"),
                           json={"to_stage": "rejected"})
    assert response.status_code == 201


def test_transition_done_runs_after_the_move_is_committed(extra_plugin, core_only, make_org, users, app):
    seen = []

    class FollowUp:
        @hookimpl
        def incubator_transition_done(self, org, transition):
            # A separate connection sees the move: it was committed before the hook ran.
            with db.engine.connect() as conn:
                stored = conn.execute(text("SELECT stage FROM organizations WHERE id = :id"), {"id": org.id}).scalar()
                logged = conn.execute(text("SELECT count(*) FROM transitions WHERE id = :id"),
                                      {"id": transition.id}).scalar()
            seen.append((org.stage, transition.to_stage, stored, logged))

    extra_plugin(FollowUp())
    org = make_org(stage="reviewing")
    services.move(org, "incubating", user=users["admin"])
    assert seen == [("incubating", "incubating", "incubating", 1)]


def test_a_failing_follow_up_does_not_undo_the_move(extra_plugin, core_only, make_org, login_as, client):
    class Broken:
        @hookimpl
        def incubator_transition_done(self, org, transition):
            raise RuntimeError("notice service down")

    extra_plugin(Broken())
    org = make_org(stage="applied")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "reviewing", "move-note": "材料齐全"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, org.id).stage == "reviewing"


# -- two people, one organization, the same moment ---------------------------------------------------

class Barrier:
    """Holds every move at the check until two have reached it, so both pass the check together."""

    def __init__(self):
        self.barrier = threading.Barrier(2, timeout=10)

    @hookimpl
    def incubator_transition_check(self):
        self.barrier.wait()


def test_concurrent_moves_of_one_organization_exactly_one_wins(postgres_only, extra_plugin, core_only, make_org, app):
    extra_plugin(Barrier())
    org_id = make_org(stage="reviewing").id
    tokens = {}
    for name in ("admin", "fangxing-mgr"):
        response = app.test_client().post("/api/v1/auth/token", json={"username": name, "password": "demo12345"})
        tokens[name] = response.get_json()["token"]
    results = {}

    def move(username, to_stage):
        response = app.test_client().post(f"/api/v1/organizations/{org_id}/transitions", json={"to_stage": to_stage},
                                          headers={"Authorization": f"Bearer {tokens[username]}"})
        results[username] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=move, args=("admin", "incubating")),
               threading.Thread(target=move, args=("fangxing-mgr", "rejected"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    statuses = sorted(status for status, _ in results.values())
    assert statuses == [201, 409], results
    loser = next(body for status, body in results.values() if status == 409)
    assert loser["errors"][0]["code"] == "Conflict"
    db.session.expire_all()
    winner_stage = next(body["to_stage"] for status, body in results.values() if status == 201)
    assert db.session.get(Organization, org_id).stage == winner_stage
    assert count_rows(Transition, Transition.organization_id == org_id) == 2


def test_concurrent_renewals_cannot_both_extend_the_same_due_date(postgres_only, make_org, app, monkeypatch):
    """Two managers renew at the same moment from the same due date: one wins, the other is told to reload."""
    import contextlib
    org = make_org(stage="incubating")
    org_id, old_due = org.id, org.incubation_due
    barrier = threading.Barrier(2, timeout=10)
    real_transaction = services.transaction

    @contextlib.contextmanager
    def transaction_after_both_checked():
        barrier.wait()  # both have validated against the same old due date
        with real_transaction() as session:
            yield session

    monkeypatch.setattr(services, "transaction", transaction_after_both_checked)
    tokens = [app.test_client().post("/api/v1/auth/token", json={"username": u, "password": "demo12345"})
              .get_json()["token"] for u in ("admin", "fangxing-mgr")]
    results = []

    def renew(token, days):
        response = app.test_client().post(f"/api/v1/organizations/{org_id}/renewals",
                                          headers={"Authorization": f"Bearer {token}"},
                                          json={"new_due": (old_due + timedelta(days=days)).isoformat(), "reason": "续驻"})
        results.append(response.status_code)

    threads = [threading.Thread(target=renew, args=(token, days)) for token, days in zip(tokens, (365, 100))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(results) == [201, 409]
    assert count_rows(Renewal, Renewal.organization_id == org_id) == 1


def test_concurrent_transfers_keep_a_true_history(postgres_only, make_org, app, monkeypatch):
    """Two transfers of one organization at once: one goes through, the other is told to reload."""
    import contextlib
    org_id = make_org(park="wannianbu", stage="incubating").id
    barrier = threading.Barrier(2, timeout=10)
    real_transaction = services.transaction

    @contextlib.contextmanager
    def transaction_after_both_checked():
        barrier.wait()
        with real_transaction() as session:
            yield session

    monkeypatch.setattr(services, "transaction", transaction_after_both_checked)
    tokens = [app.test_client().post("/api/v1/auth/token", json={"username": u, "password": "demo12345"})
              .get_json()["token"] for u in ("admin", "wannianbu-mgr")]
    results = []

    def transfer(token, park):
        response = app.test_client().post(f"/api/v1/organizations/{org_id}/transfers", json={"park": park},
                                          headers={"Authorization": f"Bearer {token}"})
        results.append(response.status_code)

    threads = [threading.Thread(target=transfer, args=(token, park)) for token, park in zip(tokens, ("district", "yunhua"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(results) == [201, 409]
    history = db.session.scalars(select(Transfer).where(Transfer.organization_id == org_id)).all()
    assert len(history) == 1 and history[0].from_park.code == "wannianbu"
    db.session.expire_all()
    assert db.session.get(Organization, org_id).park_id == history[0].to_park_id
