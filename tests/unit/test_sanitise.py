import re
from html.parser import HTMLParser

import pytest

from patientapp.guides import parse
from patientapp.sanitise import clean_html

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<form action="https://evil.example"><input name=x></form>',
    '<p style="color:red" onclick="x()">text</p>',
    "<!-- comment --><p>ok</p>",
]
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "code", "pre",
                "hr", "a", "table", "thead", "tbody", "tr", "th", "td"}


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.comments = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [(tag, name, value or "") for name, value in attrs]

    def handle_comment(self, data):
        self.comments.append(data)


def assert_safe(html: str) -> None:
    """Inspect what a browser would build: tags, attributes and URLs, not the escaped text."""
    found = _Collect()
    found.feed(html)
    assert found.tags <= ALLOWED_TAGS, found.tags - ALLOWED_TAGS
    assert not found.comments
    for tag, name, value in found.attrs:
        assert not name.startswith("on") and name != "style", (tag, name)
        if name == "href":
            scheme = re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value)
            assert scheme is None or scheme.group(1).lower() in {"https", "mailto", "tel"}, value


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_html_is_neutralised(payload):
    assert_safe(str(clean_html(payload)))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_markdown_is_neutralised(payload):
    guide = parse("before", "en", f"# Title\n\nSummary.\n\n{payload}\n\n[x]({payload})\n")
    assert_safe(str(guide.html))


def test_allowed_markdown_round_trips_and_links_get_rel():
    guide = parse("before", "en", "# T\n\nSummary.\n\n## Head\n\n- **bold** and *em*\n\n1. step\n\n"
                  "[Call](tel:113) [Guide](no-sound) [Site](https://example.no)\n")
    html = str(guide.html)
    for tag in ("<h2>Head</h2>", "<strong>bold</strong>", "<em>em</em>", "<ol>", "<ul>"):
        assert tag in html
    assert '<a href="tel:113" rel="noopener noreferrer">Call</a>' in html
    assert '<a href="no-sound" rel="noopener noreferrer">Guide</a>' in html
    assert html.count('rel="noopener noreferrer"') == 3


def test_guide_format_is_enforced():
    with pytest.raises(ValueError):
        parse("before", "en", "No title\n")
    with pytest.raises(ValueError):
        parse("before", "en", "# Title\n\n## Heading straight away\n")


def test_only_our_pictures_become_images_and_only_in_the_guides():
    """pictures.py: `![alt](picture:<name>)` is an <img> of ours in a guide; in a clinic's own text,
    and for any other address, only the alt text stays."""
    from patientapp.sanitise import markdown_html

    ours = lambda name: ("/static/pictures/light-front.0123456789ab.svg", False) if name == "light-front" else None  # noqa: E731
    guide = markdown_html("![A lamp in front lights your face.](picture:light-front)", ours)
    assert '<img src="/static/pictures/light-front.0123456789ab.svg" alt="A lamp in front lights your face."' in guide
    assert 'loading="lazy"' in guide
    for source in ("![x y z](picture:nope)", "![x y z](https://evil.example/a.png)", "![x y z](/static/pictures/a.svg)",
                   '![x" onerror="alert(1)](picture:light-front)'):
        for html in (markdown_html(source, ours), markdown_html(source)):
            assert 'onerror="' not in html  # in text or inside alt it is escaped, never an attribute
            if "picture:light-front" not in source:
                assert "<img" not in html
    assert "<img" not in markdown_html("![A lamp.](picture:light-front)")  # a clinic's text: words only
