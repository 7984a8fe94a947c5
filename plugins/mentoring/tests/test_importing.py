"""Importing experts (导入专家·督导, issue 12): accounts opened without a password with their profile
(专业领域, 工作单位, 职称), shown where a manager assigns them; matches with existing accounts, bad
rows by row and header, and only the administrator imports them."""
import io

import pytest
from sqlalchemy import select

from incubator.audit.models import AuditEntry
from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.imports import importer_for
from incubator.imports.reading import read_table
from incubator.notifications.testing import notices, reached
from incubator.plugins import set_enablement
from incubator.users import setup
from incubator.users.models import User
from plugins.mentoring.models import ExpertProfile
from tests.import_samples import as_csv

HEADER = ["姓名", "手机", "邮箱", "用户名", "专业领域", "工作单位", "职称"]


def plan_of(rows, *, user=None, header=HEADER):
    importer = importer_for("experts")
    return importer.plan(read_table("专家.csv", as_csv([header, *rows])), user=user,
                         parks=importer.parks_for(user))


def account(username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def profile_of(username):
    return db.session.get(ExpertProfile, account(username).id)


def test_experts_are_opened_without_a_password_with_their_profile(network, users):
    plan = plan_of([["孙教授", "13955200001", "sun@example.cn", "", "社区治理", "安徽大学社会与政治学院", "教授"],
                    ["赵老师", "", "", "zhao-expert", "", "", ""]], user=users["admin"])
    assert plan.counts()["create"] == 2 and not plan.bad_rows
    outcome = importer_for("experts").carry_out(plan, user=users["admin"], source="专家.csv")
    assert [a.username for a in outcome.accounts] == ["13955200001", "zhao-expert"]
    sun = account("13955200001")
    assert sun.role == "expert" and not setup.has_password(sun) and not sun.check_password("")
    profile = profile_of("13955200001")
    assert (profile.field, profile.institution, profile.title) == ("社区治理", "安徽大学社会与政治学院", "教授")
    assert profile.summary == "社区治理 · 安徽大学社会与政治学院 · 教授"
    assert profile_of("zhao-expert").summary == ""
    assert reached("account.setup") == ["13955200001", "zhao-expert"]
    assert notices("account.setup")[0].link.startswith("/welcome/")


def test_an_existing_expert_is_matched_and_their_profile_updated(network, users):
    li = users["expert-li"]
    li.phone = "13955200009"
    db.session.commit()
    (row,) = plan_of([["李督导", "13955200009", "", "", "财务管理", "", "高级会计师"]]).rows
    assert (row.match.id, row.reason, row.action) == (li.id, "手机号相同", "update")
    assert row.changes == ["专业领域", "职称"]
    importer_for("experts").carry_out(plan_of([["李督导", "13955200009", "", "", "财务管理", "", "高级会计师"]]),
                                      user=users["admin"], source="x.csv")
    assert (profile_of("expert-li").field, profile_of("expert-li").title) == ("财务管理", "高级会计师")
    assert reached("account.setup") == []  # they have a password already
    (same,) = plan_of([["李督导", "", "", "expert-li", "财务管理", "", ""]]).rows
    assert same.action == "unchanged"  # an empty cell keeps what the platform has
    (moved,) = plan_of([["李督导", "", "", "expert-li", "", "合肥学院", ""]]).rows
    assert moved.changes == ["工作单位"]
    importer_for("experts").carry_out(plan_of([["李督导", "", "", "expert-li", "", "合肥学院", ""]]),
                                      user=users["admin"], source="y.csv")
    assert profile_of("expert-li").summary == "财务管理 · 合肥学院 · 高级会计师"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "mentoring.expert_profile")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and "合肥学院" in entry.summary


def test_rows_that_cannot_be_imported_say_which_row_and_column(network, users):
    rows = [["孙教授", "13955200001", "", "", "", "", ""],
            ["孙教授", "13955200001", "", "", "", "", ""],
            ["学员", "", "", "trainee-wang", "", "", ""],
            ["钱老师", "", "", "", "领" * 101, "", ""],
            ["周老师", "", "", "", "", "", "职" * 61],
            ["", "13955200006", "", "", "", "", ""]]
    plan = plan_of(rows, user=users["admin"])
    bad = {row.number: [str(p) for p in row.problems] for row in plan.bad_rows}
    assert sorted(bad) == [3, 4, 5, 6, 7]
    assert bad[3] == ["手机：与第 2 行的手机号相同"]
    assert "trainee-wang" in bad[4][0] and "学员" in bad[4][0]
    assert bad[5] == ["专业领域：不能超过100字"]
    assert bad[6] == ["职称：不能超过60字"]
    assert bad[7] == ["姓名：请填写姓名"]
    with pytest.raises(ValidationError, match="有 5 行有错误（第一处：第 3 行"):
        importer_for("experts").carry_out(plan, user=users["admin"], source="x.csv")
    assert account("13955200001") is None


def test_the_administrator_imports_through_the_pages(network, login_as):
    client = login_as("admin")
    content = as_csv([HEADER, ["孙教授", "13955200001", "", "", "社区治理", "安徽大学", "教授"]], "gbk")
    response = client.post("/imports/experts", data={"file": (io.BytesIO(content), "专家.csv"), "park": 0},
                           content_type="multipart/form-data")
    preview = response.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "孙教授" in html and "新建 1" in html
    done = client.post(preview, data={"mode": "all"}).get_data(as_text=True)
    assert "新开通的账号（1）" in done and "http://localhost/welcome/" in done
    assert profile_of("13955200001").institution == "安徽大学"

    again = as_csv([HEADER, ["李督导", "", "", "expert-li", "社会工作", "", ""]], "gbk")
    response = client.post("/imports/experts", data={"file": (io.BytesIO(again), "专家.csv"), "park": 0},
                           content_type="multipart/form-data")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    expert_id = account("expert-li").id
    assert f'href="/admin/users/{expert_id}"' in html and "用户名相同" in html and "专业领域" in html


def test_the_profile_shows_where_experts_are_assigned(supervised, users, login_as):
    db.session.add(ExpertProfile(user_id=users["expert-li"].id, field="社区治理", institution="安徽大学", title="教授"))
    db.session.commit()
    client = login_as("fangxing-mgr")
    page = client.get(f"/mentoring/orgs/{supervised.id}").get_data(as_text=True)
    assert "社区治理 · 安徽大学 · 教授" in page  # beside the assigned expert, and in the list to choose from
    assert "李督导（expert-li） · 社区治理 · 安徽大学 · 教授" in page
    panel = client.get(f"/orgs/{supervised.id}").get_data(as_text=True)
    assert 'class="small text-muted expert-profile">社区治理 · 安徽大学 · 教授' in panel


def test_only_the_administrator_imports_experts(network, login_as, parks):
    assert login_as("fangxing-mgr").get("/imports/experts").status_code == 403
    assert login_as("district-mgr").post("/imports/experts", data={}).status_code == 403
    assert login_as("expert-li").get("/imports/experts").status_code == 403
    assert "导入专家" not in login_as("fangxing-mgr").get("/imports").get_data(as_text=True)
    assert login_as("admin").get("/imports/experts").status_code == 200
    set_enablement("mentoring", "none")
    db.session.commit()
    assert login_as("admin").get("/imports/experts").status_code == 403


def test_the_command_line_imports_experts(app, network, tmp_path):
    path = tmp_path / "专家.csv"
    path.write_bytes(as_csv([HEADER, ["孙教授", "13955200001", "", "", "社区治理", "", ""]], "gbk"))
    result = app.test_cli_runner().invoke(args=["import", "experts", str(path)])
    assert result.exit_code == 0, result.output
    assert profile_of("13955200001").field == "社区治理"
