"""Rendering certificates: Jinja (sandboxed, strict) → HTML → WeasyPrint PDF, one page per certificate.

Speed matters (a class of 500): WeasyPrint's fixed cost is per *document* (font subsetting), so a
batch is laid out as the pages of a few documents, one per worker process, each document cut into
single-page files as it is written. Each file embeds its document's font subset, so documents are
kept to `CHUNK` pages: the subset (and the file) stays small, and progress can advance per chunk.
This module knows nothing of the database: its functions take strings and return bytes, so they
can run in worker processes.
"""
from __future__ import annotations

import hashlib
import io
import math
import os
import re
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import segno
from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

PDF_TEMPLATES = Path(__file__).parent / "templates" / "certificates" / "pdf"
CHUNK = 50  # certificates per WeasyPrint document in a batch: ≈ 200 KB files (see benchmarks/certificates_batch.py)


class TemplateProblem(Exception):
    """A certificate template failed: a variable missing or empty, or a syntax error."""


def seal(text: str, star: str = "★", footer: str = "证书专用章", size_mm: int = 40) -> Markup:
    """A red round seal (公章 style): `text` along the upper arc, a star in the middle, as an <img>."""
    return Markup(f'<img class="seal" src="{seal_url(text, star, footer)}" alt="" '
                  f'style="position:absolute;width:{size_mm}mm;height:{size_mm}mm">')


def seal_url(text: str, star: str = "★", footer: str = "证书专用章") -> str:
    """The seal's image as a URL for CSS (`background-image: url(...)`): no box to lay out.

    A PNG drawn once per text with Pillow and cached: every page of a document shows the same
    image, which WeasyPrint embeds once. (Drawn as SVG or rotated CSS letters, the seal cost
    15–30 ms per page, a third of a batch's time.) 600 px for 40 mm is print quality (380 dpi).
    """
    return _image_url(_seal_png(text, star, footer))


@lru_cache(maxsize=64)
def _seal_png(text: str, star: str, footer: str, px: int = 600) -> str:
    from PIL import Image, ImageDraw, ImageFont
    # Drawn as an alpha mask over one flat red, with few alpha levels: ~20 KB instead of ~80 KB.
    mask = Image.new("L", (px, px), 0)
    draw = ImageDraw.Draw(mask)
    ring = round(px * 0.028)
    draw.ellipse([ring // 2, ring // 2, px - ring // 2, px - ring // 2], outline=255, width=ring)
    inner = round(px * 0.045)
    draw.ellipse([inner, inner, px - inner, px - inner], outline=255, width=max(2, ring // 4))
    path, index = _font_file()
    chars = list(text) or [" "]
    n = len(chars)
    span = min(240.0, 21.0 * n)
    step = span / max(n - 1, 1)
    size = round(px * (0.125 if n <= 12 else 0.10))
    font = ImageFont.truetype(path, size, index=index)
    radius = px / 2 - inner - size * 0.75
    for i, ch in enumerate(chars):
        angle = -span / 2 + i * step  # degrees clockwise from the top
        glyph = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(glyph).text((size, size), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.BICUBIC)
        x = px / 2 + radius * math.sin(math.radians(angle))
        y = px / 2 - radius * math.cos(math.radians(angle))
        mask.paste(255, (round(x - size), round(y - size)), glyph)
    if star:  # a five-pointed star
        cx, cy, outer = px / 2, px / 2 + px * 0.01, px * 0.16
        draw.polygon([(cx + (outer if k % 2 == 0 else outer * 0.382) * math.sin(math.radians(36 * k)),
                       cy - (outer if k % 2 == 0 else outer * 0.382) * math.cos(math.radians(36 * k)))
                      for k in range(10)], fill=255)
    draw.text((px / 2, px * 0.76), footer, font=ImageFont.truetype(path, round(px * 0.07), index=index),
              fill=255, anchor="mm")
    mask = mask.point(lambda v: 255 if v > 223 else (v // 64) * 64)
    image = Image.new("RGBA", (px, px), (200, 16, 46, 0))
    image.putalpha(mask.point(lambda v: v * 200 // 255))  # ink, not paint: the text beneath shows through
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _font_file() -> tuple[str, int]:
    """The file (and index in a .ttc collection) of the CJK serif font fontconfig picks."""
    import subprocess
    out = subprocess.run(["fc-match", "-f", "%{file}|%{index}", "Noto Serif CJK SC:lang=zh-cn"],
                         capture_output=True, text=True, timeout=20).stdout
    path, _, index = out.partition("|")
    return path, int(index or 0)


def qr_url(url: str) -> str:
    """The verification link as a QR code: a one-pixel-per-module PNG (under 1 KB), by URL.

    (An SVG QR code is a path WeasyPrint parses on every page, ~30 ms each; segno's own PNG
    writer is pure Python, ~13 ms: Pillow encodes it in well under a millisecond.) Drawn crisp
    with `image-rendering: pixelated`.
    """
    from PIL import Image
    matrix = segno.make(url, error="m", mask=4).matrix  # a fixed mask: 0.6 ms instead of 3 (any mask scans)
    size = len(matrix)
    image = Image.frombytes("L", (size, size), bytes(0 if dark else 255 for row in matrix for dark in row))
    buffer = io.BytesIO()
    image.convert("1").save(buffer, "PNG")
    return _image_url(buffer.getvalue())


def with_qr(variables: dict) -> dict:
    """The variables with the QR code of `verify_url`: `qr_url` (for CSS) and `qr` (an <img>)."""
    if not variables.get("verify_url") or "qr_url" in variables:
        return variables
    url = qr_url(variables["verify_url"])
    return {**variables, "qr_url": url, "qr": qr_image(url)}


def qr_image(image_url: str) -> Markup:
    """The QR code as an <img> (for park templates): `qr_url`'s image."""
    return Markup(f'<img class="qr" src="{image_url}" alt="">')


# Templates come from parks' IT contractors too: sandboxed, and a missing variable raises.
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
    """One single-page PDF per certificate, from ONE WeasyPrint document.

    WeasyPrint's `finisher` hands over the finished PDF as objects (pydyf) before it is
    serialized: each file is assembled from them (see `_split`), and the whole document is never
    written out or parsed back.
    """
    captured = []

    def finish(_document, pdf):
        captured.append(_split(pdf))
        raise _Done

    try:
        _html(style, pages).write_pdf(finisher=finish)
    except _Done:
        return captured[0]
    raise RuntimeError("WeasyPrint did not call the finisher")  # pragma: no cover - another WeasyPrint


class _Done(Exception):
    """Stops `write_pdf` once the finisher has the pages: the full document is not needed."""


def _html(style: str, pages: list[str]):
    from weasyprint import HTML
    return HTML(string=document_html(style, pages), base_url=str(PDF_TEMPLATES), url_fetcher=_fetcher())


# Images (seal, QR codes) are referenced as "cert-image:<sha1>" rather than inlined as data: URIs:
# 25 pages × a 27 KB base64 seal made HTML parsing a tenth of the time, and WeasyPrint embeds an
# image used on every page once per URL.
_IMAGES: dict[str, bytes] = {}
_SCHEME = "cert-image:"


def _image_url(data: bytes) -> str:
    key = hashlib.sha1(data).hexdigest()
    if key not in _IMAGES:
        if len(_IMAGES) > 5000:  # QR codes are per certificate: keep the cache bounded
            _IMAGES.clear()
        _IMAGES[key] = data
    return _SCHEME + key


def _fetcher():
    """Certificates load nothing from outside: only our images and data: URIs.

    (A park's template must not read local files or call out, e.g. `<link rel=attachment
    href=file:///…>` would embed a server file into the PDF.)
    """
    global _FETCHER
    if _FETCHER is None:
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        class CertificateFetcher(URLFetcher):
            def fetch(self, url, headers=None):
                if url.startswith(_SCHEME) and url[len(_SCHEME):] in _IMAGES:
                    return URLFetcherResponse(url, _IMAGES[url[len(_SCHEME):]], {"Content-Type": "image/png"})
                if url.startswith("data:"):
                    return super().fetch(url, headers)
                raise ValueError(f"certificates may not load {url[:60]!r}")

        _FETCHER = CertificateFetcher(allowed_protocols=("data", "cert-image"))
    return _FETCHER


_FETCHER = None


def _split(pdf) -> list[bytes]:
    """Single-page PDF files from a multi-page pydyf PDF (WeasyPrint's, before serialization).

    The objects pages share (the font subset, the seal image) are serialized once and copied
    into each file with their object numbers; each file gets its page, a page tree, a catalog
    and a cross-reference table. WeasyPrint gives all pages one resource dictionary: each page
    keeps only the resources its content names, or every file would carry every page's QR code.
    """
    import pydyf

    objects = pdf.objects
    cache: dict[int, tuple[bytes, tuple[int, ...]]] = {}  # number → (body, numbers it refers to)

    def body(number: int) -> tuple[bytes, tuple[int, ...]]:
        if number not in cache:
            obj = objects[number]
            data = obj.data  # a stream is compressed here, once
            # A stream's references are in its dictionary, never in its (compressed) data.
            head = pydyf.Dictionary(obj.extra).data if isinstance(obj, pydyf.Stream) else data
            cache[number] = data, tuple(int(n) for n in _REF.findall(head) if int(n) < len(objects))
        return cache[number]

    resources = objects[_ref_number(objects[pdf.pages["Kids"][0]]["Resources"])]
    top = len(objects)
    pages_number, catalog_number, info_number = top, top + 1, top + 2
    files = []
    for page_number in pdf.pages["Kids"][::3]:
        page = objects[page_number]
        contents = objects[_ref_number(page["Contents"])]
        # The names the page's content uses, read from its operators before compression (joined
        # as pydyf joins them; pydyf is pinned, and test_rendering fails if this goes wrong).
        used = set(_NAME.findall(b"\n".join(pydyf._to_bytes(item) for item in contents.stream)))
        pruned = pydyf.Dictionary({
            key: pydyf.Dictionary({k: v for k, v in value.items() if k.encode() in used})
            if isinstance(value, dict) else value
            for key, value in resources.items()})
        own = pydyf.Dictionary(page)
        own["Parent"] = f"{pages_number} 0 R"
        own["Resources"] = pruned
        page_bytes = own.data
        found = {page_number: page_bytes,
                 pages_number: b"<</Type /Pages /Kids [%d 0 R] /Count 1>>" % page_number,
                 catalog_number: b"<</Type /Catalog /Pages %d 0 R>>" % pages_number,
                 info_number: b"<</Producer (incubator certificates, WeasyPrint)>>"}
        stack = [int(n) for n in _REF.findall(page_bytes)]
        while stack:
            number = stack.pop()
            if number not in found:
                found[number], refs = body(number)
                stack.extend(refs)
        # The file's ID: a digest of what is this certificate's own (its page and content).
        file_id = hashlib.md5(page_bytes + found[_ref_number(page["Contents"])]).hexdigest().encode()
        files.append(_assemble(found, catalog_number, info_number, file_id))
    return files


def _ref_number(reference) -> int:
    return int(reference.split()[0]) if isinstance(reference, (bytes, str)) else reference.number


_REF = re.compile(rb"(\d+) 0 R")


def _assemble(objects: dict[int, bytes], root: int, info: int, file_id: bytes) -> bytes:
    """A PDF file from numbered object bodies: header, objects, xref table, trailer."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join((b"%010d 00000 n \n" % offsets[number]) if number in offsets else b"0000000000 00000 f \n"
                    for number in range(1, size))
    out += (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, root, info, file_id, file_id, xref))
    return bytes(out)


_NAME = re.compile(rb"/([^\s/\[\]()<>{}%]+)")


def render_pdfs(kind: str, source: str | None, variables: list[dict]) -> list[bytes]:
    """The PDFs of certificates sharing a template: templating, QR codes, the pages laid out as
    one document and cut into one file per certificate."""
    tmpl = template(kind, source)
    parts = [render_parts(tmpl, with_qr(values)) for values in variables]
    files: list[bytes | None] = [None] * len(parts)
    by_style: dict[str, list[int]] = {}  # a template whose <style> uses variables: one document per style
    for index, (style, _page) in enumerate(parts):
        by_style.setdefault(style, []).append(index)
    for style, indexes in by_style.items():
        pages = [parts[i][1] for i in indexes]
        pdfs = write_pages(style, pages)
        if len(pdfs) != len(pages):  # a template that overflows a page would shift every later file
            raise TemplateProblem(f"证书模板排版超出一页（{len(pdfs)} 页 / {len(pages)} 张证书）")
        for index, data in zip(indexes, pdfs):
            files[index] = data
    return files


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
    SHA-256 and size of each stored file.

    Certificates of the same template are laid out as documents of up to `chunk` pages; with an
    `executor` (a process pool) the documents are rendered in parallel, otherwise here.
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
        outputs = [render_chunk(*a) for a in args]
    else:
        outputs = list(executor.map(render_chunk, *zip(*args)))
    results: list[tuple[str, int] | None] = [None] * len(jobs)
    for (_key, indexes), stored in zip(chunks, outputs):
        for index, item in zip(indexes, stored):
            results[index] = item
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
