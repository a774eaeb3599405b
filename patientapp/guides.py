"""Long-form guides: Markdown in content/<lang>/<slug>.md, rendered and sanitised once at start-up."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from .sanitise import PictureUrl, markdown_html

# The order here is the order of the index. Group "guide": read before and after;
# group "help": troubleshooting, each topic its own page so other pages can link to it.
GUIDES: tuple[tuple[str, str], ...] = (
    ("is-video-right", "guide"),
    ("before", "guide"),
    ("during", "guide"),
    ("video-join", "guide"),
    ("video-whereby", "guide"),
    ("after", "guide"),
    ("privacy", "guide"),
    ("consent", "guide"),
    ("payment", "guide"),
    ("from-pc", "guide"),
    ("relatives", "guide"),
    ("interpreters", "guide"),
    ("health-workers", "guide"),
    ("no-picture", "help"),
    ("no-sound", "help"),
    ("echo", "help"),
    ("blocked", "help"),
    ("poor-light", "help"),
    ("poor-connection", "help"),
    ("in-app-browser", "help"),
    ("call-drops", "help"),
    ("clinician-late", "help"),
    ("someone-enters", "help"),
    ("health-worse", "help"),
)
SLUGS = tuple(slug for slug, _ in GUIDES)
GROUP = dict(GUIDES)

# No raw HTML and no autolinking: everything a guide can contain is plain Markdown.


@dataclass(frozen=True)
class Guide:
    slug: str
    lang: str
    group: str
    title: str
    summary: str
    html: Markup


class GuideFormatError(ValueError):
    pass


def parse(slug: str, lang: str, text: str, picture_url: PictureUrl | None = None) -> Guide:
    """Split a guide file into title (the one '# ' line), summary (next paragraph) and body."""
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise GuideFormatError(f"{lang}/{slug}.md must start with '# Title'")
    title = lines[0][2:].strip()
    body = "\n".join(lines[1:]).strip()
    summary = body.split("\n\n", 1)[0].strip()
    if not summary or summary.startswith("#"):
        raise GuideFormatError(f"{lang}/{slug}.md needs a one-sentence summary after the title")
    return Guide(slug, lang, GROUP[slug], title, summary, markdown_html(body, picture_url))


class GuideLibrary:
    """Every guide in every language, held in memory."""

    def __init__(self, content_dir: Path, languages: tuple[str, ...], fallback: str = "en",
                 picture_url: PictureUrl | None = None):
        self.content_dir = content_dir
        self.languages = languages
        self.fallback = fallback
        self.guides: dict[tuple[str, str], Guide] = {}
        for lang in languages:
            for slug in SLUGS:
                path = content_dir / lang / f"{slug}.md"
                if path.is_file():
                    self.guides[(lang, slug)] = parse(slug, lang, path.read_text(encoding="utf-8"), picture_url)

    def missing(self) -> list[str]:
        return [f"{lang}/{slug}.md" for lang in self.languages for slug in SLUGS if (lang, slug) not in self.guides]

    def get(self, slug: str, lang: str) -> Guide | None:
        """The guide in `lang`; the fallback language only if a file is missing (a test forbids that)."""
        return self.guides.get((lang, slug)) or self.guides.get((self.fallback, slug))

    def group(self, group: str, lang: str) -> list[Guide]:
        return [g for slug, grp in GUIDES if grp == group and (g := self.get(slug, lang))]
