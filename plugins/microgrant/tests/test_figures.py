"""公益微创投's figures in the district's report (issue 13, 资金): a known history of rounds and grants
over 2020–2026 in two streets — rounds and applications by the round's year, grants by the district's
day they were decided (a decision just after midnight on 1 January is the new year's), money paid by
the day each tranche was paid — and the number of queries stays the same whatever the number of
projects."""
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from incubator.testing import statements_sent
from incubator.dates import to_utc, today
from incubator.extensions import db
from incubator.figures import Scope, collect
from incubator.plugins import set_enablement
from plugins.microgrant import services
from plugins.microgrant.figures import figures
from plugins.microgrant.models import Application, BudgetLine, Round, Tranche
from plugins.microgrant.services import DEFAULT_CRITERIA

YEARS = (2021, 2022, 2023, 2024, 2025)
CATEGORIES = ["便民服务", "为老服务", "文明养犬"]


def a_round(park, year):
    rnd = Round(park_id=park.id, title=f"{year}年{park.name}公益微创投", year=year, budget_fen=100_000_000,
                max_grant_fen=10_000_000, categories=CATEGORIES, criteria=DEFAULT_CRITERIA,
                tranche_percents=[60, 40], apply_from=date(year, 1, 1), apply_until=date(year, 3, 31),
                review_from=date(year, 4, 1), review_until=date(year, 4, 30), execute_from=date(year, 5, 1),
                execute_until=date(year, 12, 31))
    db.session.add(rnd)
    db.session.flush()
    return rnd


def project(rnd, org, category, status="submitted", granted=None, decided=None, paid=(), pending=(),
            cancelled=()):
    """A project of `org` in `rnd`: `granted` yuan decided at `decided` (the district's wall clock),
    tranches paid [(yuan, day)], pending and cancelled [yuan]."""
    fen = lambda yuan: int(round(yuan * 100))  # noqa: E731
    tranches = ([Tranche(seq=0, amount_fen=fen(y), status="paid", paid_on=day) for y, day in paid]
                + [Tranche(seq=0, amount_fen=fen(y), status="pending") for y in pending]
                + [Tranche(seq=0, amount_fen=fen(y), status="cancelled") for y in cancelled])
    for seq, tranche in enumerate(tranches, start=1):
        tranche.seq = seq
    application = Application(
        round_id=rnd.id, organization_id=org.id, title=f"{org.name}的项目", category=category,
        requested_fen=fen(granted or 1000), status=status, granted_fen=fen(granted) if granted else None,
        decided_at=to_utc(decided) if decided else None, tranches=tranches,
        lines=[BudgetLine(position=0, item="活动物料", amount_fen=fen(granted or 1000))])
    db.session.add(application)
    if granted and status in ("approved", "terminated"):
        rnd.committed_fen += fen(granted) - sum(t.amount_fen for t in tranches if t.status == "cancelled")
    db.session.flush()
    return application


@pytest.fixture
def history(network, parks, make_org):
    set_enablement("microgrant", "parks", [parks["wannianbu"], parks["changqing"]])
    linli = make_org(name="万年埠邻里互助会", park="wannianbu", stage="incubating")
    leling = make_org(name="云华乐龄服务社", park="yunhua", stage="incubating")
    shuxiang = make_org(name="万慈书香读书会", park="wanci", stage="incubating")
    changqing = [make_org(name=f"常青志愿队{i}", park="changqing", stage="incubating") for i in range(3)]
    wannianbu = parks["wannianbu"]

    r2020 = a_round(wannianbu, 2020)
    project(r2020, linli, "便民服务", "approved", 8000, datetime(2020, 4, 1, 10), paid=[(8000, date(2020, 4, 10))])

    r2022 = a_round(wannianbu, 2022)
    project(r2022, linli, "便民服务", "approved", 30000, datetime(2022, 4, 20, 10),
            paid=[(18000, date(2022, 5, 10)), (12000, date(2022, 11, 1))])
    project(r2022, leling, "为老服务", "rejected", decided=datetime(2022, 4, 20, 10))

    r2024 = a_round(wannianbu, 2024)
    # Decided 30 minutes into 2025 in the district (16:30 UTC on 31 December 2024): a 2025 grant.
    project(r2024, linli, "便民服务", "approved", 40000, datetime(2025, 1, 1, 0, 30),
            paid=[(24000, date(2025, 1, 10))], pending=[16000])
    # Terminated after its first tranche: granted as decided, paid what was paid.
    project(r2024, leling, "为老服务", "terminated", 20000.50, datetime(2024, 4, 25, 15),
            paid=[(12000.30, date(2024, 5, 2))], cancelled=[8000.20])
    project(r2024, shuxiang, "便民服务")

    r2025 = a_round(wannianbu, 2025)
    project(r2025, shuxiang, "为老服务", "approved", 10000, datetime(2025, 4, 28, 9),
            paid=[(6000, date(2025, 5, 5))], pending=[4000])
    project(r2025, leling, "便民服务", "rejected", decided=datetime(2025, 4, 28, 9))

    c2025 = a_round(parks["changqing"], 2025)
    project(c2025, changqing[0], "文明养犬", "approved", 15000, datetime(2025, 12, 31, 23),
            paid=[(9000, date(2025, 12, 31))], pending=[6000])
    project(c2025, changqing[1], "便民服务")
    # Decided ten minutes into 2026: not in 2025, nor in the total up to 2025.
    project(c2025, changqing[2], "文明养犬", "approved", 5000, datetime(2026, 1, 1, 0, 10), pending=[3000, 2000])
    db.session.commit()
    return parks


def found(scope):
    return {f.key: f for f in figures(scope)}


def test_rounds_and_applications_count_in_the_rounds_year(history):
    figures_ = found(Scope(YEARS))
    rounds, applications = figures_["microgrant.rounds"], figures_["microgrant.applications"]
    assert rounds.by_year == {2021: 0, 2022: 1, 2023: 0, 2024: 1, 2025: 2}
    assert rounds.by_park == {history["wannianbu"].id: 1, history["changqing"].id: 1}
    assert rounds.breakdowns == {"园区": {"常青街道社会组织孵化基地": 1, "万年埠街道社会组织孵化园": 1}}
    assert (rounds.unit, rounds.area) == ("次", "资金")
    assert applications.by_year == {2021: 0, 2022: 2, 2023: 0, 2024: 3, 2025: 5}
    assert applications.by_park == {history["wannianbu"].id: 2, history["changqing"].id: 3}
    assert applications.breakdowns["类别"] == {"便民服务": 2, "文明养犬": 2, "为老服务": 1}
    assert applications.unit == "个" and applications.cumulative is None


def test_grants_count_in_the_district_year_they_were_decided(history):
    figures_ = found(Scope(YEARS))
    grants, granted = figures_["microgrant.grants"], figures_["microgrant.granted"]
    assert grants.by_year == {2021: 0, 2022: 1, 2023: 0, 2024: 1, 2025: 3}
    assert grants.targetable and grants.unit == "个"
    assert grants.cumulative == 6  # from 2020 to the end of 2025, not the one decided in 2026
    assert grants.by_park == {history["wannianbu"].id: 2, history["changqing"].id: 1}
    assert grants.breakdowns["类别"] == {"便民服务": 1, "为老服务": 1, "文明养犬": 1}
    assert grants.breakdowns["园区"] == {"常青街道社会组织孵化基地": 1, "万年埠街道社会组织孵化园": 2}
    # Yuan, from fen: a terminated grant counts as it was decided.
    assert granted.unit == "元" and not granted.targetable
    assert granted.by_year == {2021: 0, 2022: 30000.0, 2023: 0, 2024: 20000.5, 2025: 65000.0}
    assert granted.cumulative == 123000.5
    assert granted.by_park == {history["wannianbu"].id: 50000.0, history["changqing"].id: 15000.0}
    assert granted.breakdowns["类别"] == {"便民服务": 40000.0, "文明养犬": 15000.0, "为老服务": 10000.0}


def test_money_paid_counts_the_tranches_paid_in_the_year(history):
    paid = found(Scope(YEARS))["microgrant.paid"]
    assert paid.by_year == {2021: 0, 2022: 30000.0, 2023: 0, 2024: 12000.3, 2025: 39000.0}
    assert paid.by_park == {history["wannianbu"].id: 30000.0, history["changqing"].id: 9000.0}
    assert paid.breakdowns["类别"] == {"便民服务": 24000.0, "文明养犬": 9000.0, "为老服务": 6000.0}
    assert paid.breakdowns["园区"] == {"常青街道社会组织孵化基地": 9000.0, "万年埠街道社会组织孵化园": 30000.0}


def test_the_grant_decided_just_after_new_year_counts_in_the_new_year(history):
    figures_ = found(Scope((2025, 2026)))
    assert figures_["microgrant.grants"].by_year == {2025: 3, 2026: 1}
    assert figures_["microgrant.grants"].cumulative == 7
    assert figures_["microgrant.granted"].by_year == {2025: 65000.0, 2026: 5000.0}


def test_a_park_scope_counts_only_its_parks_rounds(history):
    figures_ = found(Scope(YEARS, (history["changqing"].id,)))
    assert figures_["microgrant.rounds"].by_year == {2021: 0, 2022: 0, 2023: 0, 2024: 0, 2025: 1}
    assert figures_["microgrant.applications"].by_year[2025] == 3
    assert figures_["microgrant.grants"].by_year[2025] == 1 and figures_["microgrant.grants"].cumulative == 1
    assert figures_["microgrant.granted"].cumulative == 15000.0
    assert figures_["microgrant.paid"].by_park == {history["changqing"].id: 9000.0}
    # A street's round funds its communities' organizations: counted in the street that held it.
    assert found(Scope(YEARS, (history["yunhua"].id,)))["microgrant.grants"].cumulative == 0
    assert found(Scope(YEARS, ()))["microgrant.rounds"].by_year[2025] == 0


def test_the_report_has_the_grants_of_the_parks_where_the_plugin_is_on(history, login_as):
    keys = [f.key for f in collect(Scope(YEARS)) if f.area == "资金"]
    assert keys == ["microgrant.applications", "microgrant.grants", "microgrant.granted", "microgrant.paid",
                    "microgrant.rounds"]
    assert "microgrant.grants" not in [f.key for f in collect(Scope(YEARS, (history["fangxing"].id,)))]
    client = login_as("admin")
    html = client.get("/reports?year=2025").get_data(as_text=True)
    assert "立项资助项目" in html and "拨付资金" in html
    sheet = load_workbook(io.BytesIO(client.get("/reports/export.xlsx?year=2025").data))["资金"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=6, values_only=True) if r and r[0]}
    assert rows["立项资助金额"][:8] == ("立项资助金额", "元", 0, 30000, 0, 20000.5, 65000, 123000.5)


def test_a_decision_made_on_the_page_today_counts_this_year(make_round, make_application, mgr):
    rnd = make_round()
    application = make_application(rnd)
    services.decide(application, True, 1_500_000, "同意立项", user=mgr)
    services.pay(application, 1, user=mgr)
    year = today().year
    figures_ = found(Scope((year - 1, year)))
    assert figures_["microgrant.grants"].by_year == {year - 1: 0, year: 1}
    assert figures_["microgrant.granted"].by_year[year] == 15000.0
    assert figures_["microgrant.paid"].by_year[year] == 9000.0


def test_the_number_of_queries_does_not_grow_with_the_projects(history, make_org):
    def statements(n):
        rnd = a_round(history["changqing"], 2023)
        for i in range(n):
            org = make_org(name=f"常青服务队{n}-{i}", park="changqing", stage="incubating")
            project(rnd, org, CATEGORIES[i % 3], "approved", 1000 + i, datetime(2023, 4, 20, 10),
                    paid=[(600, date(2023, 5, 1))], pending=[400 + i])
        db.session.commit()
        return statements_sent(lambda: figures(Scope(YEARS)))
    assert statements(3) == statements(30)
