"""The radar chart of an organization's assessments (pygal), as sanitized inline SVG.

pygal builds the SVG with an XML library, so labels (rubric and dimension names come from park
files) are escaped text. We still switch off its JavaScript (it would load from a CDN) and pass the
result through `sanitize_svg`, which keeps only drawing elements: no <script>, no event handlers,
no external links.
"""
import xml.etree.ElementTree as ET

import pygal
from markupsafe import Markup
from pygal.style import Style

SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
FORBIDDEN = {"script", "foreignObject", "iframe", "object", "embed", "image", "use", "animate", "set"}
STYLE = Style(background="transparent", plot_background="transparent", font_family="sans-serif",
              colors=("#8a9199", "#f0ad4e", "#2e7d32", "#1565c0", "#6a1b9a"), label_font_size=15,
              legend_font_size=15, major_label_font_size=15)


def radar(dimensions: list[str], series: list[tuple[str, list[float]]]) -> Markup:
    """`series`: (title, percentages per dimension) for each assessment, oldest first.

    Drawn on a 560 × 420 view box without a fixed size: the chart takes its box's width (and keeps
    its proportions), so it shrinks to a phone's screen instead of pushing the page sideways.
    """
    chart = pygal.Radar(style=STYLE, width=560, height=420, range=(0, 100), fill=False, show_legend=True,
                        legend_at_bottom=True, js=[], disable_xml_declaration=True, explicit_size=False,
                        dots_size=3, show_y_labels=True, y_labels=[20, 40, 60, 80, 100], margin=16)
    chart.x_labels = dimensions
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
