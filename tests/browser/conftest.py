"""Fixtures for the browser journeys: a real server per test, Debian's Chromium through Playwright.

    def test_something(person):          # a desktop browser (1366 × 900) on a fresh demo server
        person.login("fangxing-mgr")
        person.click_link("组织")
        person.see("包河社工服务中心")

`phone_person` is the same at 390 × 844. `people` opens more browsers on the same server (the
manager and the organization's contact side by side). Screenshots of every `shot()` go to
build/screenshots/<test>/ (SCREENSHOT_DIR in people.py).
"""
import os
import shutil

import pytest

from .people import SCREENSHOT_DIR, Person
from .servers import LiveServer, new_template

CHROMIUM = os.environ.get("INCUBATOR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def demo_template():
    template = new_template()
    yield template
    template.close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        pytest.fail("Chromium is missing: the browser journeys need Debian's `chromium` package "
                    "(scripts/system-deps.sh installs it; or set INCUBATOR_CHROMIUM to its path)", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN"])
        yield browser
        browser.close()


@pytest.fixture
def server(demo_template):
    live = LiveServer(demo_template)
    yield live
    live.stop()


@pytest.fixture
def people(browser, server, request):
    """people("desktop") or people("phone") opens another browser window on the same server."""
    opened = []

    def _open(kind="desktop", name=None):
        person = Person(browser, server, kind=kind, folder=SCREENSHOT_DIR / _test_folder(request),
                        name=name or f"{kind}{len(opened) + 1}")
        opened.append(person)
        return person
    yield _open
    failures = []
    for person in opened:
        failures.extend(person.server_errors)
        person.close()
    assert not failures, "pages answered with a server error:\n" + "\n".join(failures) + "\n" + server.server_log()


@pytest.fixture
def person(people):
    return people("desktop", name="desktop")


@pytest.fixture
def phone_person(people):
    return people("phone", name="phone")


def _test_folder(request) -> str:
    return request.node.name.replace("[", "-").replace("]", "").replace("/", "-")


@pytest.fixture(scope="module")
def shared_server(demo_template):
    """One server for a module whose tests only read (the crawler)."""
    live = LiveServer(demo_template)
    yield live
    live.stop()
