"""Every page each role can reach, at 1366 px and at 390 px: nothing that would stop a person."""
import pytest

from .crawler import crawl
from .people import Person, SCREENSHOT_DIR

ROLES = ["anonymous", "admin", "district-mgr", "fangxing-mgr", "wannianbu-mgr", "expert-li", "trainee-wang",
         "contact-zhang", "contact-wu"]
START = ["/", "/no-such-page", "/orgs/999999"]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_works(browser, shared_server, role):
    person = Person(browser, shared_server, folder=SCREENSHOT_DIR / "crawler", name=role)
    try:
        if role != "anonymous":
            person.login(role)
        report = crawl(person.page, shared_server.base_url, role, START + (["/me"] if role != "anonymous" else []))
    finally:
        person.close()
    assert len(report.visited) > 3, report.visited
    assert not report.problems, f"{len(report.problems)} problems on {len(report.visited)} pages:\n" + "\n".join(report.problems)
