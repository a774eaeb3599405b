"""Every guide, the index and the start page, in every language, on a phone, axe-clean."""
import pytest

from patientapp import i18n
from patientapp.guides import SLUGS
from tests.browser.conftest import assert_lang_dir, assert_no_horizontal_scroll, axe_violations, preload_axe

PATHS = ["/", "/guide"] + [f"/guide/{slug}" for slug in SLUGS]
AXE_EVERY_GUIDE = {"nb", "ar", "ur"}


@pytest.mark.one_backend
@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_every_public_page_in_every_language(pages, axe, lang):
    page = pages.new(lang=lang)
    preload_axe(page.context, axe)
    problems = {}
    for path in PATHS:
        response = page.goto(f"{path}?lang={lang}")
        assert response.status == 200, path
        assert_lang_dir(page, lang)
        assert_no_horizontal_scroll(page)
        # Every guide has the English guide's structure in every language (unit/test_guide_structure.py),
        # so axe reads every guide in one left-to-right and one right-to-left language, and the
        # start page, the index and one guide in the others.
        if lang not in AXE_EVERY_GUIDE and path not in ("/", "/guide", "/guide/before"):
            continue
        violations = axe_violations(axe, page)
        if violations:
            problems[path] = violations
    assert problems == {}
    assert not [m for m in page.console if "Content Security Policy" in m]


@pytest.mark.one_backend
def test_guide_links_between_guides_work(pages):
    page = pages.new(lang="en")
    page.goto("/guide/before?lang=en")
    links = page.locator(".pa-prose a[href]:not([href^='tel:'])")
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert hrefs, "the before guide links to other guides"
    for href in hrefs:
        assert page.request.get(f"/guide/{href}").status == 200, href
