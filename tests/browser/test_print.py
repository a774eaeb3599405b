"""To hand out and to hear (issue 18): the one-page sheet "Before your video consultation" fits one
A4 page in every language, with the clinic's name and number where known; a guide prints without its
buttons and header; "Listen" appears only with a voice for the page's language and reads the page
with the device's own speech synthesis (stubbed here: nothing is sent anywhere)."""
import re

import pytest
from playwright.sync_api import expect

from patientapp import i18n
from tests.browser.conftest import assert_lang_dir, axe_violations, preload_axe

pytestmark = pytest.mark.one_backend


def _pdf_pages(page) -> int:
    """The pages Chromium prints (print media, A4): counted in the PDF's page objects."""
    pdf = page.pdf(format="A4", print_background=False)
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_sheet_fits_one_a4_page_in_every_language(pages, clinic, axe, lang):
    page = pages.new(lang=lang)
    preload_axe(page.context, axe)
    # The clinic's own sheet (its name and number), as the workspace links it.
    assert page.goto(f"/embed/test/{lang}/sheet").status == 200
    assert_lang_dir(page, lang)
    expect(page.locator(".pa-sheet .pa-lead")).to_contain_text("Nordby helsesenter")
    assert _pdf_pages(page) == 1
    if lang in ("nb", "ar", "ur"):
        assert axe_violations(axe, page) == []
    # Anyone's sheet, from the guides, without a clinic: the same page less a line.
    assert page.goto(f"/sheet?lang={lang}").status == 200
    assert page.locator(".pa-sheet .pa-lead").count() == 0
    if lang in ("nb", "ar"):
        assert _pdf_pages(page) == 1


def test_a_guide_prints_its_text_without_buttons_or_header(pages):
    page = pages.new(lang="nb")
    page.goto("/guide/interpreters?lang=nb")
    expect(page.get_by_role("button", name="Skriv ut")).to_be_visible()
    page.emulate_media(media="print")
    for selector in (".pa-header", ".pa-page-tools", ".pa-back", ".pa-footer"):
        expect(page.locator(selector).first).to_be_hidden()
    expect(page.locator("article.pa-prose h1")).to_be_visible()


# A stand-in for the browser's speech synthesis: the voices the test gives, and what it was asked to say.
SPEECH = """
(() => {
  const listeners = {};
  window.__spoken = [];
  window.__voices = %s;
  const synth = {
    speaking: false,
    getVoices: () => window.__voices,
    speak(utterance) {
      window.__spoken.push({text: utterance.text, lang: utterance.lang});
      synth.speaking = true;
    },
    cancel() { synth.speaking = false; window.__cancelled = (window.__cancelled || 0) + 1; },
    addEventListener(type, fn) { (listeners[type] = listeners[type] || []).push(fn); },
  };
  window.__addVoice = (voice) => {
    window.__voices.push(voice);
    (listeners.voiceschanged || []).forEach((fn) => fn());
  };
  Object.defineProperty(window, 'speechSynthesis', {value: synth, configurable: true});
  window.SpeechSynthesisUtterance = class {
    constructor(text) { this.text = text; }
    addEventListener() {}
  };
})();
"""


def test_listen_reads_the_guide_with_a_voice_of_its_language(pages):
    page = pages.new(lang="nb")
    page.add_init_script(SPEECH % '[{"lang": "nb-NO", "name": "Norsk"}]')
    page.goto("/guide/before?lang=nb")
    listen = page.get_by_role("button", name="Lytt")
    expect(listen).to_be_visible()
    listen.click()
    spoken = page.evaluate("window.__spoken")
    assert spoken[0]["text"] == page.locator("article h1").inner_text() and spoken[0]["lang"] == "nb-NO"
    assert len(spoken) > 5 and not any("Lytt" in part["text"] for part in spoken)
    expect(page.get_by_role("button", name="Stopp")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Stopp").click()
    expect(page.get_by_role("button", name="Lytt")).to_have_attribute("aria-pressed", "false")


def test_listen_stays_hidden_without_a_voice_for_the_language_and_appears_when_one_comes(pages):
    page = pages.new(lang="so")
    page.add_init_script(SPEECH % '[{"lang": "en-US", "name": "English"}, {"lang": "nb-NO", "name": "Norsk"}]')
    page.goto("/guide/before?lang=so")
    tool = page.locator("[data-module=pa-listen]")
    expect(tool).to_be_hidden()
    page.evaluate('window.__addVoice({"lang": "so-SO", "name": "Soomaali"})')
    expect(tool).to_be_visible()
    # A browser without speech synthesis shows no button at all.
    bare = pages.new(lang="nb")
    bare.add_init_script("delete window.speechSynthesis; Object.defineProperty(window, 'speechSynthesis', "
                         "{value: undefined});")
    bare.goto("/guide/before?lang=nb")
    expect(bare.locator("[data-module=pa-listen]")).to_be_hidden()
    expect(bare.get_by_role("button", name="Skriv ut")).to_be_visible()


def test_listen_on_the_landing_page_reads_what_is_shown_not_the_folded_sections(pages, invitation_factory):
    from datetime import timedelta

    _, token = invitation_factory.create(language="ar", starts_in=timedelta(minutes=20))
    page = pages.new(lang="ar")
    page.add_init_script(SPEECH % '[{"lang": "ar-SA", "name": "Arabic"}]')
    page.goto(f"/i/{token}")
    listen = page.locator("[data-module=pa-listen]")
    expect(listen).to_be_visible()
    expect(page.locator("[data-module=pa-print]")).to_have_count(0)  # the landing page is not for printing
    listen.click()
    spoken = [part["text"] for part in page.evaluate("window.__spoken")]
    assert spoken[0] == page.locator("h1").inner_text()
    # The folds are closed: their titles are read, their contents are not.
    folded = page.locator(".pa-fold .pa-checklist li").first.text_content().strip()
    assert folded
    assert page.locator(".pa-fold summary").first.inner_text() in spoken and folded not in spoken
