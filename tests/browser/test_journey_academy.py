"""Journey 5: the academy. A trainee enrols from the catalogue, is waitlisted on a full offering,
is promoted when the seated trainee cancels, has their attendance marked by the instructor, completes
the course and downloads the completion certificate found from 我的学习. On a phone: enrolling,
我的学习 with a waitlist position, and the managers' pages without squeezed tables."""
import re
from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from pypdf import PdfReader

from .crawler import SQUEEZED

BEIJING = ZoneInfo("Asia/Shanghai")
COURSE = "居民议事会与议事规则"  # CG104: 6 hours, every session must be attended
CLASS = "议事规则速成班"
OFFERING = f"{COURSE} · {CLASS}"


def one_session_soon():
    """A single session that starts one to two hours from now (Beijing time) and ends the same day:
    still open for enrolling and cancelling during the journey, and its attendance may be taken."""
    start = (datetime.now(BEIJING) + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(minutes=30)


def not_squeezed(person):
    """No table cell so narrow that a name wraps one character per line (the crawler's check)."""
    person.page.wait_for_load_state()
    squeezed = person.page.evaluate(SQUEEZED)
    assert not squeezed, f"{person.page.url}: table cells one character wide: {squeezed[:3]}"


def my_row(person, text):
    return person.page.locator("table.my-enrolments tr", has_text=text)


def test_a_trainee_is_waitlisted_promoted_completed_and_downloads_the_certificate(people, server):
    manager, chen, wang, instructor = (people("desktop", name=n) for n in ("manager", "chen", "wang", "instructor"))

    # The district park's manager schedules a one-seat class taught by 李督导.
    start, end = one_session_soon()
    manager.login("district-mgr")
    manager.click_link("班次管理")
    manager.click_link("新建班次")
    manager.choose("课程", "CG104 居民议事会与议事规则（6学时）")
    manager.fill("班次名称", CLASS)
    manager.fill("上课地点", "创新园一楼议事厅")
    manager.choose("授课讲师（专家）", "李督导")
    manager.fill("容量（人）", "1")
    manager.fill("报名开始", f"{start - timedelta(days=1):%Y-%m-%dT%H:%M}")
    manager.fill("报名截止", f"{start:%Y-%m-%dT%H:%M}")
    manager.fill("课次安排", f"{start:%Y-%m-%d %H:%M}-{end:%H:%M} 议事规则与模拟议事")
    manager.shot("新建一座班次", guide="manager-offering-form")
    manager.click_button("保存")
    manager.see("班次已创建。")
    expect(manager.page.locator("h1")).to_have_text(OFFERING)
    manager.shot("班次名单")

    # trainee-chen lands on 我的学习 and takes the only seat.
    chen.login("trainee-chen")
    expect(chen.page.locator("h1")).to_have_text("我的学习")
    chen.see("待办", "我报名的班次")
    chen.shot("我的学习")
    chen.click_link("课程", exact=True)
    chen.click_link(COURSE)
    chen.click_link(CLASS)
    chen.click_button("立即报名")
    chen.see("报名成功！", "您的状态：已报名")
    chen.shot("报名成功")

    # trainee-wang: catalogue → a course → an offering → enrolled.
    wang.login("trainee-wang")
    wang.click_link("课程", exact=True)
    expect(wang.page.locator("h1")).to_have_text("社区治理学院 · 课程目录")
    wang.shot("课程目录")
    wang.click_link("志愿者管理")
    expect(wang.page.locator("h1")).to_contain_text("志愿者管理")
    wang.shot("课程页面")
    wang.click_link("志愿者骨干班")
    wang.see("课次安排", "结业要求")
    wang.shot("班次页面")
    wang.click_button("立即报名")
    wang.see("报名成功！", "您的状态：已报名")
    wang.shot("报名成功")

    # …and on the full class: waitlisted, first in line.
    wang.click_link("课程", exact=True)
    wang.click_link(COURSE)
    wang.click_link(CLASS)
    wang.see("1 人，已报 1 人")
    wang.click_button("报名（名额已满，将进入候补）")
    wang.see("班次已满，您已进入候补名单，当前候补第 1 位", "您的状态：候补，候补第 1 位")
    wang.shot("进入候补", guide="trainee-waitlisted")
    wang.click_link("我的学习", exact=True)
    expect(my_row(wang, CLASS)).to_contain_text("候补，候补第 1 位")
    wang.shot("我的学习-候补")

    # trainee-chen cancels (after confirming); the seat goes to trainee-wang at once.
    chen.click_link("我的学习", exact=True)
    with chen.confirming(f"确定取消《{OFFERING}》的报名吗？", "不能恢复"):
        my_row(chen, CLASS).get_by_role("button", name="取消报名").click()
    chen.see("已取消报名。")
    expect(my_row(chen, CLASS)).to_contain_text("已取消")
    chen.shot("取消报名", guide="trainee-cancelled")

    wang.page.reload()
    wang.see(f"由候补转为《{OFFERING}》的正式学员")
    expect(my_row(wang, CLASS)).to_contain_text("已报名")
    expect(my_row(wang, CLASS)).to_contain_text("候补转正")
    expect(wang.page.locator(".todos")).to_contain_text(f"您已由候补转为《{OFFERING}》的正式学员")
    expect(wang.page.locator(".todos")).to_contain_text(re.compile(f"(今天|明天)上课：《{OFFERING}》"))
    wang.shot("候补转正", guide="trainee-promoted")

    # The instructor (李督导) takes the attendance of the one session: trainee-wang completes.
    instructor.login("expert-li")
    instructor.click_link("我的授课")
    instructor.click_link(OFFERING)
    instructor.see("结业需到课 1/1 次")
    instructor.shot("授课班次名单", guide="expert-teaching")
    instructor.click_link("第1次")
    instructor.page.get_by_label("王学员：出勤").check()
    instructor.shot("考勤", guide="expert-attendance")
    instructor.click_button("保存考勤")
    instructor.see("已保存 1 人的考勤。", "王学员 达到结业要求，已结业。")
    instructor.shot("考勤已保存", guide="expert-attendance-saved")
    [(status, hours)] = server.sql(
        "SELECT e.status, e.hours FROM academy_enrolments e JOIN users u ON u.id = e.user_id "
        "JOIN academy_offerings o ON o.id = e.offering_id WHERE u.username = 'trainee-wang' AND o.title = ?", CLASS)
    assert (status, float(hours)) == ("completed", 6)

    # trainee-wang sees the completion and finds the certificate from 我的学习.
    wang.page.reload()
    expect(my_row(wang, CLASS)).to_contain_text("已结业")
    expect(my_row(wang, CLASS)).to_contain_text("6 学时")
    wang.shot("已结业")
    wang.follow(my_row(wang, CLASS).get_by_role("link", name="结业证书"))
    wang.see("我的证书", f"{COURSE}（6 学时）")
    wang.shot("我的证书", guide="trainee-certificates")
    with wang.page.expect_download() as info:
        wang.page.locator("li", has_text=f"{COURSE}（6 学时）").get_by_role("link", name="下载 PDF").click()
    pdf = info.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages)
    assert "王学员" in text and COURSE in text


def test_a_trainee_enrols_and_reads_my_learning_on_a_phone(people):
    phone = people("phone", name="wang")
    phone.login("trainee-wang")
    phone.click_link("课程", exact=True)
    phone.shot("课程目录", guide="trainee-catalogue-phone")
    phone.click_link("志愿者管理")
    not_squeezed(phone)
    phone.shot("课程页面")
    phone.click_link("志愿者骨干班")
    not_squeezed(phone)
    phone.shot("班次页面", guide="trainee-offering-phone")
    phone.click_button("立即报名")
    phone.see("报名成功！", "您的状态：已报名")
    phone.shot("报名成功", guide="trainee-enrolled-phone")

    phone.click_link("我的学习", exact=True)
    expect(my_row(phone, "志愿者骨干班")).to_contain_text("已报名")
    finished = my_row(phone, "社区参与式治理")  # the demo's finished class in the district park
    expect(finished).to_contain_text("已结业")
    expect(finished).to_contain_text("12 学时")
    expect(finished.get_by_role("link", name="结业证书")).to_be_visible()
    not_squeezed(phone)
    phone.shot("我的学习", guide="trainee-my-learning-phone")

    # trainee-chen waits on the demo's full class in 方兴: 我的学习 says where in the line.
    chen = people("phone", name="chen")
    chen.login("trainee-chen")
    expect(chen.page.locator("h1")).to_have_text("我的学习")
    expect(my_row(chen, "社区协商方法")).to_contain_text("候补，候补第 1 位")
    not_squeezed(chen)
    chen.shot("我的学习-候补", guide="trainee-waitlist-phone")


def test_the_managers_academy_pages_read_well_on_a_phone(phone_person):
    phone = phone_person
    phone.login("wannianbu-mgr")
    phone.click_link("班次管理")
    not_squeezed(phone)
    phone.shot("班次管理")
    phone.click_link("社区社会组织培育孵化 · 2026年冬季班")
    expect(phone.page.locator("h1")).to_have_text("社区社会组织培育孵化 · 2026年冬季班")
    not_squeezed(phone)
    phone.shot("班次名单")
    phone.follow(phone.page.get_by_role("link", name="第1次"))
    expect(phone.page.locator("h1")).to_contain_text("考勤")
    not_squeezed(phone)
    phone.shot("考勤")
    phone.click_link("班次管理")
    phone.click_link("学院统计")
    expect(phone.page.locator("h1")).to_contain_text("学院统计")
    not_squeezed(phone)
    phone.shot("学院统计")
