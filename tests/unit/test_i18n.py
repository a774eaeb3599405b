import pytest

from patientapp import config, i18n


@pytest.mark.parametrize("tag, expected", [
    ("nb-NO", "nb"), ("no", "nb"), ("nn", "nb"), ("NB", "nb"), ("en_GB", "en"), ("ar-SA", "ar"),
    ("ur-PK", "ur"), ("so", "so"), ("pl-PL", "pl"), ("de", None), ("", None), (None, None), ("x" * 500, None),
])
def test_normalise(tag, expected):
    assert i18n.normalise(tag) == expected


def test_accept_language_takes_the_best_supported():
    assert i18n.from_accept_language([("de", 1), ("ar", 0.8), ("en", 0.5)]) == "ar"
    assert i18n.from_accept_language([("de", 1)]) is None
    assert i18n.from_accept_language([("ur", 0)]) is None


def test_directions():
    assert [c for c, lang in i18n.LANGUAGES.items() if lang.rtl] == ["ar", "ur"]
    assert list(i18n.LANGUAGES) == ["nb", "en", "ar", "pl", "so", "ur"]


def test_configuration_comes_from_prefixed_environment():
    settings = config.from_environment({"PATIENTAPP_LINK_GRACE_MINUTES": "30",
                                        "PATIENTAPP_PUBLIC_BASE_URL": "https://video.example.no",
                                        "LINK_GRACE_MINUTES": "999"})
    assert settings["LINK_GRACE_MINUTES"] == 30
    assert settings["PUBLIC_BASE_URL"] == "https://video.example.no"
    assert config.trusted_hosts("https://video.example.no:8443", "a.example, b.example") == [
        "video.example.no", "a.example", "b.example"]
