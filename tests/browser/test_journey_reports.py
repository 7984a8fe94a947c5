"""Journey: the district's figures (年度统计). The administrator reads this year's report for the
district and last year's, with the trend charts, downloads the Excel a bureau files and the PDF; sets
a street's targets (年度目标) and sees the progress and the coloured 1+N tree on the dashboard;
chooses the headline figures the public showcase prints, which a visitor then reads on a phone. A
community's manager reads their own park's report on a phone."""
from openpyxl import load_workbook
from playwright.sync_api import expect

from incubator.dates import today


def test_the_administrator_reads_downloads_and_sets_targets(people, server):
    year = today().year
    admin = people("desktop", name="admin")
    admin.login("admin")
    admin.click_menu("年度统计")
    expect(admin.page.locator("h1")).to_contain_text(f"{year} 年度统计")
    admin.see("全区", "孵化", "申请入园", "年末在孵", "出壳")
    entered = admin.page.locator("tr[data-key='orgs.entered'] td").nth(4)
    assert int(entered.inner_text().replace(",", "")) >= 0
    chart = admin.page.locator("section[data-area='孵化'] img.report-chart")
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_visible()
    admin.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    admin.shot("全区年度统计", guide="admin-reports")

    admin.choose("年度", f"{year - 1} 年")
    admin.click_button("查看")
    expect(admin.page.locator("h1")).to_contain_text(f"{year - 1} 年度统计")
    path = admin.download("下载 Excel")
    book = load_workbook(path)
    assert book.sheetnames[0] == "孵化"
    sheet = book["孵化"]
    assert (sheet["A2"].value, sheet["B2"].value, sheet["B3"].value) == ("填报单位", "包河区（全区）", year - 1)
    header = [c.value for c in sheet[6]]
    assert header[:2] == ["指标", "单位"] and f"{year - 1}年" in header
    numbers = [c.value for c in sheet[7][2:7]]
    assert all(isinstance(n, (int, float)) for n in numbers)
    pdf = admin.download("下载 PDF")
    assert pdf.read_bytes().startswith(b"%PDF")

    admin.click_menu("年度统计")
    admin.click_link("年度目标")
    expect(admin.page.locator("h1")).to_have_text(f"{year} 年度目标")
    admin.page.get_by_label("方兴社区社会组织孵化基地 申请入园").fill("8")
    admin.page.get_by_label("方兴社区社会组织孵化基地 出壳").fill("-1")
    admin.click_button("保存目标")
    admin.see("目标应为大于 0 的数")
    admin.page.get_by_label("方兴社区社会组织孵化基地 出壳").fill("2")
    admin.click_button("保存目标")
    admin.see(f"已保存 {year} 年度目标（2 项变更）")
    expect(admin.page.get_by_label("方兴社区社会组织孵化基地 申请入园")).to_have_value("8")
    admin.shot("设定年度目标", guide="admin-targets")

    admin.click_menu("工作台")
    card = admin.page.locator(".dashboard-targets")
    expect(card).to_contain_text(f"{year} 年度目标")
    expect(card.locator(".park-progress-tree li[data-park='fangxing'] .badge")).to_contain_text("%")
    expect(card.locator(".park-progress-tree li[data-park='binhu-mingzhu'] .badge")).to_have_text("未设目标")
    mine = card.locator(".report-targets .border", has_text="方兴社区社会组织孵化基地")
    expect(mine.filter(has_text="申请入园")).to_contain_text("/ 8 家")
    expect(mine.filter(has_text="出壳")).to_contain_text("/ 2 家")
    admin.shot("工作台的年度目标", guide="admin-dashboard-targets")

    admin.click_menu("年度统计")
    admin.click_link("设置成果展示")
    row = admin.page.locator("tr", has=admin.page.get_by_text("孵化 · 出壳（家）", exact=True))
    row.get_by_role("checkbox").first.check()
    row.get_by_label("展示名称").fill("累计孵化出壳社会组织")
    row.get_by_label("显示累计").check()
    admin.click_button("保存")
    admin.see("成果展示已更新")

    visitor = people("phone", name="visitor")
    visitor.goto("/showcase")
    expect(visitor.page.locator("h1")).to_have_text("社区治理成果展示")
    expect(visitor.page.locator(".showcase")).to_contain_text("累计孵化出壳社会组织")
    visitor.shot("成果展示")


def test_a_manager_reads_their_parks_report_on_a_phone(people, server):
    manager = people("phone", name="manager")
    manager.login("fangxing-mgr")
    manager.click_menu("年度统计")
    expect(manager.page.locator("h1")).to_contain_text("方兴社区社会组织孵化基地")
    manager.not_see("全区")
    manager.see("申请入园", "出壳")
    manager.shot("园区年度统计", guide="manager-reports-phone")
    assert manager.goto("/reports?park=changqing").status == 404
