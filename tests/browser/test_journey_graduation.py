"""Journey 4: an organization is assessed on entry and exit, is refused graduation with the reasons,
fulfils them, graduates (出壳), and its graduation certificate is downloaded, its QR code scanned and
the address it holds opened: the certificate verifies.

包河社工服务中心 (park `district`, manager `district-mgr`) has enough confirmed supervision in the
demo, no assessment yet and its registration certificate not on file: the manager records the
assessments (the plugin lets a park's manager be the assessor), finds 出壳 refused for the exit score
and the missing document, puts both right and graduates it.
"""
import shutil
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import PIL.Image
import pytest
import zxingcpp
from playwright.sync_api import expect

ORG = "包河社工服务中心"


def district_today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def score_every_indicator(person, share: float, evidence: str) -> None:
    """Type a score (`share` of each indicator's points, in half points) and the evidence for it."""
    page = person.page
    scores = page.locator("input[type=number][name^=score-]")
    notes = page.locator("textarea[name^=evidence-]")
    assert scores.count() == notes.count() > 20
    for i in range(scores.count()):
        points = float(scores.nth(i).get_attribute("max"))
        scores.nth(i).fill(f"{round(points * share * 2) / 2:g}")
        notes.nth(i).fill(evidence)


def assess(person, kind: str, share: float, assessor: str, evidence: str) -> None:
    """From the organization's assessments page: start an assessment, score it, finish and lock it."""
    person.choose("评估类型", kind)
    person.choose("评估人", assessor)
    person.click_button("发起评估")
    person.see(f"已发起{kind}")
    expect(person.page.locator("h1")).to_contain_text(kind)
    score_every_indicator(person, share, evidence)
    person.shot(f"{kind}评分", guide="manager-assessment-form")
    with person.confirming("锁定", "不能再修改"):
        person.click_button("完成评估（完成后锁定）")
    total = round(share * 1000)
    person.see(f"评估已完成：{total} 分", "完成并锁定，不能再修改")
    expect(person.page.locator("input[name^=score-]")).to_have_count(0)  # locked: nothing to type into
    person.shot(f"{kind}已锁定")


def move_to_graduated(person, note: str) -> None:
    """The stage form: 出壳 cannot be undone, so the page may ask first; the manager says yes."""
    person.choose("变更为", "出壳")
    person.fill("理由", note, exact=True)
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()
    person.page.on("dialog", accept)
    try:
        with person.page.expect_navigation():
            person.click_button("变更阶段")
    finally:
        person.page.remove_listener("dialog", accept)
    person.dialogs.extend(asked)


def test_assessed_refused_fulfilled_graduated_and_the_certificate_verifies(people, server):
    if not shutil.which("pdftoppm"):
        pytest.fail("pdftoppm is missing: this journey renders the certificate PDF to scan its QR code "
                    "(Debian's `poppler-utils`)", pytrace=False)
    [(org_id, start)] = server.sql("SELECT id, incubation_start FROM organizations WHERE name = ?", ORG)
    [(manager_name,)] = server.sql("SELECT name FROM users WHERE username = 'district-mgr'")
    assessor = f"{manager_name}（园区管理员）"
    person = people("desktop", name="manager")

    # The manager finds the organization.
    person.login("district-mgr")
    person.shot("登录后")
    person.click_link("组织", exact=True)
    person.page.get_by_placeholder("名称、信用代码或拼音首字母").fill("bhsg")
    person.click_button("查询")
    person.click_link(ORG)
    expect(person.page.locator("h1")).to_contain_text(ORG)
    person.see("能力评估", "暂无能力评估", "材料清单")
    person.shot("组织主页")

    # Entry assessment, then an exit assessment below the 700-point line.
    person.click_link("全部能力评估")
    person.see(f"能力评估 · {ORG}", "出壳分数线 700 分")
    person.shot("发起评估")
    assess(person, "入园评估", 0.55, assessor, "查阅登记材料与年度台账")
    person.click_link(ORG)
    assess(person, "出壳评估", 0.65, assessor, "现场访谈与项目资料核查")
    person.click_link(ORG)
    person.see("能力变化（入园 → 出壳评估）", "+100")
    expect(person.page.locator(".radar-chart svg")).to_be_visible()
    person.shot("评估结果与雷达图", guide="manager-assessment-radar")

    # 出壳 is refused, with every reason on the page.
    person.click_link("组织主页")
    move_to_graduated(person, "孵化期内各项能力提升明显，申请出壳")
    person.see("出壳评估总分须不低于 700 分（最近一次为 650 分）", "登记证书")
    expect(person.page.locator("h1")).to_contain_text("入园孵化")
    person.shot("出壳被拒及原因", guide="manager-graduation-refused")
    assert server.sql("SELECT stage FROM organizations WHERE id = ?", org_id) == [("incubating",)]

    # The reasons are put right: the registration certificate is recorded in the checklist panel…
    person.choose("材料", "登记证书或备案证明")
    person.fill("收到日期", district_today())
    person.fill("备注", "原件已核，复印件存档")
    person.click_button("登记", exact=True)
    person.see("原件已核，复印件存档")
    person.shot("登记证书已登记")
    # …and a new exit assessment reaches the line.
    person.click_link("全部能力评估")
    assess(person, "出壳评估", 0.8, assessor, "复评：财务制度与项目评估已完善")
    person.click_link(ORG)
    person.see("+250")  # 550 → 800
    person.click_link("组织主页")

    # 出壳 succeeds and the graduation certificate is listed on the organization page.
    move_to_graduated(person, "出壳评估 800 分，材料齐全，准予出壳")
    person.see("阶段已变更为：出壳")
    expect(person.page.locator("h1")).to_contain_text("出壳")
    [(serial, code)] = server.sql("SELECT serial, code FROM certificates WHERE organization_id = ? AND kind = 'graduation'",
                                  org_id)
    person.see("出壳证书", serial)
    person.shot("出壳成功与证书", guide="manager-graduated")

    # The PDF is downloaded, printed (rendered) and its QR code scanned.
    pdf = person.download("下载 PDF")
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
    look = pdf.with_name(f"{person.name}-{person.steps + 1:02d}-证书.png")
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(look.with_suffix(""))], check=True)
    scan = pdf.with_name("certificate-150dpi")
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(scan)],
                   check=True)
    [barcode] = zxingcpp.read_barcodes(PIL.Image.open(scan.with_suffix(".png")))
    address = barcode.text
    assert address == server.url(f"/certificates/verify/{code}")

    # Whoever scans it opens the address (no login needed): the certificate is valid.
    public = people("phone", name="scanner")
    public.page.goto(address)
    year, month, day = (int(part) for part in str(start)[:10].split("-"))
    public.see("证书有效", ORG, serial, "出壳证书", f"{year}年{month}月{day}日至")
    expect(public.page.locator(".alert-success")).to_contain_text("证书有效")
    public.shot("扫码验证", guide="public-verify-phone")

    # The organization's contact finds the certificate and the assessments on their portal.
    contact = people("phone", name="contact")
    contact.login("contact-zhang")
    contact.see(ORG, "出壳证书", serial, "能力评估")
    contact.shot("联系人门户", guide="contact-certificate-phone")
    contact.click_link("全部能力评估")
    contact.see("能力变化（入园 → 出壳评估）", "+250")
    expect(contact.page.get_by_role("button", name="发起评估")).to_have_count(0)
    assert contact.page.locator(".radar-chart svg").bounding_box()["width"] <= 390
    contact.shot("联系人查看能力评估", guide="contact-assessments-phone")


def test_the_contact_of_an_organization_reads_its_assessments_on_a_phone(phone_person):
    """contact-wu's organization (万年埠街道) has a finished entry and mid-term assessment in the demo."""
    phone_person.login("contact-wu")
    phone_person.see("能力评估", "中期评估")
    radar = phone_person.page.locator(".radar-chart svg").first
    expect(radar).to_be_visible()
    assert radar.bounding_box()["width"] <= 390  # the chart shrinks to the phone instead of pushing the page
    phone_person.shot("门户中的能力评估")
    phone_person.click_link("中期评估")
    phone_person.see("已完成", "完成并锁定，不能再修改", "评估日期")
    expect(phone_person.page.locator("input[name^=score-]")).to_have_count(0)
    phone_person.shot("中期评估只读")
