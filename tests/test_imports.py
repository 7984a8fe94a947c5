"""Importing organizations with their history (issue 12): a GBK CSV and an xlsx of 200 organizations
over five years, with bad rows and duplicates — the preview, the refusal, the good rows only, the
back-dated timeline, the due dates, the matches and the round trip through the export."""
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from incubator import audit
from incubator.errors import Conflict, NotFound, ValidationError
from incubator.extensions import db
from incubator.imports import importer_for, staging
from incubator.imports.columns import CellError, day, text
from incubator.imports.reading import read_table
from incubator.organizations import services
from incubator.organizations.models import Organization, Transition
from incubator.validators import make_uscc
from tests.import_samples import BAD, as_csv, as_xlsx, district_rows

USCC = make_uscc("52340100MJB123456")


def orgs_named(*names):
    return {o.name: o for o in db.session.scalars(select(Organization).where(Organization.name.in_(names)))}


def org_count():
    return db.session.scalar(select(func.count()).select_from(Organization))


def upload(client, content, filename="组织.csv", park=0):
    response = client.post("/imports/organizations", data={"file": (io.BytesIO(content), filename), "park": park},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def plan_of(content, filename="组织.csv", *, user=None, default_park=None):
    importer = importer_for("organizations")
    return importer.plan(read_table(filename, content), user=user, parks=importer.parks_for(user),
                         default_park=default_park)


# -- reading -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_in_the_encodings_chinese_offices_use(encoding):
    content = as_csv([["组织名称", "联系人"], ["滨湖乐龄互助会", "王芳"]], encoding)
    table = read_table("x.csv", content)
    assert table.header == ["组织名称", "联系人"] and table.rows == [(2, ["滨湖乐龄互助会", "王芳"])]


def test_gb18030_characters_outside_gbk_are_read():
    content = "组织名称\n䶮字社工服务中心\n".encode("gb18030")
    assert read_table("x.csv", content).rows[0][1] == ["䶮字社工服务中心"]


def test_xlsx_rows_keep_their_sheet_numbers_past_blank_rows():
    content = as_xlsx([["组织名称"], ["甲"], [None], ["乙"]], real_dates=False)
    assert read_table("x.xlsx", content).rows == [(2, ["甲"]), (4, ["乙"])]


@pytest.mark.parametrize("content, message", [
    (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "不支持旧版 Excel"),
    (b"PK\x03\x04broken", "无法读取该 Excel 文件"),
    (b"", "文件中没有数据"),
    ("组织名称,联系人\n".encode(), "只有表头"),
])
def test_files_that_cannot_be_read_are_refused_with_the_reason(content, message):
    with pytest.raises(ValidationError, match=message):
        read_table("x.xlsx" if content.startswith(b"PK") else "x.csv", content)


@pytest.mark.parametrize("cell, expected", [
    ("2021-03-15", date(2021, 3, 15)), ("2021/3/5", date(2021, 3, 5)), ("2021.3.5", date(2021, 3, 5)),
    ("2021年3月15日", date(2021, 3, 15)), ("20210315", date(2021, 3, 15)), ("2021/3/15 0:00", date(2021, 3, 15)),
    ("２０２１－０３－１５", date(2021, 3, 15)), (44270, date(2021, 3, 15)), (44270.0, date(2021, 3, 15)),
    ("", None), (None, None),
])
def test_dates_as_offices_write_them(cell, expected):
    assert day(cell) == expected


@pytest.mark.parametrize("cell", ["2021-02-30", "15/03/2021", "明年", -5])
def test_what_is_not_a_date_says_so(cell):
    with pytest.raises(CellError):
        day(cell)


def test_a_file_of_too_many_rows_is_refused_before_it_is_read_to_the_end(monkeypatch):
    from incubator.imports import reading
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    assert len(read_table("x.csv", as_csv([["组织名称"], ["甲"], ["乙"], ["丙"]])).rows) == 3
    with pytest.raises(ValidationError, match="文件超过 3 行"):
        read_table("x.csv", as_csv([["组织名称"], ["甲"], ["乙"], ["丙"], ["丁"]]))


def test_a_phone_excel_stored_as_a_number_keeps_its_digits():
    assert text(13955100001.0) == "13955100001" and text(None) == ""


# -- the plan --------------------------------------------------------------------------------------

def test_a_gbk_csv_of_200_with_bad_rows_names_each_problem_by_row_and_header(network):
    rows = district_rows(200, bad=True, repeats=True)
    plan = plan_of(as_csv(rows))
    assert len(plan.rows) == 208
    bad = {row.number: row for row in plan.bad_rows}
    # The six bad rows sit at sheet rows 6–11; each names the column it is in.
    for offset, (_key, _value, header) in enumerate(BAD):
        assert header in [p.header for p in bad[6 + offset].problems], (offset, bad[6 + offset].problems)
    assert "联系电话" in str(bad[6].problems[0]) and "不存在的园区" in str(bad[7].problems[0])
    assert "出壳日期" in str(bad[10].problems[0]) and "不能早于入园日期" in str(bad[10].problems[0])
    # The two repeats point at the rows they repeat.
    assert all(re.search(r"与第 \d+ 行是同一组织", str(bad[n].problems[0])) for n in (208, 209))
    assert plan.counts() == {"create": 200, "update": 0, "unchanged": 0, "skip": 0, "error": 8}


def test_nothing_is_written_while_a_row_is_bad(network):
    plan = plan_of(as_csv(district_rows(50, bad=True)))
    before = org_count()
    with pytest.raises(ValidationError, match=r"有 6 行有错误（第一处：第 6 行，联系电话"):
        importer_for("organizations").carry_out(plan, user=None, source="x.csv")
    assert org_count() == before


def test_the_good_rows_alone_when_the_user_chooses(network):
    plan = plan_of(as_csv(district_rows(50, bad=True)))
    outcome = importer_for("organizations").carry_out(plan, user=None, source="x.csv", good_rows_only=True)
    assert outcome.counts["create"] == 50 and org_count() == 50


def test_the_history_is_written_as_it_happened(network, users):
    rows = [district_rows(1)[0],
            ["启明社工服务中心", USCC, "社工服务类", "已登记", "2018-06-01", "王芳", "13955100001", "包河区",
             "包河区社会组织创新园", "出壳", "2019/3/1", "2019年3月15日", "", "2021-03-10", ""],
            ["望湖乐龄互助会", "", "社区社会组织", "", "", "李明", "0551-63571234", "", "fangxing", "退出",
             "2022-05-01", "2022-05-20", "2025-05-20", "", "2023-01-31"],
            ["骆岗志愿者协会", "", "公益慈善类", "已备案", "", "张伟", "13955100003", "", "changqing", "未通过",
             "2024-04-01", "", "", "", ""]]
    importer = importer_for("organizations")
    importer.carry_out(plan_of(as_csv(rows)), user=users["admin"], source="历史.csv")
    orgs = orgs_named("启明社工服务中心", "望湖乐龄互助会", "骆岗志愿者协会")
    graduated = orgs["启明社工服务中心"]
    assert (graduated.stage, graduated.uscc, graduated.registration_status) == ("graduated", USCC, "registered")
    assert graduated.founded_on == date(2018, 6, 1) and graduated.park.code == "district"
    # The due date is two years after entering (INCUBATION_YEARS) unless the file gives one.
    assert (graduated.incubation_start, graduated.incubation_due) == (date(2019, 3, 15), date(2021, 3, 15))
    moves = [(t.from_stage, t.to_stage, t.happened_on) for t in graduated.transitions]
    assert moves == [(None, "applied", date(2019, 3, 1)), ("applied", "reviewing", date(2019, 3, 1)),
                     ("reviewing", "incubating", date(2019, 3, 15)),
                     ("incubating", "graduated", date(2021, 3, 10))]
    assert all(t.user_id == users["admin"].id and "历史.csv，第 2 行" in t.note for t in graduated.transitions)
    exited = orgs["望湖乐龄互助会"]
    assert exited.incubation_due == date(2025, 5, 20) and exited.transitions[-1].happened_on == date(2023, 1, 31)
    rejected = orgs["骆岗志愿者协会"]
    assert rejected.incubation_start is None and [t.to_stage for t in rejected.transitions] == [
        "applied", "reviewing", "rejected"]
    # The timeline shows them by the day they happened, newest first.
    assert [e["at"] for e in services.timeline(graduated)][:2] == [date(2021, 3, 10), date(2019, 3, 15)]
    # Not overdue: it hatched. And the audit log keeps each organization and the import.
    assert not graduated.is_overdue()
    actions = db.session.scalars(select(audit.models.AuditEntry.action)).all()
    assert actions.count("org.create") == 3 and actions.count("org.import") == 1


@pytest.mark.parametrize("stage, cells, header, message", [
    ("入园孵化", ["2021-01-01", "", "", "", ""], "入园日期", "必须填写"),
    ("出壳", ["2021-01-01", "2021-02-01", "", "", ""], "出壳日期", "必须填写"),
    ("退出", ["2021-01-01", "2021-02-01", "", "", ""], "退出日期", "必须填写"),
    ("申请", ["2021-01-01", "2021-02-01", "", "", ""], "入园日期", "不应有入园日期"),
    ("入园孵化", ["2021-03-01", "2021-02-01", "", "", ""], "入园日期", "不能早于申请日期"),
    ("入园孵化", ["2021-01-01", "2021-02-01", "2021-01-15", "", ""], "到期日期", "应晚于入园日期"),
    ("入园孵化", ["2021-01-01", (date.today() + timedelta(days=3)).isoformat(), "", "", ""], "入园日期",
     "不能晚于今天"),
    ("入园孵化", ["2021-01-01", "2021-02-01", "", "2022-01-01", ""], "出壳日期", "只有阶段为“出壳”"),
])
def test_a_history_that_cannot_have_happened_is_refused(network, stage, cells, header, message):
    rows = [district_rows(1)[0], ["甲社工服务中心", "", "社工服务类", "", "", "王芳", "13955100001", "", "district",
                                  stage, *cells]]
    (row,) = plan_of(as_csv(rows)).rows
    assert any(p.header == header and message in p.message for p in row.problems), row.problems


def test_a_file_without_a_required_column_is_refused(network):
    with pytest.raises(ValidationError, match="缺少必填列：类别、联系电话"):
        plan_of(as_csv([["组织名称", "联系人"], ["甲", "王芳"]]))


def test_unknown_columns_are_named_and_ignored(network):
    rows = [district_rows(1)[0] + ["备注"], district_rows(1)[1] + ["随便写写"]]
    plan = plan_of(as_csv(rows))
    assert plan.notes == ["未识别的列已忽略：备注"] and not plan.bad_rows


# -- matches and the round trip --------------------------------------------------------------------

def test_matches_by_uscc_and_by_normalized_name_and_phone(network, make_org):
    by_code = make_org(name="启明社工服务中心", uscc=USCC, park="district", contact_phone="13955100001")
    by_name = make_org(name="滨湖乐龄服务有限责任公司", park="district", contact_phone="13955100002")
    only_name = make_org(name="望湖文体队", park="district", contact_phone="13955100003")
    header = district_rows(1)[0]
    rows = [header,
            ["启明社工服务中心（新名）", USCC, "社工服务类", "", "", "王芳", "13955100001", "", "district", "", "", "", "", "", ""],
            ["滨湖乐龄服务有限公司", "", "社工服务类", "", "", "李明", "13955100002", "", "district", "", "", "", "", "", ""],
            ["望湖 文体队", "", "文体类", "", "", "张芳", "13800000000", "", "district", "", "", "", "", "", ""]]
    plan = plan_of(as_csv(rows))
    first, second, third = plan.rows
    assert (first.match.id, first.reason, first.action, first.choices) == (
        by_code.id, "统一社会信用代码相同", "update", ("update", "skip"))
    assert first.changes == ["组织名称", "联系人"]
    assert (second.match.id, second.reason, second.action) == (by_name.id, "名称和联系电话相同", "update")
    assert second.changes == ["联系人"]  # 有限公司 for 有限责任公司 is another spelling, not another name
    assert (third.match.id, third.reason, third.action) == (only_name.id, "名称相同", "skip")
    assert third.choices == ("skip", "update", "create")
    plan.choose({4: "create"})
    outcome = importer_for("organizations").carry_out(plan, user=None, source="x.csv")
    assert outcome.counts == {"create": 1, "update": 2, "unchanged": 0, "skip": 0}
    db.session.expire_all()
    assert db.session.get(Organization, by_code.id).name == "启明社工服务中心（新名）"
    assert org_count() == 4


def test_an_empty_cell_never_clears_what_the_platform_has(network, make_org):
    org = make_org(name="启明社工服务中心", uscc=USCC, park="district", service_area="方兴社区")
    rows = [district_rows(1)[0], ["启明社工服务中心", USCC, "社工服务类", "", "", "张芳", "13912345678", "",
                                  "district", "申请", "", "", "", "", ""]]
    (row,) = plan_of(as_csv(rows)).rows
    assert row.action == "unchanged" and row.choices == ()
    assert org.service_area == "方兴社区"


def test_an_export_imported_back_changes_nothing(network, login_as):
    client = login_as("admin")
    importer = importer_for("organizations")
    importer.carry_out(plan_of(as_xlsx(district_rows(200)), "组织.xlsx"), user=None, source="组织.xlsx")
    transitions = db.session.scalar(select(func.count()).select_from(Transition))
    exported = client.get("/orgs/export.xlsx").data
    plan = plan_of(exported, "export.xlsx")
    assert plan.counts() == {"create": 0, "update": 0, "unchanged": 200, "skip": 0, "error": 0}
    assert not any(row.notes for row in plan.rows)  # the history read back is the one stored
    importer.carry_out(plan, user=None, source="export.xlsx")
    assert org_count() == 200 and db.session.scalar(select(func.count()).select_from(Transition)) == transitions


def test_the_xlsx_with_excel_dates_gives_the_same_history_as_the_csv(network):
    rows = district_rows(40)
    from_csv = [r.data["history"] for r in plan_of(as_csv(rows)).rows]
    from_xlsx = [r.data["history"] for r in plan_of(as_xlsx(rows), "x.xlsx").rows]
    assert from_csv == from_xlsx and not plan_of(as_xlsx(rows), "x.xlsx").bad_rows


def test_a_uscc_registered_between_the_preview_and_the_import_is_a_conflict(network, make_org):
    rows = [district_rows(1)[0], ["启明社工服务中心", USCC, "社工服务类", "", "", "王芳", "13955100001", "",
                                  "district", "", "", "", "", "", ""]]
    plan = plan_of(as_csv(rows))
    make_org(name="别的名字", uscc=USCC)
    with pytest.raises(Conflict, match="重新预览"):
        importer_for("organizations").carry_out(plan, user=None, source="x.csv")
    assert org_count() == 1


# -- who may import where ------------------------------------------------------------------------------

def test_a_manager_imports_into_their_own_parks_only(network, users, parks, make_org):
    make_org(name="常青社工服务中心", park="changqing", contact_phone="13955100009")
    manager = users["fangxing-mgr"]
    rows = [district_rows(1)[0],
            ["方兴乐龄互助会", "", "社区社会组织", "", "", "王芳", "13955100001", "", "", "", "", "", "", "", ""],
            ["常青文体队", "", "文体类", "", "", "王芳", "13955100002", "", "changqing", "", "", "", "", "", ""],
            ["常青社工服务中心", "", "社工服务类", "", "", "张芳", "13955100009", "", "", "", "", "", "", "", ""]]
    plan = plan_of(as_csv(rows), user=manager, default_park=parks["fangxing"])
    mine, theirs, matched = plan.rows
    assert mine.action == "create" and mine.data["park"].code == "fangxing"
    assert "你无权向“常青街道社会组织孵化基地”导入组织" in str(theirs.problems)
    assert matched.action == "skip" and matched.choices == () and "无权更新" in matched.notes[0]


def test_the_pages_are_for_those_who_may_create_organizations(network, login_as, client):
    assert client.get("/imports/organizations").status_code in (302, 401)
    assert login_as("trainee-wang").get("/imports/organizations").status_code == 403
    assert login_as("fangxing-mgr").get("/imports/organizations").status_code == 200
    assert login_as("admin").get("/imports/nothing").status_code == 404


# -- the pages -------------------------------------------------------------------------------------------

def test_upload_preview_refusal_good_rows_and_the_bad_rows_file(network, login_as):
    client = login_as("admin")
    preview = upload(client, as_csv(district_rows(30, bad=True)), "区级组织.csv")
    html = client.get(preview).get_data(as_text=True)
    assert "导入预览：区级组织.csv" in html and "有错误 6" in html and "新建 30" in html
    assert "第 6 行" in html and "联系电话" in html and "仅导入无误的 30 行" in html
    assert "确认导入" not in html  # nothing is written while a row is bad, unless the user says so
    bad = load_workbook(io.BytesIO(client.get(preview + "/problems.xlsx").data)).worksheets[0]
    values = [list(r) for r in bad.iter_rows(values_only=True)]
    assert values[0][:3] == ["错误说明", "原行号", "组织名称"] and len(values) == 7
    assert values[1][1] == 6 and "联系电话" in values[1][0]
    # Posting "all" with bad rows is refused and writes nothing.
    refused = client.post(preview, data={"mode": "all"})
    assert "有 6 行有错误" in refused.get_data(as_text=True) and org_count() == 0
    done = client.post(preview, data={"mode": "good"}).get_data(as_text=True)
    assert "导入完成" in done and "新建：30" in done and org_count() == 30
    # The upload is gone once imported.
    assert client.get(preview).status_code == 404


def test_the_users_choice_for_a_matched_row(network, login_as, make_org):
    make_org(name="望湖文体队", park="district", contact_phone="13955100003")
    client = login_as("admin")
    rows = [district_rows(1)[0], ["望湖文体队", "", "文体类", "已登记", "", "张芳", "13800000000", "", "district",
                                  "", "", "", "", "", ""]]
    preview = upload(client, as_csv(rows))
    html = client.get(preview).get_data(as_text=True)
    assert "名称相同" in html and 'name="action-2"' in html and "确认导入" in html
    client.post(preview, data={"mode": "all", "action-2": "update"})
    (org,) = db.session.scalars(select(Organization)).all()
    db.session.refresh(org)
    assert (org.category, org.registration_status, org.contact_phone) == ("文体类", "registered", "13800000000")


def test_the_upload_is_the_uploaders_alone(network, login_as, users):
    client = login_as("admin")
    preview = upload(client, as_csv(district_rows(3)))
    assert login_as("district-mgr").get(preview).status_code == 404
    token = preview.rsplit("/", 1)[1]
    with pytest.raises(NotFound, match="已过期或不存在"):
        staging.fetch(token, "organizations", users["district-mgr"])
    assert login_as("admin").get("/imports/organizations/not-a-token-at-all-xx").status_code == 404


def test_an_unreadable_upload_is_refused_on_the_form(network, login_as):
    client = login_as("admin")
    response = client.post("/imports/organizations", data={"file": (io.BytesIO(b"\xd0\xcf\x11\xe0" + b"\0" * 64),
                                                                    "旧.xls"), "park": 0},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "不支持旧版 Excel" in response.get_data(as_text=True)
    empty = client.post("/imports/organizations", data={"park": 0}, content_type="multipart/form-data")
    assert "请选择要导入的文件" in empty.get_data(as_text=True)


def test_the_template_has_the_headers_and_the_notes(network, login_as):
    response = login_as("fangxing-mgr").get("/imports/organizations/template.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["社会组织", "填写说明"]
    header = [c.value for c in book["社会组织"][1]]
    assert header[:12] == ["组织名称", "统一社会信用代码", "类别", "登记状态", "成立日期", "联系人", "联系电话",
                           "服务区域", "园区", "阶段", "申请日期", "入园日期"]
    assert {"到期日期", "出壳日期", "退出日期"} <= set(header)
    assert book["社会组织"].max_row == 1  # no example row to import by mistake
    notes = {row[0]: row for row in book["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["组织名称"][1] == "是" and "入园孵化及以后的阶段必填" in notes["入园日期"][2]


def test_the_list_offers_the_import(network, login_as):
    assert "批量导入" in login_as("fangxing-mgr").get("/orgs").get_data(as_text=True)
    assert "批量导入" not in login_as("expert-li").get("/orgs").get_data(as_text=True)


# -- the command line -----------------------------------------------------------------------------------

def test_the_command_checks_and_writes(app, network, tmp_path):
    path = tmp_path / "组织.csv"
    path.write_bytes(as_csv(district_rows(20, bad=True)))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", "organizations", str(path), "--dry-run", "--bad-rows",
                              str(tmp_path / "bad.xlsx")])
    assert dry.exit_code == 1 and "新建 20" in dry.output and "第 6 行 联系电话" in dry.output
    assert "未写入任何数据" in dry.output and org_count() == 0
    assert load_workbook(tmp_path / "bad.xlsx").worksheets[0].max_row == 7
    refused = runner.invoke(args=["import", "organizations", str(path)])
    assert refused.exit_code == 1 and "未导入任何数据" in refused.output and org_count() == 0
    done = runner.invoke(args=["import", "organizations", str(path), "--good-rows"])
    assert done.exit_code == 0 and "已导入：新建 20" in done.output and org_count() == 20


def test_the_command_puts_rows_without_a_park_into_the_one_named(app, network, tmp_path):
    path = tmp_path / "组织.csv"
    path.write_bytes(as_csv([["组织名称", "类别", "联系人", "联系电话"], ["甲社工服务中心", "社工服务类", "王芳",
                                                                   "13955100001"]]))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import", "organizations", str(path), "--park", "nope"]).exit_code == 2
    assert runner.invoke(args=["import", "organizations", str(path), "--park", "yunhua"]).exit_code == 0
    (org,) = db.session.scalars(select(Organization)).all()
    assert org.park.code == "yunhua" and org.stage == "applied"


# -- the hook ---------------------------------------------------------------------------------------------

def test_incubator_importers_adds_a_plugins_importer_to_the_pages_and_the_command(app, network, extra_plugin,
                                                                                 login_as, tmp_path):
    from incubator import hookimpl
    from incubator.imports.base import Importer, Outcome
    from incubator.imports.columns import Column, day
    written = []

    class BadgeImporter(Importer):
        kind, label = "badges", "徽章"
        columns = (Column("名称", "name", required=True), Column("日期", "on", day))

        def may_import(self, user):
            return user is None or user.role == "admin"

        def check(self, rows, *, user, parks, default_park):
            from incubator.imports.base import PlannedRow
            return [PlannedRow(number=r.number, cells=r.cells, values=r.values, problems=r.problems) for r in rows]

        def write(self, rows, *, user, source):
            written.extend((r.values["name"], r.values.get("on")) for r in rows)
            return Outcome(counts={"create": len(rows)})

    class Plugin:
        @hookimpl
        def incubator_importers(self):
            return [BadgeImporter()]

    extra_plugin(Plugin())
    client = login_as("admin")
    assert "导入徽章" in client.get("/imports").get_data(as_text=True)
    assert login_as("fangxing-mgr").get("/imports/badges").status_code == 403
    client = login_as("admin")
    response = client.post("/imports/badges", data={"file": (io.BytesIO(as_csv([["名称", "日期"], ["优秀组织", "2024/5/1"],
                                                                                  ["先进集体", "昨天"]])), "徽章.csv"),
                                                    "park": 0}, content_type="multipart/form-data")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第 3 行" in html and "日期格式应为" in html
    path = tmp_path / "徽章.csv"
    path.write_bytes(as_csv([["名称", "日期"], ["优秀组织", "2024/5/1"]]))
    result = app.test_cli_runner().invoke(args=["import", "badges", str(path)])
    assert result.exit_code == 0 and written == [("优秀组织", date(2024, 5, 1))]
