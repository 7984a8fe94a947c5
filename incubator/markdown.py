"""Safe Markdown: raw HTML is escaped, dangerous link schemes dropped (markdown-it-py)."""
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_markdown(text: str | None) -> Markup:
    """Markdown → Markup safe to put in a page (no <script>, no javascript: links)."""
    return Markup(_md.render(text or ""))


def register(app) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
