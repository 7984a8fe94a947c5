"""Journeys: bringing a district's other records in (issue 12) — 方兴社区's manager imports the
community's volunteer list (an .xlsx) into the passport: a new volunteer, one the passport knows by
the ID number, one with a wrong ID number; the preview shows masked ID numbers only, the good rows
go in and the volunteers are on the passport's list. The administrator imports a past micro-grant
round of 万年埠街道 with its grants and sees the round, finished, with its total. At 390 px the
preview reads without sideways scrolling."""
from __future__ import annotations

import io

from openpyxl import Workbook
from playwright.sync_api import expect

from plugins.passport import idcard

from .importing import badge, open_importer, upload

KNOWN_ID = idcard.make("34011119500110100")  # 王秀英 of the demo (plugins/passport/demo.py)
NEW_ID = idcard.make("34011119880512321")
OTHER_ID = idcard.make("34011119910203456")
BAD_ID = NEW_ID[:-1] + ("1" if NEW_ID[-1] == "0" else "0")  # a wrong check digit
ROUND = "2023年万年埠街道公益微创投"


def xlsx(folder, name: str, rows: list[list]):
    """A workbook as an office makes one, the ID numbers typed as text."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


def volunteer_rows(person):
    return [["姓名", "身份证号", "手机", "园区"],
            ["何春燕", NEW_ID, "13955106001", ""],
            ["王秀英", KNOWN_ID, "13955106002", "fangxing"],
            ["钱多多", BAD_ID, "13955106003", ""],
            ["林晓峰", OTHER_ID, "13955106004", "方兴社区社会组织孵化基地"]]


def test_a_community_manager_imports_the_volunteer_list(person, server):
    person.login("fangxing-mgr")
    open_importer(person, "导入志愿者")
    person.shot("导入志愿者")
    path = xlsx(person.folder, "方兴社区志愿者名单.xlsx", volunteer_rows(person))
    upload(person, path)

    expect(badge(person, "create")).to_have_text("新建 2")
    expect(badge(person, "update")).to_have_text("更新 1")
    expect(badge(person, "error")).to_have_text("有错误 1")
    problem = person.page.locator(".import-problems tbody tr")
    expect(problem).to_have_count(1)
    expect(problem.locator("td").nth(0)).to_have_text("第 4 行")
    expect(problem.locator("td").nth(1)).to_have_text("身份证号")
    expect(problem.locator("td").nth(2)).to_have_text("身份证号码校验位不正确")
    matched = person.page.locator(".import-matches tr[data-row='3']")
    expect(matched.locator("td").nth(2)).to_contain_text("王秀英")
    expect(matched.locator("td").nth(3)).to_have_text("身份证号相同")
    expect(matched.locator("td").nth(4)).to_have_text("手机")
    expect(person.page.get_by_label("第 3 行的处理")).to_have_value("update")
    creates = person.page.locator(".import-creates")
    expect(creates).to_contain_text(idcard.mask(NEW_ID))
    expect(person.page.locator("main, body").first).not_to_contain_text(NEW_ID)  # masked, never the number
    person.shot("预览：身份证号脱敏显示")

    person.click_button("仅导入无误的 3 行")
    expect(person.page.locator("h1")).to_have_text("导入完成")
    expect(person.page.locator(".import-outcome")).to_contain_text("新建：2")
    expect(person.page.locator(".import-outcome")).to_contain_text("更新：1")
    person.shot("导入完成")

    person.click_link("查看志愿者")
    expect(person.page.locator("h1")).to_contain_text("义粉护照")
    listed = person.page.locator("#volunteers tbody tr")
    for name, number in (("何春燕", NEW_ID), ("林晓峰", OTHER_ID)):
        row = listed.filter(has_text=name)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(idcard.mask(number))
    expect(listed.filter(has_text="钱多多")).to_have_count(0)
    expect(listed.filter(has_text="王秀英")).to_contain_text("139****6002")
    person.shot("护照的志愿者名单")
    assert server.sql("SELECT count(*) FROM passport_volunteers WHERE name = '王秀英'") == [(1,)]
    assert server.sql("SELECT count(*) FROM passport_volunteers WHERE id_masked = ?", idcard.mask(NEW_ID)) == [(1,)]


def test_the_administrator_imports_a_past_round_and_sees_its_total(person, server):
    orgs = [name for (name,) in server.sql(
        "SELECT o.name FROM organizations o JOIN parks p ON p.id = o.park_id WHERE p.code = 'wannianbu' "
        "ORDER BY o.id LIMIT 3")]
    assert len(orgs) == 3
    person.login("admin")
    open_importer(person, "导入历年微创投项目")
    path = xlsx(person.folder, "2023年微创投.xlsx", [
        ["轮次名称", "年度", "项目名称", "组织名称", "资助金额", "状态", "申请金额", "类别", "拨付日期"],
        [ROUND, 2023, "楼道微更新", orgs[0], "30,000", "已结项", "35,000.00", "便民服务", "2023-12-15"],
        [ROUND, 2023, "长者助餐", orgs[1], 12345.5, "已结项", 20000, "为老服务", "2023/11/30"],
        [ROUND, 2023, "读书角", orgs[2], "", "未通过", "8000", "便民服务", ""],
    ])
    upload(person, path, park="万年埠街道社会组织孵化园")
    expect(badge(person, "create")).to_have_text("新建 3")
    expect(badge(person, "error")).to_have_text("有错误 0")
    creates = person.page.locator(".import-creates")
    expect(creates).to_contain_text("¥12,345.50")
    expect(creates).to_contain_text("已结项")
    person.shot("预览：历年微创投项目")
    person.click_button("确认导入")
    expect(person.page.locator("h1")).to_have_text("导入完成")
    expect(person.page.locator(".import-outcome")).to_contain_text("新建：3")

    person.click_link("查看历年微创投项目")
    row = person.page.locator("tr", has=person.page.get_by_role("link", name=ROUND))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("已结束")
    expect(row).to_contain_text("¥42,345.50")
    person.shot("微创投首页：导入的轮次")
    person.follow(row.get_by_role("link", name=ROUND))
    expect(person.page.locator("h1")).to_contain_text(ROUND)
    person.see("¥42,345.50", "楼道微更新", "长者助餐", "读书角", "未立项")
    person.shot("导入的轮次")
    assert server.sql("SELECT budget_fen, committed_fen FROM microgrant_rounds WHERE title = ?", ROUND) == [
        (4_234_550, 4_234_550)]


def test_the_volunteer_preview_reads_on_a_phone(phone_person, server):
    phone_person.login("fangxing-mgr")
    open_importer(phone_person, "导入志愿者")
    path = xlsx(phone_person.folder, "手机上传的方兴社区志愿者花名册-二〇二五年度汇总表.xlsx", volunteer_rows(phone_person))
    upload(phone_person, path)
    expect(badge(phone_person, "error")).to_have_text("有错误 1")
    expect(phone_person.page.get_by_label("第 3 行的处理")).to_be_visible()
    expect(phone_person.page.get_by_role("button", name="仅导入无误的 3 行")).to_be_visible()
    width = phone_person.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"the preview is {width}px wide at 390px"
    for table in (".import-problems", ".import-matches", ".import-creates"):
        box = phone_person.page.locator(table).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 391, f"{table} overflows: {box}"
    phone_person.shot("手机上的志愿者导入预览")
