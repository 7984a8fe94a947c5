"""Rendering certificates: Jinja (sandboxed, strict) → HTML → WeasyPrint PDF, one page per certificate.

Speed matters (a class of 500): WeasyPrint's fixed cost is per *document* (font subsetting), so a
batch is rendered as a few documents, one per worker process, each document cut into single-page
files as it is written. Its cost per *page* (layout, painting: ≈ 10 ms) is paid once per document
where the template allows (overlay.py): what the certificates share is laid out and painted once,
each certificate only its own lines and QR code. Each file embeds its document's font subset, so
documents are kept to `CHUNK` pages: the subset (and the file) stays small.
This module knows nothing of the database: its functions take strings and return bytes, so they
can run in worker processes.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
from multiprocessing import get_context
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import overlay
from .artwork import fetcher, forget_images, seal, seal_url, with_qr
from .pdfpages import cut

PDF_TEMPLATES = Path(__file__).parent / "templates" / "certificates" / "pdf"
CHUNK = 125  # certificates per WeasyPrint document in a batch: ≈ 200 KB files (see benchmarks/certificates_batch.py)


class TemplateProblem(Exception):
    """A certificate template failed: a variable missing or empty, or a syntax error."""


_env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(PDF_TEMPLATES)), undefined=StrictUndefined,
                                     autoescape=True, auto_reload=False)
_env.globals.update(seal=seal, seal_url=seal_url)


def template(kind: str, source: str | None = None):
    """The compiled template: a park's `source` (which may `{% extends "<kind>.html" %}`) or the default."""
    try:
        if source:
            return _compiled(source)
        return _env.get_template(f"{kind}.html")
    except TemplateError as exc:
        raise TemplateProblem(f"证书模板有误：{exc}") from exc


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
        raise TemplateProblem(f"证书模板所需的变量“{name}”缺失或为空，未颁发") from exc
    except TemplateError as exc:
        raise TemplateProblem(f"证书模板有误：{exc}") from exc
    head, _, rest = html.partition("<body")
    body = rest.partition(">")[2].rpartition("</body>")[0] if rest else html
    style = "\n".join(_STYLE.findall(head))
    return style, body


_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)


def document_html(style: str, pages: list[str]) -> str:
    return ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>' + style +
            "</style></head><body>" + "".join(pages) + "</body></html>")


def write_document(style: str, pages: list[str]) -> bytes:
    """One PDF with one page per certificate: WeasyPrint's own `write_pdf`."""
    return _html(style, pages).write_pdf()


def write_pages(style: str, pages: list[str]) -> list[bytes]:
    """One single-page PDF per certificate, from ONE WeasyPrint document, every page laid out
    (pdfpages.cut)."""
    return cut(_html(style, pages).render())


def _html(style: str, pages: list[str]):
    from weasyprint import HTML
    return HTML(string=document_html(style, pages), base_url=str(PDF_TEMPLATES), url_fetcher=fetcher())


def render_pdfs(kind: str, source: str | None, variables: list[dict]) -> list[bytes]:
    """The PDFs of certificates sharing a template: templating, QR codes, the pages laid out as
    one document and cut into one file per certificate — through overlay.py where the group
    allows (what the pages share painted once), else every page laid out in full."""
    tmpl = template(kind, source)
    forget_images()
    values = [with_qr(v) for v in variables]
    parts = [render_parts(tmpl, v) for v in values]
    files: list[bytes | None] = [None] * len(parts)
    by_style: dict[str, list[int]] = {}  # a template whose <style> uses variables: one document per style
    for index, (style, _page) in enumerate(parts):
        by_style.setdefault(style, []).append(index)
    for style, indexes in by_style.items():
        pages = [parts[i][1] for i in indexes]
        overlaid = _overlaid(style, pages, [values[i] for i in indexes])
        full = [n for n, data in enumerate(overlaid) if data is None]
        for n, data in zip(full, _laid_out_in_full(style, [pages[n] for n in full])):
            overlaid[n] = data
        for index, data in zip(indexes, overlaid):
            files[index] = data
    return files


OVERLAY_FROM = 3  # certificates in a group from which the shared page is painted once (2 are laid out to compare)


def _overlaid(style: str, pages: list[str], values: list[dict]) -> list[bytes | None]:
    if len(pages) < OVERLAY_FROM:
        return [None] * len(pages)
    result = overlay.write_pages(lambda indexes: _html(style, [pages[i] for i in indexes]), pages, values)
    return result if result is not None else [None] * len(pages)


def _laid_out_in_full(style: str, pages: list[str]) -> list[bytes]:
    if not pages:
        return []
    pdfs = write_pages(style, pages)
    if len(pdfs) != len(pages):  # a template that overflows a page would shift every later file
        raise TemplateProblem(f"证书模板排版超出一页（{len(pdfs)} 页 / {len(pages)} 张证书）")
    return pdfs


def render_chunk(kind: str, source: str | None, variables: list[dict], paths: list[str]) -> list[tuple[str, int]]:
    """Render certificates sharing a template and store each at its path (runs in a worker
    process): the SHA-256 and size of each file.

    The worker stores the files itself: the parent then only records them, instead of receiving
    ~200 KB per certificate through a pipe, hashing and writing it while the workers wait.
    """
    return [store(path, data) for path, data in zip(paths, render_pdfs(kind, source, variables))]


def store(path: str, data: bytes) -> tuple[str, int]:
    """Write a file whole or not at all (a temporary file renamed over it)."""
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as out:
        out.write(data)
    os.replace(tmp, path)
    return hashlib.sha256(data).hexdigest(), len(data)


def render_many(jobs: list[tuple[str, str | None, dict, str]], *, executor=None,
                chunk: int = CHUNK) -> list[tuple[str, int]]:
    """Render and store each (kind, template source or None, variables, path), in order: the
    SHA-256 and size of each stored file (see `start_many`)."""
    return start_many(jobs, executor=executor, chunk=chunk)()


def start_many(jobs: list[tuple[str, str | None, dict, str]], *, executor=None, chunk: int = CHUNK):
    """Start rendering and storing each (kind, template source or None, variables, path): a function
    that waits for them and returns the SHA-256 and size of each stored file, in order.

    Certificates of the same template are laid out as documents of up to `chunk` pages; with an
    `executor` (a process pool) the documents are rendered in parallel, in its processes, while the
    caller goes on (services.issue writes the notices meanwhile); otherwise here, when waited for.
    """
    by_template: dict[tuple, list[int]] = {}
    for index, (kind, source, _values, _path) in enumerate(jobs):
        by_template.setdefault((kind, source), []).append(index)
    workers = getattr(executor, "_max_workers", 1) if executor is not None else 1
    chunks: list[tuple[tuple, list[int]]] = []
    for key, indexes in by_template.items():
        # A small batch is split evenly over the workers rather than leave one idle.
        size = max(1, min(chunk, math.ceil(len(indexes) / workers)))
        chunks += [(key, indexes[i:i + size]) for i in range(0, len(indexes), size)]
    args = [(kind, source, [jobs[i][2] for i in indexes], [jobs[i][3] for i in indexes])
            for (kind, source), indexes in chunks]
    if executor is None or len(chunks) == 1:
        futures = None
    else:
        futures = [executor.submit(render_chunk, *a) for a in args]

    def results() -> list[tuple[str, int]]:
        outputs = [render_chunk(*a) for a in args] if futures is None else [f.result() for f in futures]
        found: list[tuple[str, int] | None] = [None] * len(jobs)
        for (_key, indexes), stored in zip(chunks, outputs):
            for index, item in zip(indexes, stored):
                found[index] = item
        return found

    def settle() -> None:
        """Wait for the started documents without their results (the batch failed meanwhile:
        their files are removed once written)."""
        for future in futures or ():
            future.exception()
    results.settle = settle
    return results


def warm(seal_texts=()) -> None:
    """Prepare this process before worker processes are forked, so they inherit it warm: fonts
    loaded (once per process) and the seals of the coming batch drawn (each ~0.2 s)."""
    global _warm
    if not _warm:
        write_document("", ['<p style="font-family: \'Noto Serif CJK SC\', serif">证书</p>'])
        _warm = True
    for text in seal_texts:
        seal(text)


_warm = False
_pool = None


def pool(seal_texts=()):
    """This process's pool of rendering processes (None on one CPU), started once and kept.

    Starting workers costs each a few hundred ms (copy-on-write of the forked heap, caches);
    a long-lived process (the queue worker, the web server) pays it once, not per batch.
    """
    global _pool
    if worker_count() <= 1:
        return None
    if _pool is None or getattr(_pool, "_broken", False):
        import gc
        from concurrent.futures import ProcessPoolExecutor
        warm(seal_texts)
        gc.freeze()  # objects inherited by the workers stay out of their garbage collector
        _pool = ProcessPoolExecutor(max_workers=worker_count(), mp_context=mp_context())
        list(_pool.map(_ready, range(worker_count())))  # fork them now, while this process is warm
        import atexit
        atexit.register(_pool.shutdown)
    return _pool


def shutdown_pool() -> None:
    """End the rendering processes (a benchmark reads their CPU time once they have ended)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None


def _ready(_n) -> None:
    return None


def worker_count() -> int:
    """Processes for a batch: the CPUs this process may use (at most 4)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(4, cpus))


def mp_context():
    # fork: the children inherit the warm WeasyPrint/fontconfig state and only run pure rendering.
    import multiprocessing
    return get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
