"""The batch's fast path: what certificates of a batch share is laid out and painted once, each
certificate only its own lines (name, serial, code) and QR code (over WeasyPrint's boxes;
WeasyPrint is pinned, and test_rendering compares this path with a full layout).

Two certificates of the group are laid out in full and compared box by box: the text boxes whose
text differs are the certificate's own, and so are the images whose source differs. Each of them
must be a whole line ended by a line break (or its block's last), its text the reference's with the
varying values put in. The page is then painted once without those lines and images (the
*underlay*), and for each certificate a page holding only its own lines — the reference's lines
with the text shaped anew (Pango, as WeasyPrint's layout does), what follows on the line shifted by
the change of width, the line re-aligned — and its QR code. Each file draws the underlay, then its
own page: one content stream shared by every file, one small one of its own.

Anything that does not fit (different boxes, a value inside a wrapped paragraph, a line that would
wrap or change height, a background that differs) is reported as None: the caller lays the
certificates out in full instead.
"""
from __future__ import annotations

import logging
import re

from markupsafe import escape

from .pdfpages import cut

log = logging.getLogger(__name__)
_IMAGE_KEYS = ("qr_url",)  # variables that are images, not text ("qr" is its <img>)


class NotOverlayable(Exception):
    """This group (or certificate) cannot take the fast path: lay it out in full."""


def write_pages(html_for, pages: list[str], values: list[dict]) -> list[bytes | None] | None:
    """One single-page PDF per certificate (None where one must be laid out in full), or None
    when the group cannot take the fast path. `pages` are the certificates' page HTML,
    `html_for(indexes)` the WeasyPrint HTML of those certificates' pages."""
    keys = varying_keys(values)
    second = _second_reference(values, keys)
    if second is None:
        return None
    try:
        return _write_pages(html_for, pages, values, keys, second)
    except NotOverlayable:
        return None
    except Exception:  # a template this path did not foresee: the batch is still issued, in full
        log.exception("certificates: the batch's fast path failed; the pages are laid out in full")
        return None


def _write_pages(html_for, pages, values, keys, second) -> list[bytes | None]:
    # A certificate's page must be the first one's with its own values put in, and nothing else
    # different (a template may print something derived from a value, e.g. a name's length).
    html_keys = keys + [k for k in ("qr",) if k in values[0] and k not in keys]
    html = _split_on(pages[0], {k: str(escape(values[0][k])) for k in html_keys})
    alike = [_fill(html, {k: escape(v.get(k, "")) for k in html_keys}) == page for v, page in zip(values, pages)]
    if not alike[second]:
        raise NotOverlayable("the pages differ in more than their values")
    context, document = _render(html_for([0, second]))
    if len(document.pages) != 2:
        raise NotOverlayable("a certificate takes more than a page")
    reference = document.pages[0]
    plan = Plan(reference._page_box, document.pages[1]._page_box, values[0], values[second], keys)
    own_pages, own = [], []
    for index, variables in enumerate(values):
        if not alike[index]:
            continue  # laid out in full by the caller
        try:
            own_pages.append(_page_like(reference, plan.own_page(variables, context)))
            own.append(index)
        except NotOverlayable:  # this one is laid out in full by the caller
            continue
    document.pages = [_page_like(reference, plan.underlay())] + own_pages
    result: list[bytes | None] = [None] * len(values)
    for index, data in zip(own, cut(document, underlay=True)):
        result[index] = data
    return result


def _page_like(page, box):
    """A WeasyPrint page like `page` (size, bleed…) drawing the box tree `box`."""
    from weasyprint.document import Page
    copy = Page.__new__(Page)
    copy.__dict__.update(page.__dict__)
    copy._page_box = box
    return copy


def varying_keys(values: list[dict]) -> list[str]:
    """The variables whose value is not the same on every certificate of the group."""
    first = values[0]
    return [key for key in first if any(v.get(key) != first[key] for v in values[1:])]


def _second_reference(values: list[dict], keys: list[str]) -> int | None:
    """A certificate that differs from the first in every varying variable: comparing the two
    layouts then shows every box that varies."""
    for index, variables in enumerate(values[1:], 1):
        if all(str(variables.get(k)) != str(values[0].get(k)) for k in keys):
            return index
    return None


def _render(html):
    """WeasyPrint's `HTML.render`, keeping the layout context (to shape each certificate's lines)."""
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.css.counters import CounterStyle
    from weasyprint.document import Document, DocumentMetadata, Page
    from weasyprint.formatting_structure.build import build_formatting_structure
    from weasyprint.html import get_html_metadata
    from weasyprint.layout import layout_document
    from weasyprint.text.fonts import FontConfiguration
    options = DEFAULT_OPTIONS.copy()
    font_config, counter_style = FontConfiguration(), CounterStyle()
    context = Document._build_layout_context(html, font_config, counter_style, {}, options)
    root = build_formatting_structure(html.etree_element, context.style_for, context.get_image_from_uri,
                                      html.base_url, context.target_collector, counter_style, context.footnotes)
    document = Document([Page(box) for box in layout_document(html, root, context)],
                        DocumentMetadata(**get_html_metadata(html)), html.url_fetcher, font_config, {},
                        options["output_intent"])
    document._html = html
    return context, document


# -- the plan: which boxes are a certificate's own, and how to make them for another one ---------

class Plan:
    """What of the reference page `page_a` is each certificate's own, found by comparing it with
    `page_b` (another certificate whose varying `keys` all differ); NotOverlayable if it cannot tell."""

    def __init__(self, page_a, page_b, values_a: dict, values_b: dict, keys: list[str]):
        self.page = page_a
        self.texts = [k for k in keys if k not in _IMAGE_KEYS and k != "qr"]
        self.values_a = values_a
        self.lines: dict[int, tuple] = {}   # id(line) → (line, its block, [(path in the line, pattern)])
        self.images: dict[int, tuple] = {}  # id(box) → (box, pattern of its source)
        self._compare(page_a, page_b, values_b, line=None, block=None, path=())
        if not self.lines and not self.images:
            raise NotOverlayable("nothing varies")
        self._check_lines()

    # comparing the two layouts
    def _compare(self, a, b, values_b, line, block, path):
        from weasyprint.formatting_structure import boxes
        a, b = _unwrap(a), _unwrap(b)
        if type(a) is not type(b) or getattr(a, "element_tag", None) != getattr(b, "element_tag", None):
            raise NotOverlayable("different boxes")
        if a.style["background_image"] != b.style["background_image"]:
            raise NotOverlayable("a background varies")
        if isinstance(a, boxes.LineBox):
            line, path = a, ()
        elif isinstance(a, boxes.BlockContainerBox):
            block = a
        if isinstance(a, boxes.TextBox):
            if a.text != b.text:
                if line is None:
                    raise NotOverlayable("text outside a line")
                pattern = self._pattern(a.text, b.text, values_b)
                self.lines.setdefault(id(line), (line, block, []))[2].append((path, pattern))
            return
        if isinstance(a, boxes.ReplacedBox):
            src_a, src_b = (box.element.get("src") if box.element is not None else None for box in (a, b))
            if src_a != src_b:
                if line is not None:  # in a line: the line's copy would hold the old image
                    raise NotOverlayable("a varying image in a line")
                self.images[id(a)] = (a, self._pattern(src_a, src_b, values_b, _IMAGE_KEYS))
            return
        children_a, children_b = list(_children(a)), list(_children(b))
        if len(children_a) != len(children_b):
            raise NotOverlayable("different boxes")
        for number, (child_a, child_b) in enumerate(zip(children_a, children_b)):
            self._compare(child_a, child_b, values_b, line, block, path + (number,))

    def _pattern(self, text_a: str, text_b: str, values_b: dict, keys=None) -> list:
        """`text_a` as literal pieces and variable names; it must give `text_b` with `values_b`."""
        keys = keys or self.texts
        pattern = _split_on(text_a, {k: str(self.values_a.get(k, "")) for k in keys})
        if _fill(pattern, values_b) != text_b:
            raise NotOverlayable("a box's text is not its values")
        return pattern

    def _check_lines(self):
        """Each varying line is a whole line: ended by a line break or its block's last."""
        from weasyprint.formatting_structure import boxes
        for line, block, _texts in self.lines.values():
            if block is None or line.style["direction"] != "ltr":
                raise NotOverlayable("no block")
            lines = [child for child in block.children if isinstance(child, boxes.LineBox)]
            if line is lines[-1]:
                continue
            text = "".join(box.text for box in line.descendants() if isinstance(box, boxes.TextBox))
            whole = "".join(block.element.itertext()) if block.element is not None else ""
            if block.style["white_space"] not in ("pre", "pre-line", "pre-wrap") or text + "\n" not in whole:
                raise NotOverlayable("a varying value in a wrapped paragraph")

    # the pages painted
    def underlay(self):
        """The reference page without the varying lines and images."""
        return _without(self.page, set(self.lines) | set(self.images))

    def own_page(self, values: dict, context):
        """A page holding only this certificate's lines and images (NotOverlayable if one of its
        lines would not lay out as the reference's)."""
        made = {key: _relaid(line, block, texts, values, context) for key, (line, block, texts) in self.lines.items()}
        for key, (box, pattern) in self.images.items():
            made[key] = _with_image(box, _fill(pattern, values), context)
        return _only(self.page, made)


def _split_on(text: str, values: dict[str, str]) -> list[tuple[bool, str]]:
    """`text` as (False, literal) and (True, variable name) pieces, where the values occur."""
    found = {value: key for key, value in values.items() if value}
    if not found or len(found) != len([v for v in values.values() if v]):
        raise NotOverlayable("no varying value where one varies, or two variables with the same value")
    alternatives = "|".join(re.escape(v) for v in sorted(found, key=len, reverse=True))
    return [(bool(i % 2), found[piece] if i % 2 else piece)
            for i, piece in enumerate(re.split(f"({alternatives})", text))]


def _fill(pattern, values) -> str:
    return "".join(str(values[piece]) if is_key else piece for is_key, piece in pattern)


def _is_placeholder(box) -> bool:
    return type(box).__name__ == "AbsolutePlaceholder"


def _unwrap(box):
    return object.__getattribute__(box, "_box") if _is_placeholder(box) else box


def _children(box):
    return getattr(_unwrap(box), "children", None) or ()


def _with_children(box, children):
    copy = box.copy()  # (a placeholder's copy holds a copy of its box)
    _unwrap(copy).children = children
    return copy


def _without(box, drop: set):
    """A copy of the tree without the boxes in `drop` (by id); what is left paints as before."""
    if id(_unwrap(box)) in drop:
        return None
    children = _children(box)
    if not children:
        return box
    return _with_children(box, [k for k in (_without(child, drop) for child in children) if k is not None])


def _only(box, made: dict):
    """A copy of the tree holding only the boxes of `made` (by id, with their replacements); the
    boxes that hold them paint nothing of their own (no background, no border)."""
    key = id(_unwrap(box))
    if key in made:
        if _is_placeholder(box):
            placeholder = box.copy()
            placeholder.set_laid_out_box(made[key])
            return placeholder
        return made[key]
    kids = [k for k in (_only(child, made) for child in _children(box)) if k is not None]
    if not kids:
        return None
    copy = _with_children(box, kids)
    inner = _unwrap(copy)
    inner.background = None
    if hasattr(inner, "canvas_background"):
        inner.canvas_background = None
    style = inner.style.copy()
    style["visibility"] = "hidden"
    inner.style = style
    return copy


def _relaid(line, block, texts, values, context):
    """A copy of `line` with this certificate's text, shaped anew (as WeasyPrint's inline layout
    does), what follows it on the line shifted, the line aligned again."""
    from weasyprint.text.line_break import split_first_line
    new = line.deepcopy()
    for path, pattern in texts:
        parents = [new]
        for number in path:
            parents.append(parents[-1].children[number])
        box, text = parents[-1], _fill(pattern, values)
        if not text:
            raise NotOverlayable("an empty line")
        layout, length, resume, width, height, baseline = split_first_line(
            text, box.style, context, None, box.justification_spacing, is_line_start=not any(path))
        if resume is not None or length != len(text.encode()) or abs(height - box.height) > 0.01:
            raise NotOverlayable("the line wraps or changes height")
        text_box = box.copy_with_text(layout.text)
        text_box.width, text_box.pango_layout, text_box.height = width, layout, height
        text_box.baseline = baseline + text_box.margin_top
        if abs(text_box.baseline - box.baseline) > 0.01:
            raise NotOverlayable("the line's baseline moves")
        delta = width - box.width
        parents[-2].children[path[-1]] = text_box
        _shift_after(new, path, delta)
        for parent in parents[:-1]:
            parent.width += delta
    align = line.style["text_align_last"]
    if align == "auto":
        align = line.style["text_align_all"]
    growth = new.width - line.width
    offset = {"center": -growth / 2, "right": -growth, "end": -growth}.get(align, 0)
    if offset:
        new.translate(dx=offset)
    left = block.content_box_x()
    if new.position_x < left - 0.01 or new.position_x + new.width > left + block.width + 0.01:
        raise NotOverlayable("the line overflows its block")
    return new


def _shift_after(line, path, delta):
    """Move what follows the box at `path` (in the line) right by `delta`."""
    box = line
    for number in path:
        for sibling in box.children[number + 1:]:
            sibling.translate(dx=delta)
        box = box.children[number]


def _with_image(box, src, context):
    from .artwork import QRDrawing, qr_link
    copy = box.copy()
    link = qr_link(src)
    if link is not None:  # a QR code: drawn as vectors, no image to make, encode and decode
        copy.replacement = QRDrawing(link, box.replacement)
        return copy
    copy.replacement = context.get_image_from_uri(url=src, orientation=box.style["image_orientation"])
    if copy.replacement is None:
        raise NotOverlayable("an image that does not load")
    return copy
