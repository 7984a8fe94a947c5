"""Journey: the menu's to-dos as the district grows, on a desktop and at 390 px. A park with more than
99 overdue incubations and follow-up actions shows "99+" in the menu, in the to-do list and in the
mentoring widget; the to-do leads to the list, whose phone layout labels each cell; and a move the
manager makes shows in the to-dos at the next page (they are kept only until a write)."""
from datetime import date, timedelta

from playwright.sync_api import expect


def overdue_in_fangxing(server) -> int:
    """120 organizations of 方兴 past their due date and 101 overdue follow-up actions, written
    before anybody opens a page (straight into the database: no process has kept any to-do yet)."""
    park_id = server.sql("SELECT id FROM parks WHERE code = 'fangxing'")[0][0]
    due, start = date.today() - timedelta(days=10), date.today() - timedelta(days=740)
    for i in range(120):
        server.sql("INSERT INTO organizations (name, name_initials, category, registration_status, contact_name, "
                   "contact_phone, service_area, description, park_id, stage, incubation_start, incubation_due, "
                   "created_at, updated_at) VALUES (?, ?, '社工服务类', 'unregistered', '张芳', '13912345678', '', '', "
                   "?, 'incubating', ?, ?, ?, ?)", f"逾期社工服务中心{i}", f"yqsg{i}", park_id, start.isoformat(),
                   due.isoformat(), start.isoformat(), start.isoformat())
    logs = server.sql("SELECT l.id, l.organization_id FROM mentoring_logs l JOIN organizations o "
                      "ON o.id = l.organization_id WHERE o.park_id = ? LIMIT 1", park_id)
    if logs:
        log_id, org_id = logs[0]
        for i in range(101):
            server.sql("INSERT INTO mentoring_actions (log_id, organization_id, description, owner, due_on) "
                       "VALUES (?, ?, ?, '王静', ?)", log_id, org_id, f"跟进事项{i}", due.isoformat())
    return park_id


def applied_in(server, park_id) -> int:
    return server.sql("SELECT count(*) FROM organizations WHERE park_id = ? AND stage = 'applied'", park_id)[0][0]


def test_a_manager_sees_99_plus_and_a_move_shows_at_the_next_page(people, server):
    park_id = overdue_in_fangxing(server)
    manager = people("desktop", name="manager")
    manager.login("fangxing-mgr")
    expect(manager.page.locator("h1")).to_contain_text("工作台")
    expect(manager.page.locator("span[title='未完成的待办']")).to_have_text("99+")
    overdue = manager.page.locator(".todos li", has_text="孵化已到期，请续驻、出壳或退出")
    expect(overdue.locator(".badge")).to_have_text("99+")
    manager.see("99+ 项督导跟进事项已逾期。")
    manager.shot("待办99+")

    # The to-do leads to the overdue organizations.
    manager.click_link("孵化已到期，请续驻、出壳或退出")
    expect(manager.page.locator("h1")).to_have_text("社会组织")
    manager.see("逾期社工服务中心")

    # A move made by the manager shows in the to-dos at the next page.
    before = applied_in(server, park_id)
    org_id = server.sql("SELECT id FROM organizations WHERE park_id = ? AND stage = 'applied' ORDER BY id DESC",
                        park_id)[0][0]
    manager.goto(f"/orgs/{org_id}")
    manager.choose("变更为", "评审")
    manager.fill("理由", "材料齐全，进入评审", exact=True)
    manager.click_button("变更阶段")
    manager.see("阶段已变更为：评审")
    manager.goto("/dashboard")
    applied = manager.page.locator(".todos li", has_text="新的入园申请待受理")
    if before - 1 == 0:
        expect(applied).to_have_count(0)
    else:
        expect(applied.locator(".badge")).to_have_text("99+" if before - 1 > 99 else str(before - 1))

    # On a phone: the same count, and the list labels each cell of the stacked rows.
    phone = people("phone", name="phone")
    phone.login("fangxing-mgr")
    phone.open_menu()
    expect(phone.page.locator("span[title='未完成的待办']")).to_have_text("99+")
    phone.see("99+ 项督导跟进事项已逾期。")
    phone.shot("手机待办99+")
    phone.goto("/orgs?overdue=1")
    first = phone.page.locator("table.table-stack tbody tr").first
    expect(first.locator("td[data-label='孵化到期']")).to_be_visible()
    expect(first.locator("td[data-label='阶段']")).to_contain_text("入园孵化")
    phone.shot("手机逾期组织")
