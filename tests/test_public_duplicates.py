"""An organization that already applied is told so (已有该组织的申请) instead of getting a second record:
matched by USCC, or by its name (however spelled) with the same contact phone."""
import re

from incubator.organizations.models import Organization
from incubator.organizations import services as orgs
from incubator.validators import make_uscc

from .helpers import count_rows, page_text

USCC = make_uscc("91340100MA2N0X0Q1")
ALREADY = "已有该组织的申请"


def application(parks, **fields):
    data = {"name": "滨湖乐龄互助会", "category": "社区社会组织", "registration_status": "unregistered",
            "contact_name": "王芳", "contact_phone": "13912345678", "service_area": "滨湖世纪社区",
            "description": "为社区老人提供互助服务", "park": parks["district"].id}
    data.update(fields)
    return data


def shown_number(response) -> str | None:
    found = re.search(r'application-number">\s*(\d+)\s*<', page_text(response))
    return found.group(1) if found else None


def test_the_same_uscc_twice_makes_one_record_and_shows_its_number(client, parks):
    first = client.post("/apply", data=application(parks, uscc=USCC))
    assert ALREADY not in page_text(first)
    org = Organization.query.one()
    again = client.post("/apply", data=application(parks, uscc=USCC.lower(), name="滨湖乐龄互助中心",
                                                   contact_phone="13800000000", park=parks["fangxing"].id))
    html = page_text(again)
    assert again.status_code == 200
    assert ALREADY in html and "申请已提交" not in html
    assert shown_number(again) == str(org.id)
    assert '<span class="badge text-bg-primary fs-6 stage">申请</span>' in html
    assert f'href="/apply/status?number={org.id}"' in html
    assert count_rows(Organization) == 1


def test_the_name_in_full_width_with_spaces_and_the_same_phone_is_the_same_application(client, parks):
    client.post("/apply", data=application(parks, name="滨湖ABC乐龄互助会"))
    org = Organization.query.one()
    orgs.move(org, "reviewing", user=None, note="开始评审")
    again = client.post("/apply", data=application(parks, name="滨湖ＡＢＣ　乐龄 互助会",
                                                   contact_phone="13912345678"))
    html = page_text(again)
    assert ALREADY in html and shown_number(again) == str(org.id)
    assert '<span class="badge text-bg-primary fs-6 stage">评审</span>' in html
    assert count_rows(Organization) == 1


def test_an_incubating_organization_is_not_registered_twice(client, make_org, parks):
    org = make_org(name="滨湖乐龄互助会", stage="incubating", contact_phone="13912345678")
    again = client.post("/apply", data=application(parks))
    assert ALREADY in page_text(again) and shown_number(again) == str(org.id)
    assert count_rows(Organization) == 1


def test_the_same_name_with_another_phone_is_a_new_application(client, parks):
    client.post("/apply", data=application(parks))
    other = client.post("/apply", data=application(parks, contact_phone="13800001111"))
    html = page_text(other)
    assert ALREADY not in html and "申请已提交" in html
    assert count_rows(Organization) == 2


def test_an_organization_refused_or_withdrawn_may_apply_again(client, make_org, parks):
    make_org(name="滨湖乐龄互助会", stage="rejected", contact_phone="13912345678")
    make_org(name="滨湖乐龄互助会（筹）", stage="withdrawn", contact_phone="13912345678")
    again = client.post("/apply", data=application(parks))
    html = page_text(again)
    assert ALREADY not in html and "申请已提交" in html
    assert count_rows(Organization) == 3


def test_a_graduated_organization_applies_anew(client, make_org, parks):
    make_org(name="滨湖乐龄互助会", stage="graduated", contact_phone="13912345678")
    assert "申请已提交" in page_text(client.post("/apply", data=application(parks)))
    assert count_rows(Organization) == 2


def test_an_invalid_second_application_is_still_told_its_errors(client, parks):
    client.post("/apply", data=application(parks))
    wrong = client.post("/apply", data=application(parks, contact_phone="12"))
    assert wrong.status_code == 422 and ALREADY not in page_text(wrong)
    assert count_rows(Organization) == 1
