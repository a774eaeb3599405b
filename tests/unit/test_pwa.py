"""What the installable app keeps and for how long: plain functions of patientapp.pwa."""
from datetime import UTC, datetime

from patientapp import i18n, pwa


def test_clinic_number_expiry_is_the_link_end_rounded_up_to_the_hour():
    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night clocks change in Norway
    assert pwa.contact_until(at) == int(datetime(2026, 3, 29, 1, 0, tzinfo=UTC).timestamp())
    exact = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert pwa.contact_until(exact) == int(exact.timestamp())
    # SQLite hands back naive UTC: the same instant.
    assert pwa.contact_until(at.replace(tzinfo=None)) == pwa.contact_until(at)


def test_manifest_direction_follows_the_language():
    icons = {name: f"/static/{name}" for name in pwa.STATIC_FILES if name.startswith("icons/")}
    for code, language in i18n.LANGUAGES.items():
        manifest = pwa.manifest(language, name="n", short_name="s", description="d", start_url="/", icons=icons)
        assert (manifest["lang"], manifest["dir"]) == (code, "rtl" if code in ("ar", "ur") else "ltr")
        assert {i["purpose"] for i in manifest["icons"]} == {"any", "maskable"}


def test_version_changes_with_any_kept_body_or_url():
    base = [("/guide/echo", b"<p>a</p>"), ("/static/css/app.1.css", b"")]
    assert pwa.version(base) == pwa.version(list(base))
    assert pwa.version(base) != pwa.version([("/guide/echo", b"<p>b</p>"), base[1]])
    assert pwa.version(base) != pwa.version([base[0], ("/static/css/app.2.css", b"")])


def test_worker_never_keeps_personal_paths():
    for prefix in ("/i/", "/d/", "/visit"):
        assert prefix in pwa.PRIVATE_PREFIXES
    for prefix in ("/api/", "/staff"):
        assert prefix in pwa.UNTOUCHED_PREFIXES
    script = pwa.worker_script({"version": "x"})
    assert script.splitlines()[1] == 'const CONFIG = {"version": "x"};'
