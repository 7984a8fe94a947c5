"""Journey 2: a park manager. From the to-do on the dashboard to the newest application, through
评审 and 入园孵化 (a step that asks first — and that does nothing when the manager says no), a renewal
(续驻) with its reason, and a transfer to a park the manager does not manage, after which they land on
a page they may see. And the organization list and page on a phone: no sideways scrolling."""
from datetime import date

from playwright.sync_api import expect

# Parks with a demo manager, and who manages them.
MANAGERS = {"district": "district-mgr", "fangxing": "fangxing-mgr", "changqing": "changqing-mgr",
            "wannianbu": "wannianbu-mgr", "yunhua": "wannianbu-mgr", "wanci": "wannianbu-mgr"}


def newest_application(server):
    """The newest application (申请) in a park that has a manager: (id, name, park code)."""
    rows = server.sql("SELECT o.id, o.name, p.code FROM organizations o JOIN parks p ON p.id = o.park_id "
                      "WHERE o.stage = 'applied' ORDER BY o.id DESC")
    return next(row for row in rows if row[2] in MANAGERS)


def stage_of(server, org_id):
    return server.sql("SELECT stage FROM organizations WHERE id = ?", org_id)[0][0]


def test_a_manager_takes_an_application_through_admission_renewal_and_transfer(people, server):
    org_id, name, park_code = newest_application(server)
    manager_name = MANAGERS[park_code]
    managed = {code for code, who in MANAGERS.items() if who == manager_name}
    away_code = "fangxing" if "district" in managed else "district"
    away = server.sql("SELECT name FROM parks WHERE code = ?", away_code)[0][0]
    manager = people("desktop", name="manager")

    # Logging in lands on the dashboard, where the new applications wait as a to-do.
    manager.login(manager_name)
    expect(manager.page.locator("h1")).to_contain_text("工作台")
    manager.see("待办", "新的入园申请待受理")
    manager.shot("工作台待办", guide="manager-dashboard")

    manager.click_link("新的入园申请待受理")
    expect(manager.page.locator("h1")).to_have_text("社会组织")
    manager.see(name)
    manager.shot("待受理的申请", guide="manager-applications")

    manager.page.locator(f'table a[href="/orgs/{org_id}"]').click()
    expect(manager.page.locator("h1")).to_contain_text(name)
    manager.see("申请")
    # Nothing is chosen for the manager: the stage select starts empty.
    expect(manager.page.get_by_label("变更为")).to_have_value("")
    manager.shot("申请详情", guide="manager-application")

    # 评审: an ordinary step, asked nothing.
    manager.choose("变更为", "评审")
    manager.fill("理由", "材料齐全，进入评审", exact=True)
    manager.click_button("变更阶段")
    manager.see("阶段已变更为：评审")
    assert stage_of(server, org_id) == "reviewing"
    manager.shot("进入评审")

    # 入园孵化 asks first; saying no leaves everything as it was.
    manager.choose("变更为", "入园孵化")
    manager.fill("理由", "评审通过，准予入园", exact=True)
    with manager.confirming("入园孵化", name, "孵化期从今天开始", accept=False):
        manager.click_button("变更阶段")
    manager.not_see("阶段已变更为：入园孵化")
    expect(manager.page.locator("h1 .badge")).to_have_text("评审")
    assert stage_of(server, org_id) == "reviewing"
    manager.shot("取消入园确认")

    with manager.confirming("确定让", name, "入园孵化", "不能退回评审"):
        manager.click_button("变更阶段")
    manager.see("阶段已变更为：入园孵化", "评审通过，准予入园")
    expect(manager.page.locator("h1 .badge")).to_have_text("入园孵化")
    assert stage_of(server, org_id) == "incubating"
    manager.shot("入园孵化")

    # 续驻: a later due date and the reason, confirmed.
    due = date.fromisoformat(str(server.sql("SELECT incubation_due FROM organizations WHERE id = ?", org_id)[0][0]))
    new_due = due.replace(year=due.year + 1)
    manager.fill("新的到期日", new_due.isoformat())
    manager.fill("续驻理由", "承接的社区项目尚未结项")
    with manager.confirming("续驻", name, "不能撤销"):
        manager.click_button("续驻", exact=True)
    manager.see(f"已续驻至 {new_due.year}年{new_due.month}月{new_due.day}日", "承接的社区项目尚未结项")
    manager.shot("续驻", guide="manager-renewal")

    # 转园 to a park this manager does not manage: asked first, then back to their own list.
    manager.choose("转入园区", away)
    manager.fill("说明", "升入上级园区继续孵化")
    with manager.confirming(name, away, "你将不能再查看或管理该组织"):
        manager.click_button("转园", exact=True)
    expect(manager.page.locator("h1")).to_have_text("社会组织")
    manager.see(f"已将“{name}”转入{away}，今后由该园区管理。")
    manager.not_see("无权访问")
    assert server.sql("SELECT p.code FROM organizations o JOIN parks p ON p.id = o.park_id WHERE o.id = ?",
                      org_id)[0][0] == away_code
    manager.shot("转园后回到组织列表", guide="manager-transfer")

    # On a phone: the list and an organization page fit the screen (shot() checks for sideways scroll).
    phone = people("phone", name="phone")
    phone.login(manager_name)
    phone.click_link("组织", exact=True)
    expect(phone.page.locator("h1")).to_have_text("社会组织")
    phone.shot("手机组织列表")
    phone.follow(phone.page.locator("table.table-stack tbody tr td a").first)
    expect(phone.page.locator("h1")).to_be_visible()
    phone.see("变更阶段", "组织联系人", "时间线")
    phone.shot("手机组织页面")
