"""A person at a browser: the few verbs every journey uses, in the words a user would say them.

Every `shot()` also checks what any page must satisfy: no template syntax shown as text, and on a
phone no sideways scrolling. Every response of 500 or more is collected and fails the test.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect

from incubator.testing import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "build" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
TEMPLATE_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}")


class Person:
    def __init__(self, browser, server, *, kind="desktop", folder: Path, name: str):
        self.server = server
        self.kind = kind
        self.name = name
        self.folder = folder
        self.steps = 0
        self.server_errors: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORTS[kind], locale="zh-CN", accept_downloads=True,
                                           is_mobile=kind == "phone", has_touch=kind == "phone")
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.page.on("response", self._watch)
        self.dialogs: list[str] = []

    def _watch(self, response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    # -- going places ------------------------------------------------------------------------
    def goto(self, path: str):
        return self.page.goto(self.server.url(path))

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.goto("/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码", exact=True).fill(password)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.locator("form input[name=password]")).to_have_count(0)
        self.page.wait_for_load_state()

    def logout(self) -> None:
        self.open_menu()
        self.page.get_by_role("button", name="退出登录").click()
        expect(self.page.get_by_role("link", name="登录")).to_be_visible()

    def open_menu(self) -> None:
        """On a phone the menu is folded behind the toggler; the user's own menu is a dropdown."""
        self.page.wait_for_load_state()
        toggler = self.page.locator(".navbar-toggler")
        if self.kind == "phone":
            expect(toggler).to_be_visible()
        if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
            toggler.click()
            # Bootstrap unfolds the menu with a transition: wait until it is open before looking in it.
            expect(self.page.locator("#nav.collapse.show")).to_be_visible()
        account = self.page.locator("#account-menu")
        if account.count():
            expect(account).to_be_visible()
            if account.get_attribute("aria-expanded") != "true":
                account.click()
                expect(self.page.locator("#account-menu + .dropdown-menu")).to_be_visible()

    def click_link(self, name: str, exact: bool = False) -> None:
        self.page.wait_for_load_state()
        link = self.page.get_by_role("link", name=name, exact=exact).first
        if not link.is_visible():
            self.open_menu()
        link.click()
        # A click starts the next page; checks on it wait until it has loaded with its styles.
        self.page.wait_for_load_state()

    def click_menu(self, name: str) -> None:
        """A link of the site's menu (unfolded first on a phone), not a link on the page."""
        nav = self.page.locator("nav.navbar")
        link = nav.get_by_role("link", name=name, exact=True)
        if not link.count() or not link.first.is_visible():
            self.open_menu()
        nav.get_by_role("link", name=name, exact=True).first.click()
        self.page.wait_for_load_state()

    def follow(self, link) -> None:
        """Click a link found on the page (a Locator: one row's link among many) and wait until the
        page it opens has loaded, scripts included (a click on the next page's button must find
        its confirmation handler in place)."""
        with self.page.expect_navigation():
            link.click()
        self.page.wait_for_load_state()

    def click_button(self, name: str, exact: bool = False) -> None:
        self.page.get_by_role("button", name=name, exact=exact).first.click()
        self.page.wait_for_load_state()

    def fill(self, label: str, value: str, exact: bool = False) -> None:
        self.page.get_by_label(label, exact=exact).fill(value)

    def choose(self, label: str, option: str, exact: bool = False) -> None:
        self.page.get_by_label(label, exact=exact).select_option(label=option)

    # -- seeing ------------------------------------------------------------------------------
    def see(self, *texts: str) -> None:
        for text in texts:
            expect(self.page.locator("body")).to_contain_text(text)

    def not_see(self, *texts: str) -> None:
        for text in texts:
            expect(self.page.locator("body")).not_to_contain_text(text)

    def heading(self) -> str:
        return self.page.locator("h1").first.inner_text()

    @contextmanager
    def confirming(self, *expected: str, accept: bool = True):
        """The next click must ask for confirmation (a dialog naming `expected`); it is accepted."""
        seen: list[str] = []

        def answer(dialog):
            seen.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        self.page.once("dialog", answer)
        yield
        self.page.wait_for_load_state()
        assert seen, "the step went ahead without asking for confirmation"
        for text in expected:
            assert text in seen[0], f"the confirmation {seen[0]!r} does not say {text!r}"
        self.dialogs.extend(seen)

    def download(self, name: str, exact: bool = False):
        """Click a link that downloads a file; returns the saved file's path."""
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name=name, exact=exact).first.click()
        download = info.value
        path = self.folder / download.suggested_filename
        self.folder.mkdir(parents=True, exist_ok=True)
        download.save_as(path)
        return path

    # -- proof -------------------------------------------------------------------------------
    def shot(self, step: str, guide: str | None = None) -> Path:
        """A screenshot of the whole page for this step, after checking the page is sound.

        `guide="manager-dashboard"` names a picture of the user guides (docs/guide/): `make guide`
        runs the journeys with INCUBATOR_GUIDE_IMAGES set, and such steps are saved there too — the
        page from its top down to at most two screens (what a step shows is often below the first).
        """
        self.page.wait_for_load_state()
        self.check_page()
        self.steps += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.name}-{self.steps:02d}-{step}.png"
        self.page.screenshot(path=path, full_page=True)
        if guide and os.environ.get("INCUBATOR_GUIDE_IMAGES"):
            folder = Path(os.environ["INCUBATOR_GUIDE_IMAGES"])
            folder.mkdir(parents=True, exist_ok=True)
            screen = VIEWPORTS[self.kind]
            height = min(self.page.evaluate("document.documentElement.scrollHeight"), 2 * screen["height"])
            self.page.screenshot(path=folder / f"{guide}.png", full_page=True,
                                 clip={"x": 0, "y": 0, "width": screen["width"], "height": height})
        return path

    def check_page(self) -> None:
        text = self.page.locator("body").inner_text()
        shown = TEMPLATE_SYNTAX.search(text)
        assert not shown, f"template syntax shown on {self.page.url}: …{text[max(0, shown.start() - 40):shown.end() + 40]}…"
        if self.kind == "phone":
            overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{self.page.url} scrolls sideways by {overflow}px at 390px"

    def close(self) -> None:
        self.context.close()
