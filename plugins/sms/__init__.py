"""短信 · SMS: notices sent as template messages (模板短信) to the recipients who chose SMS.

A recipient gets an SMS for the kinds they ticked 短信 for on /me/notifications, at their mainland
mobile number (a landline cannot receive one). The message goes through a provider: the HTTP adapter
here (INCUBATOR_SMS_URL, docs/sms.md), or a district's own adapter for its vendor. The channel is
offered only when INCUBATOR_SMS_URL is set. Each hook hands on to channel.py.
"""
from incubator import hookimpl

INCUBATOR_TITLE = "短信通知"
INCUBATOR_DESCRIPTION = "按用户在通知设置中的选择，通过短信服务商以模板短信发送通知（仅限手机号）。"
PLUGIN = "sms"


@hookimpl
def incubator_load(app):
    """The INCUBATOR_SMS_* settings read once into SMS_URL, SMS_KEY, SMS_SIGN and SMS_TEMPLATE; a
    malformed URL raises here, so the plugin is reported (and left out) at start."""
    from .channel import configure
    configure(app)


@hookimpl
def incubator_notification_channels():
    from .channel import channel
    found = channel()
    return [found] if found else []
