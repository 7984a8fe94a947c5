"""Importing trainees (导入学员, issue 12): accounts opened without a password with their 所属组织,
matched with the accounts the platform has, bad rows named by row and header, and who may import."""
import io

import pytest
from sqlalchemy import func, select

from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.imports import importer_for
from incubator.imports.reading import read_table
from incubator.notifications.testing import notices, reached
from incubator.plugins import set_enablement
from incubator.users import setup
from incubator.users.models import User
from incubator.validators import make_uscc
from plugins.enrolment.models import TraineeProfile
from plugins.enrolment.reporting import trainee_organization
from tests.import_samples import as_csv

HEADER = ["姓名", "手机", "邮箱", "用户名", "所属组织"]
USCC = make_uscc("52340111MJA24680X")


def plan_of(rows, *, user=None, header=HEADER, encoding="utf-8"):
    importer = importer_for("trainees")
    return importer.plan(read_table("学员.csv", as_csv([header, *rows], encoding)), user=user,
                         parks=importer.parks_for(user))


def account(username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def profile_of(username):
    return db.session.get(TraineeProfile, account(username).id)


def upload(client, rows, encoding="gbk"):
    content = as_csv([HEADER, *rows], encoding)
    return client.post("/imports/trainees", data={"file": (io.BytesIO(content), "学员名单.csv"), "park": 0},
                       content_type="multipart/form-data")


def test_trainees_are_opened_without_a_password_with_their_organization(network, make_org, users):
    make_org(name="滨湖乐龄互助会", park="fangxing", uscc=USCC)
    plan = plan_of([["王芳", "13955100001", "wf@example.cn", "", "滨湖 乐龄互助会"],
                    ["李明", "", "", "", USCC],
                    ["张伟", "13955100003", "", "", "望湖读书会"],
                    ["陈静", "13955100004", "", "", ""]], user=users["fangxing-mgr"])
    assert plan.counts()["create"] == 4 and not plan.bad_rows
    assert plan.rows[0].notes == ["所属组织按平台登记的名称记录：滨湖乐龄互助会"]
    outcome = importer_for("trainees").carry_out(plan, user=users["fangxing-mgr"], source="学员.csv")
    assert len(outcome.accounts) == 4
    for username in ("13955100001", "liming", "13955100003", "13955100004"):
        person = account(username)
        assert person.role == "trainee" and not setup.has_password(person)
        assert person.organization_id is None  # a name for the reports, never a contact's link
    assert profile_of("13955100001").organization_name == "滨湖乐龄互助会"  # as the platform spells it
    assert profile_of("liming").organization_name == "滨湖乐龄互助会"  # found by its credit code
    assert profile_of("13955100003").organization_name == "望湖读书会"  # not registered: kept as typed
    assert profile_of("13955100004").organization_name == ""
    assert trainee_organization(account("liming")) == "滨湖乐龄互助会"
    assert reached("account.setup") == ["13955100001", "13955100003", "13955100004", "liming"]
    assert notices("account.setup")[0].link.startswith("/welcome/")


def test_an_existing_trainee_is_matched_and_their_organization_filled_in(network, users):
    wang = users["trainee-wang"]
    wang.phone = "13955100001"
    db.session.commit()
    (row,) = plan_of([["王学员", "13955100001", "", "", "方兴社区志愿者协会"]]).rows
    assert (row.match.id, row.reason, row.action, row.choices) == (wang.id, "手机号相同", "update", ("update", "skip"))
    assert row.changes == ["所属组织"]
    importer_for("trainees").carry_out(plan_of([["王学员", "13955100001", "", "", "方兴社区志愿者协会"]]),
                                       user=users["admin"], source="x.csv")
    assert profile_of("trainee-wang").organization_name == "方兴社区志愿者协会"
    assert setup.has_password(account("trainee-wang"))  # their own password stays
    assert reached("account.setup") == []  # they have a password already
    (again,) = plan_of([["王学员", "", "", "trainee-wang", "方兴社区志愿者协会"]]).rows
    assert again.action == "unchanged" and again.choices == ()
    (empty,) = plan_of([["王学员", "", "", "trainee-wang", ""]]).rows
    assert empty.action == "unchanged"  # an empty cell never clears what the platform has


def test_a_skipped_match_changes_nothing(network, users):
    users["trainee-wang"].phone = "13955100001"
    db.session.commit()
    plan = plan_of([["王学员", "13955100001", "", "", "别的组织"]])
    plan.choose({2: "skip"})
    outcome = importer_for("trainees").carry_out(plan, user=None, source="x.csv")
    assert outcome.counts["skip"] == 1 and outcome.counts["update"] == 0
    assert db.session.get(TraineeProfile, users["trainee-wang"].id) is None


def test_rows_that_cannot_be_imported_say_which_row_and_column(network, users):
    rows = [["王芳", "13955100001", "", "", ""],
            ["王芳", "13955100001", "", "", ""],
            ["李明", "12", "", "", ""],
            ["张伟", "", "bad-address", "", ""],
            ["陈静", "", "", "", make_uscc("52340111MJA99999X")],
            ["刘洋", "", "", "", "组" * 121],
            ["专家", "", "", "expert-li", ""],
            ["", "13955100008", "", "", ""]]
    plan = plan_of(rows, user=users["fangxing-mgr"])
    bad = {row.number: [str(p) for p in row.problems] for row in plan.bad_rows}
    assert bad[3] == ["手机：与第 2 行的手机号相同"]
    assert bad[4][0].startswith("手机") and bad[5][0].startswith("邮箱")
    assert bad[6] == [f"所属组织：没有统一社会信用代码为 {make_uscc('52340111MJA99999X')} 的已登记组织；请填写组织名称"]
    assert bad[7] == ["所属组织：不能超过120字"]
    assert "expert-li" in bad[8][0] and "专家" in bad[8][0]
    assert bad[9][0].startswith("姓名")
    assert sorted(bad) == [3, 4, 5, 6, 7, 8, 9]
    with pytest.raises(ValidationError, match="有 7 行有错误（第一处：第 3 行，手机：与第 2 行的手机号相同）"):
        importer_for("trainees").carry_out(plan, user=users["fangxing-mgr"], source="x.csv")
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "13955100001")) == 0


def test_a_file_without_the_name_column_is_refused(network, users):
    with pytest.raises(ValidationError, match="缺少必填列：姓名"):
        plan_of([["13955100001"]], header=["手机"])


def test_a_manager_imports_a_gbk_file_through_the_pages(network, login_as):
    client = login_as("fangxing-mgr")
    page = client.get("/imports/trainees").get_data(as_text=True)
    assert "导入学员" in page
    response = upload(client, [["王芳", "13955100001", "", "", "望湖读书会"], ["李明", "12", "", "", ""]])
    preview = response.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "第 3 行" in html and "请填写有效的手机号" in html
    done = client.post(preview, data={"mode": "good"})
    html = done.get_data(as_text=True)
    assert "新开通的账号（1）" in html and "http://localhost/welcome/" in html and "王芳" in html
    assert profile_of("13955100001").organization_name == "望湖读书会"
    assert reached("account.setup") == ["13955100001"]


def test_the_template_has_the_trainee_columns(network, login_as):
    from openpyxl import load_workbook
    response = login_as("admin").get("/imports/trainees/template.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert next(book.worksheets[0].iter_rows(values_only=True)) == tuple(HEADER)


def test_trainees_are_imported_by_managers_of_parks_with_the_academy(network, login_as, parks):
    assert login_as("expert-li").get("/imports/trainees").status_code == 403
    assert login_as("trainee-wang").get("/imports/trainees").status_code == 403
    assert login_as("fangxing-mgr").get("/imports/trainees").status_code == 200
    assert "导入学员" in login_as("admin").get("/imports").get_data(as_text=True)
    set_enablement("enrolment", "parks", [parks["changqing"]])
    db.session.commit()
    assert login_as("fangxing-mgr").get("/imports/trainees").status_code == 403
    assert login_as("fangxing-mgr").post("/imports/trainees", data={}).status_code == 403
    assert login_as("changqing-mgr").get("/imports/trainees").status_code == 200
    set_enablement("enrolment", "none")
    db.session.commit()
    assert login_as("admin").get("/imports/trainees").status_code == 403


def test_the_command_line_imports_trainees(app, network, tmp_path):
    path = tmp_path / "学员.csv"
    path.write_bytes(as_csv([HEADER, ["王芳", "13955100001", "", "", "望湖读书会"]], "gbk"))
    result = app.test_cli_runner().invoke(args=["import", "trainees", str(path)])
    assert result.exit_code == 0, result.output
    assert "新建 1" in result.output
    assert profile_of("13955100001").organization_name == "望湖读书会"


def test_checking_a_long_list_reads_the_organizations_once(app, network, make_org):
    from sqlalchemy import event
    make_org(name="滨湖乐龄互助会", park="fangxing", uscc=USCC)

    def queries(organization):
        rows = [[f"学员{i}", f"139552{i:05d}", "", "", organization(i)] for i in range(40)]
        counted = {"n": 0}

        def counter(*_):
            counted["n"] += 1
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            plan = plan_of(rows)
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        assert not plan.bad_rows
        return counted["n"], plan
    without, _plan = queries(lambda i: "")
    with_names, plan = queries(lambda i: f"第{i}社区志愿者协会" if i % 2 else "滨湖 乐龄互助会")
    assert plan.rows[0].data["organization"] == "滨湖乐龄互助会"
    assert with_names <= without + 1  # whatever the core asks per person, the organizations once
