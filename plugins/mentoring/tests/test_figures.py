"""督导's figures in the district's report (issue 13): a known history of supervision over several
years — logged, signed off, disputed and amended through the real services, back-dated — and every
figure by year, park and expert, with its totals; a park's scope; the number of statements
whatever the number of entries."""
from datetime import date

import pytest

from incubator.testing import statements_sent
from incubator.extensions import db
from incubator.figures import Scope, collect
from incubator.figures import report as reports
from incubator.testing import PASSWORD
from incubator.users.models import User
from plugins.mentoring import assigning, services
from plugins.mentoring.figures import figures

YEARS = (2022, 2023, 2024, 2025)


@pytest.fixture
def supervise(make_org, users):
    """supervise(name, park) → an incubating organization with expert-li and expert-zhou assigned since
    2020 and a contact person; then log(org, expert, day, hours, status="confirmed", amends=None)."""
    contacts = {}

    def _org(name, park):
        org = make_org(park=park, stage="incubating", name=name)
        for expert in ("expert-li", "expert-zhou"):
            assigning.assign(org, users[expert], date(2020, 1, 1), None, user=users["admin"])
        contact = User(username=f"contact-{org.id}", role="trainee", name=f"{name}联系人", organization_id=org.id)
        contact.set_password(PASSWORD)
        db.session.add(contact)
        db.session.commit()
        contacts[org.id] = contact
        return org

    def _log(org, expert, day, hours, status="confirmed", amends=None):
        entry = services.create_log(org, {"held_on": day, "hours": hours, "mode": "onsite", "topics": ["内部治理"],
                                          "findings": "理事会记录不全", "advice": "每季度开会"},
                                    user=users[expert], amends=amends)
        if status == "confirmed":
            services.confirm(entry, user=contacts[org.id])
        elif status == "disputed":
            services.dispute(entry, "时长有误", user=contacts[org.id])
        return entry
    return _org, _log


@pytest.fixture
def history(supervise):
    """Four organizations in three parks, 2021–2026; what counts is signed off and not amended."""
    org, log = supervise
    a, b = org("方兴甲", "fangxing"), org("方兴乙", "fangxing")
    c, d = org("常青丙", "changqing"), org("创新园丁", "district")
    log(a, "expert-li", date(2021, 6, 1), "2")
    log(a, "expert-li", date(2023, 3, 10), "2")
    log(a, "expert-zhou", date(2023, 3, 10), "1.5")  # the same visit: one session
    log(c, "expert-zhou", date(2023, 11, 20), "3")
    log(b, "expert-li", date(2024, 5, 5), "2", status="pending")
    log(b, "expert-li", date(2024, 6, 6), "2.5", status="disputed")
    amended = log(a, "expert-li", date(2025, 1, 8), "2")
    log(a, "expert-li", date(2025, 1, 8), "3", amends=amended)  # replaces the 2 hours once confirmed
    log(b, "expert-li", date(2025, 2, 14), "2")
    log(b, "expert-li", date(2025, 2, 14), "1")  # a second entry of the day: one session, both hours
    log(d, "expert-zhou", date(2025, 4, 1), "4")
    log(c, "expert-zhou", date(2025, 12, 31), "1.5")
    log(d, "expert-zhou", date(2026, 3, 1), "2")  # after the report's year
    return a, b, c, d


def mentoring(scope):
    return {f.key: f for f in collect(scope) if f.key.startswith("mentoring.")}


def test_supervision_is_counted_in_the_year_it_was_held(history):
    found = mentoring(Scope(YEARS))
    assert list(found) == ["mentoring.sessions", "mentoring.hours", "mentoring.organizations"]
    assert {f.area for f in found.values()} == {"督导"}
    assert found["mentoring.sessions"].by_year == {2022: 0, 2023: 2, 2024: 0, 2025: 4}
    assert found["mentoring.hours"].by_year == {2022: 0, 2023: 6.5, 2024: 0, 2025: 11.5}
    assert found["mentoring.organizations"].by_year == {2022: 0, 2023: 2, 2024: 0, 2025: 4}
    # From the first entry (2021) to the end of the report's year (2026's left out).
    assert found["mentoring.sessions"].cumulative == 7
    assert found["mentoring.hours"].cumulative == 20.0
    assert found["mentoring.organizations"].cumulative == 4
    assert [k for k, f in found.items() if f.targetable] == ["mentoring.sessions", "mentoring.hours"]


def test_the_report_years_breakdowns_by_park_and_expert(history, parks):
    found = mentoring(Scope(YEARS))
    fangxing, changqing, district = parks["fangxing"], parks["changqing"], parks["district"]
    sessions, hours, orgs = found["mentoring.sessions"], found["mentoring.hours"], found["mentoring.organizations"]
    assert sessions.by_park == {district.id: 1, changqing.id: 1, fangxing.id: 2}
    assert hours.by_park == {district.id: 4.0, changqing.id: 1.5, fangxing.id: 6.0}
    assert orgs.by_park == {district.id: 1, changqing.id: 1, fangxing.id: 2}
    assert hours.breakdowns["园区"] == {district.name: 4.0, changqing.name: 1.5, fangxing.name: 6.0}
    assert sessions.breakdowns["专家"] == {"李督导": 2, "周督导": 2}
    assert hours.breakdowns["专家"] == {"李督导": 6.0, "周督导": 5.5}
    assert list(hours.breakdowns["专家"]) == ["李督导", "周督导"]  # the most first
    assert orgs.breakdowns["专家"] == {"李督导": 2, "周督导": 2}
    # 2023: both experts at 方兴甲 on 10 March — one session of the organization's, one of each expert's.
    earlier = mentoring(Scope((2022, 2023)))
    assert earlier["mentoring.sessions"].by_year[2023] == 2
    assert earlier["mentoring.sessions"].breakdowns["专家"] == {"周督导": 2, "李督导": 1}
    assert earlier["mentoring.hours"].cumulative == 8.5 and earlier["mentoring.organizations"].cumulative == 2


def test_a_park_scope_counts_only_its_organizations(history, parks):
    found = mentoring(Scope(YEARS, (parks["fangxing"].id,)))
    assert found["mentoring.sessions"].by_year == {2022: 0, 2023: 1, 2024: 0, 2025: 2}
    assert found["mentoring.sessions"].cumulative == 4  # 2021 and 2023 at 方兴甲, 2025 at both
    assert found["mentoring.hours"].by_year == {2022: 0, 2023: 3.5, 2024: 0, 2025: 6.0}
    assert found["mentoring.hours"].cumulative == 11.5
    assert found["mentoring.organizations"].cumulative == 2
    assert found["mentoring.hours"].by_park == {parks["fangxing"].id: 6.0}
    assert found["mentoring.hours"].breakdowns["专家"] == {"李督导": 6.0}
    assert [f.cumulative for f in figures(Scope(YEARS, ()))] == [0, 0, 0]


def test_two_experts_of_one_name_are_told_apart(supervise, users):
    org, log = supervise
    twin = User(username="expert-li2", role="expert", name="李督导")
    twin.set_password(PASSWORD)
    db.session.add(twin)
    db.session.commit()
    users["expert-li2"] = twin
    a = org("方兴甲", "fangxing")
    assigning.assign(a, twin, date(2020, 1, 1), None, user=users["admin"])
    log(a, "expert-li", date(2025, 3, 1), "2")
    log(a, "expert-li2", date(2025, 3, 2), "1")
    assert mentoring(Scope(YEARS))["mentoring.hours"].breakdowns["专家"] == {"李督导（expert-li）": 2.0,
                                                                          "李督导（expert-li2）": 1.0}


def test_the_report_and_its_targets_read_the_supervision_figures(history, parks, login_as):
    html = login_as("admin").get("/reports?year=2025").get_data(as_text=True)
    assert "督导时长" in html and "受督导组织" in html and 'data-key="mentoring.sessions"' in html
    page = login_as("admin").get("/reports/targets?year=2025").get_data(as_text=True)
    assert f'name="t-{parks["fangxing"].id}-mentoring.hours"' in page
    assert f'name="t-{parks["fangxing"].id}-mentoring.sessions"' in page
    assert f'name="t-{parks["fangxing"].id}-mentoring.organizations"' not in page
    report = reports.build(2025, [parks["changqing"]], district=False)
    assert report.figure("mentoring.hours").by_year == {2021: 0, 2022: 0, 2023: 3.0, 2024: 0, 2025: 1.5}


def test_the_number_of_statements_does_not_grow_with_the_entries(app, supervise):
    org, log = supervise
    orgs = [org(f"计数组织{n}", ("fangxing", "changqing", "district")[n % 3]) for n in range(3)]

    def statements(n):
        for i in range(n):
            log(orgs[i % 3], ("expert-li", "expert-zhou")[i % 2], date(2021 + i % 5, 1 + i % 12, 1 + i % 27),
                "1.5", status=("confirmed", "confirmed", "pending")[i % 3])
        mentoring(Scope(YEARS))  # what is read once per process (plugin settings) is read
        return statements_sent(lambda: mentoring(Scope(YEARS)))
    assert statements(2) == statements(15)
