"""Charts (pygal) as sanitized inline SVG, for the core's reports and every plugin's pages.

pygal builds the SVG with an XML library, so labels (names from park files, organizations' names)
are escaped text. We still switch off its JavaScript (it would load from a CDN) and pass the result
through `sanitize_svg`, which keeps only drawing elements: no <script>, no event handlers, no
external links. Charts are drawn on a view box without a fixed size: they take their box's width
and keep their proportions, so they shrink to a phone's screen instead of pushing the page sideways.
"""
import xml.etree.ElementTree as ET

import pygal
from markupsafe import Markup
from pygal.style import Style

SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
FORBIDDEN = {"script", "foreignObject", "iframe", "object", "embed", "image", "use", "animate", "set"}
COLORS = ("#1565c0", "#2e7d32", "#f0ad4e", "#8a9199", "#6a1b9a", "#c62828", "#00838f")
STYLE = Style(background="transparent", plot_background="transparent", font_family="sans-serif",
              colors=COLORS, label_font_size=15, legend_font_size=15, major_label_font_size=15,
              value_font_size=13)


def bars(x_labels: list[str], series: list[tuple[str, list[float]]], *, width: int = 640, height: int = 300) -> Markup:
    """Grouped bars: one group per x label (a year), one bar per series (a figure); the y axis in
    whole steps (what is counted is counted in whole organizations, people, sessions)."""
    import math
    top = max([v for _title, values in series for v in values if v] or [1])
    step = max(1, math.ceil(top / 5))
    chart = pygal.Bar(style=STYLE, width=width, height=height, js=[], disable_xml_declaration=True,
                      explicit_size=False, legend_at_bottom=True, show_legend=len(series) > 1, margin=12,
                      print_values=len(series) == 1, show_y_guides=True,
                      y_labels=list(range(0, int(top) + step + 1, step)) if top >= 1 else None)
    chart.x_labels = x_labels
    for title, values in series:
        chart.add(title, values)
    return sanitize_svg(chart.render(is_unicode=True))


def sanitize_svg(svg: str) -> Markup:
    """Keep an SVG's drawing; drop scripts, handlers, foreign content and links leaving the page."""
    root = ET.fromstring(svg)
    _clean(root)
    # Write plain <svg>/<path> tags ourselves: ElementTree's prefixes are global and other code may
    # have registered its own for the SVG namespace.
    for element in root.iter():
        element.tag = _local(element.tag)
        for attr in [a for a in element.attrib if a.startswith("{")]:
            prefix = "xlink:" if attr.startswith("{" + XLINK_NS) else ""
            element.attrib[prefix + _local(attr)] = element.attrib.pop(attr)
    root.set("xmlns", SVG_NS)
    root.set("xmlns:xlink", XLINK_NS)
    return Markup(ET.tostring(root, encoding="unicode"))


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _clean(element) -> None:
    for child in list(element):
        if _local(child.tag) in FORBIDDEN:
            element.remove(child)
        else:
            _clean(child)
    for attr in list(element.attrib):
        name, value = _local(attr).lower(), element.attrib[attr].strip().lower()
        if name.startswith("on") or (name == "href" and not value.startswith("#")) or "javascript:" in value:
            del element.attrib[attr]
