"""Rendering certificates: Jinja (sandboxed, strict) → HTML → WeasyPrint PDF, one page per certificate.

Speed matters (a class of 500): WeasyPrint's fixed cost is per *document* (font subsetting), so a
batch is laid out as the pages of a few documents, one per worker process, then split into
single-page files with pypdf. Each split file embeds its document's font subset, so documents are
kept to `CHUNK` pages: the subset (and the file) stays small, and progress can advance per chunk.
This module knows nothing of the database: its functions take strings and return bytes, so they
can run in worker processes.
"""
from __future__ import annotations

import io
import math
import os
import re
from multiprocessing import get_context
from pathlib import Path

import segno
from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

PDF_TEMPLATES = Path(__file__).parent / "templates" / "certificates" / "pdf"
CHUNK = 25  # certificates per WeasyPrint document in a batch (see benchmarks/certificates_batch.py)


class TemplateProblem(Exception):
    """A certificate template failed: a variable missing or empty, or a syntax error."""


def seal(text: str, star: str = "★", footer: str = "证书专用章", size_mm: int = 40) -> Markup:
    """A red round seal (公章 style) as inline SVG: `text` along the upper arc, a star in the middle."""
    chars = list(text)
    n = max(len(chars), 1)
    span = min(240.0, 21.0 * n)  # degrees of arc the text covers
    step = span / max(n - 1, 1)
    font = 14 if n <= 12 else 11
    letters = "".join(
        f'<text x="60" y="25" transform="rotate({-span / 2 + i * step:.2f} 60 60)" text-anchor="middle" '
        f'font-size="{font}" fill="#c8102e">{escape(ch)}</text>'
        for i, ch in enumerate(chars))
    return Markup(
        f'<svg class="seal" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" '
        f'width="{size_mm}mm" height="{size_mm}mm" font-family="Noto Serif CJK SC, Noto Sans CJK SC, serif">'
        '<circle cx="60" cy="60" r="56" fill="none" stroke="#c8102e" stroke-width="3.4"/>'
        '<circle cx="60" cy="60" r="51.5" fill="none" stroke="#c8102e" stroke-width="0.8"/>'
        f'{letters}<text x="60" y="76" text-anchor="middle" font-size="38" fill="#c8102e">{escape(star)}</text>'
        f'<text x="60" y="97" text-anchor="middle" font-size="10" fill="#c8102e">{escape(footer)}</text>'
        '</svg>')


def qr_svg(url: str) -> Markup:
    """The verification link as a QR code (vector, a few KB)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=1, omitsize=True, dark="#2b2118"))


# Templates come from parks' IT contractors too: sandboxed, and a missing variable raises.
_env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(PDF_TEMPLATES)), undefined=StrictUndefined,
                                     autoescape=True, auto_reload=False)
_env.globals["seal"] = seal


def template(kind: str, source: str | None = None):
    """The compiled template: a park's `source` (which may `{% extends "<kind>.html" %}`) or the default."""
    try:
        if source:
            return _compiled(source)
        return _env.get_template(f"{kind}.html")
    except TemplateError as exc:
        raise TemplateProblem(f"证书模板有误:{exc}") from exc


_cache: dict[str, object] = {}


def _compiled(source: str):
    if source not in _cache:
        if len(_cache) > 64:
            _cache.clear()
        _cache[source] = _env.from_string(source)
    return _cache[source]


def render_parts(tmpl, variables: dict) -> tuple[str, str]:
    """(style, page) HTML for one certificate; a variable used but missing or empty is an error.

    The template renders a whole HTML document; its <style>s are shared by all pages of a PDF
    document, its <body> is the certificate's page.
    """
    present = {k: v for k, v in variables.items() if v is not None and v != ""}
    try:
        html = tmpl.render(present)
    except UndefinedError as exc:
        name = str(exc).split("'")[1] if "'" in str(exc) else str(exc)
        raise TemplateProblem(f"证书模板所需的变量“{name}”缺失或为空,未颁发") from exc
    except TemplateError as exc:
        raise TemplateProblem(f"证书模板有误:{exc}") from exc
    head, _, rest = html.partition("<body")
    body = rest.partition(">")[2].rpartition("</body>")[0] if rest else html
    style = "\n".join(_STYLE.findall(head))
    return style, '<div class="certificate-page">' + body + "</div>"


_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)


def document_html(style: str, pages: list[str]) -> str:
    return ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>' + style +
            "</style></head><body>" + "".join(pages) + "</body></html>")


def write_document(style: str, pages: list[str]) -> bytes:
    """One PDF with one page per certificate."""
    from weasyprint import HTML
    return HTML(string=document_html(style, pages), base_url=str(PDF_TEMPLATES)).write_pdf()


def split_pages(pdf: bytes) -> list[bytes]:
    """Single-page PDFs from a multi-page one (each keeps the fonts its page uses)."""
    from pypdf import PdfReader, PdfWriter
    reader = PdfReader(io.BytesIO(pdf))
    files = []
    for page in reader.pages:
        writer = PdfWriter()
        writer.add_page(page)
        writer.add_metadata({"/Producer": "incubator certificates (WeasyPrint)"})
        out = io.BytesIO()
        writer.write(out)
        files.append(out.getvalue())
    return files


def render_chunk(style: str, pages: list[str]) -> list[bytes]:
    """One document for `pages`, split into one PDF per certificate (runs in a worker process)."""
    if len(pages) == 1:
        return [write_document(style, pages)]
    files = split_pages(write_document(style, pages))
    if len(files) != len(pages):  # a template that overflows a page would shift every later file
        raise TemplateProblem(f"证书模板排版超出一页({len(files)} 页 / {len(pages)} 张证书)")
    return files


def render_many(items: list[tuple[str, str]], *, executor=None, chunk: int = CHUNK) -> list[bytes]:
    """PDF bytes for each (style, page), in order.

    Pages of the same style are laid out as documents of up to `chunk` pages; with an `executor`
    (a process pool) the documents are rendered in parallel, otherwise here.
    """
    by_style: dict[str, list[int]] = {}
    for index, (style, _page) in enumerate(items):
        by_style.setdefault(style, []).append(index)
    workers = getattr(executor, "_max_workers", 1) if executor is not None else 1
    chunks: list[tuple[str, list[int]]] = []
    for style, indexes in by_style.items():
        # A small batch is split evenly over the workers rather than leave one idle.
        size = max(1, min(chunk, math.ceil(len(indexes) / workers)))
        chunks += [(style, indexes[i:i + size]) for i in range(0, len(indexes), size)]
    results: list[bytes | None] = [None] * len(items)
    if executor is None or len(chunks) == 1:
        outputs = [render_chunk(style, [items[i][1] for i in indexes]) for style, indexes in chunks]
    else:
        outputs = list(executor.map(render_chunk, [style for style, _ in chunks],
                                    [[items[i][1] for i in indexes] for _, indexes in chunks]))
    for (_style, indexes), files in zip(chunks, outputs):
        for index, data in zip(indexes, files):
            results[index] = data
    return results


def worker_count() -> int:
    """Processes for a batch: the CPUs this process may use (at most 4)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(4, cpus))


def mp_context():
    # fork: the children inherit the warm WeasyPrint/fontconfig state and only run pure rendering.
    import multiprocessing
    return get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
