"""Every translation of a guide keeps the English guide's structure, so a dropped step fails CI.

The English file is the reference (content/OUTLINE.md says what each guide must carry). Per guide and
language we compare, from markdown-it tokens (not regexes on text):
- the headings: the same number of `##` and `###`, in the same order;
- then, section by section: every list (bulleted or numbered) with the same number of items, in order;
  the links to other guides (`(no-sound)`), in order; and the phone numbers (`tel:` links), in order.
Words and sentences may differ; the skeleton may not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from patientapp import i18n
from patientapp.guides import SLUGS

CONTENT = Path(__file__).resolve().parents[2] / "content"
REFERENCE = "en"
TRANSLATIONS = tuple(lang for lang in i18n.LANGUAGES if lang != REFERENCE)

# The same parser settings as patientapp/guides.py: CommonMark, no HTML, no autolinks.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


@dataclass
class Section:
    """The part of a guide from one heading to the next (the first one holds the title and summary)."""

    level: int
    heading: str
    lists: list[str] = field(default_factory=list)  # "3 bulleted", "4 numbered", in document order
    guide_links: list[str] = field(default_factory=list)  # relative targets, in order
    phones: list[str] = field(default_factory=list)  # tel: targets, in order
    pictures: list[str] = field(default_factory=list)  # picture:<name> (pictures.py), in order


def skeleton(text: str) -> list[Section]:
    tokens = _MARKDOWN.parse(text)
    sections: list[Section] = []
    # Open lists, innermost last: (its place in section.lists, kind), and their item counts so far.
    # A list is written down when it closes, at the place where it opened (document order).
    open_lists: list[tuple[int, str]] = []
    counts: list[int] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            sections.append(Section(int(token.tag[1]), tokens[i + 1].content))
            continue
        if not sections:
            sections.append(Section(0, "(before the title)"))
        section = sections[-1]
        if token.type in ("bullet_list_open", "ordered_list_open"):
            kind = "bulleted" if token.type == "bullet_list_open" else "numbered"
            section.lists.append("")  # placeholder, filled in when the list closes
            open_lists.append((len(section.lists) - 1, kind))
            counts.append(0)
        elif token.type == "list_item_open":  # an item of the innermost open list
            counts[-1] += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            index, kind = open_lists.pop()
            section.lists[index] = f"{counts.pop()} {kind}"
        elif token.type == "inline":
            for child in token.children or ():
                if child.type == "image":
                    section.pictures.append(str(child.attrGet("src") or ""))
                if child.type == "link_open":
                    href = str(child.attrGet("href") or "")
                    (section.phones if href.startswith("tel:") else section.guide_links).append(href)
    return sections


def read(lang: str, slug: str) -> str:
    return (CONTENT / lang / f"{slug}.md").read_text(encoding="utf-8")


def differences(reference: list[Section], translation: list[Section]) -> list[str]:
    """What the translation lacks or has extra compared with the English skeleton, in plain words."""
    ref_headings = [(s.level, s.heading) for s in reference if s.level]
    got_headings = [(s.level, s.heading) for s in translation if s.level]
    if [lvl for lvl, _ in ref_headings] != [lvl for lvl, _ in got_headings]:
        return [
            "the headings differ: English has "
            + _headings(ref_headings)
            + "; the translation has "
            + _headings(got_headings)
        ]
    found = []
    for number, (ref, got) in enumerate(zip(reference, translation, strict=False)):
        if number == 0:
            where = f'under the title ("{ref.heading}" / "{got.heading}")'
        else:
            where = f'in section {number} ("{ref.heading}" / "{got.heading}")'
        for what, ref_items, got_items in (
            ("lists", ref.lists, got.lists),
            ("guide links", ref.guide_links, got.guide_links),
            ("phone links", ref.phones, got.phones),
            ("pictures", ref.pictures, got.pictures),
        ):
            if ref_items != got_items:
                found.append(
                    f"{where}: English has {what} {ref_items or 'none'}, the translation has {got_items or 'none'}"
                )
    return found


def _headings(headings: list[tuple[int, str]]) -> str:
    return f"{len(headings)} [" + ", ".join(f'{"#" * lvl} {text}' for lvl, text in headings) + "]"


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_translation_keeps_the_english_structure(lang, slug):
    found = differences(skeleton(read(REFERENCE, slug)), skeleton(read(lang, slug)))
    assert not found, f"{lang}/{slug}.md differs from en/{slug}.md:\n  " + "\n  ".join(found)


# The comparison itself: a guide that drops a step, a link or a phone number must fail.
ENGLISH = """# Title

Summary.

## Steps

1. One.
2. Two, read [No sound](no-sound).
3. Three.

## Emergency

- Call [113](tel:113).
- Or the out-of-hours doctor at [116 117](tel:116117).
  - A nested point.
  - Another one.
"""


def test_the_same_structure_passes():
    reworded = ENGLISH.replace("One.", "En.").replace("Emergency", "Nød")
    assert differences(skeleton(ENGLISH), skeleton(reworded)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("3. Three.\n", ""), "lists ['3 numbered'], the translation has ['2 numbered']"),
        (("[No sound](no-sound)", "No sound"), "guide links ['no-sound'], the translation has none"),
        (("[116 117](tel:116117)", "116 117"),
         "phone links ['tel:113', 'tel:116117'], the translation has ['tel:113']"),
        (("  - Another one.\n", ""),
         "lists ['2 bulleted', '2 bulleted'], the translation has ['2 bulleted', '1 bulleted']"),
        (("## Emergency", "### Emergency"), "the headings differ"),
        (("## Steps\n", ""), "the headings differ"),
    ],
)
def test_a_dropped_step_link_phone_or_heading_is_found(change, expected):
    found = differences(skeleton(ENGLISH), skeleton(ENGLISH.replace(*change)))
    assert any(expected in line for line in found), found


def test_every_language_has_every_guide_to_compare():
    for lang in (REFERENCE, *TRANSLATIONS):
        for slug in SLUGS:
            assert (CONTENT / lang / f"{slug}.md").is_file(), f"{lang}/{slug}.md is missing"


def test_a_translation_without_the_english_guides_picture_is_found():
    english = "# T\n\nS.\n\n## Light\n\n![A lamp in front lights your face.](picture:light-front)\n"
    other = "# T\n\nS.\n\n## Lys\n\nEn lampe foran deg.\n"
    assert differences(skeleton(english), skeleton(other)) == [
        'in section 1 ("Light" / "Lys"): English has pictures [\'picture:light-front\'], the translation has none']


def test_every_picture_a_guide_shows_exists_and_has_words():
    """A guide may show only our own pictures (pictures.py), each with its alt text in that language."""
    from patientapp.pictures import PICTURES

    static = Path(__file__).resolve().parents[2] / "patientapp/static"
    for name, picture in PICTURES.items():
        svg = (static / picture.path).read_text(encoding="utf-8")
        assert "<text" not in svg and "<script" not in svg and "href=\"http" not in svg, name
        assert len(svg.encode()) < 2048, f"{name}: {len(svg.encode())} bytes"
    for lang in i18n.LANGUAGES:
        for slug in SLUGS:
            for token in _MARKDOWN.parse(read(lang, slug)):
                for child in token.children or ():
                    if child.type == "image":
                        src = str(child.attrGet("src") or "")
                        name = src.removeprefix("picture:")
                        assert src.startswith("picture:") and name in PICTURES, (lang, slug, src)
                        assert len("".join(c.content for c in child.children or ()).strip()) >= 10, (lang, slug, src)
