"""The six languages, their direction and how a request's language is chosen."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import flask_babel
from flask import g, has_request_context, request, session
from flask.globals import request_ctx
from markupsafe import Markup

from . import paths


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # the language's own name, shown in the switcher
    rtl: bool = False
    # Babel locale for dates and numbers, where it differs from the code.
    babel_locale: str | None = None

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"

    @property
    def format_locale(self) -> str:
        return self.babel_locale or self.code


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("nb", "Norsk"),
        # Patients in Norway reading English expect day-month order and a 24-hour clock.
        Language("en", "English", babel_locale="en_GB"),
        Language("ar", "العربية", rtl=True),
        Language("pl", "Polski"),
        Language("so", "Soomaali"),
        Language("ur", "اردو", rtl=True),
    )
}
DEFAULT = "nb"
LANG_COOKIE = "__Host-lang"
# The invitation's language, kept in the patient's session so guides follow it too.
SESSION_KEY = paths.LANGUAGE_KEY

# Browsers say "no" or "nn" for Norwegian; we write Bokmål.
_ALIASES = {"no": "nb", "nn": "nb"}


def normalise(tag: str | None) -> str | None:
    """Map a language tag such as 'nb-NO' or 'no' to one of LANGUAGES, or None."""
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    primary = _ALIASES.get(primary, primary)
    return primary if primary in LANGUAGES else None


def from_accept_language(header_values) -> str | None:
    """The best supported language from Accept-Language (already sorted by quality)."""
    for value, quality in header_values:
        if quality > 0 and (code := normalise(value)):
            return code
    return None


def select_locale() -> str:
    """?lang= (remembered in a cookie); in the workspace the staff member's own; the cookie, the
    invitation's, the browser's, nb."""
    # The embedded pages carry the language in their path: they set and read no cookie (R28).
    in_path = normalise((request.view_args or {}).get("lang")) if request.blueprint == "embed" else None
    if in_path:
        return in_path
    explicit = normalise(request.args.get("lang"))
    if explicit:
        g.remember_lang = explicit
        return explicit
    # The workspace speaks the language each staff member chose (kept on the server), whatever the
    # browser or a patient's language cookie on the same computer says.
    staff_language = normalise(g.get("staff_language")) if request.blueprint == "staff" else None
    if staff_language:
        return staff_language
    return (
        normalise(request.cookies.get(LANG_COOKIE))
        or normalise(g.get("invitation_language") or session.get(SESSION_KEY))
        or from_accept_language(request.accept_languages)
        or DEFAULT
    )


def current() -> Language:
    from flask_babel import get_locale

    return LANGUAGES.get(str(get_locale()), LANGUAGES[DEFAULT])


@cache
def _plural_samples(format_locale: str) -> tuple[tuple[str, int], ...]:
    """One sample number per CLDR plural category of a locale, found once per locale."""
    from babel import Locale

    locale = Locale.parse(format_locale)
    samples: dict[str, int] = {}
    for n in range(0, 200):
        samples.setdefault(locale.plural_form(n), n)
    return tuple(samples.items())


def plural_forms(singular: str, plural: str) -> dict[str, str]:
    """A count's sentence in every plural category of the current language, "{n}" standing for the
    number: CLDR category ("zero", "one", "two", "few", "many", "other") → translated text, for a
    script to pick with Intl.PluralRules. Our catalogues' gettext formulas number the same forms as
    CLDR's categories (tests/unit/test_i18n.py holds them to it), so one sample number per category
    finds each form."""
    from flask_babel import get_translations

    translations = get_translations()
    return {category: translations.ngettext(singular, plural, n).replace("%(num)d", "{n}")
            for category, n in _plural_samples(current().format_locale)}


# How each language quotes a word; the mirrored guillemets also read right in right-to-left text.
QUOTES = {"nb": ("«", "»"), "en": ("“", "”"), "pl": ("„", "”"), "so": ("“", "”"), "ar": ("«", "»"), "ur": ("«", "»")}
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate


def quoted(word: str) -> str:
    opening, closing = QUOTES.get(current().code, ("“", "”"))
    return f"{opening}{word}{closing}"


def ui_word(word: str) -> Markup:
    """A button or menu name the patient will see on their own screen ("Allow", "Tillat"), quoted as
    the language quotes and isolated in its own direction: a Latin word in Arabic or Urdu text keeps
    its quotes and its place (a curly quote around it showed reversed)."""
    return Markup("<bdi>%s</bdi>") % quoted(word)


def ui_word_text(word: str) -> str:
    """ui_word for text a script sets with textContent: the isolate as Unicode controls."""
    return f"{FSI}{quoted(word)}{PDI}"


# --- the templates' gettext ----------------------------------------------------------------------
# A page calls gettext fifty times. Flask-Babel's own template callables find the request's
# translations again on every call (context lookups, the locale's identifier): a quarter of the
# landing page's time. These find them once per request (or per force_language block) and keep them
# on the request's context, which ends with the request.
_CACHE = "patientapp_translations"


def _translations():
    try:
        holder = request_ctx._get_current_object()
    except RuntimeError:  # outside a request (a command, the app's start): nothing to keep them on
        return flask_babel.get_translations()
    found = getattr(holder, _CACHE, None)
    if found is None:
        found = flask_babel.get_translations()
        setattr(holder, _CACHE, found)
    return found


@contextmanager
def force_language(code: str) -> Iterator[None]:
    """Flask-Babel's force_locale, for templates and Python alike (an SMS or a letter in the patient's
    language, rendered during a staff member's request)."""
    holder = request_ctx._get_current_object() if has_request_context() else None
    before = getattr(holder, _CACHE, None)
    if holder is not None:
        setattr(holder, _CACHE, None)
    try:
        with flask_babel.force_locale(code):
            yield
    finally:
        if holder is not None:
            setattr(holder, _CACHE, before)


def install_template_gettext(app) -> None:
    """Call after Babel(app): replaces the callables it gave Jinja with the cached ones."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: _translations().ugettext(message),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, message: _translations().upgettext(context, message),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(context, singular, plural, n),
    )
