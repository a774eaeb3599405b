"""The one place HTML from Markdown is cleaned (R46–R47), and the one place free text is made a plain
line. Swap bleach for nh3 here, and only here."""
from __future__ import annotations

import unicodedata

import bleach
from bleach.html5lib_shim import Filter
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "code", "pre",
    "hr", "a", "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "th": ["scope"], "td": ["colspan", "rowspan"]}
ALLOWED_PROTOCOLS = frozenset({"https", "mailto", "tel"})


class _SafeLinks(Filter):
    """Adds rel="noopener noreferrer" to every link that survived cleaning."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = dict(token.get("data") or {})
                attrs[(None, "rel")] = "noopener noreferrer"
                token["data"] = attrs
            yield token


_CLEANER = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_SafeLinks],
)


def clean_html(html: str) -> Markup:
    """Sanitised HTML, marked safe for Jinja: the only source of Markup from content (R48)."""
    return Markup(_CLEANER.clean(html))


# CommonMark with tables; raw HTML in the source is text, never markup. One parser for the guides
# and the clinics' own texts.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def markdown_html(markdown: str) -> Markup:
    """Markdown as cleaned HTML, marked safe for Jinja."""
    return clean_html(_MARKDOWN.render(markdown))


def one_line(text: str) -> str:
    """Text as one printable line: control, format and bidi characters (ESC, U+202E…) dropped, which
    could break an SMS's encoding or spoof what is shown; line breaks and runs of spaces made one space."""
    visible = "".join(c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    return " ".join(visible.split())

