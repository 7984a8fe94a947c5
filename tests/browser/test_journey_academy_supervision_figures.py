"""Journey: the academy's and the supervision's figures in the district's report (年度统计, issue 13).
The administrator sets this year's target for 培训人次 in the district park and sees it on the
dashboard, then reads 培训 and 督导 for the year of the demo's finished class: its trainees by park,
course category and course, the hours by expert. 万年埠街道's manager reads the street's class on a
phone."""
from datetime import timedelta

from playwright.sync_api import expect

from incubator.dates import today

from .crawler import SQUEEZED

DISTRICT, WANNIANBU = "包河区社会组织创新园", "万年埠街道社会组织孵化园"


def number(cell) -> float:
    return float(cell.inner_text().replace(",", "") or 0)


def report_year(area, key: str) -> float:
    """The figure's value in the report's year (the bold cell: the one a phone shows too)."""
    return number(area.locator(f"tr[data-key='{key}'] td.fw-bold"))


def test_the_administrator_reads_training_and_supervision_and_sets_a_target(people, server):
    this_year = today().year
    # The demo's finished class (24 seated in the district park) began 35 days ago; the class under
    # way in 万年埠 (18 seated) 10 days ago.
    year = (today() - timedelta(days=35)).year
    admin = people("desktop", name="admin")
    admin.login("admin")
    admin.click_menu("年度统计")
    admin.click_link("年度目标")
    target = admin.page.get_by_label(f"{DISTRICT} 培训人次")
    target.fill("30")
    admin.click_button("保存目标")
    admin.see(f"已保存 {this_year} 年度目标")
    expect(target).to_have_value("30")
    admin.click_menu("工作台")
    expect(admin.page.locator(".dashboard-targets")).to_contain_text("培训人次")

    admin.click_menu("年度统计")
    admin.choose("年度", f"{year} 年")
    admin.click_button("查看")
    expect(admin.page.locator("h1")).to_contain_text(f"{year} 年度统计")
    training = admin.page.locator("section[data-area='培训']")
    supervision = admin.page.locator("section[data-area='督导']")
    expect(training.locator("h2")).to_have_text("培训")
    expect(supervision.locator("h2")).to_have_text("督导")
    admin.see("培训人次", "培训人数", "开班", "结业", "培训学时", "开展督导", "督导时长", "受督导组织")
    running_too = (today() - timedelta(days=10)).year == year
    assert report_year(training, "academy.enrolments") == (42 if running_too else 24)
    assert report_year(training, "academy.offerings") == (2 if running_too else 1)
    assert report_year(training, "academy.hours") == 12 * report_year(training, "academy.completions") > 0
    training.get_by_text("培训人次 的分布").click()
    spread = training.locator("details[open]")
    expect(spread).to_contain_text(f"按园区：{DISTRICT} 24")
    expect(spread).to_contain_text("按课程类别：社区治理 24")
    expect(spread).to_contain_text("按课程：社区参与式治理 24")
    if running_too:
        expect(spread).to_contain_text(f"{WANNIANBU} 18")
    assert report_year(supervision, "mentoring.hours") > 0
    supervision.get_by_text("督导时长 的分布").click()
    expect(supervision.locator("details[open]")).to_contain_text("按专家：")
    expect(supervision.locator("details[open]")).to_contain_text("督导")
    admin.shot("年度统计的培训与督导")


def test_a_street_manager_reads_the_streets_class_on_a_phone(people, server):
    manager = people("phone", name="manager")
    manager.login("wannianbu-mgr")
    manager.click_menu("年度统计")
    expect(manager.page.locator("h1")).to_contain_text(WANNIANBU)
    training = manager.page.locator("section[data-area='培训']")
    expect(training).to_contain_text("培训人次")
    if (today() - timedelta(days=10)).year == today().year:
        assert report_year(training, "academy.enrolments") == 18
        training.get_by_text("培训人次 的分布").click()
        expect(training.locator("details[open]")).to_contain_text("按课程：社区社会组织培育孵化 18")
    expect(manager.page.locator("section[data-area='督导'] h2")).to_have_text("督导")
    squeezed = manager.page.evaluate(SQUEEZED)
    assert not squeezed, f"table cells one character wide: {squeezed[:3]}"
    manager.shot("街道的培训统计")
