"""The page cache serves the same HTML for the same key with each response's own nonce, and renders
anew when what the page shows changes."""
from datetime import timedelta

from patientapp import page_cache


def test_each_response_gets_its_own_nonce_and_a_change_renders_anew(app, invitation_factory, db):
    from sqlalchemy import text

    _, token = invitation_factory.create(language="nb", starts_in=timedelta(hours=3))
    client = app.test_client()
    client.get(f"/i/{token}")
    first, second = client.get("/visit").get_data(as_text=True), client.get("/visit").get_data(as_text=True)
    nonces = [page.split('nonce="', 1)[1].split('"', 1)[0] for page in (first, second)]
    assert nonces[0] != nonces[1] and page_cache.PLACEHOLDER not in first + second
    assert first.replace(nonces[0], "") == second.replace(nonces[1], "")
    # The clinic is renamed: the key (what the page shows) changes, so the page does.
    db.execute(text("UPDATE clinics SET display_name = 'Sørby legekontor'"))
    db.commit()
    assert "Sørby legekontor" in client.get("/visit").get_data(as_text=True)
    # Another language is another page.
    assert 'lang="ar"' in client.get("/visit?lang=ar").get_data(as_text=True)[:200]
