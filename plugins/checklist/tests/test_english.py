"""The checklist speaks English when the user switches language."""
import pathlib

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

_catalog = pathlib.Path(__file__).resolve().parents[1] / "translations/en/LC_MESSAGES"
if not (_catalog / "messages.mo").exists():  # `make` compiles it; a bare pytest run may not have
    with open(_catalog / "messages.po", "rb") as po, open(_catalog / "messages.mo", "wb") as mo:
        write_mo(mo, read_po(po))


def test_the_checklist_panel_and_page_follow_the_language(login_as, client, make_org, only_plugins):
    only_plugins("checklist")
    org = make_org(park="fangxing", stage="incubating")
    login_as("fangxing-mgr")
    client.get("/lang/en")
    panel = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "Document checklist" in panel and "Needed to graduate" in panel and "出壳必需" not in panel
    page = client.get("/checklist").get_data(as_text=True)
    assert "documents incubating organizations still need to graduate" in page
    response = client.post(f"/orgs/{org.id}/move", data={"move-to_stage": "graduated", "move-note": "x"})
    assert "Before graduating, submit: Registration or filing certificate" in response.get_data(as_text=True)
    client.get("/lang/zh")
    assert "出壳必需" in client.get(f"/orgs/{org.id}").get_data(as_text=True)
