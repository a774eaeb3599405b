"""A patient's phone opens the SMS link: the landing page in each language (R5, R55, axe-core)."""
import pytest

from patientapp import i18n
from tests.browser.conftest import assert_lang_dir, assert_no_horizontal_scroll, axe_violations

# Rendering and browser behaviour do not depend on the database; the integration tests prove both.
pytestmark = pytest.mark.one_backend

LANGS = list(i18n.LANGUAGES)


@pytest.mark.parametrize("lang", LANGS)
def test_landing_page_on_a_phone(pages, invitation_factory, axe, lang):
    _, token = invitation_factory.create(language=lang)
    page = pages.new(lang="de")  # a browser language we do not have: the invitation's must win
    page.goto(f"/i/{token}")
    assert page.url.endswith("/visit")
    assert_lang_dir(page, lang)
    assert page.locator("h1").count() == 1
    assert axe_violations(axe, page) == []
    assert_no_horizontal_scroll(page)

    # The appointment, its two buttons and the number fill the first screen; the rest is folded.
    first_screen = page.viewport_size["height"]
    for element in (".pa-appointment a[href='/visit/wait']", ".pa-appointment a[href^='tel:']"):
        assert page.locator(element).bounding_box()["y"] < first_screen, element
    fold = page.locator("details.pa-fold").first
    fold.locator("summary").click()  # opens without any script of ours
    assert fold.evaluate("el => el.open")

    # R5: the token appears only in the very first request, never after, never as a Referer.
    fold.locator(".pa-more a").click()
    page.wait_for_load_state()
    assert_lang_dir(page, lang)  # the guide follows the invitation's language, not the browser's
    later = page.requests[1:]
    assert later, "expected requests after the first"
    for request in later:
        assert token not in request.url
        assert token not in (request.headers.get("referer") or "")
    page.go_back()
    assert token not in page.content()
    # R55: nothing from any other host.
    assert {r.url.split("/")[2] for r in page.requests} == {page.url.split("/")[2]}
    assert not [m for m in page.console if "Content Security Policy" in m]


@pytest.mark.parametrize("lang", ["ar", "ur"])
def test_right_to_left_is_right_not_merely_flipped(pages, invitation_factory, lang):
    _, token = invitation_factory.create(language=lang)
    page = pages.new(lang=lang)
    page.goto(f"/i/{token}")
    # The phone number keeps its left-to-right order inside right-to-left text.
    number = page.locator(".pa-appointment__call bdi")
    assert number.evaluate("el => getComputedStyle(el).direction") == "ltr"
    # "Read more" arrows point the way of reading: mirrored.
    arrow = page.locator(".pa-more .pa-icon--mirror").first
    assert arrow.evaluate("el => getComputedStyle(el).transform") == "matrix(-1, 0, 0, 1, 0, 0)"
    # Logical properties put the checklist's marks at the start of the line: on the right.
    padding = page.locator(".pa-checklist li").first.evaluate(
        "el => [getComputedStyle(el).paddingRight, getComputedStyle(el).paddingLeft]")
    assert padding[0] != "0px" and padding[1] == "0px"
    # Each language's name in its own script's face: "العربية" is not drawn in Urdu's Nastaliq.
    fonts = page.locator(".pa-languages [lang]").evaluate_all(
        "els => Object.fromEntries(els.map(el => [el.lang, getComputedStyle(el).fontFamily]))")
    assert fonts["ar"].startswith('"Noto Naskh Arabic"') and "Nastaliq" not in fonts["ar"]
    assert "Noto Sans" in fonts["nb"] and "Naskh" not in fonts["nb"]


def test_qr_code_only_on_large_screens(pages, invitation_factory):
    _, token = invitation_factory.create()
    phone = pages.new()
    phone.goto(f"/i/{token}")
    phone.wait_for_load_state("networkidle")
    assert not [r for r in phone.requests if r.url.endswith("/visit/qr.svg")]
    assert not phone.locator(".pa-qr").is_visible()

    desk = pages.new(viewport={"width": 1280, "height": 900}, mobile=False)
    desk.goto(f"/i/{token}")
    image = desk.locator(".pa-qr__image")
    image.scroll_into_view_if_needed()
    desk.wait_for_function("() => document.querySelector('.pa-qr__image').naturalWidth > 0")
    assert image.is_visible()


def test_add_to_calendar_downloads_an_ics_file(pages, invitation_factory, tmp_path):
    _, token = invitation_factory.create(language="en")
    page = pages.new(lang="en")
    page.goto(f"/i/{token}")
    page.get_by_text("Add to your calendar").click()  # its fold
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar").click()
    path = tmp_path / "event.ics"
    download.value.save_as(path)
    body = path.read_text(encoding="utf-8")
    assert body.startswith("BEGIN:VCALENDAR") and "CLASS:PRIVATE" in body and token not in body


def test_language_switcher_changes_and_remembers(pages, invitation_factory):
    _, token = invitation_factory.create(language="nb")
    page = pages.new()
    page.goto(f"/i/{token}")
    page.locator("nav.pa-languages a[lang=ar]").click()
    assert_lang_dir(page, "ar")
    page.goto("/guide")
    assert_lang_dir(page, "ar")
    assert token not in page.url


@pytest.mark.parametrize("lang", ["nb", "ar"])
def test_invalid_link_page_is_accessible(pages, axe, lang):
    page = pages.new(lang=lang)
    response = page.goto("/i/this-link-does-not-exist")
    assert response.status == 410
    assert_lang_dir(page, lang)
    assert axe_violations(axe, page) == []


def test_axe_harness_reports_real_violations(pages, axe):
    """Guards the guard: an empty violation list must mean a clean page, not a silent harness."""
    page = pages.new()
    page.goto("/guide")
    page.evaluate("""() => { const img = document.createElement('img'); img.src = '/static/icons/icon.svg';
        document.querySelector('main').append(img);
        document.querySelector('html').removeAttribute('lang'); }""")
    found = " ".join(axe_violations(axe, page))
    assert "image-alt" in found and "html-has-lang" in found
