"""短信: a notice as a template SMS to those who chose it, through a real local HTTP server standing
in for the provider; landlines left out; failures retried; offered only when configured."""
import os

import pytest
from sqlalchemy import select

from incubator import create_app, hookimpl
from incubator.extensions import db
from incubator.notifications.models import Delivery
from incubator.notifications.registry import user_channels
from incubator.notifications.sending import send_due
from incubator.organizations import services as orgs
from incubator.plugins import registry, set_enablement
from incubator.testing import test_config

if "sms" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin sms is disabled", allow_module_level=True)

from plugins.sms.channel import SmsChannel, mobile, title
from plugins.sms.providers import SmsError

ENDPOINT = "/v1/sms/send"
COLUMN = "<th>短信</th>"


@pytest.fixture
def provider(app, http_peer, monkeypatch):
    """The SMS provider (the local peer) configured as INCUBATOR_SMS_URL and _KEY would; the sign
    and template keep their defaults."""
    monkeypatch.setitem(app.config, "SMS_URL", http_peer.url + ENDPOINT)
    monkeypatch.setitem(app.config, "SMS_KEY", "TEST-KEY")
    monkeypatch.setitem(app.config, "BASE_URL", "https://xueyuan.baohe.example.cn/")
    return http_peer


@pytest.fixture
def contact(users, make_org):
    """张芳, the contact of 方兴邻里互助会 (incubating), with a mobile number, SMS chosen for stage moves."""
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    person = users["contact-zhang"]
    person.organization_id, person.phone = org.id, "13812345678"
    person.notification_choices = {"org.stage_moved": {"sms": True}}
    db.session.commit()
    return person, org


def deliveries():
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.channel == "sms").order_by(Delivery.id)))


def test_incubator_notification_channels_sends_the_sms_a_contact_chose_on_the_settings_page(
        ctx, provider, users, make_org, login_as):
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    person = users["contact-zhang"]
    person.organization_id = org.id
    db.session.commit()
    client = login_as("contact-zhang")
    page = client.get("/me/notifications").get_data(as_text=True)
    assert COLUMN in page and 'name="org.stage_moved:sms"' in page
    saved = client.post("/me/notifications", data={"email": "", "phone": "13812345678", "org.stage_moved:sms": "1"},
                        follow_redirects=True)
    assert "通知设置已保存" in saved.get_data(as_text=True)
    orgs.move(org, "virtual", user=users["fangxing-mgr"], note="场地调整")
    [request] = provider.requests
    assert request["path"] == ENDPOINT and request["headers"]["Authorization"] == "Bearer TEST-KEY"
    assert request["json"] == {"to": "13812345678", "sign": "社区治理学院", "template": "notice",
                               "params": {"title": "方兴邻里互助会 的孵化阶段已变更为“壳…",
                                          "link": f"https://xueyuan.baohe.example.cn/orgs/{org.id}"}}
    [delivery] = deliveries()
    assert (delivery.status, delivery.address, delivery.user_id) == ("sent", "13812345678", person.id)


def test_the_sign_and_template_follow_the_settings(app, ctx, provider, contact, users, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SIGN", "包河区民政局")
    monkeypatch.setitem(app.config, "SMS_TEMPLATE", "SMS_270125001")
    person, org = contact
    orgs.move(org, "virtual", user=users["fangxing-mgr"])
    [request] = provider.requests
    assert (request["json"]["sign"], request["json"]["template"]) == ("包河区民政局", "SMS_270125001")


def test_a_kind_the_person_did_not_choose_sms_for_sends_none(ctx, provider, contact, users):
    person, org = contact
    person.notification_choices = {}
    db.session.commit()
    orgs.move(org, "virtual", user=users["fangxing-mgr"])
    assert provider.requests == [] and deliveries() == []


def test_a_title_is_cut_to_twenty_characters_with_an_ellipsis():
    assert title("一" * 20) == "一" * 20
    assert title("一" * 21) == "一" * 19 + "…" and len(title("一" * 21)) == 20
    assert title("入园申请已通过：方兴邻里互助会") == "入园申请已通过：方兴邻里互助会"
    assert title("孵化将于 30 天后到期：\n望湖健康服务中心") == "孵化将于 30 天后到期： 望湖健康服…"


def test_only_a_mainland_mobile_can_receive_an_sms():
    assert mobile("13812345678") == "13812345678"
    assert mobile("138 1234 5678") == "13812345678" and mobile("138-1234-5678") == "13812345678"
    assert mobile("0551-12345678") is None and mobile("055112345678") is None
    assert mobile("12812345678") is None and mobile("1381234567") is None and mobile("") is None


def test_a_person_with_a_landline_gets_no_sms(ctx, provider, contact, users):
    person, org = contact
    person.phone = "0551-12345678"
    db.session.commit()
    orgs.move(org, "virtual", user=users["fangxing-mgr"])
    assert provider.requests == [] and deliveries() == []


@pytest.mark.parametrize("status, answer, error", [
    (500, {"code": 500, "message": "签名未报备"}, "SmsError: HTTP 500, code 500: 签名未报备"),
    (200, {"code": 1001, "message": "模板不存在"}, "SmsError: code 1001: 模板不存在"),
])
def test_a_refusing_provider_leaves_the_sms_pending_and_a_retry_sends_it_once(ctx, provider, contact, users,
                                                                               status, answer, error):
    provider.respond(status, answer)
    person, org = contact
    orgs.move(org, "virtual", user=users["fangxing-mgr"])
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, error)
    provider.respond(200, {"code": 0, "message": "OK"})
    assert send_due() == 0  # not due yet: the first back-off is a minute
    delivery.next_attempt_at = delivery.created_at
    db.session.commit()
    assert send_due() == 1 and send_due() == 0
    assert len(provider.requests) == 2  # the refused one, and the one retry
    assert deliveries()[0].status == "sent"


def test_without_a_provider_there_is_no_sms_column_and_nothing_is_sent(app, ctx, http_peer, contact, users,
                                                                       login_as, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_URL", None)
    assert "sms" not in user_channels()
    page = login_as("contact-zhang").get("/me/notifications").get_data(as_text=True)
    assert COLUMN not in page and "org.stage_moved:sms" not in page
    person, org = contact
    orgs.move(org, "virtual", user=users["fangxing-mgr"])
    assert http_peer.requests == [] and deliveries() == []


def test_switched_off_everywhere_the_plugin_sends_no_sms(ctx, provider, contact, users):
    set_enablement("sms", "none")
    db.session.commit()
    assert "sms" not in user_channels()
    person, org = contact
    orgs.move(org, "virtual", user=users["fangxing-mgr"])
    assert provider.requests == [] and deliveries() == []


def test_the_sms_column_is_named_in_english_for_an_english_reader(ctx, provider, contact, login_as):
    client = login_as("contact-zhang")
    client.get("/lang/en")
    page = client.get("/me/notifications").get_data(as_text=True)
    assert "<th>SMS</th>" in page and COLUMN not in page


def test_a_malformed_provider_address_leaves_the_plugin_out_at_start_and_says_why(app, network, monkeypatch):
    monkeypatch.setenv("INCUBATOR_SMS_URL", "sms.example.cn/send")
    started = create_app(test_config(app.instance_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    info = started.extensions["incubator_plugins"].infos["sms"]
    assert not info.loaded and "INCUBATOR_SMS_URL must be the provider's http(s) address" in info.error
    monkeypatch.setenv("INCUBATOR_SMS_URL", "https://sms.example.cn/v1/send")
    monkeypatch.setenv("INCUBATOR_SMS_SIGN", "包河区民政局")
    started = create_app(test_config(app.instance_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    assert started.extensions["incubator_plugins"].infos["sms"].loaded
    assert (started.config["SMS_URL"], started.config["SMS_SIGN"], started.config["SMS_TEMPLATE"]) == (
        "https://sms.example.cn/v1/send", "包河区民政局", "notice")


class VendorProvider:
    """A district's adapter for its vendor, as docs/sms.md describes: `send(phone, template, params)`,
    raising SmsError with the vendor's code and message."""

    def __init__(self):
        self.sent, self.refusing = [], None

    def send(self, phone, template, params):
        if self.refusing:
            raise SmsError(*self.refusing)
        self.sent.append((phone, template, params))


def test_a_districts_own_adapter_sends_on_the_same_channel(app, ctx, contact, users, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_URL", None)  # the HTTP adapter steps aside
    vendor = VendorProvider()

    class BaoheSms:
        @hookimpl
        def incubator_notification_channels(self):
            return [SmsChannel(vendor, "SMS_270125001")]

    registry().pm.register(BaoheSms(), name="baohe_sms")
    try:
        person, org = contact
        vendor.refusing = ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控")
        orgs.move(org, "virtual", user=users["fangxing-mgr"])
        [delivery] = deliveries()
        assert delivery.last_error == "SmsError: code isv.BUSINESS_LIMIT_CONTROL: 触发分钟级流控"
        vendor.refusing = None
        delivery.next_attempt_at = delivery.created_at
        db.session.commit()
        assert send_due() == 1
    finally:
        registry().pm.unregister(name="baohe_sms")
    assert vendor.sent == [("13812345678", "SMS_270125001",
                            {"title": "方兴邻里互助会 的孵化阶段已变更为“壳…", "link": f"http://localhost:5000/orgs/{org.id}"})]
