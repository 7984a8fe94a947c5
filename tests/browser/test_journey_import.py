"""Journeys: bringing a district's spreadsheet of organizations in (批量导入, issue 12).

The administrator downloads the template, fills it as a GBK CSV (what Excel saves on a Chinese
Windows) with organizations and their history, one row with a wrong phone; the preview names the
row and the column, and only the good rows are imported, with their back-dated history. A file whose
rows are organizations the platform already has shows them matched, with why, and the user chooses
to update. A park manager cannot import into another park. At 390 px the preview reads without
sideways scrolling.
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from openpyxl import load_workbook
from playwright.sync_api import expect

from incubator.validators import make_uscc

from .importing import badge, upload

TEMPLATE_HEADER = ("组织名称", "统一社会信用代码", "类别", "登记状态", "成立日期", "联系人", "联系电话", "服务区域",
                   "园区", "阶段", "申请日期", "入园日期", "到期日期", "出壳日期", "退出日期")
DISTRICT = "包河区社会组织创新园"


def csv_file(folder, name: str, header, rows: list[dict], encoding: str = "gbk"):
    """A CSV as an office saves it: the header, then each row's cells by header (empty if not given)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def open_import(person) -> None:
    """From the organization list, the 批量导入 button."""
    person.click_link("组织", exact=True)
    expect(person.page.locator("h1")).to_have_text("社会组织")
    person.click_link("批量导入")
    expect(person.page.locator("h1")).to_have_text("导入社会组织")


def problem_rows(person):
    return person.page.locator(".import-problems tbody tr")


def slashes(day: date) -> str:
    return f"{day.year}/{day.month}/{day.day}"


# -- 1. the administrator: template → GBK CSV with history → preview with an error → good rows ------

GRADUATED = "骆岗社工服务中心"
INCUBATING = "塘西邻里互助会"
APPLIED = "淝河书香读书会"
BAD_PHONE = "义城志愿服务队"


def history_rows() -> list[dict]:
    recently = date.today() - timedelta(days=10)
    return [
        {"组织名称": GRADUATED, "类别": "社工服务类", "登记状态": "已登记", "联系人": "王芳", "联系电话": "13955101001",
         "服务区域": "骆岗街道", "阶段": "出壳", "申请日期": "2019/3/1", "入园日期": "2019/3/15", "出壳日期": "2021/3/10"},
        {"组织名称": INCUBATING, "类别": "社区社会组织", "联系人": "李娜", "联系电话": "0551-63451234",
         "园区": "fangxing", "阶段": "入园孵化", "入园日期": "2025/9/1"},
        {"组织名称": APPLIED, "类别": "文体类", "联系人": "陈静", "联系电话": "13955101003", "阶段": "申请",
         "申请日期": slashes(recently)},
        {"组织名称": "大圩为老服务社", "类别": "公益慈善类", "联系人": "赵磊", "联系电话": "13955101004"},
        {"组织名称": "同安亲子发展中心", "类别": "科教类", "联系人": "孙敏", "联系电话": "13955101005",
         "阶段": "入园孵化", "入园日期": "2024年9月1日", "到期日期": "2027年9月1日"},
        {"组织名称": BAD_PHONE, "类别": "其他", "联系人": "周杰", "联系电话": "1234567"},
    ]


def test_an_administrator_imports_organizations_with_their_history(person, server):
    person.login("admin")
    open_import(person)
    person.shot("导入页")

    template = person.download("下载导入模板")
    assert template.suffix == ".xlsx"
    book = load_workbook(template)
    assert book.sheetnames[1:] == ["填写说明"]
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert header == TEMPLATE_HEADER
    assert book.worksheets[0].max_row == 1  # the example stays on the notes sheet, not in the sheet to fill
    notes = list(book["填写说明"].iter_rows(values_only=True))
    assert notes[0] == ("列", "必填", "说明", "示例")
    assert [row[0] for row in notes[1:]] == list(TEMPLATE_HEADER)
    assert dict((row[0], row[1]) for row in notes[1:])["组织名称"] == "是"

    path = csv_file(person.folder, "历史组织.csv", header, history_rows())
    assert "骆岗".encode("gbk") in path.read_bytes()  # GBK indeed, not UTF-8
    upload(person, path, park=DISTRICT)

    expect(badge(person, "create")).to_have_text("新建 5")
    expect(badge(person, "error")).to_have_text("有错误 1")
    expect(problem_rows(person)).to_have_count(1)
    bad = problem_rows(person).first
    expect(bad.locator("td").nth(0)).to_have_text("第 7 行")
    expect(bad.locator("td").nth(1)).to_have_text("联系电话")
    expect(bad.locator("td").nth(2)).to_contain_text("请填写有效的手机号或固定电话")
    expect(person.page.locator(".import-creates tbody tr")).to_have_count(5)
    expect(person.page.locator(".import-creates")).to_contain_text(GRADUATED)
    expect(person.page.locator(".import-creates")).not_to_contain_text(BAD_PHONE)
    expect(person.page.get_by_role("button", name="确认导入")).to_have_count(0)
    person.shot("预览：一行有错误", guide="admin-import-preview")

    errors = person.download("下载错误行")
    rows = list(load_workbook(errors).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("错误说明", "原行号", "组织名称")
    assert len(rows) == 2 and rows[1][1] == 7 and rows[1][2] == BAD_PHONE
    assert "联系电话" in rows[1][0]

    person.click_button("仅导入无误的 5 行")
    expect(person.page.locator("h1")).to_have_text("导入完成")
    outcome = person.page.locator(".import-outcome")
    expect(outcome).to_contain_text("新建：5")
    expect(outcome).to_contain_text("更新：0")
    person.shot("导入完成")
    assert server.sql("SELECT count(*) FROM organizations WHERE name = ?", BAD_PHONE) == [(0,)]
    assert server.sql("SELECT o.stage, p.code FROM organizations o JOIN parks p ON p.id = o.park_id "
                      "WHERE o.name = ?", INCUBATING) == [("incubating", "fangxing")]

    person.click_link("查看社会组织")
    expect(person.page.locator("h1")).to_have_text("社会组织")
    person.page.get_by_placeholder("名称、信用代码或拼音首字母").fill("骆岗社工")
    person.click_button("查询")
    found = person.page.locator(".org-list tbody tr")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(DISTRICT)
    expect(found).to_contain_text("出壳")
    person.follow(found.get_by_role("link", name=GRADUATED))
    expect(person.page.locator("h1")).to_contain_text(GRADUATED)
    expect(person.page.locator("h1 .badge")).to_have_text("出壳")
    timeline = person.page.locator(".timeline li")
    applied = timeline.filter(has_text="2019年3月1日")
    entered = timeline.filter(has_text="2019年3月15日")
    hatched = timeline.filter(has_text="2021年3月10日")
    expect(applied).to_have_count(2)  # 申请, then 评审 the same day
    expect(entered).to_have_count(1)
    expect(entered).to_contain_text("入园孵化")
    expect(hatched).to_have_count(1)
    expect(hatched).to_contain_text("出壳")
    expect(hatched.locator(".recorded-at")).to_contain_text("录入于")  # back-dated, recorded today
    expect(hatched).to_contain_text("导入（历史组织.csv，第 2 行）")
    person.see("2019年3月15日 — ")  # the incubation period starts on the day it entered
    person.shot("出壳组织的时间线")


# -- 2. rows matching organizations the platform has: by credit code, by normalized name --------------

KNOWN_USCC = make_uscc("52340111MJD24680X")
BY_CODE = "徽园社工服务中心"
BY_NAME = "ABC骆岗助老服务有限公司"
BY_NAME_AGAIN = "ＡＢＣ骆岗助老服务有限责任公司"  # full-width letters, 有限责任公司


def test_rows_matching_existing_organizations_update_them(person, server):
    # The platform already has both (brought in by the command line import, as a district's first load).
    existing = csv_file(person.folder, "已有组织.csv", TEMPLATE_HEADER, [
        {"组织名称": BY_CODE, "统一社会信用代码": KNOWN_USCC, "类别": "社工服务类", "登记状态": "已登记",
         "联系人": "李明", "联系电话": "13955102001", "阶段": "申请"},
        {"组织名称": BY_NAME, "类别": "公益慈善类", "登记状态": "已登记", "联系人": "周敏", "联系电话": "13955102002",
         "服务区域": "骆岗街道"},
    ], encoding="utf-8")
    server.cli("import", "organizations", str(existing), "--park", "district")
    [(code_id,)] = server.sql("SELECT id FROM organizations WHERE uscc = ?", KNOWN_USCC)
    [(name_id,)] = server.sql("SELECT id FROM organizations WHERE name = ?", BY_NAME)

    person.login("admin")
    open_import(person)
    path = csv_file(person.folder, "更新.csv", TEMPLATE_HEADER, [
        {"组织名称": BY_CODE, "统一社会信用代码": KNOWN_USCC, "类别": "社工服务类", "登记状态": "已登记",
         "联系人": "刘洋", "联系电话": "13955102001", "园区": "district"},
        {"组织名称": BY_NAME_AGAIN, "类别": "公益慈善类", "登记状态": "已登记", "联系人": "周敏",
         "联系电话": "13955102999", "服务区域": "骆岗街道", "园区": "district"},
    ])
    upload(person, path)
    expect(badge(person, "update")).to_have_text("更新 1")
    expect(badge(person, "skip")).to_have_text("跳过 1")
    expect(badge(person, "create")).to_have_text("新建 0")
    matches = person.page.locator(".import-matches tbody tr")
    expect(matches).to_have_count(2)
    first, second = person.page.locator(".import-matches tr[data-row='2']"), \
        person.page.locator(".import-matches tr[data-row='3']")
    expect(first.locator("td").nth(1)).to_have_text(BY_CODE)
    expect(first.locator("td").nth(2)).to_contain_text(f"{BY_CODE}（{DISTRICT}，申请）")
    expect(first.locator("td").nth(3)).to_have_text("统一社会信用代码相同")
    expect(first.locator("td").nth(4)).to_have_text("联系人")
    expect(person.page.get_by_label("第 2 行的处理")).to_have_value("update")
    expect(second.locator("td").nth(1)).to_have_text(BY_NAME_AGAIN)
    expect(second.locator("td").nth(2)).to_contain_text(BY_NAME)
    expect(second.locator("td").nth(3)).to_have_text("名称相同")
    expect(second.locator("td").nth(4)).to_contain_text("联系电话")
    expect(second.locator("td").nth(4)).to_have_text("联系电话")  # another spelling of the same name is not a change
    expect(person.page.get_by_label("第 3 行的处理")).to_have_value("skip")
    options = person.page.get_by_label("第 3 行的处理").locator("option")
    expect(options).to_have_text(["跳过", "更新", "新建"])
    expect(person.page.locator(".import-problems")).to_have_count(0)
    person.shot("预览：两行匹配已有组织", guide="admin-import-matches")

    person.choose("第 3 行的处理", "更新")
    person.click_button("确认导入")
    expect(person.page.locator("h1")).to_have_text("导入完成")
    expect(person.page.locator(".import-outcome")).to_contain_text("更新：2")
    expect(person.page.locator(".import-outcome")).to_contain_text("新建：0")
    person.shot("导入完成：更新 2 家")

    person.click_link("查看社会组织")
    person.page.get_by_placeholder("名称、信用代码或拼音首字母").fill("骆岗助老")
    person.click_button("查询")
    found = person.page.locator(".org-list tbody tr")
    expect(found).to_have_count(1)  # updated, not created again
    person.follow(found.get_by_role("link").first)
    assert person.page.url.endswith(f"/orgs/{name_id}")
    person.see("周敏 · 13955102999")
    person.shot("更新后的组织")

    person.click_link("组织", exact=True)
    person.page.get_by_placeholder("名称、信用代码或拼音首字母").fill(KNOWN_USCC)
    person.click_button("查询")
    found = person.page.locator(".org-list tbody tr")
    expect(found).to_have_count(1)
    person.follow(found.get_by_role("link", name=BY_CODE))
    assert person.page.url.endswith(f"/orgs/{code_id}")
    person.see("刘洋 · 13955102001")
    assert server.sql("SELECT count(*) FROM organizations WHERE uscc = ? OR name IN (?, ?)",
                      KNOWN_USCC, BY_NAME, BY_NAME_AGAIN) == [(2,)]


def test_an_empty_cell_keeps_what_the_platform_has(person, server):
    existing = csv_file(person.folder, "已有.csv", TEMPLATE_HEADER, [
        {"组织名称": BY_NAME, "类别": "公益慈善类", "登记状态": "已登记", "联系人": "周敏", "联系电话": "13955102002"}],
        encoding="utf-8")
    server.cli("import", "organizations", str(existing), "--park", "district")
    person.login("admin")
    person.goto("/imports/organizations")
    upload(person, csv_file(person.folder, "空白登记状态.csv", TEMPLATE_HEADER, [
        {"组织名称": BY_NAME, "类别": "公益慈善类", "登记状态": "", "联系人": "周敏", "联系电话": "13955102999",
         "园区": "district"}]))
    expect(person.page.locator(".import-matches tr[data-row='2'] td").nth(4)).to_have_text("联系电话", timeout=2000)


# -- 3. a park manager cannot import into another park --------------------------------------------

def test_a_park_manager_cannot_import_into_another_park(person, server):
    person.login("fangxing-mgr")
    open_import(person)
    path = csv_file(person.folder, "常青.csv", TEMPLATE_HEADER, [
        {"组织名称": "常青邻里守望队", "类别": "社区社会组织", "联系人": "马超", "联系电话": "13955103001",
         "园区": "changqing"},
        {"组织名称": "常青书画社", "类别": "文体类", "联系人": "胡娟", "联系电话": "13955103002",
         "园区": "常青街道社会组织孵化基地"},
    ])
    upload(person, path)
    expect(badge(person, "error")).to_have_text("有错误 2")
    expect(badge(person, "create")).to_have_text("新建 0")
    expect(problem_rows(person)).to_have_count(2)
    for number, row in zip((2, 3), problem_rows(person).all()):
        expect(row.locator("td").nth(0)).to_have_text(f"第 {number} 行")
        expect(row.locator("td").nth(1)).to_have_text("园区")
        expect(row.locator("td").nth(2)).to_have_text("你无权向“常青街道社会组织孵化基地”导入组织")
    expect(person.page.get_by_role("button", name="确认导入")).to_have_count(0)
    expect(person.page.get_by_role("button", name="仅导入无误")).to_have_count(0)
    expect(person.page.locator(".import-creates")).to_have_count(0)
    person.shot("预览：无权导入的园区")

    # Even a hand-made confirmation (the button the page does not offer) writes nothing.
    person.page.evaluate("""() => {
        const button = document.createElement('button');
        button.name = 'mode'; button.value = 'all'; button.textContent = '强行导入';
        document.querySelector('h1').parentElement.querySelector('form[method=post][novalidate]').appendChild(button);
    }""")
    person.click_button("强行导入")
    expect(person.page.locator(".alert-danger")).to_contain_text("有 2 行有错误")
    expect(person.page.locator(".alert-danger")).to_contain_text("未导入任何数据")
    person.page.evaluate("""() => {
        const button = document.createElement('button');
        button.name = 'mode'; button.value = 'good'; button.textContent = '强行导入无误的行';
        document.querySelector('h1').parentElement.querySelector('form[method=post][novalidate]').appendChild(button);
    }""")
    person.click_button("强行导入无误的行")
    expect(person.page.locator("h1")).to_have_text("导入完成")
    expect(person.page.locator(".import-outcome")).to_contain_text("新建：0")
    assert server.sql("SELECT count(*) FROM organizations WHERE name IN ('常青邻里守望队', '常青书画社')") == [(0,)]


# -- 4. the preview on a phone ----------------------------------------------------------------------

def test_the_preview_reads_on_a_phone(phone_person, server):
    [(known,)] = server.sql("SELECT o.name FROM organizations o JOIN parks p ON p.id = o.park_id "
                            "WHERE p.code = 'district' ORDER BY o.id LIMIT 1")
    phone_person.login("district-mgr")
    open_import(phone_person)
    path = csv_file(phone_person.folder, "手机上传的很长的文件名-包河区社会组织孵化历程汇总表.csv", TEMPLATE_HEADER, [
        {"组织名称": known, "类别": "社工服务类", "联系人": "黄艳", "联系电话": "13955104001"},
        {"组织名称": "望湖社区为老助餐与居家养老志愿服务促进发展中心", "类别": "支持性/枢纽型",
         "登记状态": "已备案", "联系人": "欧阳秀英", "联系电话": "0551-63456789", "服务区域": "包河区望湖街道望湖城社区",
         "阶段": "入园孵化", "入园日期": "2025-03-15"},
        {"组织名称": "大圩葡萄文化协会", "类别": "文体类", "联系人": "郭勇", "联系电话": "13955104003",
         "阶段": "入园孵化", "入园日期": "2021-13-45"},
        {"组织名称": "", "类别": "水果类", "联系人": "何军", "联系电话": "13955104004"},
    ])
    upload(phone_person, path, park=DISTRICT)
    expect(badge(phone_person, "error")).to_have_text("有错误 2")
    expect(badge(phone_person, "create")).to_have_text("新建 1")
    expect(phone_person.page.locator(".import-matches tbody tr")).to_have_count(1)
    expect(phone_person.page.locator(".import-problems")).to_contain_text("入园日期")
    expect(phone_person.page.locator(".import-problems")).to_contain_text("类别应为")
    expect(phone_person.page.get_by_label("第 2 行的处理")).to_be_visible()
    expect(phone_person.page.get_by_role("button", name="仅导入无误的 2 行")).to_be_visible()
    width = phone_person.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"the preview is {width}px wide at 390px"
    for table in (".import-problems", ".import-matches", ".import-creates"):
        box = phone_person.page.locator(table).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 391, f"{table} overflows: {box}"
    phone_person.page.screenshot(path="/tmp/import-preview-phone.png", full_page=True)
    phone_person.shot("手机上的导入预览")
