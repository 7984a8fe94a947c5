"""Single-page PDF files cut from one WeasyPrint document, over pydyf's objects (pydyf is pinned:
test_rendering fails if its internals change). A document of a batch's certificates is rendered
once and written as one file per certificate, each with the font subset and images it uses."""
from __future__ import annotations

import hashlib
import re


def cut(document, underlay: bool = False) -> list[bytes]:
    """A rendered WeasyPrint document as single-page PDF files (see `split_pages`).

    WeasyPrint's `finisher` hands over the finished PDF as objects (pydyf) before it is
    serialized: each file is assembled from them, and the whole document is never written out or
    parsed back."""
    captured = []

    def finish(_document, pdf):
        captured.append(split_pages(pdf, underlay))
        raise _Done

    try:
        document.write_pdf(finisher=finish)
    except _Done:
        return captured[0]
    raise RuntimeError("WeasyPrint did not call the finisher")  # pragma: no cover - another WeasyPrint


class _Done(Exception):
    """Stops `write_pdf` once the finisher has the pages: the full document is not needed."""


def split_pages(pdf, underlay: bool = False) -> list[bytes]:
    """Single-page PDF files from a multi-page pydyf PDF (WeasyPrint's, before serialization).

    With `underlay`, the first page is what every certificate shares (overlay.py): each file is
    one of the other pages drawn over it, their content streams one after the other (the
    underlay's between q and Q, as it starts by setting its own coordinates).

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
    pages_number, catalog_number, info_number, push, pop = range(top, top + 5)
    kids = pdf.pages["Kids"][::3]
    shared, shared_names = (), set()
    if underlay:
        first = objects[kids[0]]["Contents"]
        shared, shared_names = (push, _ref_number(first), pop), _names(objects[_ref_number(first)])
        kids = kids[1:]
    files = []
    for page_number in kids:
        page = objects[page_number]
        contents = objects[_ref_number(page["Contents"])]
        used = shared_names | _names(contents)
        pruned = pydyf.Dictionary({
            key: pydyf.Dictionary({k: v for k, v in value.items() if k.encode() in used})
            if isinstance(value, dict) else value
            for key, value in resources.items()})
        own = pydyf.Dictionary(page)
        own["Parent"] = f"{pages_number} 0 R"
        own["Resources"] = pruned
        if shared:
            own["Contents"] = pydyf.Array(f"{n} 0 R" for n in (*shared, _ref_number(page["Contents"])))
        page_bytes = own.data
        found = {page_number: page_bytes,
                 pages_number: b"<</Type /Pages /Kids [%d 0 R] /Count 1>>" % page_number,
                 catalog_number: b"<</Type /Catalog /Pages %d 0 R>>" % pages_number,
                 info_number: b"<</Producer (incubator certificates, WeasyPrint)>>"}
        if shared:
            found[push], found[pop] = _STATE_STREAMS
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


def _names(contents) -> set[bytes]:
    """The resource names a content stream uses, read from its operators before compression (joined
    as pydyf joins them; pydyf is pinned, and test_rendering fails if this goes wrong)."""
    import pydyf
    return set(_NAME.findall(b"\n".join(pydyf._to_bytes(item) for item in contents.stream)))


_STATE_STREAMS = (b"<</Length 1>>\nstream\nq\nendstream", b"<</Length 1>>\nstream\nQ\nendstream")


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
