"""Journey 6 — 义粉护照: 方兴社区's manager creates an activity, records a volunteer's service (on a
phone, at the event), sees the points on the volunteer's passport, and redeems a gift in the open
redemption window (with a confirmation): the balance and the gift's stock go down."""
import re
from datetime import timedelta

from playwright.sync_api import expect

from incubator.dates import today

ACTIVITY = "社区花园认养日"
VOLUNTEER = "王秀英"
GIFT = "环保购物袋"


def balance_on_passport(person) -> int:
    return int(person.page.locator("#passport-balance strong").inner_text())


def test_a_community_manager_runs_an_activity_and_redeems_a_gift(people, server):
    manager = people("desktop", name="manager")
    manager.login("fangxing-mgr")
    manager.shot("登录后的工作台")

    manager.click_link("义粉护照", exact=True)
    expect(manager.page.locator("h1")).to_contain_text("方兴社区")
    row = manager.page.locator("#volunteers tbody tr", has_text=VOLUNTEER)
    number = row.locator("td").first.inner_text().strip()  # the number on the volunteer's passport card
    before = int(row.locator("td").nth(5).inner_text())
    manager.shot("志愿者名单")

    # 新建活动: the form ends with its button (it had none)
    manager.click_link("志愿活动")
    manager.fill("活动名称", ACTIVITY)
    manager.choose("组织方", "方兴社区社会组织孵化基地（社区自办）")
    expect(manager.page.get_by_label("活动日期")).to_have_value(today().isoformat())
    manager.fill("活动日期", (today() - timedelta(days=1)).isoformat())
    manager.fill("地点", "方兴社区口袋公园")
    manager.fill("说明", "认养花池、除草浇水，每半小时计 1 分。")
    manager.shot("新建活动表单")
    manager.click_button("新建活动")
    manager.see("已新建活动", ACTIVITY, "方兴社区口袋公园")
    manager.shot("活动页")

    # At the event the organizer records the service on a phone (谁组织谁记录).
    phone = people("phone", name="phone")
    phone.login("fangxing-mgr")
    phone.click_link("义粉护照", exact=True)
    phone.click_link("志愿活动")
    phone.click_link(ACTIVITY)
    phone.fill("志愿者（护照编号、手机号或身份证号）", number)
    phone.fill("服务时长（分钟）", "90")
    phone.shot("手机上登记服务时长", guide="manager-passport-record-phone")
    phone.click_button("记录服务")
    phone.see("已记录服务时长", VOLUNTEER)
    served = phone.page.locator("table tbody tr", has_text=VOLUNTEER)
    points = int(served.locator("td").nth(3).inner_text())
    assert points == 3  # 90 minutes at 1 point per half hour
    phone.shot("手机上的服务记录")

    # The points show on the volunteer's passport.
    manager.page.reload()
    manager.click_link(VOLUNTEER)
    manager.see("义粉护照", VOLUNTEER, ACTIVITY)
    assert balance_on_passport(manager) == before + points
    manager.shot("护照上的积分")

    # Redeem a gift in the open window; open one through the page if none is open today.
    if manager.page.get_by_text("当前不在兑换窗口期内").count():
        manager.click_link("兑换窗口与礼品")
        manager.fill("窗口名称", "本期兑换")
        manager.fill("开始日期", today().isoformat())
        manager.fill("结束日期", (today() + timedelta(days=10)).isoformat())
        manager.click_button("新建", exact=True)
        manager.see("已新建兑换窗口")
        manager.click_link("志愿者")
        manager.click_link(VOLUNTEER)
    manager.see("兑换窗口：")
    option = manager.page.locator("select[name=gift_id] option", has_text=GIFT).inner_text()
    cost, stock = (int(n) for n in re.search(r"（(\d+) 分，库存 (\d+)）", option).groups())
    manager.choose("礼品", option)
    manager.fill("数量", "1")
    manager.shot("兑换礼品", guide="manager-passport-redeem")
    balance = balance_on_passport(manager)
    with manager.confirming("确定为 王秀英 兑换", "不能撤销"):
        manager.click_button("兑换", exact=True)
    manager.see(f"已兑换：{GIFT} × 1")
    assert balance_on_passport(manager) == balance - cost
    expect(manager.page.locator("table tbody tr").last).to_contain_text(GIFT)  # the newest entry
    manager.shot("兑换后的余额")

    manager.click_link("方兴社区社会组织孵化基地的志愿者")
    manager.click_link("兑换窗口与礼品")
    gift_row = manager.page.locator("#gifts tbody tr", has_text=GIFT)
    expect(gift_row.locator("td").nth(2)).to_have_text(str(stock - 1))
    manager.shot("礼品库存减少")
    assert server.sql("SELECT stock FROM passport_gifts WHERE name = ?", GIFT) == [(stock - 1,)]
