"""The radar chart of an organization's assessments (pygal), as sanitized inline SVG.

Sanitized as every chart is, by the core's `incubator.charts.sanitize_svg`.
"""
import pygal
from markupsafe import Markup
from pygal.style import Style

from incubator.charts import sanitize_svg

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
