"""Journey: no duplicates. A group applies, then applies again with its name typed in full-width
characters and spaces and the same phone: it is told its application already exists, with the number
to follow it, and nothing new is written. The park's manager downloads the list as Excel and finds
the group's row."""
from openpyxl import load_workbook
from playwright.sync_api import expect

NAME = "滨湖ABC邻里互助会"
SPELLED_AGAIN = "滨湖ＡＢＣ　邻里 互助会"
PHONE = "13955107799"


def apply(person, name: str) -> None:
    person.goto("/apply?park=district")
    expect(person.page.locator("h1")).to_have_text("申请入园孵化")
    person.fill("组织名称", name)
    person.choose("类别", "社区社会组织")
    person.choose("登记状态", "未登记")
    person.fill("联系人", "王芳")
    person.fill("联系电话", PHONE)
    person.fill("服务区域", "滨湖世纪社区")
    person.click_button("提交申请")


def test_a_group_applying_twice_is_told_its_application_exists(people, server):
    applicant = people("desktop", name="applicant")
    apply(applicant, NAME)
    expect(applicant.page.locator("h1")).to_have_text("申请已提交")
    number = applicant.page.locator(".application-number").inner_text().strip()
    applicant.shot("申请已提交")

    apply(applicant, SPELLED_AGAIN)
    expect(applicant.page.locator("h1")).to_have_text("已有该组织的申请")
    expect(applicant.page.locator(".application-number")).to_have_text(number)
    expect(applicant.page.locator(".existing-application .stage")).to_have_text("申请")
    applicant.see(f"“{NAME}”已经提交过入园申请")
    applicant.shot("已有该组织的申请")
    assert server.sql("SELECT id FROM organizations WHERE contact_phone = ?", PHONE) == [(int(number),)]

    applicant.click_link("查询申请进度")
    expect(applicant.page.get_by_label("申请编号")).to_have_value(number)
    applicant.fill("申请时填写的联系电话", PHONE)
    applicant.click_button("查询")
    expect(applicant.page.locator(".application-status")).to_contain_text(NAME)
    applicant.shot("查到申请进度")

    manager = people("desktop", name="manager")
    manager.login("district-mgr")
    manager.click_link("组织", exact=True)
    manager.shot("组织列表")
    path = manager.download("导出Excel")
    assert path.suffix == ".xlsx"
    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:10] == ("组织名称", "统一社会信用代码", "类别", "登记状态", "成立日期", "联系人", "联系电话",
                            "服务区域", "园区", "阶段")
    mine = [row for row in rows[1:] if row[0] == NAME]
    assert len(mine) == 1
    assert mine[0][2:10] == ("社区社会组织", "未登记", None, "王芳", PHONE, "滨湖世纪社区", "district", "申请")
    assert mine[0][10] is not None  # the application date
