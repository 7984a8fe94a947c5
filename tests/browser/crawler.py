"""Visit every page a role can reach by following links, and report what would stop a person.

A page fails on: a server error (5xx); a link on it that leads to 403 or 404; a POST form with
nothing to press; template syntax shown as text; English on an error page; sideways scrolling at
390 px. Pages of the same shape (`/orgs/12` and `/orgs/13`) are visited once, so the crawl stays
short while still reaching every kind of page.
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from .people import TEMPLATE_SYNTAX

# Links that change the session rather than show a page.
SKIP = re.compile(r"^/(logout|lang/)")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{3,}(?:[ ,.'-]+[A-Za-z]{2,}){3,}")
FILE_TYPES = ("application/pdf", "application/vnd.openxmlformats", "application/zip", "text/csv",
              "text/calendar", "image/", "application/octet-stream", "application/json", "text/plain")

# Scripts run in the page: forms without a submit control, sideways overflow, the links.
FORMS_WITHOUT_SUBMIT = """() => [...document.querySelectorAll('form')]
  .filter(f => (f.getAttribute('method') || '').toLowerCase() === 'post')
  .filter(f => !f.querySelector('button:not([type=button]):not([type=reset]), input[type=submit], input[type=image]')
               && !(f.id && document.querySelector(`button[form="${f.id}"], input[type=submit][form="${f.id}"]`)))
  .map(f => f.getAttribute('action') || '(this page)')"""
LINKS = "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# Table cells squeezed so narrow that a name wraps one character per line.
SQUEEZED = """() => [...document.querySelectorAll('td, th')]
  .filter(c => c.offsetParent !== null && c.innerText.trim().length >= 4 && c.clientWidth < 44)
  .map(c => c.innerText.trim().slice(0, 20))"""


@dataclass
class CrawlReport:
    role: str
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, url: str, problem: str) -> None:
        self.problems.append(f"[{self.role}] {url}: {problem}")


def shape(path: str) -> str:
    """`/orgs/12/edit?page=3` → `/orgs/N/edit?page`: one visit per kind of page."""
    parts = urlsplit(path)
    base = re.sub(r"/\d+", "/N", parts.path)
    base = re.sub(r"/[0-9a-f]{16,}", "/H", base)  # certificate codes and such
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return base + ("?" + "&".join(keys) if keys else "")


def crawl(page, base_url: str, role: str, start: list[str], limit: int = 400) -> CrawlReport:
    report = CrawlReport(role)
    queue: deque[tuple[str, str]] = deque((path, "(start)") for path in start)
    seen_shapes: set[str] = set()
    while queue and len(report.visited) < limit:
        path, found_on = queue.popleft()
        if shape(path) in seen_shapes:
            continue
        seen_shapes.add(shape(path))
        for link in _visit(page, base_url, path, found_on, report):
            if shape(link) not in seen_shapes:
                queue.append((link, path))
    return report


def _visit(page, base_url: str, path: str, found_on: str, report: CrawlReport) -> list[str]:
    url = base_url + path
    answer = page.request.get(url, max_redirects=5)
    status, kind = answer.status, answer.headers.get("content-type", "")
    report.visited.append(path)
    if status >= 500:
        report.add(path, f"server error {status} (linked from {found_on})")
        return []
    if status in (403, 404) and found_on != "(start)":
        report.add(path, f"a link on {found_on} leads to {status}")
    if not kind.startswith("text/html") or any(kind.startswith(t) for t in FILE_TYPES):
        return []
    page.set_viewport_size({"width": 1366, "height": 900})
    response = page.goto(url)
    text = page.locator("body").inner_text()
    shown = TEMPLATE_SYNTAX.search(text)
    if shown:
        report.add(path, "template syntax as text: …" + text[max(0, shown.start() - 30):shown.end() + 30] + "…")
    if response is not None and response.status >= 400:
        main = page.locator("main").inner_text() if page.locator("main").count() else text
        english = ENGLISH_SENTENCE.search(main)
        if english:
            report.add(path, f"English on an error page ({response.status}): {english.group(0)!r}")
    for action in page.evaluate(FORMS_WITHOUT_SUBMIT):
        report.add(path, f"a POST form ({action}) has no submit button")
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate(OVERFLOW)
    if overflow > 1:
        report.add(path, f"scrolls sideways by {overflow}px at 390px")
    squeezed = page.evaluate(SQUEEZED)
    if squeezed:
        report.add(path, f"table cells one character wide at 390px: {squeezed[:3]}")
    return [link for link in (_local(base_url, href) for href in page.evaluate(LINKS)) if link]


def _local(base_url: str, href: str) -> str | None:
    href, _fragment = urldefrag(urljoin(base_url + "/", href))
    if not href.startswith(base_url + "/") and href != base_url:
        return None
    path = href[len(base_url):] or "/"
    if SKIP.match(path) or path.startswith("/static/"):
        return None
    return path
