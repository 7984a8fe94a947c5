"""Journey: the district administrator merges duplicates (合并重复组织). 包河社工服务中心 was registered
a second time, as "包河社工服务中心（筹）"; from the organization's page the administrator opens
合并重复组织, picks the duplicate (suggested, or found by searching its name), sees what will move,
confirms, and lands on the kept organization, whose timeline now holds the other's history. On a
desktop and on a 390 px phone."""
from playwright.sync_api import expect

KEPT = "包河社工服务中心"
DUPLICATE = "包河社工服务中心（筹）"


def register_duplicate(person) -> None:
    person.goto("/orgs/new")
    person.fill("组织名称", DUPLICATE)
    person.choose("类别", "社工服务类")
    person.choose("登记状态", "未登记")
    person.fill("联系人", "李明")
    person.fill("联系电话", "13800001111")
    person.fill("服务区域", "包河区")
    person.click_button("保存")
    person.see(f"已登记：{DUPLICATE}")


def open_kept(person) -> None:
    person.goto("/orgs")
    person.page.get_by_placeholder("名称、信用代码或拼音首字母").fill(KEPT)
    person.click_button("查询")
    person.click_link(KEPT, exact=True)
    expect(person.page.locator("h1")).to_contain_text(KEPT)


def merge_journey(person, server, *, search: bool) -> None:
    person.login("admin")
    register_duplicate(person)
    [(dup_id,)] = server.sql("SELECT id FROM organizations WHERE name = ?", DUPLICATE)
    [(kept_id,)] = server.sql("SELECT id FROM organizations WHERE name = ?", KEPT)
    open_kept(person)
    person.click_link("合并重复组织")
    expect(person.page.locator("h1")).to_have_text("合并重复组织")
    if search:  # found by typing its name, as a person who knows it would
        person.fill("搜索组织", "（筹）")
        person.click_button("搜索", exact=True)
    candidates = person.page.locator(".merge-candidates li")
    expect(candidates.filter(has_text=DUPLICATE)).to_have_count(1)
    person.shot("选择重复的组织")
    candidates.filter(has_text=DUPLICATE).get_by_role("link", name="选择").click()
    person.page.wait_for_load_state()
    plan = person.page.locator(".merge-plan")
    expect(plan).to_contain_text(f"合并“{DUPLICATE}”")
    expect(plan.locator(".merge-moves")).to_contain_text("阶段变更：1 条")
    person.fill("说明", "同一组织重复登记")
    if person.kind == "desktop":
        person.shot("将并入的记录", guide="admin-merge")
    else:
        person.shot("将并入的记录")
    with person.confirming(f"确定将“{DUPLICATE}”合并到“{KEPT}”吗？"):
        person.click_button("确认合并")
    expect(person.page.locator("h1")).to_contain_text(KEPT)
    person.see(f"已将“{DUPLICATE}”合并到本组织：阶段变更 1 条")
    expect(person.page.locator(".timeline")).to_contain_text("由园区登记")  # the duplicate's history
    person.shot("合并完成")
    assert server.sql("SELECT count(*) FROM organizations WHERE id = ?", dup_id) == [(0,)]
    assert server.sql("SELECT count(*) FROM transitions WHERE organization_id = ?", kept_id)[0][0] >= 2
    [(summary,)] = server.sql("SELECT summary FROM audit_entries WHERE action = 'org.merge'")
    assert DUPLICATE in summary and KEPT in summary


def test_administrator_merges_a_duplicate(person, server):
    merge_journey(person, server, search=False)


def test_administrator_merges_a_duplicate_on_a_phone(phone_person, server):
    merge_journey(phone_person, server, search=True)
