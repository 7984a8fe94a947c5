"""The capacity-assessment pages speak English when the user switches language."""
import os
import pathlib
from datetime import date

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

if "assessment" in {n.strip() for n in os.environ.get("INCUBATOR_DISABLED_PLUGINS", "").split(",")}:
    pytest.skip("plugin assessment is disabled", allow_module_level=True)

_catalog = pathlib.Path(__file__).resolve().parents[1] / "translations/en/LC_MESSAGES"
if not (_catalog / "messages.mo").exists():  # `make` compiles it; a bare pytest run may not have
    with open(_catalog / "messages.po", "rb") as po, open(_catalog / "messages.mo", "wb") as mo:
        write_mo(mo, read_po(po))


def test_assessment_pages_follow_the_language(entry_and_exit, assessed_org, users, login_as, client):
    from plugins.assessment import services
    entry_and_exit(0.8)
    draft = services.start(assessed_org, "midterm", users["expert-li"], date.today(), user=users["fangxing-mgr"])
    login_as("fangxing-mgr")
    client.get("/lang/en")
    index = client.get("/assessment").get_data(as_text=True)
    assert "Assessment results report" in index and "Mid-term assessment" in index and "Draft" in index
    assert "评估结果报表" not in index and "中期评估" not in index
    org_page = client.get(f"/assessment/orgs/{assessed_org.id}").get_data(as_text=True)
    assert "Capacity change (entry → Exit assessment)" in org_page and "Score rate by dimension (%)" in org_page
    assert "能力变化" not in org_page
    detail = client.get(f"/assessment/{draft.id}").get_data(as_text=True)
    assert "Save draft" in detail and "Finish assessment (locks it)" in detail and "保存草稿" not in detail
    assert "Capacity assessment results" in client.get("/assessment/reports").get_data(as_text=True)
    client.get("/lang/zh")
    index = client.get("/assessment").get_data(as_text=True)
    assert "评估结果报表" in index and "Assessment results report" not in index
