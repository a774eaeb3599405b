"""Origins a clinic may register for embedding (R36): strict, canonical, hostile input refused."""
import pytest

from patientapp.clinic_websites import OriginError, display_origin, frame_ancestors, normalise_origin, render_section


@pytest.mark.parametrize("raw, expected", [
    ("https://www.nordby.no", "https://www.nordby.no"),
    ("  https://www.nordby.no/  ", "https://www.nordby.no"),
    ("HTTPS://WWW.Nordby.NO", "https://www.nordby.no"),
    ("https://www.nordby.no:443", "https://www.nordby.no"),
    ("https://www.nordby.no:8443", "https://www.nordby.no:8443"),
    ("https://blåbær.no", "https://xn--blbr-roah.no"),
    ("https://xn--blbr-roah.no", "https://xn--blbr-roah.no"),
    ("https://BLÅBÆR.no", "https://xn--blbr-roah.no"),
    ("https://legekontor.example。no", "https://legekontor.example.no"),  # ideographic full stop
])
def test_good_origins_are_stored_in_one_canonical_form(raw, expected):
    assert normalise_origin(raw) == expected


@pytest.mark.parametrize("raw, code", [
    ("", "empty"),
    ("   ", "empty"),
    ("https://*.nordby.no", "wildcard"),
    ("*", "wildcard"),
    ("https://nordby.*", "wildcard"),
    ("http://www.nordby.no", "scheme"),
    ("ftp://www.nordby.no", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("www.nordby.no", "scheme"),
    ("//www.nordby.no", "scheme"),
    ("https:www.nordby.no", "scheme"),
    ("https://www.nordby.no/side", "path"),
    ("https://www.nordby.no//", "path"),
    ("https://www.nordby.no/?x=1", "path"),
    ("https://www.nordby.no#top", "path"),
    ("https://user:pw@www.nordby.no", "userinfo"),
    ("https://evil.example@www.nordby.no", "userinfo"),
    ("https://www.nordby.no:0", "format"),
    ("https://www.nordby.no:99999", "format"),
    ("https://www.nordby.no:abc", "format"),
    ("https://www.nor dby.no", "format"),
    ("https://www.nordby.no\\@evil.example", "format"),
    ("https://www.nordby.no\nhttps://evil.example", "format"),
    ("https://www.nordby.no https://evil.example", "format"),
    ("https://www.nordby.no;script-src *", "format"),
    ("https://exa\u200bmple.no", "format"),  # zero-width space
    ("https://\u202eon.ybdron", "format"),  # right-to-left override
    ("https://" + "a" * 300 + ".no", "format"),
    ("https://-nordby.no", "host"),
    ("https://nordby..no", "host"),
    ("https://nordby.no.", "host"),
    ("https://intranet", "host"),
    ("https://10.0.0.1", "host"),
    ("https://[::1]", "host"),
    ("https://nord_by.no", "host"),
    ("https://xn--zz.no", "idn"),
    ("https://localhost:5101", "local"),
    ("http://localhost:5101", "local"),
    ("http://127.0.0.1:5101", "local"),
])
def test_bad_origins_are_refused_with_a_reason(raw, code):
    with pytest.raises(OriginError) as error:
        normalise_origin(raw)
    assert error.value.code == code


def test_local_origins_only_with_the_development_setting():
    assert normalise_origin("http://localhost:5101", allow_local=True) == "http://localhost:5101"
    assert normalise_origin("http://127.0.0.1:5101/", allow_local=True) == "http://127.0.0.1:5101"
    with pytest.raises(OriginError):
        normalise_origin("http://www.nordby.no", allow_local=True)


def test_non_strings_are_refused():
    for value in (None, 5, b"https://nordby.no", ["https://nordby.no"]):
        with pytest.raises(OriginError):
            normalise_origin(value)


def test_frame_ancestors_lists_self_and_only_the_given_origins():
    assert frame_ancestors([]) == "'self'"
    assert frame_ancestors(["https://a.no", "https://b.no:8443"]) == "'self' https://a.no https://b.no:8443"


def test_idn_is_shown_in_unicode_but_used_as_punycode():
    assert display_origin("https://xn--blbr-roah.no:8443") == "https://blåbær.no:8443"
    assert display_origin("https://www.nordby.no") == "https://www.nordby.no"


def test_sections_are_markdown_without_html_or_dangerous_links():
    html = str(render_section("**Telefontid** 8–15\n\n- Onsdager 13–15\n\n<script>alert(1)</script>\n\n"
                              "[x](javascript:alert(1)) [ring](tel:+4712345678) "
                              "![bilde](https://evil.example/x.png)\n\n# Stor"))
    assert "<strong>Telefontid</strong>" in html and "<li>Onsdager 13–15</li>" in html
    assert "<script" not in html and "href=\"javascript" not in html and "<img" not in html and "<h1" not in html
    assert 'href="tel:+4712345678" rel="noopener noreferrer"' in html
