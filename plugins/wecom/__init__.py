"""企业微信群 · WeCom group robots: a park's important notices posted to its 企业微信 group.

Each notice whose kind asks for it (`Kind.park_group`: a new application, an incubation due or
overdue) is posted once to the group robot (群机器人) of the notice's park, configured by
INCUBATOR_WECOM_WEBHOOK_URL (docs/wecom.md). Each hook hands on to channel.py.
"""
from incubator import hookimpl

INCUBATOR_TITLE = "企业微信群"
INCUBATOR_DESCRIPTION = "把园区的重要通知（新的入园申请、孵化即将到期或已超期）发到园区的企业微信群机器人。"
PLUGIN = "wecom"


@hookimpl
def incubator_load(app):
    """INCUBATOR_WECOM_WEBHOOK_URL read once, into WECOM_WEBHOOK_URLS; a malformed value raises here,
    so the plugin is reported (and left out) at start rather than failing each notice."""
    from .channel import configure
    configure(app)


@hookimpl
def incubator_notification_channels():
    from .channel import channel
    found = channel()
    return [found] if found else []
