"""The one place HTML from Markdown is cleaned (R46–R47), and the one place free text is made a plain
line. Swap bleach for nh3 here, and only here."""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from html import escape

import bleach
from bleach.html5lib_shim import Filter
from markdown_it import MarkdownIt
from markupsafe import Markup

from . import pictures

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "code", "pre",
    "hr", "a", "table", "thead", "tbody", "tr", "th", "td",
})
PICTURES_PATH = "/static/pictures/"  # the only images: our own drawings (pictures.py)
_IMG_ATTRIBUTES = {"alt", "width", "height", "loading", "decoding", "class"}


def _img_attribute(_tag: str, name: str, value: str) -> bool:
    if name == "src":
        return value.startswith(PICTURES_PATH) and ".." not in value and "//" not in value[1:]
    return name in _IMG_ATTRIBUTES


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


# The guides' cleaner also lets our pictures through (pictures.py): only an <img> whose address is
# one of them; every other image was already turned into its alt text by the Markdown renderer.
_PICTURES_CLEANER = bleach.Cleaner(
    tags=ALLOWED_TAGS | {"img"},
    attributes={**ALLOWED_ATTRIBUTES, "img": _img_attribute},
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_SafeLinks],
)


def clean_html(html: str, pictures: bool = False) -> Markup:
    """Sanitised HTML, marked safe for Jinja: the only source of Markup from content (R48).
    `pictures`: our own pictures may stay (the guides); a clinic's text never has images."""
    return Markup((_PICTURES_CLEANER if pictures else _CLEANER).clean(html))


# CommonMark with tables; raw HTML in the source is text, never markup. One parser for the guides
# and the clinics' own texts.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


# The address of one of our pictures by its name (pictures.py), or None: given by the guides only.
PictureUrl = Callable[[str], "tuple[str, bool] | None"]


def markdown_html(markdown: str, picture_url: PictureUrl | None = None) -> Markup:
    """Markdown as cleaned HTML, marked safe for Jinja. An image is shown only if it is one of our
    pictures (`![alt](picture:<name>)`, with `picture_url`); any other image becomes its alt text."""
    tokens = _MARKDOWN.parse(markdown)
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {"picture_url": picture_url})
    return clean_html(html, pictures=picture_url is not None)


def _image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = token.attrGet("src") or ""
    found = None
    if env.get("picture_url") and src.startswith(pictures.SCHEME):
        found = env["picture_url"](src.removeprefix(pictures.SCHEME))
    if found is None:
        return escape(alt)
    url, mirror = found
    return (f'<img src="{escape(url)}" alt="{escape(alt)}" width="{pictures.WIDTH}" height="{pictures.HEIGHT}"'
            ' loading="lazy" decoding="async"'
            f' class="pa-picture{" pa-picture--mirror" if mirror else ""}">')


_MARKDOWN.add_render_rule("image", _image)


def one_line(text: str) -> str:
    """Text as one printable line: control, format and bidi characters (ESC, U+202E…) dropped, which
    could break an SMS's encoding or spoof what is shown; line breaks and runs of spaces made one space."""
    visible = "".join(c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    return " ".join(visible.split())

