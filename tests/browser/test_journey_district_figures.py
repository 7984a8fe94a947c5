"""Journey: the plugins' figures in the district's report (年度统计, issue 13). The administrator reads
the sections the plugins add — 评估, 资金, 志愿服务 — with the demo's grant, volunteer hours and
assessments, opens a figure's breakdown, and sets 方兴社区's target for volunteer hours; 万年埠街道's
manager reads the street's grants on a phone."""
from playwright.sync_api import expect

from incubator.dates import today


def number(cell) -> float:
    return float(cell.inner_text().replace(",", "") or 0)


def years_total(page, key: str) -> float:
    """The figure's values over the years shown (the last cell is the cumulative one)."""
    cells = page.locator(f"tr[data-key='{key}'] td")
    return sum(number(cells.nth(i)) for i in range(cells.count() - 1))


def test_the_administrator_reads_the_plugins_figures_and_sets_a_target(people, server):
    year = today().year
    admin = people("desktop", name="admin")
    admin.login("admin")
    admin.click_menu("年度统计")
    expect(admin.page.locator("h1")).to_contain_text(f"{year} 年度统计")
    for area in ("评估", "资金", "志愿服务"):
        expect(admin.page.locator(f"section[data-area='{area}'] h2")).to_have_text(area)
    admin.see("完成能力评估", "出壳评估较入园评估平均提升", "申报项目", "立项资助项目", "立项资助金额", "拨付资金",
              "登记志愿者", "志愿服务时长", "兑换积分")
    # The demo's round decided one grant today and paid its first tranche.
    this_year = admin.page.locator("tr[data-key='microgrant.grants'] td.fw-bold")
    assert number(this_year) == 1
    assert years_total(admin.page, "passport.hours") > 0
    funding = admin.page.locator("section[data-area='资金']")
    funding.get_by_text("立项资助金额 的分布").click()
    expect(funding.locator("details[open]")).to_contain_text("按园区：万年埠街道社会组织孵化园")
    expect(funding.locator("details[open]")).to_contain_text("按类别：")
    admin.shot("年度统计的资金与志愿服务")

    admin.click_link("年度目标")
    expect(admin.page.locator("h1")).to_have_text(f"{year} 年度目标")
    hours = admin.page.get_by_label("方兴社区社会组织孵化基地 志愿服务时长")
    hours.fill("200")
    admin.click_button("保存目标")
    admin.see(f"已保存 {year} 年度目标")
    expect(hours).to_have_value("200")
    admin.click_menu("工作台")
    expect(admin.page.locator(".dashboard-targets")).to_contain_text("志愿服务时长")


def test_a_street_manager_reads_its_grants_on_a_phone(people, server):
    manager = people("phone", name="manager")
    manager.login("wannianbu-mgr")
    manager.click_menu("年度统计")
    expect(manager.page.locator("h1")).to_contain_text("万年埠街道社会组织孵化园")
    funding = manager.page.locator("section[data-area='资金']")
    expect(funding).to_contain_text("立项资助项目")
    assert number(funding.locator("tr[data-key='microgrant.grants'] td.fw-bold")) == 1
    funding.get_by_text("立项资助项目 的分布").click()
    expect(funding.locator("details[open]")).to_contain_text("按园区：万年埠街道社会组织孵化园 1")
    manager.shot("街道的微创投统计")
