"""What the public sees: the 1+N park directory, a park's page, the application form, the language."""
from pathlib import Path

import pytest

from incubator.audit.models import AuditEntry
from incubator.demo import NETWORK
from incubator.organizations.models import Organization, Transition
from incubator.validators import make_uscc

from .helpers import count_rows, page_text

USCC = make_uscc("91340100MA2N0X0Q1")


def application(parks, **fields):
    data = {"name": "滨湖乐龄互助会", "category": "社区社会组织", "registration_status": "unregistered",
            "contact_name": "王芳", "contact_phone": "13912345678", "service_area": "滨湖世纪社区",
            "description": "为社区老人提供互助服务", "park": parks["binhu-shiji"].id}
    data.update(fields)
    return data


# -- the park directory -------------------------------------------------------------------------

def test_the_directory_shows_the_whole_1_plus_n_network(client, parks, make_org):
    make_org(park="fangxing", stage="incubating")
    make_org(park="fangxing", stage="virtual")
    make_org(park="fangxing", stage="applied")
    response = client.get("/parks")
    assert response.status_code == 200
    html = page_text(response)
    for code, name, *_ in NETWORK:
        assert f'href="/parks/{code}"' in html and name in html
        assert f'href="/apply?park={code}"' in html
    # Tree order: the two community points follow 万年埠街道, indented under it.
    order = [html.index(name) for _code, name, *_ in NETWORK]
    assert order.index(min(order)) == 0
    assert html.index("万年埠街道社会组织孵化园") < html.index("云华社区睦邻中心孵化点") < html.index("滨湖世纪社区")
    assert "总面积约 8,000 ㎡" in html and "共 9 个园区" in html


def test_a_park_page_shows_its_place_in_the_network(client, parks, make_org):
    make_org(park="wannianbu", stage="incubating")
    response = client.get("/parks/wannianbu")
    assert response.status_code == 200
    html = page_text(response)
    assert "万年埠街道社会组织孵化园" in html and "包河区社会组织创新园" in html  # the parent
    assert "云华社区睦邻中心孵化点" in html and "万慈社区孵化点" in html      # the children
    assert '<dd class="col-sm-10">1</dd>' in html                         # one organization in incubation


def test_an_unknown_park_is_404(client, network):
    assert client.get("/parks/atlantis").status_code == 404


def test_the_home_page_sends_visitors_to_the_directory(client, network):
    response = client.get("/")
    assert response.status_code == 302 and response.location.endswith("/parks")


# -- applying for incubation -------------------------------------------------------------------------

def test_the_form_preselects_the_park_from_the_directory(client, parks):
    html = page_text(client.get("/apply?park=fangxing"))
    assert f'<option selected value="{parks["fangxing"].id}">' in html or \
        f'value="{parks["fangxing"].id}" selected' in html


def test_an_organization_applies_and_waits_in_applied(client, parks):
    response = client.post("/apply", data=application(parks, uscc=USCC, registration_status="registered"))
    assert response.status_code == 200
    assert "申请已提交" in page_text(response) and "滨湖世纪社区社会组织孵化基地" in page_text(response)
    org = Organization.query.one()
    assert (org.name, org.stage, org.park.code, org.uscc) == ("滨湖乐龄互助会", "applied", "binhu-shiji", USCC)
    assert org.name_initials == "bhllhzh"
    transition = Transition.query.one()
    assert (transition.from_stage, transition.to_stage, transition.user_id) == (None, "applied", None)
    entry = AuditEntry.query.filter_by(action="org.create").one()
    assert entry.user_id is None and entry.object_id == str(org.id)


def test_an_application_without_uscc_is_fine_for_grassroots_groups(client, parks):
    assert client.post("/apply", data=application(parks, uscc="")).status_code == 200
    assert Organization.query.one().uscc is None


@pytest.mark.parametrize("field, value, message", [
    ("uscc", USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), "统一社会信用代码校验位不正确"),
    ("uscc", "91340100MA2N0X0Q", "统一社会信用代码应为18位"),
    ("uscc", "91340100MA2N0X0QIO", "统一社会信用代码含有无效字符"),
    ("contact_phone", "1234567", "请填写有效的手机号或固定电话"),
    ("name", "", "该字段是必填字段。"),
    ("contact_name", "", "该字段是必填字段。"),
    ("contact_phone", "", "该字段是必填字段。"),
    ("park", "99999", "不是有效的选择。"),
])
def test_bad_applications_are_explained_and_write_nothing(field, value, message, client, parks):
    response = client.post("/apply", data=application(parks, **{field: value}))
    assert response.status_code == 422
    assert message in page_text(response)
    assert count_rows(Organization) == 0 and count_rows(Transition) == 0 and count_rows(AuditEntry) == 0


def test_a_duplicate_uscc_is_explained_and_writes_nothing(client, parks, make_org):
    # (an organization whose application is still open is told so instead: test_public_duplicates.py)
    make_org(park="changqing", uscc=USCC, stage="rejected")
    before = (count_rows(Organization), count_rows(Transition), count_rows(AuditEntry))
    response = client.post("/apply", data=application(parks, uscc=USCC.lower()))
    assert response.status_code == 422
    assert "该统一社会信用代码已被其他组织使用" in page_text(response)
    assert (count_rows(Organization), count_rows(Transition), count_rows(AuditEntry)) == before


def test_a_landline_number_is_accepted(client, parks):
    assert client.post("/apply", data=application(parks, contact_phone="0551-63571234")).status_code == 200


# -- language -----------------------------------------------------------------------------------------

def test_chinese_by_default_english_on_request_and_back(client, network):
    html = page_text(client.get("/parks"))
    assert '<html lang="zh-CN">' in html and "园区目录" in html and "登录" in html

    response = client.get("/lang/en", headers={"Referer": "http://localhost/parks"})
    assert response.status_code == 302 and response.location == "http://localhost/parks"
    html = page_text(client.get("/parks"))
    assert '<html lang="en">' in html
    compiled = Path(__file__).resolve().parents[1] / "incubator/translations/en/LC_MESSAGES/messages.mo"
    if compiled.exists():
        assert "Log in" in html and "登录</a>" not in html

    client.get("/lang/zh")
    html = page_text(client.get("/parks"))
    assert '<html lang="zh-CN">' in html and "登录" in html


def test_an_unknown_language_or_foreign_referrer_changes_nothing(client, network):
    response = client.get("/lang/xx", headers={"Referer": "https://evil.example/phish"})
    assert response.status_code == 302 and "evil.example" not in response.location
    assert '<html lang="zh-CN">' in page_text(client.get("/parks"))
