"""What the certificates say (the whole incubation period; what the course rule checked; one date
style), who sees them (the organization's own contact), the steps that ask first, and phones."""
import io
import re
from datetime import date
from types import SimpleNamespace

from pypdf import PdfReader
from sqlalchemy import select, update

from incubator.dates import today
from incubator.extensions import db
from incubator.plugins import hooks_for
from plugins.certificates import services, specs, storage
from plugins.certificates.models import Certificate


def pdf_text(cert: Certificate) -> str:
    """The PDF's text with the layout's spaces and line breaks taken out (letter-spacing, wrapping)."""
    reader = PdfReader(io.BytesIO(storage.pdf_path(cert).read_bytes()))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def graduated(make_org, name="包河邻里守望服务社", park="district", start=date(2024, 11, 1)):
    org = make_org(park=park, stage="graduated", name=name, incubation_start=start,
                   incubation_due=date(start.year + 2, start.month, start.day))
    cert, _new = services.issue_one(specs.graduation_spec(org, date(2026, 12, 1)))
    return org, cert


# -- the graduation certificate: the whole incubation period --------------------------------

def test_the_graduation_certificate_shows_the_whole_incubation_period(make_org):
    org, cert = graduated(make_org)
    text = pdf_text(cert)
    assert "孵化期：2024年11月1日至2026年12月1日。" in text
    assert "包河邻里守望服务社" in text and "准予出壳" in text
    assert cert.data["incubation_period"] == "2024年11月1日至2026年12月1日"
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text) and not re.search(r"\d{4}-\d{2}-\d{2}|二〇", text)


def test_graduating_through_the_stage_form_ends_the_period_on_the_districts_today(only_plugins, make_org, login_as,
                                                                                    client):
    only_plugins("certificates")
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里守望社", incubation_start=date(2024, 11, 1),
                   incubation_due=date(2026, 11, 1))
    login_as("fangxing-mgr")
    assert client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "graduated", "move-note": "期满出壳"}).status_code == 302
    [cert] = db.session.scalars(select(Certificate)).all()
    day = today()
    assert f"孵化期：2024年11月1日至{day.year}年{day.month}月{day.day}日。" in pdf_text(cert)


def test_a_back_dated_graduation_ends_the_period_on_the_day_it_happened(only_plugins, make_org, users):
    """(The district's day of a move is the core's `happened_on`: tests/test_happened_on.py.)"""
    from incubator.organizations import services as orgs
    only_plugins("certificates")
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里守望社", incubation_start=date(2024, 11, 1),
                   incubation_due=date(2026, 11, 1))
    from incubator.organizations.models import Transition
    db.session.execute(update(Transition).where(Transition.organization_id == org.id)
                       .values(happened_on=date(2024, 11, 1)))  # (it entered on its start date)
    db.session.commit()
    orgs.move(org, "graduated", user=users["fangxing-mgr"], note="期满出壳", happened_on=date(2026, 11, 1))
    [cert] = db.session.scalars(select(Certificate)).all()
    assert "孵化期：2024年11月1日至2026年11月1日。" in pdf_text(cert)


# -- the completion certificate: what the course rule checked ------------------------------

def test_an_attendance_only_course_says_the_study_was_completed_not_that_an_exam_was_passed(
        academy, fire_completed, users):
    offering = academy.offering(min_attendance=80, completion_note="")
    fire_completed(academy.complete(users["trainee-wang"], offering))
    [cert] = db.session.scalars(select(Certificate)).all()
    text = pdf_text(cert)
    assert "完成全部学习并结业。" in text and "考核" not in text
    assert "于2026年9月1日至2026年11月20日参加" in text and "“社区参与式治理”课程学习，共24学时" in text
    assert cert.data["assessed"] is False


def test_a_course_whose_rule_includes_an_assessment_says_it_was_passed(academy, fire_completed, users):
    offering = academy.offering(completion_note="出勤率不低于90%，并通过结业考核：提交两份督导记录",
                                completion_assessment=True)
    fire_completed(academy.complete(users["trainee-wang"], offering))
    [cert] = db.session.scalars(select(Certificate)).all()
    text = pdf_text(cert)
    assert "经考核合格，准予结业。" in text and "完成全部学习" not in text
    assert cert.data["assessed"] is True and cert.data["outcome"] == "经考核合格，准予结业"


def test_the_wording_follows_the_courses_field_not_the_words_of_its_note(academy, fire_completed, users):
    """A note that names an exam does not make the course assessed: only `completion_assessment` does."""
    offering = academy.offering(completion_note="出勤率不低于80%，并通过结业考核", completion_assessment=False)
    fire_completed(academy.complete(users["trainee-wang"], offering))
    [cert] = db.session.scalars(select(Certificate)).all()
    text = pdf_text(cert)
    assert "完成全部学习并结业。" in text and "经考核合格" not in text
    assert cert.data["assessed"] is False


def test_the_rule_is_read_from_what_the_completion_hook_passes():
    course = SimpleNamespace
    assert specs.rule_includes_assessment(course(min_attendance=80, completion_note="", completion_assessment=False)) is False
    assert specs.rule_includes_assessment(course(completion_note="", completion_assessment=True)) is True
    assert specs.rule_includes_assessment(course(completion_note="须通过结业考试")) is False  # no field: attendance only
    assert specs.rule_includes_assessment(course(completion_assessment="true")) is False  # only a real True
    assert specs.rule_includes_assessment(None) is False


def test_the_verification_page_says_the_same_as_the_certificate(academy, fire_completed, users, client):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    fire_completed(academy.complete(users["trainee-chen"], academy.offering(
        code="SQ102", completion_note="须通过结业考核", completion_assessment=True)))
    attended, examined = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    page = client.get(f"/certificates/verify/{attended.code}").get_data(as_text=True)
    assert "完成全部学习并结业" in page and "经考核合格" not in page and "（SQ101）" in page
    page = client.get(f"/certificates/verify/{examined.code}").get_data(as_text=True)
    assert "经考核合格，准予结业" in page


def test_a_certificate_issued_before_the_wording_was_kept_is_reissued_with_the_plain_wording(
        academy, fire_completed, users):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    [old] = db.session.scalars(select(Certificate)).all()
    old.data = {k: v for k, v in old.data.items() if k not in ("assessed", "outcome")}
    db.session.commit()
    new = services.reissue(old, user=users["fangxing-mgr"])
    assert "完成全部学习并结业。" in pdf_text(new)


# -- the organization's own contact --------------------------------------------------------

def test_the_contact_sees_and_downloads_their_organizations_certificate_and_no_other(
        make_org, users, login_as, client):
    org, cert = graduated(make_org)
    other, other_cert = graduated(make_org, name="包河另一家服务社")
    zhang = users["contact-zhang"]
    zhang.organization_id = org.id
    db.session.commit()
    panels = [p for answer in hooks_for([org.park]).incubator_org_panels(org=org, user=zhang) for p in (answer or [])]
    [panel] = [p for p in panels if p.title == "出壳证书"]
    assert cert.serial in panel.html and f"/certificates/verify/{cert.code}" in panel.html
    assert "孵化期：2024年11月1日至2026年12月1日" in panel.html
    assert f"/certificates/{cert.id}/pdf" in panel.html and f"/certificates/{cert.id}\"" not in panel.html
    panels = [p for answer in hooks_for([other.park]).incubator_org_panels(org=other, user=zhang) for p in (answer or [])]
    assert not [p for p in panels if p.title == "出壳证书"]
    login_as("contact-zhang")
    response = client.get(f"/certificates/{cert.id}/pdf")
    assert response.status_code == 200 and response.data == storage.pdf_path(cert).read_bytes()
    assert client.get(f"/certificates/{other_cert.id}/pdf").status_code == 403
    page = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert cert.serial in page and "撤销证书" not in page and "重新颁发（生成新版本）" not in page
    assert client.post(f"/certificates/{cert.id}/revoke", data={"reason": "不想要了"}).status_code == 403
    db.session.refresh(cert)
    assert cert.status == "valid"


# -- steps that ask first, phones ------------------------------------------------------------

def test_revoking_and_reissuing_ask_for_confirmation(make_org, login_as, client):
    org, cert = graduated(make_org)
    login_as("district-mgr")
    page = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    revoke = re.search(r'<input[^>]*value="撤销证书"[^>]*>|<input[^>]*data-confirm="确定撤销[^>]*>', page).group(0)
    assert 'data-confirm="确定撤销这张证书吗？撤销后不能恢复' in revoke
    reissue = re.search(r'<input[^>]*data-confirm="确定重新颁发[^>]*>', page).group(0)
    assert "重新颁发（生成新版本）" in reissue
    assert "（SHA-256" not in page and "KB）" in page


def test_certificate_lists_become_cards_on_a_phone(make_org, login_as, client):
    org, cert = graduated(make_org)
    login_as("district-mgr")
    page = client.get("/certificates").get_data(as_text=True)
    assert "table-stack" in page
    assert f'data-label="证书编号"><a href="/certificates/{cert.id}">{cert.serial}</a>' in page
