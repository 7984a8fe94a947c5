"""The organization's portal: membership is granted, never claimed. The park's manager hands out an
invitation code; a trainee who redeems it sees the portal of that organization; the organization's
contact lands on the portal (on a phone) with its stage, due date and materials; a stranger gets the
Chinese 403 page, and a code already used gets them nothing."""
from datetime import date

from playwright.sync_api import expect


def chinese(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_an_invitation_code_makes_a_contact_and_a_stranger_gets_nothing(people, server):
    org_id, name, due = server.sql(
        "SELECT o.id, o.name, o.incubation_due FROM organizations o JOIN users u ON u.organization_id = o.id "
        "WHERE u.username = 'contact-zhang'")[0]
    due = date.fromisoformat(str(due))

    # The manager of the organization's park opens it and generates a code.
    manager = people("desktop", name="manager")
    manager.login("district-mgr")
    manager.click_link("组织", exact=True)
    manager.page.get_by_placeholder("名称、信用代码或拼音首字母").fill(name)
    manager.click_button("查询")
    manager.page.locator(f'table a[href="/orgs/{org_id}"]').click()
    expect(manager.page.locator("h1")).to_contain_text(name)
    contacts = manager.page.locator("#contacts")
    expect(contacts).to_contain_text("组织联系人")
    expect(contacts).to_contain_text("张芳")
    manager.shot("组织联系人")

    manager.click_button("生成邀请码")
    expect(manager.page.locator(".new-invitation")).to_contain_text("只显示这一次")
    code = manager.page.locator(".invitation-code").inner_text().strip()
    assert len(code) == 19, code
    manager.see("/portal/join", "14 天内有效")
    manager.shot("新的邀请码", guide="manager-invitation-code")

    # A trainee, told the code and the address, joins.
    chen = people("desktop", name="chen")
    chen.login("trainee-chen")
    chen.goto("/portal/join")
    chen.see("你还不是任何组织的联系人。", "邀请码")
    chen.shot("加入组织", guide="contact-join")
    chen.fill("邀请码", code.lower())
    chen.click_button("加入组织")
    chen.see(f"你已成为“{name}”的联系人。", "孵化期", chinese(due))
    expect(chen.page.locator("h1")).to_contain_text(name)
    expect(chen.page.get_by_role("link", name="我的组织")).to_be_visible()
    assert server.sql("SELECT organization_id FROM users WHERE username = 'trainee-chen'")[0][0] == org_id
    chen.shot("成为联系人后的门户")

    manager.click_link("已记下，完成")
    expect(manager.page.locator("#contacts")).to_contain_text("陈学员")
    manager.not_see(code)  # shown once, never again
    assert tuple(server.sql("SELECT count(*), count(used_at) FROM invitations WHERE organization_id = ?",
                            org_id)[0]) == (1, 1)
    manager.shot("联系人已加入")

    # The organization's long-standing contact logs in on a phone and lands on the portal.
    zhang = people("phone", name="zhang")
    zhang.login("contact-zhang")
    expect(zhang.page).to_have_url(server.url("/portal"))
    expect(zhang.page.locator("h1")).to_contain_text(name)
    zhang.see("入园孵化", "孵化到期", chinese(due), "距孵化到期还有", "材料清单", "登记证书或备案证明", "待办")
    zhang.not_see("变更阶段", "转入园区", "生成邀请码")
    zhang.shot("联系人的门户", guide="contact-portal-phone")

    # A stranger: the used code gives nothing, the organization's page is the Chinese 403.
    wang = people("desktop", name="wang")
    wang.login("trainee-wang")
    wang.goto("/portal/join")
    wang.fill("邀请码", code)
    wang.click_button("加入组织")
    wang.see("该邀请码已被使用")
    assert server.sql("SELECT organization_id FROM users WHERE username = 'trainee-wang'")[0][0] is None
    wang.shot("已用过的邀请码")
    response = wang.goto(f"/orgs/{org_id}")
    assert response.status == 403
    wang.see("无权访问")
    wang.not_see(name)
    wang.shot("陌生人看组织页面")
