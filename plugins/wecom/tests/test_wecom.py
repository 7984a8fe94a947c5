"""企业微信群: a park's notices posted once to its group robot, through a real local HTTP server
standing in for WeCom (qyapi.weixin.qq.com); failures retried; the setting read at start."""
import os

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from incubator import create_app
from incubator.extensions import db
from incubator.notifications import Outgoing, msg, notify
from incubator.notifications.models import Delivery
from incubator.notifications.sending import send_due
from incubator.notifications.triggers import application_received
from incubator.plugins import set_enablement
from incubator.testing import test_config

if "wecom" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin wecom is disabled", allow_module_level=True)

from plugins.wecom.channel import MAX_CONTENT_BYTES, WeComChannel, markdown, webhook_urls

ROBOT = "/cgi-bin/webhook/send?key=FANGXING-KEY"


@pytest.fixture
def robots(app, http_peer, monkeypatch):
    """方兴社区's group has a robot (the local peer); the site's address is set for the links."""
    monkeypatch.setitem(app.config, "WECOM_WEBHOOK_URLS", {"fangxing": http_peer.url + ROBOT})
    monkeypatch.setitem(app.config, "BASE_URL", "https://xueyuan.baohe.example.cn/")
    return http_peer


def deliveries():
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.channel == "wecom").order_by(Delivery.id)))


def content(request) -> str:
    assert request["json"]["msgtype"] == "markdown"
    return request["json"]["markdown"]["content"]


def test_incubator_notification_channels_posts_a_new_application_to_the_parks_group(ctx, robots, make_org):
    org = make_org(park="fangxing", stage="applied", name="望湖邻里服务社")
    application_received(org)
    [request] = robots.requests
    assert request["path"] == ROBOT
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert content(request) == (f"**收到新的入园申请：望湖邻里服务社**\n"
                                f"> 望湖邻里服务社 申请入驻{org.park.name}，请及时评审。\n"
                                f"[查看详情](https://xueyuan.baohe.example.cn/orgs/{org.id})")
    [delivery] = deliveries()
    assert (delivery.status, delivery.target, delivery.user_id) == ("sent", f"park:{org.park_id}", None)


def test_the_group_gets_a_notice_once_however_many_people_it_reaches(ctx, robots, users, parks):
    notify([users["fangxing-mgr"], users["admin"], users["district-mgr"]], "org.application_received",
           msg("收到新的入园申请：%(org)s", org="方兴老年协会"), "", "/parks", park=parks["fangxing"])
    [request] = robots.requests
    assert content(request) == "**收到新的入园申请：方兴老年协会**\n[查看详情](https://xueyuan.baohe.example.cn/parks)"


def test_a_park_without_a_robot_gets_nothing(ctx, robots, make_org):
    application_received(make_org(park="changqing", stage="applied"))
    assert robots.requests == [] and deliveries() == []


def test_a_kind_not_meant_for_the_group_is_not_posted(ctx, robots, users, parks):
    notify([users["fangxing-mgr"]], "org.stage_moved", "方兴老年协会 的孵化阶段已变更", park=parks["fangxing"])
    assert robots.requests == [] and deliveries() == []


def test_one_robot_for_every_park_and_a_parks_own_robot_first(app, ctx, http_peer, make_org, monkeypatch):
    monkeypatch.setitem(app.config, "WECOM_WEBHOOK_URLS", {"*": http_peer.url + "/district",
                                                           "fangxing": http_peer.url + "/fangxing"})
    application_received(make_org(park="changqing", stage="applied"))
    application_received(make_org(park="fangxing", stage="applied"))
    assert [r["path"] for r in http_peer.requests] == ["/district", "/fangxing"]


def test_a_park_the_plugin_is_switched_off_for_gets_nothing(ctx, robots, parks, make_org):
    set_enablement("wecom", "parks", [parks["changqing"]])
    db.session.commit()
    application_received(make_org(park="fangxing", stage="applied"))
    assert robots.requests == [] and deliveries() == []


@pytest.mark.parametrize("status, answer, error", [
    (500, {"errmsg": "internal error"}, "HTTP 500"),
    (200, {"errcode": 93000, "errmsg": "invalid webhook url"}, "errcode 93000: invalid webhook url"),
])
def test_a_refusing_robot_leaves_the_post_pending_and_a_retry_posts_it_once(ctx, robots, make_org, status, answer, error):
    robots.respond(status, answer)
    application_received(make_org(park="fangxing", stage="applied"))
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert error in delivery.last_error and delivery.last_error.startswith("WeComError")
    robots.respond(200, {"errcode": 0, "errmsg": "ok"})
    assert send_due() == 0  # not due yet: the first back-off is a minute
    delivery.next_attempt_at = delivery.created_at
    db.session.commit()
    assert send_due() == 1 and send_due() == 0
    assert len(robots.requests) == 2  # the refused post, and the one retry
    [delivery] = deliveries()
    assert (delivery.status, delivery.last_error) == ("sent", "")


def test_a_long_body_is_cut_to_wecoms_4096_bytes(ctx, http_peer):
    subject = "收到新的入园申请：望湖邻里服务社"
    WeComChannel({"fangxing": http_peer.url + ROBOT}).send(Outgoing(
        kind="org.application_received", subject=subject, body="社区治理" * 2000, text="", html="",
        url="https://xueyuan.baohe.example.cn/orgs/1", address="park:fangxing", locale="zh"))
    posted = content(http_peer.requests[0])
    assert len(posted.encode()) <= MAX_CONTENT_BYTES < len(("社区治理" * 2000).encode())
    assert posted.startswith(f"**{subject}**\n> 社区治理社区治理")
    assert posted.endswith("…\n[查看详情](https://xueyuan.baohe.example.cn/orgs/1)")
    assert markdown("标题", "第一行\n\n第二行", "", "查看详情") == "**标题**\n> 第一行\n> 第二行"


def test_the_setting_names_one_robot_or_one_per_park():
    assert webhook_urls("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=AAA") == {
        "*": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=AAA"}
    assert webhook_urls("fangxing=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=AAA;"
                        " district=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=BBB\n"
                        "*=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=CCC") == {
        "fangxing": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=AAA",
        "district": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=BBB",
        "*": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=CCC"}
    assert webhook_urls("") == {}


@pytest.mark.parametrize("value, said", [
    ("fangxing", "'fangxing' is neither a URL nor code=URL"),
    ("fangxing=qyapi.weixin.qq.com/send", "is not an http(s) URL"),
    ("方兴=https://qyapi.weixin.qq.com/x", "'方兴' is not a park code"),
    ("a1=https://h/x;a1=https://h/y", "park a1 is named twice"),
    ("https://h/x https://h/y", "more than one URL for every park"),
])
def test_a_malformed_setting_is_refused_naming_it(value, said):
    with pytest.raises(ValueError, match="INCUBATOR_WECOM_WEBHOOK_URL") as refused:
        webhook_urls(value)
    assert said in str(refused.value)


def test_a_malformed_setting_leaves_the_plugin_out_at_start_and_says_why(app, network, monkeypatch):
    monkeypatch.setenv("INCUBATOR_WECOM_WEBHOOK_URL", "fangxing https://qyapi.weixin.qq.com/x")
    started = create_app(test_config(app.instance_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    info = started.extensions["incubator_plugins"].infos["wecom"]
    assert not info.loaded and "INCUBATOR_WECOM_WEBHOOK_URL: 'fangxing' is neither a URL nor code=URL" in info.error
    monkeypatch.setenv("INCUBATOR_WECOM_WEBHOOK_URL", "fangxing=https://qyapi.weixin.qq.com/x")
    started = create_app(test_config(app.instance_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    assert started.extensions["incubator_plugins"].infos["wecom"].loaded
    assert started.config["WECOM_WEBHOOK_URLS"] == {"fangxing": "https://qyapi.weixin.qq.com/x"}


def test_the_channel_is_named_in_english_for_an_english_reader(ctx, robots):
    from incubator.notifications.registry import park_channels
    channel = park_channels()["wecom"]
    assert str(channel.label) == "企业微信群"
    with force_locale("en"):
        assert str(channel.label) == "WeCom group"


def test_the_robots_key_is_never_stored_with_a_delivery(ctx, robots, make_org, parks, monkeypatch, app):
    """The webhook URL carries the robot's key (a secret): a delivery stores only which robot, and the
    URL is looked up when it is sent (so a new key serves the retries too)."""
    robots.respond(500, {"errcode": -1, "errmsg": "system busy"})
    application_received(make_org(park="fangxing", stage="applied"))
    [delivery] = deliveries()
    assert delivery.address == "park:fangxing" and "KEY" not in delivery.address
    monkeypatch.setitem(app.config, "WECOM_WEBHOOK_URLS", {"fangxing": robots.url + "/cgi-bin/webhook/send?key=NEW"})
    robots.respond(200, {"errcode": 0, "errmsg": "ok"})
    delivery.next_attempt_at = delivery.created_at
    db.session.commit()
    assert send_due() == 1 and robots.requests[-1]["path"] == "/cgi-bin/webhook/send?key=NEW"
    channel = WeComChannel({"*": robots.url + "/every"})
    assert channel.address(parks["changqing"]) == "*" and channel.url_for("*") == robots.url + "/every"
