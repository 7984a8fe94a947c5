"""Journey 7 — 公益微创投: 万年埠街道's manager opens a round with an expert → an organization's
contact applies for their own organization → the expert scores → the manager decides (立项, with a
confirmation) and pays the first tranche (拨付, with a confirmation) → the contact sees the project
approved and the tranche paid, on a desktop and on a phone."""
from datetime import timedelta

from playwright.sync_api import expect

from incubator.dates import today

ROUND = "2026年万年埠街道第二轮公益微创投"
PROJECT = "银龄助餐互助站"


def test_a_street_runs_a_micro_grant_round_from_opening_to_payment(people, server):
    (org_name,) = server.sql("SELECT o.name FROM organizations o JOIN users u ON u.organization_id = o.id "
                             "WHERE u.username = 'contact-wu'")[0]

    # 1. The manager opens a round (开设新一轮) with its categories, budget cap, dates and expert.
    manager = people("desktop", name="manager")
    manager.login("wannianbu-mgr")
    manager.click_link("公益微创投", exact=True)
    manager.shot("公益微创投首页")
    manager.click_link("开设新一轮")
    manager.fill("本轮名称", ROUND)
    manager.fill("总预算（元）", "200000")
    manager.fill("单个项目资助上限（元）", "30000")
    manager.fill("项目类别（每行一个）", "为老服务\n便民服务\n社区公约")
    day = today()
    for label, offset in (("申报开始", 0), ("申报截止", 0), ("评审开始", 0), ("评审截止", 14), ("执行开始", 15),
                          ("执行结束", 200)):
        manager.fill(label, (day + timedelta(days=offset)).isoformat())
    manager.page.get_by_label("李督导（expert-li）").check()
    manager.shot("开设新一轮表单")
    manager.click_button("开设本轮")
    manager.see(f"已开设 {ROUND}", "¥200,000.00", "¥30,000.00", "为老服务、便民服务、社区公约")
    expect(manager.page.get_by_label("李督导（expert-li）")).to_be_checked()
    manager.shot("新一轮的页面")

    # 2. The organization's contact applies for their own organization (no choosing another).
    contact = people("desktop", name="contact")
    contact.login("contact-wu")
    contact.click_link("公益微创投", exact=True)
    contact.see(f"{org_name}的申报项目")
    contact.click_link(ROUND)
    contact.click_link("申报项目", exact=True)
    expect(contact.page.locator("#applicant")).to_have_text(org_name)
    expect(contact.page.get_by_label("申报组织")).to_have_count(0)
    contact.fill("项目名称", PROJECT)
    contact.choose("项目类别", "为老服务")
    contact.fill("项目目标", "为社区独居老人提供每周三次的助餐与探访。")
    contact.fill("受益对象", "万年埠街道独居、高龄老人")
    contact.fill("预计受益人数", "120")
    contact.fill("第1项 预算项目", "助餐食材补贴", exact=True)
    contact.fill("第1项 金额（元）", "12000", exact=True)
    contact.fill("第2项 预算项目", "志愿者交通与保险", exact=True)
    contact.fill("第2项 金额（元）", "3000", exact=True)
    contact.shot("组织联系人申报项目", guide="contact-grant-apply")
    contact.click_button("提交申报")
    contact.see(f"已申报：{PROJECT}", "已申报", "¥15,000.00", org_name)
    contact.shot("申报已提交")

    # 3. The assigned expert scores it.
    expert = people("desktop", name="expert")
    expert.login("expert-li")
    expert.click_link("公益微创投", exact=True)
    expert.click_link(ROUND)
    expert.click_link(PROJECT)
    for label, mark in (("需求明确", "18"), ("方案可行", "26"), ("预算合理", "17"), ("居民参与", "18"), ("可持续性", "8")):
        expert.fill(f"{label}（0–", mark)
    expert.fill("评审意见", "需求清楚，预算合理，建议加强志愿者培训。")
    expert.shot("专家评分", guide="expert-grant-score")
    expert.click_button("保存评分")
    expert.see("已保存评分", "87")
    expert.shot("评分已保存")

    # 4. The manager finds the decision among the to-dos and decides: 立项, with an amount (confirmed).
    manager.click_link("工作台")
    manager.see(f"{ROUND}：申报项目待立项决定")
    manager.shot("工作台上的待办")
    manager.click_link(f"{ROUND}：申报项目待立项决定")
    manager.see(PROJECT, "平均 87.0 / 100")
    manager.choose("决定", "立项资助")
    manager.fill("资助金额（元）", "10000")
    manager.fill("说明", "评审通过，资助 1 万元。")
    manager.shot("立项决定", guide="manager-grant-decision")
    with manager.confirming("确定立项资助吗", "不能撤销"):
        manager.click_button("保存决定")
    manager.see("已立项", "资助与拨付：立项 ¥10,000.00，已拨付 ¥0.00")
    manager.shot("已立项")

    # 5. … and pays the first tranche (60%), confirmed.
    with manager.confirming("第1期 ¥6,000.00", "不能撤销"):
        manager.click_button("拨付", exact=True)
    manager.see("已拨付第1期", "资助与拨付：立项 ¥10,000.00，已拨付 ¥6,000.00")
    tranche = manager.page.locator("#tranches tbody tr").first
    expect(tranche).to_contain_text("已拨付")
    manager.shot("首期已拨付", guide="manager-grant-paid")
    assert server.sql("SELECT t.seq, t.amount_fen, t.status FROM microgrant_tranches t "
                      "JOIN microgrant_applications a ON a.id = t.application_id WHERE a.title = ? ORDER BY t.seq",
                      PROJECT) == [(1, 600_000, "paid"), (2, 400_000, "pending")]

    # 6. The contact sees the project approved and the tranche paid …
    contact.click_link("公益微创投", exact=True)
    own = contact.page.locator("#own-applications tbody tr", has_text=PROJECT)
    expect(own).to_contain_text("已立项")
    expect(own).to_contain_text("¥10,000.00")
    expect(own).to_contain_text("¥6,000.00")
    contact.shot("联系人看到已立项")
    contact.click_link(PROJECT)
    expect(contact.page.locator("#application-status")).to_have_text("已立项")
    expect(contact.page.locator("#tranches tbody tr").first).to_contain_text("已拨付")
    contact.not_see("保存决定")
    expect(contact.page.get_by_role("button", name="拨付", exact=True)).to_have_count(0)
    contact.shot("联系人看到首期已拨付", guide="contact-grant-paid")
    contact.click_link("我的组织", exact=True)  # the organization's portal shows its micro-grant projects
    panel = contact.page.locator(".card", has=contact.page.locator(".card-header", has_text="公益微创投项目"))
    expect(panel).to_contain_text(PROJECT)
    expect(panel).to_contain_text("已立项")
    expect(panel).to_contain_text("已拨付 ¥6,000.00")
    contact.shot("组织门户里的微创投项目")

    # … and on a phone, where the tables fold into cards.
    phone = people("phone", name="phone")
    phone.login("contact-wu")
    phone.click_link("公益微创投", exact=True)
    phone.see(PROJECT, "已立项")
    phone.shot("手机上的申报项目")
    phone.click_link(PROJECT)
    phone.see("第1期", "已拨付")
    phone.shot("手机上的拨付")
    phone_manager = people("phone", name="phone-manager")
    phone_manager.login("wannianbu-mgr")
    phone_manager.click_link("公益微创投", exact=True)
    phone_manager.click_link(ROUND)
    phone_manager.see(PROJECT, org_name)
    phone_manager.shot("手机上的轮次页")
