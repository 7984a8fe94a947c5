"""The certificate pages in English once a user switches language (the PDF itself stays Chinese)."""
import pathlib
import subprocess
import sys

from sqlalchemy import select

from incubator.extensions import db
from plugins.certificates import storage
from plugins.certificates.models import Certificate
from plugins.certificates.tests.test_certificates import pdf_text

_dir = pathlib.Path(__file__).resolve().parents[1] / "translations"
subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(_dir)], check=False)


def test_verification_page_follows_the_chosen_language(client, network):
    client.get("/lang/en")
    page = client.get("/certificates/verify").get_data(as_text=True)
    assert "Verify a certificate" in page and "证书验证" not in page
    page = client.get("/certificates/verify/AAAA-BBBB-CCCC-DDDD").get_data(as_text=True)
    assert "Certificate not found." in page and "未找到该证书" not in page

    client.get("/lang/zh")
    page = client.get("/certificates/verify").get_data(as_text=True)
    assert "证书验证" in page and "Verify a certificate" not in page


def test_verification_of_a_certificate_in_english_while_the_pdf_stays_chinese(academy, fire_completed, users, client):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    [cert] = db.session.scalars(select(Certificate)).all()
    client.get("/lang/en")
    page = client.get(f"/certificates/verify/{cert.code}").get_data(as_text=True)
    for expected in ("Valid certificate.", "Completion certificate", "Holder", "24 hours of study", cert.pdf_sha256):
        assert expected in page
    assert "证书有效" not in page and "持证人" not in page
    assert "结业证书" in pdf_text(storage.pdf_path(cert).read_bytes())  # the certificate itself is not translated
