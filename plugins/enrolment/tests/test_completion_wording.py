"""The course's completion rule reaches the 结业证书: with the certificates plugin running, a trainee
who completes an assessed course (结业考核) downloads a certificate saying 经考核合格, and one who
completes an attendance-only course a certificate saying 完成全部学习并结业."""
import io
import re

import pytest
from pypdf import PdfReader

from incubator.plugins import registry
from plugins.enrolment import completion, services

from .conftest import login


@pytest.fixture
def certificates_running(network):
    if registry().pm.get_plugin("certificates") is None:
        pytest.skip("the certificates plugin is not loaded")


def complete(make_offering, users, course, title):
    offering = make_offering(course=course, started=True, sessions=1, title=title)
    enrolment = services.enrol(offering, users["trainee-wang"], by=users["fangxing-mgr"], as_manager=True)
    assert completion.record_attendance(offering.sessions[0], {enrolment.id: "present"}, by=users["expert-li"])


def downloaded_texts(client):
    """{course title: the PDF's text without spaces} for each certificate on the trainee's /me."""
    page = client.get("/me").get_data(as_text=True)
    texts = {}
    for title, href in re.findall(r"结业证书 · ([^（<]+)（.*?href=\"(/certificates/\d+/pdf)\"", page, re.S):
        reader = PdfReader(io.BytesIO(client.get(href).data))
        texts[title.strip()] = "".join("".join(p.extract_text().split()) for p in reader.pages)
    return texts


def test_the_certificate_says_passed_only_for_a_course_whose_rule_includes_an_assessment(
        certificates_running, client, make_offering, users, courses):
    assert courses["CG301"].completion_assessment and not courses["CG104"].completion_assessment
    complete(make_offering, users, "CG301", "督导班")    # 90% and 结业考核
    complete(make_offering, users, "CG104", "议事规则班")  # every session, attendance alone
    login(client, "trainee-wang")
    texts = downloaded_texts(client)
    assert set(texts) == {"社区社会组织孵化督导实务", "居民议事会与议事规则"}, texts
    assessed, attended = texts["社区社会组织孵化督导实务"], texts["居民议事会与议事规则"]
    assert "经考核合格，准予结业。" in assessed and "完成全部学习" not in assessed
    assert "完成全部学习并结业。" in attended and "考核" not in attended

