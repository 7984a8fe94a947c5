"""The district's figures (issue 13): a known history over several years — imported, back-dated and
moved by hand — and every core figure and breakdown; the report page, its Excel and PDF, targets and
their progress on the dashboard, the public showcase and the API; the number of queries stays the
same whatever the number of organizations."""
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from incubator.stamps import data_changed
from incubator.testing import statements_sent
from incubator.dates import today
from incubator.extensions import db
from incubator.figures import Figure, Scope, collect
from incubator.figures import report as reports
from incubator.figures import showcase
from incubator.figures.models import Target
from incubator.imports import importer_for
from incubator.imports.reading import read_table
from incubator.organizations import services as orgs
from incubator.organizations.models import Organization, Transition
from incubator.organizations.sheet import EXPORT_HEADER
from tests.import_samples import as_csv

YEARS = (2021, 2022, 2023, 2024, 2025)


def row(name, park, stage, applied, start="", due="", graduated="", ended="", category="社工服务类"):
    return [name, "", category, "", "", "王芳", "13955100001", "", park, stage, applied, start, due, graduated, ended]


# Twelve organizations over 2021–2025 in three parks (imported with their history).
HISTORY = [
    row("甲", "district", "出壳", "2021-02-01", "2021-03-01", "", "2023-03-01"),
    row("乙", "district", "出壳", "2021-05-01", "2021-06-01", "", "2023-09-01", category="文体类"),
    row("丙", "fangxing", "出壳", "2022-01-10", "2022-02-01", "", "2024-02-01"),
    row("丁", "fangxing", "退出", "2022-03-01", "2022-04-01", "", "", "2023-05-01"),
    row("戊", "changqing", "入园孵化", "2023-06-01", "2023-07-01"),
    row("己", "changqing", "壳外孵化", "2024-01-05", "2024-02-01", category="文体类"),
    row("庚", "district", "未通过", "2024-03-01", "", "", "", "2024-03-20"),
    row("辛", "district", "入园孵化", "2025-01-10", "2025-02-01"),
    row("壬", "fangxing", "申请", "2025-04-01"),
    row("癸", "fangxing", "撤回", "2025-05-01", "", "", "", "2025-05-10"),
    row("子", "changqing", "出壳", "2023-01-01", "2023-02-01", "", "2025-01-15"),
    row("丑", "district", "评审", "2025-11-01"),
]


@pytest.fixture
def history(network):
    importer = importer_for("organizations")
    plan = importer.plan(read_table("历史.csv", as_csv([EXPORT_HEADER, *HISTORY])), user=None,
                         parks=importer.parks_for(None))
    assert not plan.bad_rows, [str(p) for r in plan.bad_rows for p in r.problems]
    importer.carry_out(plan, user=None, source="历史.csv")
    return network


def core(scope):
    return {f.key: f for f in collect(scope) if f.key.startswith("orgs.")}


def test_the_organizations_figures_count_the_history_by_the_day_it_happened(history, parks):
    found = core(Scope(YEARS))
    assert found["orgs.entered"].by_year == {2021: 2, 2022: 2, 2023: 2, 2024: 2, 2025: 4}
    assert found["orgs.admitted"].by_year == {2021: 2, 2022: 2, 2023: 2, 2024: 1, 2025: 1}
    assert found["orgs.graduated"].by_year == {2021: 0, 2022: 0, 2023: 2, 2024: 1, 2025: 1}
    assert found["orgs.exited"].by_year == {2021: 0, 2022: 0, 2023: 1, 2024: 0, 2025: 0}
    # In incubation on 31 December of each year (virtual counts; rejected and withdrawn never did).
    assert found["orgs.incubating"].by_year == {2021: 2, 2022: 4, 2023: 3, 2024: 3, 2025: 3}
    assert found["orgs.entered"].cumulative == 12 and found["orgs.graduated"].cumulative == 4
    # 2025's breakdowns: by park and by category.
    assert found["orgs.entered"].breakdowns["园区"] == {"包河区社会组织创新园": 2, "方兴社区社会组织孵化基地": 2}
    assert found["orgs.graduated"].by_park == {parks["changqing"].id: 1}
    assert found["orgs.incubating"].by_park == {parks["district"].id: 1, parks["changqing"].id: 2}
    assert found["orgs.admitted"].breakdowns["类别"] == {"社工服务类": 1}
    # From entering to hatching: 子 took 23.5 months (2023-02-01 → 2025-01-15).
    assert found["orgs.months_to_graduate"].by_year[2025] == round(714 / 30.44, 1)
    assert found["orgs.months_to_graduate"].by_year[2023] == round((730 + 822) / 2 / 30.44, 1)


def test_a_park_scope_counts_only_its_parks(history, parks):
    found = core(Scope(YEARS, (parks["fangxing"].id,)))
    assert found["orgs.entered"].by_year == {2021: 0, 2022: 2, 2023: 0, 2024: 0, 2025: 2}
    assert found["orgs.graduated"].cumulative == 1 and found["orgs.exited"].by_year[2023] == 1


def test_a_move_made_by_hand_and_back_dated_counts_in_its_year(history, users):
    org = db.session.scalar(select(Organization).where(Organization.name == "戊"))
    orgs.move(org, "exited", user=users["admin"], happened_on=date(2025, 6, 30))
    found = core(Scope(YEARS))
    assert found["orgs.exited"].by_year[2025] == 1
    assert found["orgs.incubating"].by_year[2024] == 3 and found["orgs.incubating"].by_year[2025] == 2


def test_the_overdue_are_counted_for_this_year_only(history):
    this_year = today().year
    found = core(Scope((this_year - 1, this_year)))
    assert found["orgs.overdue"].by_year == {this_year: 2}  # 戊 (due 2025-07-01) and 己 (due 2026-02-01)
    assert "orgs.overdue" not in core(Scope((2023, 2024)))


def test_the_number_of_queries_does_not_grow_with_the_organizations(app, network, make_org):
    def statements(n):
        for i in range(n):
            make_org(name=f"社区服务队{n}-{i}", park="fangxing", stage="incubating")
        collect(Scope(YEARS + (2026,)))  # what is read once per process (plugin settings) is read
        data_changed()  # the figures are counted again, not taken from the cache
        return statements_sent(lambda: collect(Scope(YEARS + (2026,))))
    assert statements(3) == statements(40)


# -- the hook -----------------------------------------------------------------------------------------

def test_incubator_figures_adds_a_plugins_figures_to_the_report(history, extra_plugin, login_as):
    from incubator import hookimpl
    asked = []

    class Plugin:
        @hookimpl
        def incubator_figures(self, scope):
            asked.append(scope)
            return [Figure("badges.given", "颁发徽章", "枚", "培训", by_year={y: y - 2020 for y in scope.years},
                           targetable=True)]

    extra_plugin(Plugin())
    html = login_as("admin").get("/reports?year=2025").get_data(as_text=True)
    assert "颁发徽章" in html and asked[-1] == Scope(YEARS, None)
    assert [f.key for f in collect(Scope(YEARS))][:1] == ["orgs.entered"]  # the core's area comes first
    assert "badges.given" in [f.key for f in reports.build(2025, [], district=True).figures]


# -- the pages ------------------------------------------------------------------------------------------

def test_the_report_page_for_the_district_and_for_a_manager(history, login_as):
    client = login_as("admin")
    html = client.get("/reports?year=2025").get_data(as_text=True)
    assert "2025 年度统计" in html and "全区" in html and "申请入园" in html and "年末在孵" in html
    assert 'data-key="orgs.graduated"' in html and "/reports/charts/0.svg?year=2025" in html
    chart = client.get("/reports/charts/0.svg?year=2025")
    assert chart.mimetype == "image/svg+xml" and b"<script" not in chart.data and "出壳".encode() in chart.data
    manager = login_as("fangxing-mgr").get("/reports?year=2025").get_data(as_text=True)
    assert "方兴社区社会组织孵化基地" in manager and "全区" not in manager.split("</h1>")[0]
    assert login_as("fangxing-mgr").get("/reports?park=changqing").status_code == 404
    assert login_as("trainee-wang").get("/reports").status_code == 403
    assert login_as("admin").get("/reports?year=1999").status_code == 404


def test_the_excel_has_a_sheet_per_area_a_header_block_and_numbers(history, login_as):
    response = login_as("admin").get("/reports/export.xlsx?year=2025")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[0] == "孵化"
    sheet = book["孵化"]
    assert sheet["A2"].value == "填报单位" and sheet["B2"].value == "包河区（全区）"
    assert sheet["A3"].value == "统计年度" and sheet["B3"].value == 2025 and sheet["A4"].value == "制表日期"
    rows = {r[0]: r for r in sheet.iter_rows(min_row=6, values_only=True) if r and r[0]}
    assert rows["指标"][:8] == ("指标", "单位", "2021年", "2022年", "2023年", "2024年", "2025年", "累计")
    assert rows["申请入园"][:8] == ("申请入园", "家", 2, 2, 2, 2, 4, 12)
    assert rows["包河区社会组织创新园"][1] == 2  # the breakdown by park, numbers as numbers


def test_the_pdf_is_made(history, login_as, tmp_path):
    response = login_as("admin").get("/reports/export.pdf?year=2025")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    import shutil
    import subprocess
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(response.data)
        text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
        assert "申请入园" in text and "包河区（全区）" in text


# -- targets --------------------------------------------------------------------------------------------

def test_targets_are_set_checked_and_measured(history, login_as, parks):
    client = login_as("admin")
    page = client.get("/reports/targets?year=2025").get_data(as_text=True)
    assert f'name="t-{parks["district"].id}-orgs.entered"' in page
    bad = client.post("/reports/targets", data={"year": 2025, f"t-{parks['district'].id}-orgs.entered": "-3"},
                      follow_redirects=True)
    assert "目标应为大于 0 的数" in bad.get_data(as_text=True)
    assert db.session.scalars(select(Target)).all() == []
    client.post("/reports/targets", data={"year": 2025, f"t-{parks['district'].id}-orgs.entered": "4",
                                          f"t-{parks['changqing'].id}-orgs.graduated": "2"})
    report = reports.build(2025, list(parks.values()), district=True)
    progress = {(p.target.park.code, p.target.figure_key): (p.done, p.percent) for p in report.progress}
    assert progress == {("district", "orgs.entered"): (2, 50), ("changqing", "orgs.graduated"): (1, 50)}
    # Emptying a cell removes its target.
    client.post("/reports/targets", data={"year": 2025, f"t-{parks['district'].id}-orgs.entered": ""})
    assert [t.figure_key for t in db.session.scalars(select(Target))] == ["orgs.graduated"]
    assert login_as("fangxing-mgr").get("/reports/targets").status_code == 403


def test_a_forged_cell_is_refused(history, login_as):
    response = login_as("admin").post("/reports/targets", data={"year": 2025, "t-99999-orgs.entered": "3"},
                                      follow_redirects=True)
    assert "目标表格已过期" in response.get_data(as_text=True)


def test_the_dashboards_figures_of_this_year_are_the_reports(history, parks, users):
    """The targets card counts from the year's first day and takes 在孵 from the kept stage counts:
    the same values as the report, which counts from the first record (less the time to graduation
    and the overdue, on which no target is set)."""
    this_year, manager = today().year, users["fangxing-mgr"]
    data = {"name": "方兴今年新社工站", "category": "社工服务类", "contact_name": "李明", "contact_phone": "13900000099"}
    org = orgs.create(data, park=parks["fangxing"], user=manager)
    orgs.move(org, "reviewing", user=manager)
    orgs.move(org, "incubating", user=manager)
    leaving = db.session.scalars(select(Organization).where(Organization.stage == "incubating",
                                                                 Organization.id != org.id)).first()
    orgs.move(leaving, "exited", user=users["admin"], note="停止活动")
    for park_ids in (None, (parks["fangxing"].id,)):
        full, quick = core(Scope((this_year,), park_ids)), core(Scope((this_year,), park_ids, progress_only=True))
        assert set(full) - set(quick) == {"orgs.months_to_graduate", "orgs.overdue"}
        for key, figure in quick.items():
            assert (figure.by_year, figure.by_park) == (full[key].by_year, full[key].by_park), key
    assert quick["orgs.admitted"].by_year == {this_year: 1} and quick["orgs.entered"].cumulative is None


def test_the_dashboard_shows_this_years_targets_and_the_coloured_tree(history, login_as, parks):
    this_year = today().year
    db.session.add(Target(year=this_year, park_id=parks["fangxing"].id, figure_key="orgs.entered", value=10))
    db.session.commit()
    html = login_as("admin").get("/dashboard").get_data(as_text=True)
    assert f"{this_year} 年度目标" in html and "park-progress-tree" in html and 'data-park="fangxing"' in html
    manager = login_as("fangxing-mgr").get("/dashboard").get_data(as_text=True)
    assert "dashboard-targets" in manager and "park-progress-tree" not in manager
    assert "dashboard-targets" not in login_as("changqing-mgr").get("/dashboard").get_data(as_text=True)


# -- the showcase and the API ---------------------------------------------------------------------------

def test_the_showcase_shows_the_chosen_headlines_and_is_cached(history, login_as, client):
    showcase._cache.clear()
    admin = login_as("admin")
    admin.post("/reports/showcase", data={"figure": ["orgs.graduated", "orgs.entered"],
                                          "caption-orgs.graduated": "累计孵化出壳社会组织",
                                          "cumulative-orgs.graduated": "1", "position-orgs.graduated": "1",
                                          "position-orgs.entered": "2"})
    admin.post("/logout")
    html = client.get("/showcase").get_data(as_text=True).split('class="row g-3 showcase"')[1]
    assert "累计孵化出壳社会组织" in html and html.index("累计孵化出壳社会组织") < html.index("申请入园")
    year, headlines = showcase.headlines()
    assert [(h.caption, h.value) for h in headlines][0] == ("累计孵化出壳社会组织", 4)
    importer = importer_for("organizations")
    importer.carry_out(importer.plan(read_table("x.csv", as_csv([EXPORT_HEADER, row("寅", "district", "出壳",
                                                                                     "2024-01-01", "2024-02-01", "",
                                                                                     (today() - timedelta(days=1)).isoformat())])),
                                     user=None, parks=importer.parks_for(None)), user=None, source="x.csv")
    assert showcase.headlines()[1][0].value == 4  # cached …
    showcase._cache.clear()
    assert showcase.headlines()[1][0].value == 5  # … until it is counted again


def test_the_api_gives_the_figures_and_the_targets(history, client, api, parks):
    db.session.add(Target(year=2025, park_id=parks["district"].id, figure_key="orgs.entered", value=4))
    db.session.commit()
    response = client.get("/api/v1/reports/figures?year=2025", headers=api("admin"))
    assert response.status_code == 200
    body = response.get_json()
    figures = {f["key"]: f for f in body["figures"]}
    assert body["year"] == 2025 and body["district"] is True
    assert figures["orgs.entered"]["value"] == 4 and figures["orgs.entered"]["unit"] == "家"
    assert figures["orgs.entered"]["by_year"]["2021"] == 2 and figures["orgs.entered"]["cumulative"] == 12
    assert figures["orgs.entered"]["breakdowns"]["园区"]["方兴社区社会组织孵化基地"] == 2
    assert body["targets"] == [{"park": "district", "figure": "orgs.entered", "target": 4, "done": 2, "ratio": 0.5}]
    mine = client.get("/api/v1/reports/figures?year=2025&park=fangxing", headers=api("fangxing-mgr")).get_json()
    assert mine["parks"] == ["fangxing"] and mine["district"] is False
    assert client.get("/api/v1/reports/figures?park=changqing", headers=api("fangxing-mgr")).status_code == 404
    assert client.get("/api/v1/reports/figures", headers=api("trainee-wang")).status_code == 403
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/v1/reports/figures" in spec["paths"]


# -- kept until the next write (issue 14) ------------------------------------------------------------

def asking(monkeypatch):
    """A list that grows by one each time the figures are counted rather than taken from the cache."""
    import incubator.figures as figures
    counted, original = [], figures._ask_plugins
    monkeypatch.setattr(figures, "_ask_plugins", lambda scope: counted.append(scope) or original(scope))
    return counted


def test_the_figures_are_kept_until_the_next_write_and_each_caller_gets_a_copy(history, monkeypatch, users):
    counted = asking(monkeypatch)
    scope = Scope(YEARS)
    first = core(scope)
    first["orgs.graduated"].by_year[2025] = 99  # a caller annotating its copy
    assert core(scope)["orgs.graduated"].by_year[2025] == 1
    assert len(counted) == 1
    org = db.session.scalar(select(Organization).where(Organization.name == "丑"))
    orgs.move(org, "rejected", user=users["admin"], happened_on=date(2025, 11, 20))
    db.session.commit()
    assert len(counted) == 1
    core(scope)
    assert len(counted) == 2


def test_a_session_that_wrote_and_has_not_committed_counts_afresh(history, monkeypatch, parks):
    counted = asking(monkeypatch)
    scope = Scope((today().year,))
    before = core(scope)["orgs.entered"].value()
    org = Organization(name="未提交的申请", name_initials="wtjdsq", category="社工服务类", contact_name="张芳",
                       contact_phone="13912345678", park=parks["fangxing"], stage="applied")
    db.session.add(org)
    db.session.flush()
    db.session.add(Transition(organization_id=org.id, from_stage=None, to_stage="applied", happened_on=today()))
    db.session.flush()
    assert core(scope)["orgs.entered"].value() == before + 1  # its own write, not the cached count
    db.session.rollback()
    assert len(counted) == 2
