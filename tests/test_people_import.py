"""Accounts opened without a password (开通账号) and the import of organizations' contacts: the
person's columns every people importer shares, matching existing accounts, the set-up link that
works once, and who may import whom."""
import io
import re

import pytest
from sqlalchemy import select

from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.imports import importer_for
from incubator.imports.reading import read_table
from incubator.notifications.models import Delivery
from incubator.notifications.testing import notices, reached
from incubator.users import setup
from incubator.users.models import User
from tests.import_samples import as_csv

HEADER = ["姓名", "手机", "邮箱", "用户名", "组织名称", "统一社会信用代码"]


def plan_of(rows, *, user=None):
    importer = importer_for("contacts")
    return importer.plan(read_table("联系人.csv", as_csv([HEADER, *rows])), user=user,
                         parks=importer.parks_for(user))


def account(username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_contacts_are_opened_without_a_password_and_told_how_to_set_one(app, network, make_org, users,
                                                                        mail_server):
    org = make_org(name="滨湖乐龄互助会", park="fangxing")
    plan = plan_of([["王芳", "13955100001", "wf@example.cn", "", "滨湖乐龄互助会", ""],
                    ["李明", "", "", "", "滨湖 乐龄互助会", ""]], user=users["fangxing-mgr"])
    assert plan.counts()["create"] == 2 and not plan.bad_rows
    outcome = importer_for("contacts").carry_out(plan, user=users["fangxing-mgr"], source="联系人.csv")
    wang, li = account("13955100001"), account("liming")  # the phone, else the name's pinyin
    assert [a.id for a in outcome.accounts] == [wang.id, li.id]
    for person in (wang, li):
        assert person.organization_id == org.id and person.role == "trainee"
        assert not setup.has_password(person) and not person.check_password("")
    assert reached("account.setup") == ["13955100001", "liming"]
    link = notices("account.setup")[0].link
    assert link.startswith("/welcome/")
    assert [d.channel for d in db.session.scalars(select(Delivery))] == ["email"]  # 王芳 has an address
    [mail] = mail_server.messages
    assert mail["Subject"] == "请设置密码以开通你在社区治理学院的账号" and mail.envelope_to == ["wf@example.cn"]
    text = mail.get_body(("plain",)).get_content()
    assert "用户名：13955100001" in text and "/welcome/" in text and link.rsplit("/", 1)[1] in text


def test_the_link_sets_the_password_once(network, make_org, users, client):
    make_org(name="滨湖乐龄互助会", park="fangxing")
    importer_for("contacts").carry_out(plan_of([["王芳", "13955100001", "", "", "滨湖乐龄互助会", ""]]),
                                       user=None, source="x.csv")
    person = account("13955100001")
    link = setup.link_for(person)
    page = client.get(link)
    assert page.status_code == 200 and "13955100001" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    weak = client.post(link, data={"new_password": "12345678", "confirm": "12345678"})
    assert weak.status_code == 200 and not setup.has_password(account("13955100001"))
    done = client.post(link, data={"new_password": "Lehu-2026-bh", "confirm": "Lehu-2026-bh"})
    assert done.status_code == 302
    assert account("13955100001").check_password("Lehu-2026-bh")
    assert client.get("/me").status_code == 200  # logged in
    again = client.get(link)
    assert again.status_code == 410 and "已使用或已失效" in again.get_data(as_text=True)


@pytest.mark.parametrize("token, message", [("nonsense", "链接无效"), ("", "链接无效")])
def test_a_bad_link_says_so(network, token, message):
    with pytest.raises(ValidationError, match=message):
        setup.account_for(token)


def test_an_expired_link_says_so(network, make_org, monkeypatch):
    make_org(name="滨湖乐龄互助会", park="fangxing")
    importer_for("contacts").carry_out(plan_of([["王芳", "13955100001", "", "", "滨湖乐龄互助会", ""]]),
                                       user=None, source="x.csv")
    token = setup.token_for(account("13955100001"))
    monkeypatch.setattr(setup, "SETUP_DAYS", -1)
    with pytest.raises(ValidationError, match="已过期"):
        setup.account_for(token)


def test_an_existing_account_is_matched_and_linked(network, make_org, users):
    org = make_org(name="滨湖乐龄互助会", park="fangxing")
    wang = users["trainee-wang"]
    wang.phone = "13955100001"
    db.session.commit()
    (row,) = plan_of([["王学员", "13955100001", "", "", "滨湖乐龄互助会", ""]]).rows
    assert (row.match.id, row.reason, row.action) == (wang.id, "手机号相同", "update")
    importer_for("contacts").carry_out(plan_of([["王学员", "13955100001", "", "", "滨湖乐龄互助会", ""]]),
                                       user=None, source="x.csv")
    assert account("trainee-wang").organization_id == org.id
    assert reached("account.setup") == []  # they have a password already
    (again,) = plan_of([["王学员", "", "", "trainee-wang", "滨湖乐龄互助会", ""]]).rows
    assert again.action == "unchanged"


def test_rows_that_cannot_be_imported(network, make_org, users):
    make_org(name="滨湖乐龄互助会", park="fangxing")
    make_org(name="常青文体队", park="changqing")
    rows = [["王芳", "13955100001", "", "", "滨湖乐龄互助会", ""],
            ["王芳", "13955100001", "", "", "滨湖乐龄互助会", ""],
            ["李明", "12", "", "", "滨湖乐龄互助会", ""],
            ["张伟", "", "bad-address", "", "滨湖乐龄互助会", ""],
            ["陈静", "", "", "", "没有这个组织", ""],
            ["刘洋", "", "", "", "常青文体队", ""],
            ["专家", "", "", "expert-li", "滨湖乐龄互助会", ""]]
    bad = {row.number: str(row.problems) for row in plan_of(rows, user=users["fangxing-mgr"]).bad_rows}
    assert "与第 2 行的手机号相同" in bad[3]
    assert "手机" in bad[4] and "邮箱" in bad[5]
    assert "没有找到组织“没有这个组织”" in bad[6]
    assert "不在你管理的园区" in bad[7]
    assert re.search(r"expert-li.*专家", bad[8])


def test_the_administrator_sees_and_resends_the_link(network, make_org, login_as):
    make_org(name="滨湖乐龄互助会", park="fangxing")
    importer_for("contacts").carry_out(plan_of([["王芳", "13955100001", "", "", "滨湖乐龄互助会", ""]]),
                                       user=None, source="x.csv")
    person = account("13955100001")
    client = login_as("admin")
    html = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "该账号尚未设置密码" in html and "/welcome/" in html
    client.post(f"/admin/users/{person.id}/setup-notice")
    assert reached("account.setup") == ["13955100001", "13955100001"]
    assert "该账号尚未设置密码" not in client.get("/admin/users/1").get_data(as_text=True)


def test_the_import_page_shows_the_new_accounts_links(network, make_org, login_as):
    make_org(name="滨湖乐龄互助会", park="fangxing")
    client = login_as("fangxing-mgr")
    content = as_csv([HEADER, ["王芳", "13955100001", "", "", "滨湖乐龄互助会", ""]])
    response = client.post("/imports/contacts", data={"file": (io.BytesIO(content), "联系人.csv"), "park": 0},
                           content_type="multipart/form-data")
    preview = response.headers["Location"]
    done = client.post(preview, data={"mode": "all"})
    html = done.get_data(as_text=True)
    assert "新开通的账号（1）" in html and "http://localhost/welcome/" in html
    assert done.headers["Cache-Control"] == "no-store"


def test_contacts_are_imported_by_managers_and_the_administrator(network, login_as):
    assert login_as("expert-li").get("/imports/contacts").status_code == 403
    assert login_as("fangxing-mgr").get("/imports/contacts").status_code == 200
    assert "导入组织联系人" in login_as("admin").get("/imports").get_data(as_text=True)
