"""包公街道 · 爱心驿站 notice on the dashboard and organization pages.

A street's whole plugin in one file: drop it into the folder named by INCUBATOR_PLUGINS_DIR and
restart. It is enabled for 包公街道 only (the administrator can change that on /admin/plugins).
"""
from markupsafe import Markup

from incubator import hookimpl
from incubator.plugins import is_enabled
from incubator.ui import Panel, Widget

INCUBATOR_DEFAULT_PARKS = ["baogong"]
NAME = __name__.rpartition(".")[2]  # the plugin's name is the file's name: "baogong_notice"
NOTICE = "爱心驿站：工作日 9:00–17:00 开放（包河大道 88 号）,电话 0551-12345678"


def _notice_html():
    # Markup.format escapes what it inserts: never concatenate text into HTML.
    return Markup('<p class="mb-0">{}</p>').format(NOTICE)


@hookimpl
def incubator_dashboard_widgets(parks, user):
    """On the dashboard when it shows 包公街道 (an administrator's dashboard shows every park)."""
    if any(is_enabled(NAME, park) for park in parks):
        return [Widget("包公街道通知", _notice_html(), order=10)]


@hookimpl
def incubator_org_panels(org, user):
    """On the page of every organization of 包公街道 (the core calls this only where enabled)."""
    return [Panel("街道通知", _notice_html(), order=90)]
