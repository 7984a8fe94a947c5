"""What a certificate prints and the files it travels in: the platform's address (never a request's
Host), holders' names with control characters, ZIP entry names a trainee cannot steer."""
import io
import logging
import zipfile

import pytest
from sqlalchemy import func, select

from incubator.extensions import db
from plugins.certificates import services, storage
from plugins.certificates.models import BatchJob, Certificate
from plugins.certificates.names import MAX_FILE_NAME, clean_name, file_name

from .test_certificates import pdf_text


def certificates():
    return db.session.scalars(select(Certificate).order_by(Certificate.id)).all()


@pytest.fixture
def production(app, monkeypatch):
    """Neither debug nor testing, no BASE_URL: as a server someone forgot to configure."""
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "DEBUG", False)
    monkeypatch.setitem(app.config, "BASE_URL", None)
    monkeypatch.setitem(app.config, "CERTIFICATES_PUBLIC_URL", None)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", True)


# -- the verification address ----------------------------------------------------------------

def test_a_certificate_issued_in_a_request_prints_base_url_not_the_host_header(app, academy, users, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://xueyuan.example.gov.cn/")
    enrolment = academy.complete(users["trainee-wang"], academy.offering())
    with app.test_request_context("/", base_url="http://evil.example"):  # a request with a forged Host
        cert, _new = services.issue_for_completion(enrolment)
    text = pdf_text(storage.pdf_path(cert).read_bytes())
    assert "https://xueyuan.example.gov.cn/certificates/verify" in text and "evil.example" not in text


def test_the_worker_and_the_cli_print_base_url_not_the_local_server(app, academy, users, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://xueyuan.example.gov.cn")
    offering = academy.offering()
    academy.complete(users["trainee-wang"], offering)
    result = app.test_cli_runner().invoke(args=["certificates", "issue-offering", str(offering.id)])
    assert result.exit_code == 0, result.output
    [cert] = certificates()
    text = pdf_text(storage.pdf_path(cert).read_bytes())
    assert "https://xueyuan.example.gov.cn/certificates/verify" in text and "127.0.0.1" not in text


def test_without_base_url_a_server_refuses_to_issue_on_the_page(app, academy, users, login_as, client, production):
    offering = academy.offering()
    academy.complete(users["trainee-wang"], offering)
    login_as("fangxing-mgr")
    page = client.post(f"/certificates/offerings/{offering.id}/batch", follow_redirects=True).get_data(as_text=True)
    assert "未设置平台的公开网址" in page and "INCUBATOR_BASE_URL" in page
    assert db.session.scalar(select(func.count()).select_from(BatchJob)) == 0
    assert certificates() == []


def test_without_base_url_a_server_refuses_in_the_api_and_the_cli(app, academy, users, client, api, production):
    offering = academy.offering()
    academy.complete(users["trainee-wang"], offering)
    response = client.post(f"/api/v1/certificates/offerings/{offering.id}/batch", headers=api("fangxing-mgr"))
    assert response.status_code == 422 and "未设置平台的公开网址" in response.get_json()["errors"][0]["message"]
    result = app.test_cli_runner().invoke(args=["certificates", "issue-offering", str(offering.id)])
    assert result.exit_code != 0 and "未设置平台的公开网址" in result.output
    with pytest.raises(services.CertificateError, match="INCUBATOR_BASE_URL"):
        services.issue_for_completion(academy.complete(users["trainee-chen"], offering))
    assert certificates() == []


def test_in_debug_the_local_server_is_printed_with_a_warning(app, academy, users, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "DEBUG", True)
    monkeypatch.setitem(app.config, "BASE_URL", None)
    monkeypatch.setattr(services, "_warned_dev_base", False)
    with caplog.at_level(logging.WARNING, logger=services.log.name):
        cert, _new = services.issue_for_completion(academy.complete(users["trainee-wang"], academy.offering()))
    assert "BASE_URL" in caplog.text
    assert "http://127.0.0.1:5000/certificates/verify" in pdf_text(storage.pdf_path(cert).read_bytes())


def test_the_demo_issues_without_base_url_and_the_academys_completions_too(app, academy, users, production,
                                                                             make_org):
    from incubator.plugins import hook
    org = make_org(name="演示出壳社", stage="graduated")
    enrolment = academy.complete(users["trainee-wang"], academy.offering())
    with app.app_context():  # `incubator demo`: the certificates plugin seeds first, the academy then completes
        hook().incubator_seed_demo(session=db.session, size=1)
        services.issue_for_completion(enrolment)
        db.session.commit()
    certs = certificates()  # (the real academy plugin seeds its demo completions too)
    assert ("graduation", org.id) in {(c.kind, c.organization_id) for c in certs}
    assert f"enrolment:{enrolment.id}" in {c.subject for c in certs}


# -- holders' names -------------------------------------------------------------------------

def test_a_line_break_in_a_name_never_reaches_the_certificate(academy, fire_completed, login_as, client):
    trainee = academy.trainee("王\n学员\t\u202e")
    fire_completed(academy.complete(trainee, academy.offering()))
    [cert] = certificates()
    assert cert.holder_name == "王 学员" and cert.data["holder_name"] == "王 学员"
    login_as(trainee.username)
    response = client.get(f"/certificates/{cert.id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_a_certificate_stored_with_a_control_character_still_downloads(academy, fire_completed, users, login_as,
                                                                       client):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    [cert] = certificates()
    cert.holder_name = "王\r\n学员"  # issued before names were cleaned
    db.session.commit()
    login_as("fangxing-mgr")
    response = client.get(f"/certificates/{cert.id}/pdf")
    assert response.status_code == 200
    assert "\n" not in response.headers["Content-Disposition"] and "\r" not in response.headers["Content-Disposition"]
    assert client.get(f"/certificates/{cert.id}").status_code == 200
    new = services.reissue(cert, user=users["fangxing-mgr"], holder_name="王\n晓明")
    assert new.holder_name == "王 晓明"


def test_clean_name_keeps_rare_characters_and_drops_invisible_ones():
    assert clean_name("  王䶮\u200b喆\u2028 ") == "王䶮喆"
    assert clean_name("李\x00四") == "李 四"


# -- ZIP archives -----------------------------------------------------------------------------

def test_zip_entries_are_safe_whatever_name_a_trainee_chose(academy, users, login_as, client):
    offering = academy.offering()
    names = ["../../etc/passwd", "a\\b/c", "..", "张" * 80, "李四", "李四"]
    for name in names:
        academy.complete(academy.trainee(name), offering)
    login_as("fangxing-mgr")
    client.post(f"/certificates/offerings/{offering.id}/batch")
    response = client.get(f"/certificates/offerings/{offering.id}/zip")
    entries = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert len(entries) == len(set(entries)) == len(names)
    for entry in entries:
        assert "/" not in entry and "\\" not in entry and ".." not in entry and entry.endswith(".pdf")
        assert all(ch.isprintable() for ch in entry) and len(entry) <= 20 + MAX_FILE_NAME + 8


def test_file_names_are_unique_within_an_archive():
    used = set()
    assert file_name("BH1", "a/b", used) == "BH1-a_b.pdf"
    assert file_name("BH1", "a/b", used) == "BH1-a_b-2.pdf"
    assert file_name("BH2", "..", used) == "BH2-_.pdf"
    assert file_name("BH3", "\n", used) == "BH3.pdf"
