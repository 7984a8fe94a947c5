"""Importing a community's volunteers into the passport (导入志愿者, issue 12): the ID number checked
as on the form and kept only as its hash and masked copy, the same volunteer found again by it,
the same number twice in one file refused, and who may import where."""
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from incubator.audit.models import AuditEntry
from incubator.errors import Conflict, ValidationError
from incubator.extensions import db
from incubator.imports import importer_for
from incubator.imports.reading import read_table
from incubator.plugins import set_enablement
from plugins.passport import idcard, services
from plugins.passport.models import LedgerEntry, Volunteer

from .conftest import ID_NUMBERS

HEADER = ["姓名", "身份证号", "手机", "园区"]


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv(rows, encoding="gbk") -> bytes:
    return "\r\n".join(",".join(str(c) for c in row) for row in rows).encode(encoding)


def plan_of(content, filename="志愿者.xlsx", *, user=None, default_park=None):
    importer = importer_for("volunteers")
    return importer.plan(read_table(filename, content), user=user, parks=importer.parks_for(user),
                         default_park=default_park)


def volunteers(park=None):
    stmt = select(Volunteer).order_by(Volunteer.id)
    if park is not None:
        stmt = stmt.where(Volunteer.park_id == park.id)
    return db.session.scalars(stmt).all()


def test_volunteers_are_registered_with_the_hash_and_the_mask_only(fangxing, manager):
    rows = [HEADER, ["王芳", ID_NUMBERS[0], "13955100001", "fangxing"],
            ["李明", f"{ID_NUMBERS[1][:6]} {ID_NUMBERS[1][6:14]} {ID_NUMBERS[1][14:]}", 13955100002, "方兴社区社会组织孵化基地"],
            ["张伟", ID_NUMBERS[2], "13955100003", ""]]
    plan = plan_of(xlsx(rows), user=manager, default_park=fangxing)
    assert plan.counts() == {"create": 3, "update": 0, "unchanged": 0, "skip": 0, "error": 0}
    outcome = importer_for("volunteers").carry_out(plan, user=manager, source="志愿者.xlsx")
    assert outcome.counts["create"] == 3
    wang, li, zhang = volunteers(fangxing)
    assert (wang.name, wang.phone, li.phone, zhang.park_id) == ("王芳", "13955100001", "13955100002", fangxing.id)
    assert wang.id_hash == idcard.keyed_hash(ID_NUMBERS[0]) and wang.id_masked == idcard.mask(ID_NUMBERS[0])
    assert (wang.balance, wang.minutes_served) == (0, 0)
    # The raw number is nowhere in the rows written, nor in the audit log.
    stored = " ".join(str(v) for v in db.session.execute(select(Volunteer.__table__)).all())
    logged = " ".join(f"{e.summary} {e.details}" for e in db.session.scalars(select(AuditEntry)))
    assert not any(number in stored or number in logged for number in ID_NUMBERS[:3])
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("passport.register") == 3 and actions.count("passport.import") == 1
    # The counter finds them as it finds anyone registered at the desk.
    assert services.find_volunteer(fangxing.id, ID_NUMBERS[1]).name == "李明"


def test_bad_rows_name_the_row_and_the_chinese_header(fangxing, manager):
    rows = [HEADER, ["王芳", ID_NUMBERS[0], "13955100001", ""],
            ["", ID_NUMBERS[1], "13955100002", ""],
            ["李明", ID_NUMBERS[2][:-1] + ("0" if ID_NUMBERS[2][-1] != "0" else "1"), "13955100003", ""],
            ["张伟", ID_NUMBERS[3], "12345", ""],
            ["刘洋", 340111198001011234, "13955100005", ""],
            ["陈静", ID_NUMBERS[5], "13955100006", "nowhere"],
            ["王芳", ID_NUMBERS[0], "13955100007", ""]]
    plan = plan_of(xlsx(rows), user=manager, default_park=fangxing)
    bad = {row.number: [(p.header, p.message) for p in row.problems] for row in plan.bad_rows}
    assert sorted(bad) == [3, 4, 5, 6, 7, 8]
    assert bad[3][0][0] == "姓名"
    assert bad[4] == [("身份证号", "身份证号码校验位不正确")]
    assert bad[5][0][0] == "手机"
    assert bad[6] == [("身份证号", "身份证号被 Excel 存成了数字，末几位已丢失：请把该列设为“文本”后重新填写")]
    assert bad[7] == [("园区", "没有代码或名称为“nowhere”的园区")]
    assert bad[8] == [("身份证号", "与第 2 行的身份证号相同")]
    with pytest.raises(ValidationError, match=r"有 6 行有错误（第一处：第 3 行，姓名"):
        importer_for("volunteers").carry_out(plan, user=manager, source="x.xlsx")
    assert volunteers() == []
    # The preview never shows the raw number: the masked copy instead.
    first = plan.rows[0]
    column = importer_for("volunteers").columns[1]
    assert importer_for("volunteers").shown(first, column) == idcard.mask(ID_NUMBERS[0])
    # Nor does the file of bad rows given back to the user.
    header, bad_rows = plan.bad_rows_table(importer_for("volunteers").masked)
    written = " ".join(str(cell) for r in bad_rows for cell in r)
    assert not any(number in written for number in ID_NUMBERS) and idcard.mask(ID_NUMBERS[5]) in written


def test_the_same_id_number_in_the_park_is_the_same_volunteer(fangxing, manager, make_volunteer):
    known = make_volunteer(name="王芳", phone="13955100001")  # ID_NUMBERS[0]
    same = make_volunteer(name="李明", phone="13955100002")   # ID_NUMBERS[1]
    rows = [HEADER, ["王芳", ID_NUMBERS[0], "13955109999", ""], ["李明", ID_NUMBERS[1], "13955100002", ""],
            ["张伟", ID_NUMBERS[9], "13955100003", ""]]
    plan = plan_of(csv(rows), "志愿者.csv", user=manager, default_park=fangxing)
    changed, unchanged, new = plan.rows
    assert (changed.match.id, changed.reason, changed.action, changed.choices, changed.changes) == (
        known.id, "身份证号相同", "update", ("update", "skip"), ["手机"])
    assert (unchanged.match.id, unchanged.action, unchanged.choices) == (same.id, "unchanged", ())
    assert new.action == "create"
    outcome = importer_for("volunteers").carry_out(plan, user=manager, source="志愿者.csv")
    assert outcome.counts == {"create": 1, "update": 1, "unchanged": 1, "skip": 0}
    db.session.refresh(known)
    assert known.phone == "13955109999" and len(volunteers(fangxing)) == 3
    # Skipping leaves the record as it was.
    again = plan_of(csv([HEADER, ["王芳", ID_NUMBERS[0], "13955108888", ""]]), "x.csv", user=manager,
                    default_park=fangxing)
    again.choose({2: "skip"})
    assert importer_for("volunteers").carry_out(again, user=manager, source="x.csv").counts["skip"] == 1
    db.session.refresh(known)
    assert known.phone == "13955109999"


def test_the_same_person_in_another_community_is_another_volunteer(parks, users, make_volunteer):
    set_enablement("passport", "parks", [parks["fangxing"], parks["changqing"]])
    make_volunteer(name="王芳")  # in 方兴, ID_NUMBERS[0]
    plan = plan_of(xlsx([HEADER, ["王芳", ID_NUMBERS[0], "13955100001", "changqing"]]), user=users["admin"])
    (row,) = plan.rows
    assert row.action == "create" and row.match is None
    importer_for("volunteers").carry_out(plan, user=users["admin"], source="x.xlsx")
    assert len(volunteers(parks["changqing"])) == 1


def test_one_registered_at_the_desk_since_the_preview_is_a_conflict(fangxing, manager, make_volunteer):
    plan = plan_of(xlsx([HEADER, ["王芳", ID_NUMBERS[0], "13955100001", ""]]), user=manager, default_park=fangxing)
    make_volunteer(name="王芳")
    with pytest.raises(Conflict, match="重新预览"):
        importer_for("volunteers").carry_out(plan, user=manager, source="x.xlsx")
    assert len(volunteers()) == 1


def test_past_points_are_named_as_not_imported(fangxing, manager):
    rows = [HEADER + ["历史积分", "日期"], ["王芳", ID_NUMBERS[0], "13955100001", "", 120, "2024-01-01"]]
    plan = plan_of(xlsx(rows), user=manager, default_park=fangxing)
    assert any("历史积分、日期暂不能导入" in note for note in plan.notes)
    importer_for("volunteers").carry_out(plan, user=manager, source="x.xlsx")
    (volunteer,) = volunteers()
    assert volunteer.balance == 0 and db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


# -- who may import where ----------------------------------------------------------------------------------

def test_a_manager_imports_into_their_own_park_only(parks, users):
    set_enablement("passport", "parks", [parks["fangxing"], parks["changqing"]])
    manager = users["fangxing-mgr"]
    importer = importer_for("volunteers")
    assert [p.code for p in importer.parks_for(manager)] == ["fangxing"]
    rows = [HEADER, ["王芳", ID_NUMBERS[0], "13955100001", "changqing"],
            ["李明", ID_NUMBERS[1], "13955100002", "district"]]
    theirs, disabled = plan_of(xlsx(rows), user=manager).rows
    assert [str(p) for p in theirs.problems] == ["园区：你无权向“常青街道社会组织孵化基地”导入志愿者"]
    assert [str(p) for p in disabled.problems] == ["园区：“包河区社会组织创新园”未启用义粉护照"]


def test_the_pages_are_for_managers_of_parks_with_the_passport(login_as, client, network):
    assert client.get("/imports/volunteers").status_code in (302, 401)
    assert login_as("trainee-wang").get("/imports/volunteers").status_code == 403
    assert login_as("expert-li").get("/imports/volunteers").status_code == 403
    assert login_as("district-mgr").get("/imports/volunteers").status_code == 403  # not enabled there
    assert login_as("fangxing-mgr").get("/imports/volunteers").status_code == 200
    assert login_as("admin").get("/imports/volunteers").status_code == 200


def test_upload_preview_and_confirm_through_the_pages(login_as, fangxing):
    client = login_as("fangxing-mgr")
    page = client.get("/imports/volunteers").get_data(as_text=True)
    assert "导入志愿者" in page
    content = xlsx([HEADER, ["王芳", ID_NUMBERS[0], "13955100001", ""], ["李明", ID_NUMBERS[1], "139", ""]])
    response = client.post("/imports/volunteers", data={"file": (io.BytesIO(content), "名单.xlsx"),
                                                        "park": fangxing.id}, content_type="multipart/form-data")
    assert response.status_code == 302
    preview = response.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "导入预览：名单.xlsx" in html and "新建 1" in html and "有错误 1" in html
    assert "第 3 行" in html and "手机" in html
    assert idcard.mask(ID_NUMBERS[0]) in html and ID_NUMBERS[0] not in html
    done = client.post(preview, data={"mode": "good"}).get_data(as_text=True)
    assert "导入完成" in done and "新建：1" in done
    (volunteer,) = volunteers(fangxing)
    listed = client.get(f"/passport/{fangxing.code}/").get_data(as_text=True)
    assert volunteer.name in listed


def test_the_template_has_the_columns(login_as):
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(login_as("fangxing-mgr").get("/imports/volunteers/template.xlsx").data))
    assert [c.value for c in book["志愿者"][1]] == HEADER
    notes = {row[0]: row for row in book["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["身份证号"][1] == "是" and "脱敏" in notes["身份证号"][2]


def test_the_command_imports_into_the_park_named(app, network, tmp_path):
    path = tmp_path / "志愿者.csv"
    path.write_bytes(csv([HEADER, ["王芳", ID_NUMBERS[0], "13955100001", ""]]))
    result = app.test_cli_runner().invoke(args=["import", "volunteers", str(path), "--park", "fangxing"])
    assert result.exit_code == 0, result.output
    assert "已导入：新建 1" in result.output and len(volunteers(network["parks"]["fangxing"])) == 1
