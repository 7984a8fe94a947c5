"""Journey 8: the district administrator. Adds a park manager for 常青街道 (who logs in at once in
another browser and lands on the dashboard), opens the volunteer passport (义粉护照) to 常青街道 as well
as 方兴社区 (the new manager's menu gains it), then reads the audit log: searches it in Chinese for
the new manager, hides and shows logins, narrows it to dates, and downloads it as Excel.
And any user: changes their own password from 我的, after which only the new one works."""
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from playwright.sync_api import expect

NEW_USER, NEW_NAME, NEW_PASSWORD = "changqing-li", "李常青", "Changqing-garden-7"
CHANGQING = "常青街道社会组织孵化基地"


def district_today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def open_admin_page(person, name: str) -> None:
    """管理 ▸ name, from the menu (folded behind the toggler on a phone)."""
    person.page.wait_for_load_state("load")  # Bootstrap's menus work once its script has run
    menu = person.page.get_by_role("button", name="管理", exact=True)
    if not menu.is_visible():
        person.page.locator(".navbar-toggler").click()
        expect(menu).to_be_visible()
    link = person.page.get_by_role("link", name=name, exact=True)
    for _attempt in range(3):  # a click during the menu's folding animation may be lost
        if link.is_visible():
            break
        menu.click()
        try:
            expect(link).to_be_visible(timeout=2_000)
        except AssertionError:
            continue
    link.click()


def change_password(person, current: str, new: str) -> None:
    """Fill in 修改密码 (current, new, new again) and send it."""
    person.fill("当前密码", current)
    person.fill("新密码", new, exact=True)
    person.fill("再次输入新密码", new)
    person.click_button("修改密码")


def log_out(person) -> None:
    person.open_menu()
    person.page.get_by_role("button", name="退出登录").click()
    person.see("已退出登录")


def test_the_administrator_adds_a_manager_opens_a_plugin_to_a_park_and_reads_the_log(people, server):
    admin = people("desktop", name="admin")
    admin.login("admin")
    expect(admin.page.locator("h1")).to_contain_text("工作台")
    admin.shot("管理员的工作台", guide="admin-dashboard")

    # A new park manager for 常青街道.
    open_admin_page(admin, "用户")
    expect(admin.page.locator("h1")).to_have_text("用户管理")
    admin.see("changqing-mgr", "常青街道管理员")
    admin.shot("用户列表", guide="admin-users")
    admin.click_link("新建用户")
    admin.fill("用户名", NEW_USER)
    admin.fill("姓名", NEW_NAME)
    admin.fill("手机号", "13955107788")
    admin.choose("角色", "园区管理员")
    admin.page.get_by_label("管理的园区").select_option(label=CHANGQING)
    admin.fill("密码", NEW_PASSWORD, exact=True)
    admin.not_see("所属组织编号")
    admin.shot("填写新用户", guide="admin-user-form")
    admin.click_button("保存")
    admin.see(f"已保存用户：{NEW_USER}")
    expect(admin.page.locator("tbody tr", has_text=NEW_USER)).to_contain_text(CHANGQING)
    admin.shot("新用户已保存")
    assert server.sql("SELECT role, name FROM users WHERE username = ?", NEW_USER) == [("manager", NEW_NAME)]

    # The new manager logs in in another browser and lands on the dashboard of their park.
    manager = people("desktop", name="manager")
    manager.login(NEW_USER, NEW_PASSWORD)
    expect(manager.page.locator("h1")).to_contain_text("工作台")
    assert manager.page.url.endswith("/dashboard")
    manager.see(CHANGQING)
    expect(manager.page.locator("nav")).not_to_contain_text("义粉护照")
    manager.shot("新管理员登录后的工作台")

    # The volunteer passport, 方兴社区's own, is opened to 常青街道 too.
    open_admin_page(admin, "插件")
    passport = admin.page.locator("tbody tr", has_text="义粉护照")
    expect(passport).to_contain_text("方兴社区的志愿者护照")
    expect(passport).to_contain_text("方兴社区社会组织孵化基地")
    expect(passport.locator("details")).not_to_have_attribute("open", "")
    expect(passport.get_by_text("entry point plugins.passport")).to_be_hidden()  # folded under 技术信息
    admin.shot("插件列表", guide="admin-plugins")
    admin.follow(passport.get_by_role("link", name="设置"))
    expect(admin.page.locator("h1")).to_have_text("义粉护照")
    expect(admin.page.get_by_label("指定园区")).to_be_checked()
    expect(admin.page.get_by_label("方兴社区社会组织孵化基地")).to_be_checked()
    admin.page.get_by_label(CHANGQING).check()
    admin.shot("为常青街道启用义粉护照", guide="admin-plugin-parks")
    admin.click_button("保存")
    admin.see("已更新插件“义粉护照”的启用范围")
    expect(admin.page.locator("tbody tr", has_text="义粉护照")).to_contain_text(CHANGQING)
    admin.shot("启用范围已更新")

    manager.page.reload()
    manager.click_link("义粉护照")
    manager.see(CHANGQING)
    manager.shot("常青街道的义粉护照")

    # The audit log, in the administrator's words.
    open_admin_page(admin, "审计日志")
    expect(admin.page.locator("h1")).to_have_text("审计日志")
    rows = admin.page.locator("table tbody")
    expect(rows).to_contain_text("插件启用范围变更")
    change = admin.page.locator("tbody tr", has_text="插件启用范围变更").first
    expect(change).to_contain_text("义粉护照")
    expect(change).to_contain_text(CHANGQING)
    expect(change).to_contain_text("方兴社区社会组织孵化基地")
    expect(admin.page.get_by_label("隐藏登录记录")).to_be_checked()
    admin.shot("审计日志")

    admin.fill("搜索", NEW_NAME)
    admin.click_button("查询")
    expect(rows).to_contain_text("新建用户")
    expect(rows.get_by_role("link", name=f"{NEW_NAME}（{NEW_USER}）").first).to_be_visible()
    expect(rows).not_to_contain_text("插件启用范围变更")
    expect(rows).not_to_contain_text("登录")
    admin.shot("搜索新管理员", guide="admin-audit-search")

    admin.page.get_by_label("隐藏登录记录").uncheck()
    admin.click_button("查询")
    login_row = admin.page.locator("tbody tr", has_text="登录").first
    expect(login_row).to_contain_text(f"{NEW_NAME}（{NEW_USER}）")
    admin.shot("显示登录记录", guide="admin-audit-logins")
    admin.page.get_by_label("隐藏登录记录").check()
    admin.click_button("查询")
    expect(rows).not_to_contain_text("登录")

    admin.fill("开始日期", "2020-01-01")
    admin.fill("结束日期", "2020-12-31")
    admin.click_button("查询")
    admin.see("没有符合条件的记录。")
    admin.shot("2020年没有记录")
    admin.fill("开始日期", district_today())
    admin.fill("结束日期", district_today())
    admin.click_button("查询")
    expect(rows).to_contain_text("新建用户")
    expect(admin.page.get_by_label("搜索")).to_have_value(NEW_NAME)
    admin.shot("今天的记录")

    sheet_file = admin.download("导出Excel")
    assert sheet_file.suffix == ".xlsx"
    sheet = load_workbook(sheet_file).active
    rows_in_file = list(sheet.iter_rows(values_only=True))
    assert rows_in_file[0] == ("时间", "操作人", "操作", "对象", "摘要", "操作键", "IP")
    created = [r for r in rows_in_file[1:] if r[5] == "user.create"]
    assert len(created) == 1 and created[0][2] == "新建用户" and created[0][3] == f"{NEW_NAME}（{NEW_USER}）"
    assert all(r[5] != "user.login" for r in rows_in_file[1:])  # logins hidden, as on the page
    admin.shot("导出之后")


def test_the_administrators_pages_fit_a_phone_and_a_password_is_reset(people):
    admin = people("phone", name="admin-phone")
    admin.login("admin")
    for name, heading in (("用户", "用户管理"), ("插件", "插件"), ("审计日志", "审计日志")):
        open_admin_page(admin, name)
        expect(admin.page.locator("h1")).to_have_text(heading)
        admin.shot(f"手机上的{heading}")  # shot() fails on sideways scrolling at 390 px
    open_admin_page(admin, "插件")
    admin.follow(admin.page.locator("tbody tr", has_text="义粉护照").get_by_role("link", name="设置"))
    expect(admin.page.locator("h1")).to_have_text("义粉护照")
    admin.shot("手机上的插件设置")

    # 重置密码 for someone who forgot theirs: a generated one, shown once, after a confirmation.
    open_admin_page(admin, "用户")
    admin.follow(admin.page.get_by_role("link", name="expert-li", exact=True))
    expect(admin.page.locator("h1")).to_contain_text("李督导")
    admin.see("未关联组织")
    admin.shot("手机上的用户页", guide="admin-user-phone")
    with admin.confirming("确定重置 expert-li 的密码吗"):
        admin.click_button("重置密码")
    admin.see("只显示这一次")
    generated = admin.page.locator("#generated-password").inner_text().strip()
    assert len(generated) == 12
    admin.shot("生成的新密码", guide="admin-new-password-phone")
    expert = people("desktop", name="expert")
    expert.login("expert-li", generated)
    expert.shot("用新密码登录")


def test_a_user_changes_their_own_password_and_only_the_new_one_works(people):
    expert = people("phone", name="expert")
    expert.login("expert-zhou")
    expert.open_menu()
    expert.follow(expert.page.get_by_role("link", name="我的", exact=True))
    expert.shot("我的", guide="account-me-phone")
    expert.click_link("修改密码")
    expect(expert.page.locator("h1")).to_have_text("修改密码")
    change_password(expert, "wrong-password", "Zhou-river-2026")
    expert.see("当前密码不正确")
    expert.shot("当前密码不对")

    change_password(expert, "demo12345", "12345678")
    expert.see("这个密码太常见")
    expert.shot("新密码太常见")

    change_password(expert, "demo12345", "Zhou-river-2026")
    expert.see("密码已修改，下次登录请使用新密码。")
    expert.shot("密码已修改", guide="account-password-changed-phone")
    log_out(expert)

    expert.goto("/login")
    expert.fill("用户名", "expert-zhou")
    expert.fill("密码", "demo12345", exact=True)
    expert.click_button("登录")
    expert.see("用户名或密码错误")
    expert.shot("旧密码不能再登录")
    expert.login("expert-zhou", "Zhou-river-2026")
    expert.open_menu()
    expect(expert.page.locator("#account-menu")).to_contain_text("周")
    expert.shot("新密码登录成功")
