"""Files as evidence (issue 12): an expert attaches a sign-in sheet and a photo to a supervision log,
an organization's contact uploads a granted project's report and receipts, and the organization's own
materials on its portal. Each time: a PDF and an image through the page's file field, both listed
with name and size, one downloaded, the page checked on a 390 px phone; another park's manager gets
a 404 for the file."""
import re

from playwright.sync_api import expect

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
ORG = "包河社工服务中心"  # organization 1, in park `district`: expert-li supervises it, contact-zhang speaks for it
LIMITS = "文件不超过 10 MB，支持 PDF、图片、Office 文件。"


def _choose_files(person, field, pdf_name: str, image_name: str) -> None:
    field.set_input_files([{"name": pdf_name, "mimeType": "application/pdf", "buffer": PDF},
                           {"name": image_name, "mimeType": "image/png", "buffer": PNG}])


def _download(person, list_locator, name: str) -> bytes:
    """Follow a listed file's link with the person's own session (a PDF opens inline in a browser)."""
    href = list_locator.get_by_role("link", name=name).get_attribute("href")
    response = person.context.request.get(person.server.url(href))
    assert response.status == 200, (href, response.status)
    return response.body()


def _file_link(list_locator, name: str) -> str:
    return list_locator.get_by_role("link", name=name).get_attribute("href")


def test_an_expert_attaches_a_sign_in_sheet_and_a_photo_to_a_supervision_log(people, server):
    expert = people("desktop", name="expert")
    expert.login("expert-li")
    expect(expert.page.locator("h1")).to_have_text("我的督导")
    expert.follow(expert.page.locator("li", has_text=ORG).get_by_role("link", name="记录督导").first)
    expect(expert.page.locator("h1")).to_have_text("记录一次督导")
    expert.fill("时长（小时）", "2")
    expert.page.get_by_label("内部治理").check()
    expert.fill("发现的问题（支持 Markdown）", "志愿者签到不规范。")
    expert.fill("给出的建议（支持 Markdown）", "每次活动使用统一签到表。")
    expert.see(LIMITS)
    _choose_files(expert, expert.page.get_by_label("现场照片、签到表（可选）"), "签到表.pdf", "现场照片.png")
    expert.shot("记录督导并附上签到表和照片")
    expert.click_button("保存")
    expert.see("督导记录已保存")
    files = expert.page.locator("#log-files .log-files")
    expect(files).to_contain_text("签到表.pdf")
    expect(files).to_contain_text("现场照片.png")
    expect(files).to_contain_text(f"{len(PDF)} 字节")
    expert.shot("督导记录的附件", guide="expert-log-files")
    assert _download(expert, files, "签到表.pdf") == PDF
    log_url = expert.page.url

    # Later, from the log's page: one more photo.
    expert.page.get_by_label("现场照片、签到表", exact=True).set_input_files(
        [{"name": "合影.png", "mimeType": "image/png", "buffer": PNG}])
    expert.click_button("上传附件")
    expert.see("已上传附件")
    expect(expert.page.locator("#log-files li")).to_have_count(3)

    # The district park's manager reads them on a phone; another park's manager gets a 404.
    manager = people("phone", name="manager")
    manager.login("district-mgr")
    manager.goto(log_url.replace(server.url(""), ""))
    files = manager.page.locator("#log-files .log-files")
    expect(files).to_contain_text("合影.png")
    assert _download(manager, files, "现场照片.png") == PNG
    expect(manager.page.get_by_role("button", name="上传附件")).to_have_count(0)
    manager.shot("手机上督导记录的附件")
    link = _file_link(files, "签到表.pdf")
    stranger = people("desktop", name="stranger")
    stranger.login("changqing-mgr")
    assert stranger.goto(link).status == 404


def test_a_granted_projects_contact_uploads_its_report_and_receipts(people, server):
    rows = server.sql("SELECT a.id, a.title, u.username FROM microgrant_applications a "
                      "JOIN users u ON u.organization_id = a.organization_id WHERE a.status = 'approved' "
                      "ORDER BY a.id")
    assert rows, "the demo grants a project of contact-wu's organization"
    application_id, title, username = rows[0]

    contact = people("desktop", name="contact")
    contact.login(username)
    contact.click_link("公益微创投", exact=True)
    contact.follow(contact.page.locator("#own-applications").get_by_role("link", name=title))
    section = contact.page.locator("#project-files")
    expect(section).to_contain_text("项目报告与票据")
    expect(section).to_contain_text(LIMITS)
    contact.choose("材料类别", "项目报告")
    _choose_files(contact, contact.page.get_by_label("文件", exact=True), "中期报告.pdf", "活动照片.png")
    contact.click_button("上传", exact=True)
    contact.see("已上传项目报告")
    contact.choose("材料类别", "票据")
    contact.page.get_by_label("文件", exact=True).set_input_files(
        [{"name": "发票.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    contact.click_button("上传", exact=True)
    contact.see("已上传票据")
    reports = contact.page.locator("#project-files .files-report")
    expect(reports).to_contain_text("中期报告.pdf")
    expect(reports).to_contain_text("活动照片.png")
    expect(contact.page.locator("#project-files .files-receipt")).to_contain_text("发票.pdf")
    contact.shot("项目报告与票据")
    assert _download(contact, reports, "中期报告.pdf") == PDF

    # The street's manager sees them on a phone; another park's manager gets a 404.
    manager = people("phone", name="manager")
    manager.login("wannianbu-mgr")
    manager.goto(f"/microgrant/applications/{application_id}")
    receipts = manager.page.locator("#project-files .files-receipt")
    expect(receipts).to_contain_text("发票.pdf")
    assert _download(manager, receipts, "发票.pdf") == PDF
    manager.shot("手机上的项目报告与票据")
    stranger = people("desktop", name="stranger")
    stranger.login("changqing-mgr")
    assert stranger.goto(_file_link(reports, "活动照片.png")).status == 404


def test_an_organizations_contact_uploads_its_materials_and_the_manager_sees_them(people, server):
    (org_id,) = server.sql("SELECT organization_id FROM users WHERE username = 'contact-zhang'")[0]

    contact = people("phone", name="contact")
    contact.login("contact-zhang")
    expect(contact.page).to_have_url(server.url("/portal"))
    materials = contact.page.locator("#materials")
    expect(materials).to_contain_text("还没有上传组织材料")
    expect(materials).to_contain_text(LIMITS)
    _choose_files(contact, contact.page.get_by_label(re.compile("^组织材料")), "登记证书.pdf", "章程首页.png")
    contact.shot("手机上选好组织材料")
    contact.click_button("上传材料")
    contact.see("已上传组织材料")
    listed = contact.page.locator("#materials .materials")
    expect(listed).to_contain_text("登记证书.pdf")
    expect(listed).to_contain_text("章程首页.png")
    contact.shot("手机上的组织材料", guide="contact-materials-phone")
    assert _download(contact, listed, "章程首页.png") == PNG

    manager = people("desktop", name="manager")
    manager.login("district-mgr")
    manager.goto(f"/orgs/{org_id}")
    expect(manager.page.locator("h1")).to_contain_text(ORG)
    on_page = manager.page.locator("#materials")
    expect(on_page).to_contain_text("组织材料")
    expect(on_page).to_contain_text("登记证书.pdf")
    manager.shot("组织页面上的组织材料")
    assert _download(manager, on_page, "登记证书.pdf") == PDF
    link = _file_link(on_page, "登记证书.pdf")

    stranger = people("desktop", name="stranger")
    stranger.login("fangxing-mgr")
    assert stranger.goto(link).status == 404
    assert server.sql("SELECT count(*) FROM stored_files WHERE owner_type = 'organization_material' "
                      "AND owner_id = ?", org_id) == [(2,)]
