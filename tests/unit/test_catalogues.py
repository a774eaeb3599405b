"""Every language, every time: complete catalogues, right plural headers, a fresh messages.pot."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from patientapp import i18n

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "patientapp/translations"
NPLURALS = {"ar": 6, "pl": 3, "nb": 2, "en": 2, "so": 2, "ur": 2}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(lang):
    with (TRANSLATIONS / lang / "LC_MESSAGES/messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_catalogue_is_complete_without_fuzzy_entries(lang):
    catalog = _catalog(lang)
    text = (TRANSLATIONS / lang / "LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in text.split('msgid ""', 2)[-1] or "#, fuzzy" not in text[text.index("msgid \"", 10):]
    missing, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if not all(s.strip() for s in strings) or len(strings) != (NPLURALS[lang] if message.pluralizable else 1):
            missing.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"{lang}: untranslated {missing[:5]}"
    assert not fuzzy, f"{lang}: fuzzy {fuzzy[:5]}"


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_plural_header(lang):
    text = (TRANSLATIONS / lang / "LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    match = re.search(r"Plural-Forms: nplurals=(\d+);", text)
    assert match and int(match.group(1)) == NPLURALS[lang]


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_placeholders_survive_translation(lang):
    for message in _catalog(lang):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            # Plural forms may leave out the number (Arabic "minute" / "two minutes"), nothing else.
            assert set(PLACEHOLDER.findall(string)) - {"num"} == expected - {"num"}, (lang, ids[0], string)


@pytest.mark.parametrize("lang", ["ar", "ur"])
def test_rtl_catalogues_have_no_bidi_controls(lang):
    text = (TRANSLATIONS / lang / "LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert not re.search("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", text)


def test_messages_pot_is_up_to_date():
    result = subprocess.run([sys.executable, "scripts/check_translations.py"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# Words the review found misleading (issue 12): a therapist or a host for the clinician, a queue that
# does not exist, skin colour for a face in shadow, an overloaded "service" instead of many people.
MISLEADING = {
    "ar": ["المعالج", "وجهك مظلم"],
    "pl": ["prowadząc", "w kolejce", "twarz jest ciemna"],
    "so": ["wejigaagu waa madow"],
    "nb": ["Tjenesten er travel"],
}


@pytest.mark.parametrize("lang", list(MISLEADING))
def test_words_the_review_found_misleading_are_gone(lang):
    content = Path(__file__).resolve().parents[2] / "content" / lang
    texts = [m.string if isinstance(m.string, str) else " ".join(m.string) for m in _catalog(lang) if m.id]
    texts += [p.read_text(encoding="utf-8") for p in content.glob("*.md")]
    for word in MISLEADING[lang]:
        assert not [t for t in texts if word in t], (lang, word)


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_emergency_guide_says_112_is_not_the_medical_number(lang):
    """In Norway 112 is the police; a Polish reader would dial it for an ambulance."""
    guide = (Path(__file__).resolve().parents[2] / "content" / lang / "health-worse.md").read_text(encoding="utf-8")
    assert "113" in guide and "112" in guide
