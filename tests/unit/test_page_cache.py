"""The page cache serves the same HTML for the same key with each response's own nonce, and renders
anew when what the page shows changes."""
from datetime import timedelta

from patientapp import page_cache


def test_each_response_gets_its_own_nonce_and_a_change_renders_anew(app, invitation_factory, db, monkeypatch):
    from sqlalchemy import text

    _, token = invitation_factory.create(language="nb", starts_in=timedelta(hours=3))
    # The rename below is not news (link_memory.py keeps what was read for a while): read every time.
    monkeypatch.setattr(app.extensions["patientapp.links"], "max_age", 0)
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


def test_a_dashboard_row_is_rendered_anew_when_what_it_shows_changes(app):
    """Kept per row_key and language: the minutes waited and the language change the HTML, the
    seconds within a minute do not."""
    from patientapp import i18n
    from patientapp.staff import dashboard

    def row(**changes):
        base = dict(invitation_id=1, label="Hip", time="10:00–10:20", language="Norsk", state="knocking",
                    state_label="Banker på", check="", check_overall="", knock_id=7, waiting_seconds=61,
                    actions=["admit", "deny", "message"], url="/staff/invitations/1")
        return dashboard.Row(**{**base, **changes})

    assert dashboard.row_key(row(waiting_seconds=61)) == dashboard.row_key(row(waiting_seconds=119))
    assert dashboard.row_key(row(waiting_seconds=119)) != dashboard.row_key(row(waiting_seconds=120))
    assert dashboard.row_key(row()) != dashboard.row_key(row(message="late-5"))
    with app.test_request_context("/staff/"):
        one, again = dashboard.row_html(row(waiting_seconds=61)), dashboard.row_html(row(waiting_seconds=100))
        assert one == again and "1" in one
        assert dashboard.row_html(row(waiting_seconds=130)) != one
        with i18n.force_language("en"):
            english = dashboard.row_html(row(waiting_seconds=61))
        assert english != one and "waiting 1 minute" in english
