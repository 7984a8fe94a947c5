"""Journey 3: the park's manager assigns an expert from the organization page, the expert logs a
supervision session, the organization's contact confirms it from their to-do list, the expert sees
it confirmed. Then the contact on a phone, and the assignment ending when the organization exits."""
import re
from datetime import timedelta

from playwright.sync_api import expect

from incubator.dates import today

ORG = "包河社工服务中心"  # organization 1, in park `district`; contact-zhang is its contact


def _open_org_page(person):
    person.click_link("组织", exact=True)
    person.page.get_by_placeholder("名称、信用代码或拼音首字母").fill(ORG)
    person.click_button("查询")
    person.click_link(ORG, exact=True)
    expect(person.page.locator("h1")).to_contain_text(ORG)


def _mentoring_panel(person):
    return person.page.locator(".card", has=person.page.locator(".card-header", has_text=re.compile("^督导记录$")))


def _menu_todo_count(person) -> int:
    link = person.page.get_by_role("link", name=re.compile("^待办"))
    if not link.is_visible():
        person.open_menu()
    badge = link.locator(".badge")
    expect(badge).to_be_visible()
    return int(badge.inner_text())


def test_expert_logs_supervision_and_the_contact_confirms_it_from_their_to_dos(people, server):
    # The manager of 包河区社会组织创新园 opens the organization's page and assigns 周督导.
    manager = people("desktop", name="manager")
    manager.login("district-mgr")
    _open_org_page(manager)
    panel = _mentoring_panel(manager)
    expect(panel).to_contain_text("督导专家")
    expect(panel.locator(".assignments")).to_contain_text("李督导")
    manager.shot("组织页面的督导专家")
    start = panel.get_by_label("开始日期")
    assert start.input_value(), "the start date should default to today"
    panel.get_by_label("专家", exact=True).select_option(label="周督导（expert-zhou）")
    manager.click_button("指派专家")
    manager.see("已指派 周督导")
    expect(_mentoring_panel(manager).locator(".assignments")).to_contain_text("周督导")
    manager.shot("已指派周督导", guide="manager-expert-assigned")

    # 周督导 logs in and lands on 我的督导, with its to-dos on top.
    expert = people("desktop", name="expert")
    expert.login("expert-zhou")
    expect(expert.page.locator("h1")).to_have_text("我的督导")
    expect(expert.page.locator(".todos")).to_be_visible()
    expert.see(ORG)
    expert.shot("专家登录后的我的督导", guide="expert-my-mentoring")
    expert.follow(expert.page.locator("li", has_text=ORG).get_by_role("link", name="记录督导").first)
    expect(expert.page.locator("h1")).to_have_text("记录一次督导")
    assert expert.page.get_by_label("督导日期").input_value(), "the session date should default to today"
    expert.fill("时长（小时）", "0")
    expert.choose("方式", "线上")
    expert.page.get_by_label("内部治理").check()
    expert.page.get_by_label("财务管理").check()
    expert.fill("发现的问题（支持 Markdown）", "理事会会议没有纪要，**财务报销**缺少双人签字。")
    expert.fill("给出的建议（支持 Markdown）", "每季度召开理事会并形成纪要；制定报销流程。")
    expert.fill("跟进事项 1", "整理近半年的理事会纪要")
    expert.fill("负责人 1", "张芳")
    due = today() + timedelta(days=5)  # the district's date (Asia/Shanghai)
    expert.page.get_by_label("完成期限 1").fill(due.isoformat())
    expert.click_button("保存")
    expert.see("督导时长须大于 0 小时")  # 0 hours is refused, and the form says why
    expert.shot("时长为0被拒绝", guide="expert-log-form")
    expert.fill("时长（小时）", "2")
    expert.page.get_by_label("内部治理").check()  # (kept by the form; checking again is harmless)
    expert.click_button("保存")
    expert.see("督导记录已保存，等待组织联系人签字确认")
    expect(expert.page.locator("h1")).to_contain_text("待确认")
    log_url = expert.page.url
    expert.shot("督导记录已保存", guide="expert-log-saved")
    expert.click_link("督导", exact=True)
    expect(expert.page.locator(".todos")).to_contain_text("督导记录待组织确认")
    expert.shot("待组织确认的待办")

    # The organization's contact logs in: the to-do shows in the menu count and on the landing page.
    contact = people("desktop", name="contact")
    contact.login("contact-zhang")
    todos = contact.page.locator(".todos")
    expect(todos).to_contain_text("督导记录待确认")
    assert _menu_todo_count(contact) >= 3  # two of 李督导's entries and the new one
    contact.shot("联系人的待办", guide="contact-todos")
    contact.follow(todos.get_by_role("link", name="督导记录待确认"))
    expect(contact.page.locator("h1")).to_have_text("督导确认")
    pending = contact.page.locator(".pending-logs li")
    expect(pending).to_have_count(3)
    contact.shot("待确认的督导记录", guide="contact-pending-logs")
    contact.follow(contact.page.locator(".pending-logs li", has_text="周督导").get_by_role("link", name="查看并确认"))
    contact.see("理事会会议没有纪要", "整理近半年的理事会纪要", "2.0 小时")
    assert contact.page.url == log_url
    contact.shot("督导记录详情", guide="contact-log")
    with contact.confirming("确定签字确认", "锁定", "出壳", "督导时长"):
        contact.click_button("签字确认", exact=True)
    contact.see("已签字确认")
    expect(contact.page.get_by_role("button", name="签字确认", exact=True)).to_have_count(0)
    contact.shot("已签字确认")
    contact.click_link("返回督导确认")
    expect(contact.page.locator(".pending-logs li")).to_have_count(2)

    # The expert sees it confirmed: among their confirmed entries, and on the entry itself.
    expert.click_link("督导", exact=True)
    expert.click_link("已签字确认", exact=True)
    row = expert.page.locator("table.mentoring-logs tr", has_text=ORG).first
    expect(row).to_contain_text("已签字确认")
    expert.follow(row.get_by_role("link").first)
    assert expert.page.url == log_url
    expect(expert.page.locator("h1")).to_contain_text("已签字确认")
    expert.see("张芳 已于")
    expert.shot("专家看到已确认", guide="expert-log-confirmed")
    assert server.sql("SELECT status FROM mentoring_logs WHERE id = ?", int(log_url.rsplit("/", 1)[1])) == [("confirmed",)]


def test_the_contact_confirms_on_a_phone(phone_person, server):
    contact = phone_person
    contact.login("contact-zhang")
    todos = contact.page.locator(".todos")
    expect(todos).to_contain_text("督导记录待确认")
    contact.shot("手机上的待办")
    contact.follow(todos.get_by_role("link", name="督导记录待确认"))
    expect(contact.page.locator(".pending-logs li")).to_have_count(2)
    contact.shot("手机上待确认的记录")
    contact.follow(contact.page.locator(".pending-logs li").first.get_by_role("link", name="查看并确认"))
    contact.shot("手机上的督导记录")
    # A disputed entry first: the reason is required and the expert sees it.
    contact.fill("异议说明", "实际督导约1小时，不是记录中的时长。")
    with contact.confirming("确定对这条督导记录提出异议吗"):
        contact.click_button("提出异议")
    contact.see("已提出异议", "实际督导约1小时")
    contact.shot("手机上提出异议", guide="contact-disputed-phone")
    contact.click_link("返回督导确认")
    expect(contact.page.locator(".pending-logs li")).to_have_count(1)
    contact.follow(contact.page.locator(".pending-logs li").first.get_by_role("link", name="查看并确认"))
    with contact.confirming("确定签字确认"):
        contact.click_button("签字确认", exact=True)
    contact.see("已签字确认")
    contact.shot("手机上已签字确认")
    rows = server.sql("SELECT status FROM mentoring_logs WHERE organization_id = 1 AND status != 'confirmed'")
    assert rows == [("disputed",)]


def test_the_assignment_ends_when_the_organization_exits(person, server):
    person.login("district-mgr")
    _open_org_page(person)
    expect(_mentoring_panel(person).locator(".assignments")).to_contain_text("进行中")
    person.shot("退出前的督导专家")
    person.choose("变更为", "退出")
    person.fill("理由", "组织停止运营，退出孵化。", exact=True)
    person.page.once("dialog", lambda dialog: dialog.accept())  # the stage move may ask first
    person.click_button("变更阶段")
    person.see("阶段已变更为：退出")
    assignments = _mentoring_panel(person).locator(".assignments")
    expect(assignments).to_contain_text("已结束")
    expect(assignments).not_to_contain_text("进行中")
    expect(_mentoring_panel(person).get_by_role("button", name="结束指派")).to_have_count(0)
    expect(_mentoring_panel(person).get_by_role("button", name="指派专家")).to_have_count(0)
    person.shot("退出后指派已结束")
    ends = server.sql("SELECT ends_on FROM mentoring_assignments WHERE organization_id = 1")
    assert ends and all(row[0] is not None for row in ends)

    # 李督导 no longer gets a button to log supervision for it.
    expert = person  # the same browser, another account
    expert.logout()
    expert.login("expert-li")
    row = expert.page.locator("li", has_text=ORG).first
    expect(row).to_contain_text("已结束")
    expect(row.get_by_role("link", name="记录督导")).to_have_count(0)
    expert.shot("专家看到指派已结束")


def test_mentoring_pages_fit_a_phone(people):
    """The manager and the expert on a phone: panel, lists, the log form, report and settings."""
    manager = people("phone", name="manager")
    manager.login("district-mgr")
    _open_org_page(manager)
    panel = _mentoring_panel(manager)
    panel.scroll_into_view_if_needed()
    expect(panel.get_by_role("button", name="指派专家")).to_be_visible()
    manager.click_button("指派专家")  # nobody chosen: the page says so, nothing is assigned
    manager.see("请选择要指派的专家")
    manager.shot("手机上的组织督导面板")
    manager.follow(_mentoring_panel(manager).get_by_role("link", name="全部督导记录"))
    manager.see("督导专家", "组织联系人")
    manager.shot("手机上的组织督导记录")
    manager.click_link("督导", exact=True)
    manager.see("最近的督导记录")
    manager.shot("手机上的督导记录列表")
    manager.click_link("督导时长报表")
    manager.see("专家月度督导时长")
    manager.shot("手机上的督导时长报表")
    manager.click_link("督导", exact=True)
    manager.click_link("包河区社会组织创新园")
    manager.see("两次督导至少相隔（天）")
    manager.shot("手机上的督导设置")

    expert = people("phone", name="expert")
    expert.login("expert-li")
    expect(expert.page.locator(".todos")).to_be_visible()
    expert.shot("手机上的我的督导")
    expert.follow(expert.page.locator("li", has_text=ORG).get_by_role("link", name="记录督导").first)
    expect(expert.page.locator("h1")).to_have_text("记录一次督导")
    expert.shot("手机上的督导记录表单", guide="expert-log-form-phone")
