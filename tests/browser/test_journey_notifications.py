"""Notifications: a group applies to 方兴社区; the park's manager, on a phone, sees the bell's count,
opens the notice and lands on the application; the inbox is read; in 通知设置 she gives her e-mail
address and turns a kind of notice off. An organization's contact learns the decision."""
from playwright.sync_api import expect


def test_a_manager_is_told_of_a_new_application_and_chooses_her_channels(people, server):
    name = "方兴银龄互助会"
    unread_before = server.sql("SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id "
                               "WHERE u.username = 'fangxing-mgr' AND n.read_at IS NULL")[0][0]
    applicant = people("desktop", name="applicant")
    applicant.goto("/apply?park=fangxing")
    applicant.fill("组织名称", name)
    applicant.choose("类别", "社区社会组织")
    applicant.fill("联系人", "王芳")
    applicant.fill("联系电话", "13955106688")
    applicant.click_button("提交申请")
    applicant.see("申请编号")

    manager = people("phone", name="manager")
    manager.login("fangxing-mgr")
    bell = manager.page.locator("#notification-bell")
    expect(bell).to_be_visible()  # on a phone too: outside the folded menu
    expect(manager.page.locator("#unread-count")).to_have_text(str(unread_before + 1))
    manager.shot("铃铛上的未读数")

    manager.follow(bell)
    expect(manager.page.locator("h1")).to_contain_text("通知")
    notice = manager.page.locator(".notification.unread").filter(has_text=name)
    expect(notice).to_contain_text(f"收到新的入园申请：{name}")
    expect(notice).to_contain_text("请及时评审")
    manager.shot("通知列表")

    manager.follow(notice.get_by_role("link", name=f"收到新的入园申请：{name}"))
    expect(manager.page.locator("h1")).to_contain_text(name)
    manager.shot("打开通知后的申请")

    manager.follow(bell)
    expect(manager.page.locator(".notification.unread").filter(has_text=name)).to_have_count(0)
    if unread_before == 0:
        expect(manager.page.locator("#unread-count")).to_have_count(0)
        manager.click_link("未读")
        manager.see("没有未读通知。")

    manager.click_link("通知设置")
    expect(manager.page.locator("h1")).to_have_text("通知设置")
    manager.see("收到入园申请", "孵化即将到期", "站内")
    manager.fill("电子邮箱", "not an address")
    manager.click_button("保存通知设置")
    manager.see("请填写有效的电子邮箱")
    manager.fill("电子邮箱", "fangxing@baohe.example.cn")
    manager.click_button("保存通知设置")
    manager.see("通知设置已保存")
    expect(manager.page.get_by_label("电子邮箱")).to_have_value("fangxing@baohe.example.cn")
    manager.shot("通知设置", guide="notifications-settings-phone")
    assert server.sql("SELECT email FROM users WHERE username = 'fangxing-mgr'") == [("fangxing@baohe.example.cn",)]


def test_an_organizations_contact_learns_the_decision_in_the_inbox(people, server):
    org_id, name = server.sql(
        "SELECT o.id, o.name FROM organizations o JOIN users u ON u.organization_id = o.id "
        "WHERE u.username = 'contact-wu'")[0]
    server.sql("UPDATE organizations SET stage = 'reviewing', incubation_start = NULL, incubation_due = NULL "
               "WHERE id = ?", org_id)
    # (the demo's own notices: its supervision logs and grants may have told her of things already)
    unread_before = server.sql("SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id "
                               "WHERE u.username = 'contact-wu' AND n.read_at IS NULL")[0][0]
    manager = people("desktop", name="manager")
    manager.login("wannianbu-mgr")
    manager.goto(f"/orgs/{org_id}")
    manager.choose("变更为", "未通过")
    manager.fill("理由", "服务对象与园区定位不符，建议申请街道微创投。")
    with manager.confirming("不通过", name):
        manager.click_button("变更阶段")
    manager.see("阶段已变更为：未通过")

    contact = people("phone", name="contact")
    contact.login("contact-wu")
    expect(contact.page.locator("#unread-count")).to_have_text(str(unread_before + 1))
    contact.follow(contact.page.locator("#notification-bell"))
    expect(contact.page.locator(".notification.unread").first).to_contain_text(f"入园申请未通过：{name}")
    contact.see("服务对象与园区定位不符，建议申请街道微创投。")
    contact.shot("申请结果的通知", guide="notifications-inbox-phone")
