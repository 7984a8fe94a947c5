"""Importing past micro-grant rounds and their grants (导入历年微创投项目, issue 12): rounds found by
name or created finished, organizations that must exist, money as Decimal, each round's budget cap,
one transaction without notices, and who may import where — so the totals over the years add up."""
import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from incubator.audit.models import AuditEntry
from incubator.dates import today
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.imports import importer_for
from incubator.imports.columns import CellError
from incubator.imports.reading import read_table
from incubator.notifications.models import Notification
from incubator.plugins import set_enablement
from incubator.validators import make_uscc
from plugins.microgrant import services
from plugins.microgrant.importing import money
from plugins.microgrant.models import Application, Round, Tranche

HEADER = ["轮次名称", "年度", "项目名称", "组织名称", "资助金额", "状态", "申请金额", "类别", "统一社会信用代码",
          "园区", "申报日期", "立项日期", "拨付日期", "本轮预算"]
R2023 = "2023年万年埠街道公益微创投"
R2024 = "2024年万年埠街道公益微创投"
USCC = make_uscc("52340111MJE13579X")


def row(**cells):
    names = {"round": "轮次名称", "year": "年度", "title": "项目名称", "org": "组织名称", "granted": "资助金额",
             "status": "状态", "requested": "申请金额", "category": "类别", "uscc": "统一社会信用代码", "park": "园区",
             "applied": "申报日期", "decided": "立项日期", "paid": "拨付日期", "budget": "本轮预算"}
    by_header = {names[key]: value for key, value in cells.items()}
    return [by_header.get(h, "") for h in HEADER]


def xlsx(rows) -> bytes:
    book = Workbook()
    for cells in rows:
        book.active.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def plan_of(rows, *, user=None, default_park=None, filename="历年.xlsx"):
    importer = importer_for("grants")
    content = xlsx([HEADER, *rows])
    return importer.plan(read_table(filename, content), user=user, parks=importer.parks_for(user),
                         default_park=default_park)


def problems(plan):
    return {r.number: [(p.header, p.message) for p in r.problems] for r in plan.bad_rows}


@pytest.fixture
def orgs(make_org):
    """Three organizations of 万年埠 and its communities (one known by its credit code)."""
    return {"邻里": make_org(name="万年埠邻里互助会", park="wannianbu"),
            "乐龄": make_org(name="云华乐龄服务社", park="yunhua", uscc=USCC),
            "书香": make_org(name="万慈书香读书会", park="wanci")}


def history_rows():
    return [
        row(round=R2023, year=2023, title="楼道微更新", org="万年埠邻里互助会", granted="30,000", status="已结项",
            requested="35,000.00", category="便民服务", applied="2023-03-10", decided="2023/4/20", paid="2023-12-15"),
        row(round=R2023, year=2023, title="长者助餐", uscc=USCC, granted=12345.5, status="已立项",
            requested=20000, category="为老服务", decided="2023-04-20"),
        row(round=R2023, year=2023, title="读书角", org="万慈书香读书会", status="未通过", requested="8000",
            category="便民服务"),
        row(round=R2024, year="2024年", title="邻里节", org="万年埠邻里互助会", granted="40000", status="已立项",
            requested="40000", paid="2024-06-01", budget="200,000"),
        row(round=R2024, year=2024, title="银龄课堂", org="云华乐龄服务社", granted="20000", status="已终止",
            requested="50000", budget="200000"),
    ]


# -- money --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, fen", [
    ("1,234.50", 123450), ("1234.5", 123450), (1234.5, 123450), (1234, 123400), ("¥1,000元", 100000),
    ("１２３４", 123400), ("0.01", 1), ("", None), (None, None),
])
def test_money_as_offices_write_it(cell, fen):
    assert money(cell) == fen


@pytest.mark.parametrize("cell, message", [("-100", "不能为负数"), (-5, "不能为负数"), ("1.234", "两位小数"),
                                           ("三万", "不是有效的金额"), (True, "不是有效的金额")])
def test_what_is_not_money_says_so(cell, message):
    with pytest.raises(CellError, match=message):
        money(cell)


# -- rounds and totals ----------------------------------------------------------------------------------------

def test_past_rounds_are_created_finished_and_their_totals_add_up(wannianbu, mgr, orgs):
    plan = plan_of(history_rows(), user=mgr, default_park=wannianbu)
    assert plan.counts() == {"create": 5, "update": 0, "unchanged": 0, "skip": 0, "error": 0}, problems(plan)
    notices_before = db.session.scalar(select(func.count()).select_from(Notification))
    outcome = importer_for("grants").carry_out(plan, user=mgr, source="历年.xlsx")
    assert outcome.counts == {"create": 5, "update": 0, "unchanged": 0, "skip": 0}
    r2023, r2024 = db.session.scalars(select(Round).order_by(Round.year)).all()
    assert (r2023.title, r2023.year, r2023.park_id) == (R2023, 2023, wannianbu.id)
    assert r2023.phase(today()) == "已结束" and r2023.execute_until == date(2023, 12, 31)
    # Without 本轮预算 the budget is the sum of the grants; with it, the file's.
    assert (r2023.budget_fen, r2023.committed_fen) == (3_000_000 + 1_234_550, 3_000_000 + 1_234_550)
    assert (r2024.budget_fen, r2024.committed_fen) == (20_000_000, 6_000_000)
    assert r2023.categories == ["便民服务", "为老服务"] and r2024.categories == ["未分类"]
    apps = {a.title: a for a in db.session.scalars(select(Application))}
    assert apps["楼道微更新"].status == "approved" and apps["楼道微更新"].paid_fen == 3_000_000
    assert [t.paid_on for t in apps["楼道微更新"].tranches] == [date(2023, 12, 15)]
    assert apps["长者助餐"].organization_id == orgs["乐龄"].id and apps["长者助餐"].paid_fen == 0
    assert [t.status for t in apps["长者助餐"].tranches] == ["pending"]  # granted, not yet paid
    assert (apps["读书角"].status, apps["读书角"].granted_fen, apps["读书角"].tranches) == ("rejected", None, [])
    assert apps["银龄课堂"].status == "terminated" and apps["银龄课堂"].paid_fen == 2_000_000
    assert apps["楼道微更新"].decision_note == "导入（历年.xlsx，第 2 行）"
    # The round's report gives the totals the pages show.
    totals = services.report(r2023)["totals"]
    assert (totals["applications"], totals["approved"], totals["granted_fen"], totals["paid_fen"]) == (
        3, 2, 4_234_550, 3_000_000)
    assert services.report(r2024)["totals"]["granted_fen"] == 6_000_000
    # One transaction, no notices; the audit log keeps each project, each round and the import.
    assert db.session.scalar(select(func.count()).select_from(Notification)) == notices_before
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("microgrant.round") == 2 and actions.count("microgrant.import") == 6


def test_an_existing_round_is_found_by_name_and_its_budget_cap_holds(wannianbu, mgr, orgs, make_round):
    rnd = make_round(title=R2024, year=2024, budget_fen=6_000_000, max_grant_fen=5_000_000)
    rows = [row(round=R2024, title="邻里节", org="万年埠邻里互助会", granted="40000", status="已立项",
                requested="40000", category="便民服务"),
            row(round=R2024, title="银龄课堂", org="云华乐龄服务社", granted="30000", status="已立项",
                requested="30000", category="便民服务"),
            row(round=R2024, title="读书角", org="万慈书香读书会", granted="10000", status="已立项",
                requested="60000", category="为老服务", year=2023)]
    plan = plan_of(rows, user=mgr, default_park=wannianbu)
    assert plan.rows[0].data["round"].id == rnd.id and not plan.rows[0].bad
    found = problems(plan)
    assert found[3] == [("资助金额", "超出本轮预算：总预算 ¥60,000.00，此前已立项 ¥40,000.00，剩余 ¥20,000.00")]
    assert ("年度", f"与平台上“{R2024}”的年度（2024）不同") in found[4]
    assert ("类别", "应为本轮的类别：便民服务、文明养犬、社区公约、居民骨干培育") in found[4]
    assert ("申请金额", "超过本轮单个项目资助上限 ¥50,000.00") in found[4]
    importer_for("grants").carry_out(plan, user=mgr, source="x.xlsx", good_rows_only=True)
    db.session.refresh(rnd)
    assert rnd.committed_fen == 4_000_000 and db.session.scalar(
        select(func.count()).select_from(Application).where(Application.round_id == rnd.id)) == 1


def test_a_new_rounds_budget_from_the_file_holds_too(wannianbu, mgr, orgs):
    rows = [row(round=R2023, year=2023, title="甲", org="万年埠邻里互助会", granted="30000", status="已结项",
                requested="30000", budget="50000"),
            row(round=R2023, year=2023, title="乙", org="云华乐龄服务社", granted="30000", status="已结项",
                requested="30000", budget="50000"),
            row(round=R2023, year=2023, title="丙", org="万慈书香读书会", granted="1000", status="已结项",
                requested="1000", budget="60000")]
    found = problems(plan_of(rows, user=mgr, default_park=wannianbu))
    assert found[3][0][0] == "资助金额" and found[3][0][1].startswith("超出本轮预算：本轮预算 ¥50,000.00")
    assert found[4] == [("本轮预算", "与第 2 行的本轮预算不同")]


def test_a_new_round_needs_one_year_and_a_budget_above_zero(wannianbu, mgr, orgs):
    rows = [row(round=R2023, year=2023, title="甲", org="万年埠邻里互助会", status="未立项", requested="100"),
            row(round=R2023, year=2022, title="乙", org="云华乐龄服务社", status="未立项", requested="100")]
    found = problems(plan_of(rows, user=mgr, default_park=wannianbu))
    assert found[2] == [("本轮预算", "本轮没有资助金额，请填写本轮预算")]
    assert found[3] == [("年度", "与第 2 行的年度不同"), ("本轮预算", "本轮没有资助金额，请填写本轮预算")]
    with_budget = [cells[:-1] + ["10000"] for cells in rows[:1]]
    plan = plan_of(with_budget, user=mgr, default_park=wannianbu)
    importer_for("grants").carry_out(plan, user=mgr, source="x.xlsx")
    (rnd,) = db.session.scalars(select(Round)).all()
    assert (rnd.budget_fen, rnd.committed_fen, rnd.max_grant_fen) == (1_000_000, 0, 10_000)


def test_a_round_whose_grants_grew_since_the_preview_is_a_conflict(wannianbu, mgr, orgs, make_round,
                                                                   make_application):
    rnd = make_round(title=R2024, budget_fen=5_900_000, max_grant_fen=5_000_000)
    plan = plan_of([row(round=R2024, title="邻里节", org="万年埠邻里互助会", granted="40000", status="已立项",
                        requested="40000", category="便民服务")], user=mgr, default_park=wannianbu)
    other = make_application(rnd)
    services.decide(other, True, 2_000_000, "", user=mgr)
    assert not plan.bad_rows
    with pytest.raises(Conflict, match="请重新预览"):
        importer_for("grants").carry_out(plan, user=mgr, source="x.xlsx")
    db.session.rollback()
    assert db.session.get(Round, rnd.id).committed_fen == 2_000_000


def test_a_project_the_round_already_has_is_left_as_it_is(wannianbu, mgr, orgs, make_round, make_application):
    rnd = make_round(title=R2024)
    make_application(rnd, org=orgs["邻里"], title="邻里节")
    plan = plan_of([row(round=R2024, title="邻里节", org="万年埠邻里互助会", status="未通过", requested="20000",
                        category="便民服务"),
                    row(round=R2024, title="别的", org="万年埠邻里互助会", status="未通过", requested="20000",
                        category="便民服务")], user=mgr, default_park=wannianbu)
    first, second = plan.rows
    assert (first.reason, first.action, first.choices) == ("该组织在本轮已有项目", "skip", ())
    assert first.notes == ["与平台记录不同：以平台记录为准，请在项目页面处理"]
    assert problems(plan)[3] == [("组织名称", "与第 2 行是同一组织在同一轮次的项目（每个组织每轮限一个）")]
    outcome = importer_for("grants").carry_out(plan, user=mgr, source="x.xlsx", good_rows_only=True)
    assert outcome.counts == {"create": 0, "update": 0, "unchanged": 0, "skip": 1}
    assert db.session.scalar(select(func.count()).select_from(Application)) == 1


def test_bad_rows_name_the_row_and_the_chinese_header(wannianbu, mgr, orgs):
    rows = [row(round=R2023, year=2023, title="甲", org="不存在的组织", granted="100", status="已结项", requested="100"),
            row(round=R2023, year=2023, title="乙", org="万年埠邻里互助会", granted="-100", status="已结项",
                requested="100"),
            row(round=R2023, year=2023, title="丙", org="云华乐龄服务社", granted="200", status="已结项",
                requested="100"),
            row(round=R2023, year=2023, title="丁", org="万慈书香读书会", status="待定", requested="100"),
            row(round="2019年旧轮次", title="戊", org="万慈书香读书会", granted="50", status="未立项", requested="100"),
            row(round=R2023, year=2023, title="己", org="万慈书香读书会", status="已立项", requested="100",
                decided="2023-05-01", applied="2023-06-01"),
            row(round=R2023, year=2023, title="庚", status="未立项", requested="100")]
    found = problems(plan_of(rows, user=mgr, default_park=wannianbu))
    assert found[2] == [("组织名称", "平台上没有组织“不存在的组织”，请先导入或登记该组织")]
    assert found[3] == [("资助金额", "金额不能为负数")]
    assert found[4] == [("资助金额", "不能超过申请金额 ¥100.00")]
    assert found[5] == [("状态", "状态应为：已立项、已结项、未立项（未通过）、已终止")]
    assert ("资助金额", "未立项的项目不应有资助金额") in found[6]
    assert ("年度", "平台上没有“2019年旧轮次”，新建轮次须填写年度") in found[6]
    assert ("资助金额", "状态为“已立项”时须填写大于零的资助金额") in found[7]
    assert ("立项日期", "不能早于申报日期") in found[7]
    assert found[8] == [("组织名称", "请填写组织名称或统一社会信用代码")]
    with pytest.raises(ValidationError, match=r"有 7 行有错误（第一处：第 2 行，组织名称"):
        importer_for("grants").carry_out(plan_of(rows, user=mgr, default_park=wannianbu), user=mgr, source="x")
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


# -- who may import where ----------------------------------------------------------------------------------

def test_managers_import_into_their_parks_where_the_microgrant_is_on(parks, users, make_org):
    set_enablement("microgrant", "parks", [parks["wannianbu"], parks["changqing"]])
    make_org(name="常青志愿者协会", park="changqing")
    manager = users["wannianbu-mgr"]
    assert [p.code for p in importer_for("grants").parks_for(manager)] == ["wannianbu"]
    rows = [row(round=R2023, year=2023, title="甲", org="常青志愿者协会", status="未立项", requested="100",
                park="changqing"),
            row(round=R2023, year=2023, title="乙", org="常青志愿者协会", status="未立项", requested="100",
                park="yunhua"),
            row(round=R2023, year=2023, title="丙", org="常青志愿者协会", status="未立项", requested="100",
                park="wannianbu")]
    found = problems(plan_of(rows, user=manager))
    assert found[2] == [("园区", "你无权向“常青街道社会组织孵化基地”导入微创投项目")]
    assert found[3] == [("园区", "“云华社区睦邻中心孵化点”未启用公益微创投")]
    assert found[4] == [("组织名称", "“常青志愿者协会”不是“万年埠街道社会组织孵化园”（含下辖社区）的组织")]


def test_the_pages_are_for_managers_of_parks_with_the_microgrant(login_as, client, network):
    assert client.get("/imports/grants").status_code in (302, 401)
    assert login_as("contact-wu").get("/imports/grants").status_code == 403
    assert login_as("expert-li").get("/imports/grants").status_code == 403
    assert login_as("fangxing-mgr").get("/imports/grants").status_code == 403  # not enabled in 方兴
    assert login_as("wannianbu-mgr").get("/imports/grants").status_code == 200
    assert login_as("admin").get("/imports/grants").status_code == 200


def test_upload_preview_confirm_and_the_round_pages_show_the_totals(login_as, wannianbu, orgs):
    client = login_as("admin")
    content = xlsx([HEADER, *history_rows()[:3]])
    response = client.post("/imports/grants", data={"file": (io.BytesIO(content), "2023年微创投.xlsx"),
                                                    "park": wannianbu.id}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    preview = response.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "导入预览：2023年微创投.xlsx" in html and "新建 3" in html and "¥12,345.50" in html
    assert "确认导入" in html
    done = client.post(preview, data={"mode": "all"}).get_data(as_text=True)
    assert "导入完成" in done and "新建：3" in done and "查看历年微创投项目" in done
    (rnd,) = db.session.scalars(select(Round)).all()
    assert R2023 in client.get("/microgrant/").get_data(as_text=True)
    page = client.get(f"/microgrant/rounds/{rnd.id}").get_data(as_text=True)
    assert "¥42,345.50" in page and "楼道微更新" in page and "已结束" in page
    report = client.get(f"/microgrant/rounds/{rnd.id}/report").get_data(as_text=True)
    assert "¥30,000.00" in report and "¥42,345.50" in report
    assert db.session.scalar(select(func.count()).select_from(Tranche).where(Tranche.status == "paid")) == 1


def test_the_command_imports_a_past_round(app, network, make_org, tmp_path):
    make_org(name="万年埠邻里互助会", park="wannianbu")
    path = tmp_path / "历年.xlsx"
    path.write_bytes(xlsx([HEADER, history_rows()[0]]))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", "grants", str(path), "--park", "wannianbu", "--dry-run"])
    assert dry.exit_code == 0 and "新建 1" in dry.output and "未写入任何数据" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0
    done = runner.invoke(args=["import", "grants", str(path), "--park", "wannianbu"])
    assert done.exit_code == 0 and "已导入：新建 1" in done.output, done.output
    (rnd,) = db.session.scalars(select(Round)).all()
    assert rnd.committed_fen == 3_000_000 and rnd.created_by_id is None
