"""The mentoring pages speak English when the user switches language."""
import os
import pathlib

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

if "mentoring" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin mentoring is disabled", allow_module_level=True)

_catalog = pathlib.Path(__file__).resolve().parents[1] / "translations/en/LC_MESSAGES"
if not (_catalog / "messages.mo").exists():  # `make` compiles it; a bare pytest run may not have
    with open(_catalog / "messages.po", "rb") as po, open(_catalog / "messages.mo", "wb") as mo:
        write_mo(mo, read_po(po))


def test_mentoring_pages_follow_the_language(supervised, users, log_data, login_as, client):
    from plugins.mentoring import services
    log = services.create_log(supervised, log_data(), user=users["expert-li"])
    login_as("fangxing-mgr")
    client.get("/lang/en")
    index = client.get("/mentoring").get_data(as_text=True)
    assert "Mentoring hours report" in index and "Recent mentoring logs" in index
    assert "督导时长报表" not in index and "最近的督导记录" not in index
    org_page = client.get(f"/mentoring/orgs/{supervised.id}").get_data(as_text=True)
    assert "Mentoring experts" in org_page and "Signed-off sessions" in org_page and "督导专家" not in org_page
    log_page = client.get(f"/mentoring/logs/{log.id}").get_data(as_text=True)
    assert "Findings" in log_page and "Awaiting sign-off" in log_page and "On site" in log_page
    assert "2.5 hours" in log_page and "发现的问题" not in log_page
    client.get("/lang/zh")
    index = client.get("/mentoring").get_data(as_text=True)
    assert "督导时长报表" in index and "Mentoring hours report" not in index
