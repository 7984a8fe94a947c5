"""Journeys: bringing a district's list of trainees in (导入学员, issue 12).

A park manager uploads the academy's roster as a GBK CSV (what Excel saves on a Chinese Windows)
through /imports/trainees: the preview shows who is new and who the platform already has (and why it
thinks so); once confirmed, the done page lists the new accounts with their 开通链接. One of the new
trainees opens their link in a browser of their own, sets a password and is logged in, on their
learning page. At 390 px the done page reads without sideways scrolling.
"""
from __future__ import annotations

import csv
import io

from playwright.sync_api import expect

from .importing import badge, open_importer, upload

HEADER = ("姓名", "手机", "邮箱", "用户名", "所属组织")
NEW_PASSWORD = "Wanghu-2026-xy"


def csv_file(folder, name: str, rows: list[tuple], encoding: str = "gbk"):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def import_trainees(person, path) -> None:
    """From the imports page, 导入学员, the file, the preview."""
    open_importer(person, "导入学员")
    upload(person, path)


def test_a_manager_imports_trainees_and_a_new_trainee_opens_their_account(people, server):
    manager = people("desktop", name="manager")
    manager.login("fangxing-mgr")
    path = csv_file(manager.folder, "2025年学员名单.csv", [
        ("吴晓燕", "13955300001", "", "", "望湖读书会"),
        ("郑海峰", "", "", "", ""),
        ("陈学员", "", "", "trainee-chen", "望湖读书会"),
    ])
    assert "吴晓燕".encode("gbk") in path.read_bytes()  # GBK indeed
    import_trainees(manager, path)

    expect(badge(manager, "create")).to_have_text("新建 2")
    expect(badge(manager, "update")).to_have_text("更新 1")
    expect(badge(manager, "error")).to_have_text("有错误 0")
    expect(manager.page.locator(".import-problems")).to_have_count(0)
    matched = manager.page.locator(".import-matches tr[data-row='4']")
    expect(matched.locator("td").nth(1)).to_have_text("陈学员")
    expect(matched.locator("td").nth(2)).to_contain_text("trainee-chen")
    expect(matched.locator("td").nth(3)).to_have_text("用户名相同")
    expect(matched.locator("td").nth(4)).to_contain_text("所属组织")
    expect(manager.page.get_by_label("第 4 行的处理")).to_have_value("update")
    expect(manager.page.locator(".import-creates")).to_contain_text("吴晓燕")
    expect(manager.page.locator(".import-creates")).to_contain_text("郑海峰")
    manager.shot("学员导入预览", guide="manager-import-trainees")

    manager.click_button("确认导入")
    expect(manager.page.locator("h1")).to_have_text("导入完成")
    expect(manager.page.locator(".import-outcome")).to_contain_text("新建：2")
    expect(manager.page.locator(".import-outcome")).to_contain_text("更新：1")
    links = manager.page.locator(".setup-links")
    expect(links.locator("h2")).to_have_text("新开通的账号（2）")
    expect(links.locator("thead th")).to_have_text(["姓名", "用户名", "开通链接"])
    wu = links.locator("tbody tr").filter(has_text="吴晓燕")
    expect(wu.locator("td").nth(1)).to_have_text("13955300001")  # the phone is the username
    expect(links.locator("tbody tr").filter(has_text="郑海峰").locator("td").nth(1)).to_have_text("zhenghaifeng")
    link = wu.locator("td").nth(2).inner_text().strip()
    assert link.startswith(server.url("/welcome/")), link
    manager.shot("导入完成：开通链接", guide="manager-import-links")
    assert server.sql("SELECT p.organization_name FROM academy_trainee_profiles p JOIN users u ON u.id = p.user_id "
                      "WHERE u.username IN ('13955300001', 'trainee-chen') ORDER BY u.username") == [
        ("望湖读书会",), ("望湖读书会",)]

    # 吴晓燕, in a browser of her own (the manager handed the link over), opens her account.
    trainee = people("desktop", name="trainee")
    trainee.page.goto(link)
    expect(trainee.page.locator("h1")).to_have_text("开通账号")
    trainee.see("吴晓燕，你好！", "你的用户名：13955300001")
    trainee.fill("设置密码", "12345678", exact=True)
    trainee.fill("再次输入密码", "12345678")
    trainee.click_button("设置密码并登录")
    expect(trainee.page.locator("h1")).to_have_text("开通账号")  # too common: still on the page
    trainee.fill("设置密码", NEW_PASSWORD, exact=True)
    trainee.fill("再次输入密码", NEW_PASSWORD)
    trainee.click_button("设置密码并登录")
    expect(trainee.page.locator("h1")).to_have_text("我的学习")
    trainee.see("密码已设置，账号已开通")
    trainee.shot("学员设置密码后登录", guide="trainee-account-setup")

    # The link works once; the password works from now on.
    trainee.page.goto(link)
    trainee.see("该链接已使用或已失效")
    again = people("desktop", name="trainee-again")
    again.login("13955300001", NEW_PASSWORD)
    again.goto("/me")
    again.see("吴晓燕")


def test_the_done_page_with_its_links_reads_on_a_phone(phone_person, server):
    phone_person.login("fangxing-mgr")
    path = csv_file(phone_person.folder, "手机导入的学员名单-方兴社区社会组织孵化基地2025年度培训班.csv", [
        ("欧阳秀英", "13955300011", "ouyang.xiuying.long.address@example.com", "", "望湖社区为老助餐与居家养老志愿服务促进发展中心"),
        ("司马长风", "", "", "", ""),
    ])
    import_trainees(phone_person, path)
    expect(badge(phone_person, "create")).to_have_text("新建 2")
    phone_person.click_button("确认导入")
    expect(phone_person.page.locator("h1")).to_have_text("导入完成")
    expect(phone_person.page.locator(".setup-links tbody tr")).to_have_count(2)
    width = phone_person.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"the done page is {width}px wide at 390px"
    box = phone_person.page.locator(".setup-links").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 391, f"the links overflow: {box}"
    expect(phone_person.page.locator(".setup-links tbody tr").first).to_contain_text("/welcome/")
    phone_person.shot("手机上的导入完成页")
