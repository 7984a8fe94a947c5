"""Journey 1: the public. A group finds a park in the directory, applies (after fixing what the form
points out), gets an application number, checks its status with number and phone; the park's
manager sees the application in their list. And what a lost visitor sees: Chinese error pages."""
import re

import pytest
from playwright.sync_api import expect

from incubator.validators import make_uscc

ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{3,}(?:[ ,.'-]+[A-Za-z]{2,}){3,}")
USCC = make_uscc("52340111MJB12345X")
BAD_USCC = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
PHONE = "13955106688"


@pytest.mark.parametrize("kind", ["desktop", "phone"])
def test_a_group_applies_and_follows_its_application(kind, people, server):
    name = f"滨湖邻里互助会（{'电脑' if kind == 'desktop' else '手机'}）"
    applicant = people(kind, name="applicant")

    applicant.goto("/parks")
    applicant.see("社会组织孵化“三级平台”", "包河区社会组织创新园", "云华社区睦邻中心孵化点")
    applicant.shot("园区目录")

    applicant.click_link("包河区社会组织创新园")
    expect(applicant.page.locator("h1")).to_contain_text("包河区社会组织创新园")
    applicant.see("在孵组织", "下级基地")
    applicant.shot("园区页面")

    applicant.click_link("申请入驻本园区")
    expect(applicant.page.locator("h1")).to_have_text("申请入园孵化")
    expect(applicant.page.get_by_label("申请入驻的园区")).to_have_value(
        str(server.sql("SELECT id FROM parks WHERE code = 'district'")[0][0]))
    applicant.shot("申请表")

    # A mistyped credit code: the form says so beside the field, and nothing is written.
    applicant.fill("组织名称", name)
    applicant.fill("统一社会信用代码", BAD_USCC)
    applicant.choose("类别", "社区社会组织")
    applicant.choose("登记状态", "已登记")
    applicant.fill("联系人", "王芳")
    applicant.fill("联系电话", PHONE)
    applicant.fill("服务区域", "滨湖世纪社区")
    applicant.click_button("提交申请")
    applicant.see("申请未提交：有 1 处需要修改")
    expect(applicant.page.locator("#uscc + .invalid-feedback")).to_have_text("统一社会信用代码校验位不正确")
    applicant.shot("信用代码校验位不对")
    assert server.sql("SELECT count(*) FROM organizations WHERE name = ?", name) == [(0,)]

    # The code fixed, but a phone number one digit short.
    applicant.fill("统一社会信用代码", USCC)
    applicant.fill("联系电话", PHONE[:-1])
    applicant.click_button("提交申请")
    expect(applicant.page.locator("#contact_phone + .invalid-feedback")).to_contain_text("请填写有效的手机号或固定电话")
    expect(applicant.page.locator("#uscc")).not_to_have_class(re.compile("is-invalid"))
    applicant.shot("电话号码不对")

    applicant.fill("联系电话", PHONE)
    applicant.click_button("提交申请")
    expect(applicant.page.locator("h1")).to_have_text("申请已提交")
    number = applicant.page.locator(".application-number").inner_text().strip()
    assert server.sql("SELECT id, stage, contact_phone FROM organizations WHERE name = ?", name) == \
        [(int(number), "applied", PHONE)]
    applicant.see("申请编号", "用申请编号和申请时填写的联系电话查询进度")
    applicant.shot("申请已提交")

    applicant.click_link("查询申请进度")
    expect(applicant.page.get_by_label("申请编号")).to_have_value(number)
    applicant.fill("申请编号", number)
    applicant.fill("申请时填写的联系电话", PHONE)
    applicant.click_button("查询")
    status = applicant.page.locator(".application-status")
    expect(status).to_contain_text(name)
    expect(status.locator(".stage")).to_have_text("申请")
    expect(status).to_contain_text("包河区社会组织创新园")
    applicant.shot("查到申请进度")

    applicant.fill("申请时填写的联系电话", "13900000000")
    applicant.click_button("查询")
    applicant.see("没有找到与该申请编号和联系电话相符的申请")
    applicant.not_see(name)
    applicant.shot("电话不对查不到")

    # The district park's manager finds the new application in the list of organizations.
    manager = people(kind, name="manager")
    manager.login("district-mgr")
    manager.click_link("组织", exact=True)
    row = manager.page.locator("tr", has_text=name)
    expect(row).to_be_visible()
    expect(row).to_contain_text("申请")
    manager.shot("管理员看到新申请")


def test_a_lost_visitor_sees_chinese_error_pages_with_a_way_back(phone_person):
    visitor = phone_person
    response = visitor.goto("/no-such-page")
    assert response.status == 404
    expect(visitor.page.locator("h1")).to_have_text("页面不存在")
    visitor.see("地址可能有误")
    assert_no_english(visitor)
    visitor.shot("页面不存在")
    visitor.click_link("返回首页")
    expect(visitor.page.locator("h1")).to_have_text("社会组织孵化“三级平台”")
    visitor.shot("回到园区目录")

    visitor.login("trainee-wang")
    response = visitor.goto("/admin/users")
    assert response.status == 403
    expect(visitor.page.locator("h1")).to_have_text("无权访问")
    visitor.see("请联系园区管理员")
    assert_no_english(visitor)
    expect(visitor.page.get_by_role("link", name="返回首页")).to_be_visible()
    visitor.shot("无权访问", guide="public-forbidden-phone")
    visitor.click_link("返回首页")
    expect(visitor.page.locator("h1")).not_to_have_text("无权访问")
    visitor.shot("回到首页")


def assert_no_english(person):
    text = person.page.locator("main").inner_text()
    english = ENGLISH_SENTENCE.search(text)
    assert english is None, f"English on the error page: {english.group(0)!r}"
