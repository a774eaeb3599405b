import re
from pathlib import Path

import pytest

from patientapp import i18n
from patientapp.guides import GUIDES, SLUGS, GuideLibrary

CONTENT = Path(__file__).resolve().parents[2] / "content"
LANGS = tuple(i18n.LANGUAGES)


@pytest.fixture(scope="module")
def library():
    return GuideLibrary(CONTENT, LANGS)


def test_every_guide_exists_in_every_language(library):
    assert library.missing() == []
    on_disk = {p.stem for lang in LANGS for p in (CONTENT / lang).glob("*.md")}
    assert on_disk == set(SLUGS), "a guide file that no slug lists, or the reverse"


def test_the_required_topics_are_there():
    guides = [s for s, g in GUIDES if g == "guide"]
    help_topics = [s for s, g in GUIDES if g == "help"]
    for slug in ("before", "during", "after", "privacy", "consent", "from-pc", "relatives"):
        assert slug in guides
    assert len(help_topics) >= 10
    for slug in ("no-picture", "no-sound", "echo", "blocked", "poor-connection", "in-app-browser",
                 "clinician-late", "someone-enters", "health-worse", "call-drops"):
        assert slug in help_topics


@pytest.mark.parametrize("lang", LANGS)
def test_guides_keep_the_format_and_link_only_to_guides_and_phones(library, lang):
    for slug in SLUGS:
        guide = library.guides[(lang, slug)]
        assert guide.title and guide.summary and "<h1" not in guide.html
        for href in re.findall(r'href="([^"]+)"', str(guide.html)):
            assert href in SLUGS or href in ("tel:113", "tel:116117"), (lang, slug, href)


@pytest.mark.parametrize("lang", LANGS)
def test_emergency_number_is_in_the_health_guide(library, lang):
    assert 'href="tel:113"' in str(library.guides[(lang, "health-worse")].html)


@pytest.mark.parametrize("lang", ["ar", "ur"])
def test_rtl_guides_have_no_bidi_controls(lang):
    for path in (CONTENT / lang).glob("*.md"):
        assert not re.search("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", path.read_text(encoding="utf-8")), path


def test_every_blocked_guide_covers_the_four_platforms():
    for lang in LANGS:
        text = (CONTENT / lang / "blocked.md").read_text(encoding="utf-8")
        for word in ("Android", "iPhone", "Windows", "Mac"):
            assert word in text, (lang, word)
