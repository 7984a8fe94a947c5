"""Certificates, as users meet them: issued on completion and graduation, downloaded, verified, corrected, revoked."""
import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from incubator.errors import Conflict
from incubator.extensions import db
from incubator.hookspecs import hookimpl
from incubator.notifications.services import rendered
from incubator.plugins import registry, set_enablement
from plugins.certificates import completions, fonts, jobs, services, storage
from plugins.certificates.models import BatchJob, Certificate


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)  # letter-spacing, wrapping


def certificates():
    return db.session.scalars(select(Certificate).order_by(Certificate.id)).all()


# -- issuing ---------------------------------------------------------------------------------

def test_completion_issues_one_certificate_with_name_and_serial_in_the_pdf(academy, fire_completed, users):
    offering = academy.offering()
    enrolment = academy.complete(users["trainee-wang"], offering)
    fire_completed(enrolment)
    fire_completed(enrolment)  # the academy firing twice must not give two certificates
    [cert] = certificates()
    assert cert.kind == "completion" and cert.holder_name == "王学员" and cert.version == 1
    assert cert.offering_id == offering.id and cert.data["hours"] == "24"
    data = storage.pdf_path(cert).read_bytes()
    assert hashlib.sha256(data).hexdigest() == cert.pdf_sha256
    text = pdf_text(data)
    assert "王学员" in text and cert.serial in text and "社区参与式治理" in text and "结业证书" in text
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    assert len(data) < 300 * 1024


def test_a_class_closed_at_once_is_issued_as_one_batch(app, academy, fire_completed):
    """The academy fires once per trainee; past the first few, they are rendered together, handed to
    the worker at the end of the request (or command) instead of one PDF document each (the
    immediate queue of the tests runs that task there and then)."""
    offering = academy.offering()
    trainees = [academy.trainee(name) for name in ["郑一", "郑二", "郑三", "郑四", "郑五", "郑六", "郑七", "郑八"]]
    with app.app_context():  # a request closing the offering
        for trainee in trainees:
            fire_completed(academy.complete(trainee, offering))
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == completions.INLINE_PER_CONTEXT
    db.session.expire_all()
    certs = certificates()
    assert sorted(c.holder_name for c in certs) == sorted(t.name for t in trainees)
    assert all(storage.pdf_path(c).read_bytes() for c in certs)


def test_the_rest_of_a_closed_class_goes_to_the_worker_as_one_task(app, academy, fire_completed, queued):
    offering = academy.offering()
    names = ["秦一", "秦二", "秦三", "秦四", "秦五", "秦六", "秦七", "秦八"]
    trainees = [academy.trainee(name) for name in names]
    with app.app_context():  # a request closing the offering
        enrolments = [academy.complete(trainee, offering) for trainee in trainees]
        for enrolment in enrolments:
            fire_completed(enrolment)
    assert len(certificates()) == completions.INLINE_PER_CONTEXT  # the request issued only these
    assert len(queued) == 1
    task = queued.dequeue()
    assert task.name == "certificates.completions"
    assert task.args == ([[offering.id, [e.id for e in enrolments[completions.INLINE_PER_CONTEXT:]]]],)
    queued.execute(task)  # what the worker does
    db.session.expire_all()
    assert sorted(c.holder_name for c in certificates()) == sorted(names)
    assert len(queued) == 0
    queued.execute(task)  # run twice (a retry, a second worker): nobody gets two
    assert len(certificates()) == len(names)


def test_the_demo_issues_its_deferred_completions_itself(app, academy, fire_completed, queued):
    """`incubator demo` runs before any worker (`make run` starts one after it): its data is whole
    when it ends."""
    from flask import g
    offering = academy.offering()
    trainees = [academy.trainee(name) for name in ["齐一", "齐二", "齐三", "齐四", "齐五", "齐六", "齐七"]]
    with app.app_context():  # the demo command
        g.certificates_demo = True
        for trainee in trainees:
            fire_completed(academy.complete(trainee, offering))
    db.session.expire_all()
    assert len(certificates()) == len(trainees) and len(queued) == 0


def test_completions_deferred_while_the_queue_is_down_are_logged_and_issued_from_the_offering_page(
        app, academy, fire_completed, users, login_as, client, queue_down, caplog):
    offering = academy.offering()
    trainees = [academy.trainee(name) for name in ["鲁一", "鲁二", "鲁三", "鲁四", "鲁五", "鲁六", "鲁七"]]
    with app.app_context():
        for trainee in trainees:
            fire_completed(academy.complete(trainee, offering))  # the request goes on regardless
    assert len(certificates()) == completions.INLINE_PER_CONTEXT
    assert "deferred completion certificates not queued" in caplog.text
    queue_down.restore()
    login_as("fangxing-mgr")
    page = client.get(f"/certificates/offerings/{offering.id}").get_data(as_text=True)
    assert "鲁六" in page and "鲁七" in page
    client.post(f"/certificates/offerings/{offering.id}/batch")
    db.session.expire_all()
    assert sorted(c.holder_name for c in certificates()) == sorted(t.name for t in trainees)


def test_rare_characters_in_a_name_are_drawn_and_undrawable_ones_refused(academy, fire_completed):
    offering = academy.offering()
    rare = academy.trainee("王䶮喆")  # 䶮: CJK extension A
    fire_completed(academy.complete(rare, offering))
    [cert] = certificates()
    assert "王䶮喆" in pdf_text(storage.pdf_path(cert).read_bytes())
    if fonts.uncovered("\U0002A6A5"):  # 𪚥 is in no font installed here: a clear refusal, not a box
        with pytest.raises(services.CertificateError, match="没有可用字体"):
            services.issue_for_completion(academy.complete(academy.trainee("李\U0002A6A5"), offering))


def test_graduation_through_the_stage_machine_issues_a_graduation_certificate(login_as, client, make_org):
    # Other plugins may veto graduation (the checklist wants a document, an assessment a score):
    # this story is about the certificate, so they are switched off.
    for info in registry().loaded():
        if info.name != "certificates":
            set_enablement(info.name, "none")
    db.session.commit()
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    login_as("fangxing-mgr")
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "graduated", "move-note": "期满出壳"})
    assert response.status_code == 302
    [cert] = certificates()
    assert cert.kind == "graduation" and cert.organization_id == org.id and cert.holder_name == "方兴邻里互助会"
    text = pdf_text(storage.pdf_path(cert).read_bytes())
    assert "方兴邻里互助会" in text and cert.serial in text
    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "出壳证书" in page and cert.serial in page


def run_python(code: str, tmpdir: str, **env) -> str:
    """Run `code` in a fresh interpreter (its own app and plugin set), on the suite's database."""
    import subprocess
    import sys

    from incubator.testing import database_url
    environ = dict(os.environ, INCUBATOR_DATABASE_URL=database_url(tmpdir), INCUBATOR_INSTANCE_PATH=tmpdir, **env)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_certificates_plugin_starts_without_the_academy_plugin(_tmpdir):
    """With the enrolment plugin disabled the plugin loads (graduation only; completions never fire)."""
    out = run_python("from incubator import create_app\n"
                     "info = create_app().extensions['incubator_plugins'].infos['certificates']\n"
                     "print(info.loaded, info.error, 'incubator_transition_done' in info.hooks)",
                     _tmpdir, INCUBATOR_DISABLED_PLUGINS="enrolment")
    assert out.strip() == "True None True"


# -- the holder is told (证书已颁发) ---------------------------------------------------------------

def notices_of(user):
    from incubator.notifications.models import Notice, Notification
    return db.session.scalars(select(Notice).join(Notification, Notification.notice_id == Notice.id).where(
        Notification.user_id == user.id, Notice.kind == "certificates.issued").order_by(Notice.id)).all()


def test_a_trainee_is_told_of_their_certificate_and_the_link_opens_it(academy, fire_completed, users, login_as, client):
    trainee = users["trainee-wang"]
    fire_completed(academy.complete(trainee, academy.offering()))
    [cert] = certificates()
    [notice] = notices_of(trainee)
    assert notice.link == f"/certificates/{cert.id}"
    assert rendered(notice, "zh") == ("结业证书已颁发：社区参与式治理", f"证书编号 {cert.serial}，可在证书页面查看和下载。")
    assert rendered(notice, "en") == ("Completion certificate issued: 社区参与式治理",
                                      f"Serial number {cert.serial}: view and download it on the certificate's page.")
    login_as("trainee-wang")
    page = client.get(notice.link)
    assert page.status_code == 200 and cert.serial in page.get_data(as_text=True)


def test_an_organizations_contacts_are_told_of_its_graduation_certificate(make_org, users, login_as, client):
    org = make_org(park="fangxing", stage="graduated", name="方兴邻里互助会")
    contact = users["contact-zhang"]
    contact.organization_id = org.id
    db.session.commit()
    cert, _new = services.issue_for_graduation(org)
    [notice] = notices_of(contact)
    assert notice.link == f"/certificates/{cert.id}" and rendered(notice, "zh")[0] == "出壳证书已颁发：方兴邻里互助会"
    assert notices_of(users["trainee-wang"]) == []  # a trainee of no organization: nothing
    login_as("contact-zhang")
    assert client.get(notice.link).status_code == 200


def test_nobody_is_told_when_the_holder_has_no_account(make_org):
    from incubator.notifications.models import Notice
    services.issue_for_graduation(make_org(park="fangxing", stage="graduated"))  # an organization without contacts
    assert len(certificates()) == 1
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_a_reissued_certificate_tells_its_holder_of_the_new_version(academy, fire_completed, users):
    trainee = users["trainee-wang"]
    fire_completed(academy.complete(trainee, academy.offering()))
    [cert] = certificates()
    new = services.reissue(cert, user=users["fangxing-mgr"], holder_name="王雪原")
    first, second = notices_of(trainee)
    assert first.link == f"/certificates/{cert.id}" and second.link == f"/certificates/{new.id}"
    assert rendered(second, "zh") == ("结业证书已重新颁发：社区参与式治理",
                                      f"新证书编号 {new.serial}，原证书已被新版本取代，请下载新版本。")


def test_a_batch_writes_its_notices_with_the_certificates_and_leaves_the_mail_to_the_worker(
        app, academy, users, queued, mail_server):
    from incubator.notifications.models import Delivery
    offering = academy.offering()
    trainees = [academy.trainee(name) for name in ["卫一", "卫二", "卫三", "卫四", "卫五", "卫六"]]
    for n, trainee in enumerate(trainees):
        trainee.email = f"wei{n}@example.cn"
        academy.complete(trainee, offering)
    db.session.commit()
    job = jobs.start_batch(offering.id, user=users["fangxing-mgr"])
    queued.execute(queued.dequeue())  # the worker runs the batch
    db.session.expire_all()
    assert db.session.get(BatchJob, job.id).status == "done"
    certs = certificates()
    assert len(certs) == len(trainees)
    assert mail_server.messages == []  # the batch sent nothing itself: one delivery each, for the worker
    assert db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "pending")) == 6
    while len(queued):
        queued.execute(queued.dequeue())  # the worker sends them
    sent = {message["To"]: message.get_body(("plain",)).get_content() for message in mail_server.messages}
    assert set(sent) == {trainee.email for trainee in trainees}
    for cert in certs:
        assert f"/certificates/{cert.id}" in sent[cert.user.email]


# -- stored files, templates -----------------------------------------------------------------

def test_download_serves_the_stored_file_unchanged_after_a_template_or_name_change(
        app, academy, fire_completed, users, login_as, client):
    offering = academy.offering()
    fire_completed(academy.complete(users["trainee-wang"], offering))
    [cert] = certificates()
    login_as("trainee-wang")
    before = client.get(f"/certificates/{cert.id}/pdf").data
    assert hashlib.sha256(before).hexdigest() == cert.pdf_sha256

    override = Path(app.config["CERTIFICATES_TEMPLATES_DIR"]) / "fangxing" / "completion.html"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text('{% extends "completion.html" %}{% block academy %}方兴社区学堂{% endblock %}', encoding="utf-8")
    try:
        users["trainee-wang"].name = "王改名"
        db.session.commit()
        after = client.get(f"/certificates/{cert.id}/pdf").data
        assert after == before
        # …while a new certificate of that park uses its template
        fire_completed(academy.complete(users["trainee-chen"], offering))
        new = certificates()[-1]
        assert new.template == "file:fangxing/completion.html"
        assert "方兴社区学堂" in pdf_text(storage.pdf_path(new).read_bytes())
    finally:
        override.unlink()


class StreetTemplate:
    """A street's own plugin: its seal and wording for 结业证书."""

    @hookimpl
    def incubator_certificate_template(self, kind, park):
        if kind == "completion":
            return ('{% extends "completion.html" %}{% block issuer %}万年埠街道办事处{% endblock %}'
                    '{% block academy %}万年埠街道社区学院{% endblock %}')


def test_incubator_certificate_template_lets_a_park_override_and_its_communities_inherit(academy, fire_completed, users):
    pm = registry().pm
    plugin = StreetTemplate()
    pm.register(plugin, name="wannianbu-template")
    try:
        fire_completed(academy.complete(users["trainee-wang"], academy.offering(park="yunhua")))
        [cert] = certificates()
        assert cert.template == "hook:yunhua"
        text = pdf_text(storage.pdf_path(cert).read_bytes())
        assert "万年埠街道社区学院" in text and "万年埠街道办事处" in text
    finally:
        pm.unregister(plugin)


def test_a_missing_template_variable_is_an_error_not_a_blank(app, academy, users):
    offering = academy.offering(hours=None)  # the course has no hours: the certificate would lie by omission
    with pytest.raises(services.CertificateError, match="hours"):
        services.issue_for_completion(academy.complete(users["trainee-wang"], offering, hours=None))
    override = Path(app.config["CERTIFICATES_TEMPLATES_DIR"]) / "changqing" / "completion.html"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text('{% extends "completion.html" %}{% block academy %}{{ street_motto }}{% endblock %}')
    try:
        with pytest.raises(services.CertificateError, match="street_motto"):
            services.issue_for_completion(academy.complete(users["trainee-wang"], academy.offering(park="changqing")))
    finally:
        override.unlink()
    assert certificates() == []
    assert not any(Path(app.config["CERTIFICATES_DIR"]).glob("*.tmp"))


def test_a_park_template_cannot_pull_server_files_into_a_pdf(app, academy, users, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("database-password-xyz")
    override = Path(app.config["CERTIFICATES_TEMPLATES_DIR"]) / "baogong" / "completion.html"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text('{% extends "completion.html" %}{% block academy %}<link rel="attachment" '
                        f'href="file://{secret}"><img src="file://{secret}">包公街道{{% endblock %}}')
    try:
        cert, _new = services.issue_for_completion(academy.complete(users["trainee-wang"], academy.offering(park="baogong")))
    finally:
        override.unlink()
    data = storage.pdf_path(cert).read_bytes()
    assert b"EmbeddedFile" not in data and b"database-password" not in data
    assert "包公街道" in pdf_text(data)


def test_without_a_cjk_font_issuing_refuses_and_says_what_to_install(app, academy, users, monkeypatch):
    monkeypatch.setattr(fonts, "cjk_families", lambda: ())
    with pytest.raises(services.CertificateError, match="fonts-noto-cjk"):
        services.issue_for_completion(academy.complete(users["trainee-wang"], academy.offering()))
    assert certificates() == []
    result = app.test_cli_runner().invoke(args=["certificates", "check"])
    assert result.exit_code != 0 and "fonts-noto-cjk" in result.output


# -- verification, re-issue, revoke --------------------------------------------------------

def test_verification_shows_holder_course_issuer_and_hash(academy, fire_completed, users, client):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    [cert] = certificates()
    page = client.get(f"/certificates/verify/{cert.code}").get_data(as_text=True)
    for expected in ("证书有效", "王学员", "社区参与式治理", "24 学时", "方兴社区社会组织孵化基地", cert.pdf_sha256):
        assert expected in page
    # typed by hand, lower case and without dashes
    response = client.get("/certificates/verify", query_string={"code": cert.code.replace("-", "").lower()})
    assert response.status_code == 302 and response.headers["Location"].endswith(cert.code)
    # an edited PDF is told apart from the original
    original = storage.pdf_path(cert).read_bytes()
    ok = client.post(f"/certificates/verify/{cert.code}", data={"file": (io.BytesIO(original), "c.pdf")},
                     content_type="multipart/form-data").get_data(as_text=True)
    assert "完全一致" in ok
    edited = original + b"\n% edited\n"
    bad = client.post(f"/certificates/verify/{cert.code}", data={"file": (io.BytesIO(edited), "c.pdf")},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "不一致" in bad


def test_unknown_code_gets_a_clear_not_found(client, network):
    response = client.get("/certificates/verify/AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 404 and "未找到该证书" in response.get_data(as_text=True)
    assert client.get("/api/v1/certificates/verify/AAAA-BBBB-CCCC-DDDD").status_code == 404


def test_verification_is_rate_limited(_tmpdir, network):
    out = run_python("from incubator import create_app\n"
                     "app = create_app({'RATELIMIT_ENABLED': True, 'CERTIFICATES_VERIFY_RATE_LIMIT': '3 per minute',"
                     " 'SERVER_NAME': 'localhost'})\n"
                     "client = app.test_client()\n"
                     "print([client.get(f'/certificates/verify/AAAA-BBBB-CCCC-{i:04d}').status_code for i in range(5)])",
                     _tmpdir)
    assert out.strip() == "[404, 404, 404, 429, 429]"


def test_reissue_with_a_corrected_name_supersedes_the_old_version(academy, fire_completed, users, login_as, client):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    [old] = certificates()
    login_as("fangxing-mgr")
    response = client.post(f"/certificates/{old.id}/reissue", data={"holder_name": "王晓明"})
    assert response.status_code == 302
    old, new = certificates()
    assert new.version == 2 and new.subject == old.subject and new.holder_name == "王晓明"
    assert old.superseded_by_id == new.id and new.code != old.code
    assert "王晓明" in pdf_text(storage.pdf_path(new).read_bytes())
    old_page = client.get(f"/certificates/verify/{old.code}").get_data(as_text=True)
    assert "已被新版本取代" in old_page and new.serial in old_page
    assert "证书有效" in client.get(f"/certificates/verify/{new.code}").get_data(as_text=True)
    # the trainee's page shows only the current version
    login_as("trainee-wang")
    me = client.get("/me").get_data(as_text=True)
    assert new.serial in me and old.serial not in me


def test_manager_revokes_with_a_reason_through_the_api(academy, fire_completed, users, client, api):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    [cert] = certificates()
    assert client.post(f"/api/v1/certificates/{cert.id}/revoke", json={"reason": ""},
                       headers=api("fangxing-mgr")).status_code == 422
    assert client.post(f"/api/v1/certificates/{cert.id}/revoke", json={"reason": "冒名顶替"},
                       headers=api("changqing-mgr")).status_code == 403
    response = client.post(f"/api/v1/certificates/{cert.id}/revoke", json={"reason": "冒名顶替"},
                           headers=api("fangxing-mgr"))
    assert response.status_code == 200 and response.get_json()["status"] == "revoked"
    public = client.get(f"/api/v1/certificates/verify/{cert.code}").get_json()
    assert public["status"] == "revoked" and public["revoke_reason"] == "冒名顶替"
    page = client.get(f"/certificates/verify/{cert.code}").get_data(as_text=True)
    assert "证书已撤销" in page and "冒名顶替" in page


# -- permissions ---------------------------------------------------------------------------

def test_a_trainee_downloads_only_their_own_certificate(academy, fire_completed, users, login_as, client, api):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    [cert] = certificates()
    login_as("trainee-chen")
    assert client.get(f"/certificates/{cert.id}/pdf").status_code == 403
    assert client.get(f"/api/v1/certificates/{cert.id}/pdf", headers=api("trainee-chen")).status_code == 403
    login_as("changqing-mgr")
    assert client.get(f"/certificates/{cert.id}/pdf").status_code == 403
    login_as("trainee-wang")
    response = client.get(f"/certificates/{cert.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "我的证书" in client.get("/me").get_data(as_text=True)
    assert client.get("/certificates").status_code == 403  # the manager's list is not for trainees
    listed = client.get("/api/v1/certificates", headers=api("trainee-wang")).get_json()
    assert [c["serial"] for c in listed["items"]] == [cert.serial]
    client.post("/logout")
    assert client.get(f"/certificates/{cert.id}/pdf").status_code == 302  # to the login page


def test_many_peoples_certificates_stay_the_managers_when_another_rule_lets_everyone_view(
        academy, users, login_as, client):
    """The list, an offering's page and its ZIP: a holder is refused there even under another
    plugin's rule that lets anyone view a certificate (which still opens single certificates)."""
    class Generous:
        @hookimpl
        def incubator_permission(self, user, action, resource):
            return True if action == "certificate.view" else None

    offering = academy.offering()
    academy.complete(users["trainee-wang"], offering)
    academy.complete(academy.trainee("韩梅"), offering)
    login_as("fangxing-mgr")
    client.post(f"/certificates/offerings/{offering.id}/batch")
    own, other = sorted(certificates(), key=lambda c: c.holder_name != users["trainee-wang"].name)
    registry().pm.register(Generous(), name="generous")
    try:
        login_as("trainee-wang")
        assert client.get(f"/certificates/{other.id}").status_code == 200  # the rule is in force
        assert client.get("/certificates").status_code == 403
        assert client.get(f"/certificates/offerings/{offering.id}").status_code == 403
        assert client.get(f"/certificates/offerings/{offering.id}/zip").status_code == 403
        assert client.get(f"/certificates/{own.id}").status_code == 200
    finally:
        registry().pm.unregister(name="generous")


def test_the_certificate_page_offers_only_what_its_state_allows(academy, fire_completed, users, login_as, client):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    [old] = certificates()

    def offered(cert):
        page = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
        return {action for action in ("reissue", "revoke") if f"/certificates/{cert.id}/{action}" in page}

    login_as("trainee-wang")
    assert offered(old) == set()  # the holder sees it, manages nothing
    login_as("fangxing-mgr")
    assert offered(old) == {"reissue", "revoke"}
    new = services.reissue(old, user=users["fangxing-mgr"], holder_name="王晓明")
    assert offered(old) == {"revoke"}  # a superseded version can still be revoked, not re-issued
    with pytest.raises(Conflict, match="最新版本"):
        services.reissue(old, user=users["fangxing-mgr"])
    services.revoke(new, "冒名顶替", user=users["fangxing-mgr"])
    assert offered(new) == set()
    with pytest.raises(Conflict, match="已撤销"):
        services.reissue(new, user=users["fangxing-mgr"])
    with pytest.raises(Conflict, match="已撤销"):
        services.revoke(new, "再撤一次", user=users["fangxing-mgr"])


def test_disabled_for_a_park_means_no_certificate_and_404(academy, fire_completed, users, parks, login_as, client):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    [cert] = certificates()
    set_enablement("certificates", "parks", [parks["changqing"]])
    db.session.commit()
    fire_completed(academy.complete(users["trainee-chen"], academy.offering()))
    assert len(certificates()) == 1
    login_as("fangxing-mgr")
    assert client.get(f"/certificates/{cert.id}").status_code == 404
    assert client.get(f"/certificates/verify/{cert.code}").status_code == 404


# -- a whole offering ------------------------------------------------------------------------

def test_manager_issues_a_whole_offering_then_downloads_one_zip(academy, users, login_as, client):
    offering = academy.offering()
    names = ["张伟", "李娜", "刘洋", "陈静", "杨磊", "赵敏"]
    for name in names:
        academy.complete(academy.trainee(name), offering)
    login_as("changqing-mgr")
    assert client.post(f"/certificates/offerings/{offering.id}/batch").status_code == 403
    login_as("fangxing-mgr")
    page = client.get(f"/certificates/offerings/{offering.id}").get_data(as_text=True)
    assert "6 张待颁发" in page
    response = client.post(f"/certificates/offerings/{offering.id}/batch")  # immediate queue in tests
    assert response.status_code == 302
    job = db.session.scalars(select(BatchJob)).one()
    assert (job.status, job.total, job.done, job.issued) == ("done", 6, 6, 6), job.error
    assert "100%" in client.get(response.headers["Location"]).get_data(as_text=True)
    certs = certificates()
    assert sorted(c.holder_name for c in certs) == sorted(names)
    for cert in certs:  # each split file: one page, its own holder, the stored hash, small
        data = storage.pdf_path(cert).read_bytes()
        assert hashlib.sha256(data).hexdigest() == cert.pdf_sha256 and len(data) < 300 * 1024
        text = pdf_text(data)
        assert cert.holder_name in text and cert.serial in text
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/certificates/offerings/{offering.id}/zip").data))
    assert len(archive.namelist()) == 6 and all(n.endswith(".pdf") for n in archive.namelist())
    # again: nobody gets a second certificate
    client.post(f"/certificates/offerings/{offering.id}/batch")
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 6


def test_batch_issue_through_the_api_reports_progress(academy, users, client, api):
    offering = academy.offering()
    for name in ["周芳", "吴军"]:
        academy.complete(academy.trainee(name), offering)
    assert len(registry().pm.hook.incubator_certificate_completions(offering_id=offering.id)) == 2
    response = client.post(f"/api/v1/certificates/offerings/{offering.id}/batch", headers=api("fangxing-mgr"))
    assert response.status_code == 202
    job = response.get_json()
    status = client.get(f"/api/v1/certificates/jobs/{job['id']}", headers=api("fangxing-mgr")).get_json()
    assert status["status"] == "done" and status["done"] == status["total"] == 2 and status["percent"] == 100
    assert client.post("/api/v1/certificates/offerings/99999/batch", headers=api("admin")).status_code == 404


def test_cli_issues_an_offering_with_a_progress_bar(app, academy, users):
    offering = academy.offering()
    for name in ["孙杰", "马娟", "朱涛"]:
        academy.complete(academy.trainee(name), offering)
    result = app.test_cli_runner().invoke(args=["certificates", "issue-offering", str(offering.id)])
    assert result.exit_code == 0, result.output
    assert "3 issued" in result.output
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 3


def test_a_batch_from_the_cli_is_in_the_audit_log_as_one_from_a_page(app, academy, users, login_as, client):
    from incubator.audit.models import AuditEntry

    def batch_entries(offering):
        job = db.session.scalars(select(BatchJob).where(BatchJob.offering_id == offering.id)).one()
        return db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "BatchJob",
                                                           AuditEntry.object_id == str(job.id))
                                  .order_by(AuditEntry.id)).all()

    from_page, from_cli = academy.offering(), academy.offering()
    for offering, names in ((from_page, ["孙杰", "马娟"]), (from_cli, ["朱涛", "胡静"])):
        for name in names:
            academy.complete(academy.trainee(name), offering)
    login_as("fangxing-mgr")
    assert client.post(f"/certificates/offerings/{from_page.id}/batch").status_code == 302
    result = app.test_cli_runner().invoke(args=["certificates", "issue-offering", str(from_cli.id)])
    assert result.exit_code == 0, result.output
    page, cli = batch_entries(from_page), batch_entries(from_cli)
    assert [e.action for e in cli] == [e.action for e in page] == ["certificate.batch", "certificate.batch_done"]
    assert cli[0].summary == f"批量颁发结业证书：班次 {from_cli.id}，2 人" and cli[0].details == {"offering_id": from_cli.id}
    assert {e.user_id for e in cli} == {users["admin"].id}  # a command acts as the first administrator
    assert {e.user_id for e in page} == {users["fangxing-mgr"].id}
    issued = db.session.scalars(select(AuditEntry.user_id).where(AuditEntry.action == "certificate.issue",
                                                                 AuditEntry.summary.contains("朱涛"))).all()
    assert issued == [users["admin"].id]


def test_a_batch_that_fails_after_rendering_records_nothing_and_leaves_no_files(app, academy, users, monkeypatch):
    """The workers have written the group's files when recording fails: they are removed again."""
    from incubator.notifications.models import Notice
    offering = academy.offering()
    for name in ["韩梅", "冯涛", "邓颖"]:
        academy.complete(academy.trainee(name), offering)
    calls = []

    def failing_record(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(services.audit, "record", failing_record)
    stored = Path(app.config["CERTIFICATES_DIR"])
    for left in stored.rglob("*.pdf"):  # earlier tests' files (their rows are gone, their serials come again)
        left.unlink()
    job = jobs.start_batch(offering.id, user=users["fangxing-mgr"])
    assert job.status == "failed" and "disk full" in job.error
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0  # the notices went with them
    assert [path for path in stored.rglob("*") if path.is_file()] == []  # staged ones included


@pytest.mark.skipif(not os.environ.get("INCUBATOR_TEST_REDIS_URL"), reason="set INCUBATOR_TEST_REDIS_URL")
def test_batch_job_travels_through_redis_to_a_worker(app, academy, users):
    from incubator import queue

    from .conftest import swap_queue
    offering = academy.offering()
    academy.complete(academy.trainee("何明"), offering)
    huey = queue.build(app, url=os.environ["INCUBATOR_TEST_REDIS_URL"], immediate=False)
    huey.flush()
    restore = swap_queue(app, huey)
    try:
        job = jobs.start_batch(offering.id, user=users["fangxing-mgr"])
        assert job.status == "queued" and len(huey) == 1
        task = huey.dequeue()  # what a worker on another machine does
        assert task.name == "certificates.batch"
        huey.execute(task)
    finally:
        restore()
        huey.flush()
    db.session.expire_all()
    assert db.session.get(BatchJob, job.id).status == "done"
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
