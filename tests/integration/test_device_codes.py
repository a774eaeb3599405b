"""Moving a visit to another device with a short code (device_codes.py, issue 16): the phone shows a
code, the PC types it and gets a session of its own. One use, ten minutes, the same answer in the
same time for every code that does not work (R4), and nothing of it in a URL or a log."""
import hashlib
import re
import time
from datetime import timedelta

from sqlalchemy import select, text

from patientapp import device_codes, links, retention
from patientapp.models import DeviceCode, Invitation, InvitationLink, utcnow
from tests.integration.helpers import create_invitation, fresh, link_token

CODE = re.compile(r'pa-code-show--code"><bdi dir="ltr">(\d{3} \d{3})</bdi>')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _phone(app, staff, **form):
    phone = app.test_client()
    assert phone.get(f"/i/{link_token(create_invitation(staff, **form))}").status_code == 303
    return phone


def _code(phone) -> str:
    landing = phone.get("/visit").get_data(as_text=True)
    shown = phone.post("/visit/device-code", data={"csrf_token": CSRF.search(landing).group(1)})
    assert shown.status_code == 200
    return CODE.search(shown.get_data(as_text=True)).group(1)


def _type(app, code, client=None):
    pc = client or app.test_client()
    # The words these tests read, until a link's language takes over; the Origin a browser sends.
    headers = {"Accept-Language": "en", "Origin": "http://localhost"}
    assert 'action="/code"' in pc.get("/", headers=headers).get_data(as_text=True)
    return pc, pc.post("/code", data={"code": code}, headers=headers)


def test_a_code_moves_the_visit_to_a_pc_and_the_phone_keeps_its_own(app, sign_in):
    app.config["CODE_ANSWER_SECONDS"] = 0
    staff = sign_in()
    phone = _phone(app, staff, language="pl")
    code = _code(phone)
    pc, answer = _type(app, code)
    assert answer.status_code == 303 and answer.location.endswith("/visit")
    on_pc = pc.get("/visit")
    assert on_pc.status_code == 200 and 'lang="pl"' in on_pc.get_data(as_text=True)[:200]
    assert phone.get("/visit").status_code == 200
    # Each browser has its own name for the way back to the room: two sessions, not one shared.
    assert pc.get_cookie("__Host-session").value != phone.get_cookie("__Host-session").value
    # Once only.
    _other, again = _type(app, code)
    assert again.status_code == 400 and "This code does not work" in again.get_data(as_text=True)


def test_two_patients_on_the_same_cached_landing_page_each_get_their_own_form_token(app, sign_in):
    staff = sign_in()
    one, two = _phone(app, staff, language="nb"), _phone(app, staff, language="nb")
    tokens = [CSRF.search(p.get("/visit").get_data(as_text=True)).group(1) for p in (one, two)]
    assert tokens[0] != tokens[1]
    for phone in (one, two):  # each form's token is its own session's: both are taken
        assert CODE.fullmatch(f'pa-code-show--code"><bdi dir="ltr">{_code(phone)}</bdi>')


def test_a_new_code_ends_the_one_before(app, sign_in):
    app.config["CODE_ANSWER_SECONDS"] = 0
    phone = _phone(app, sign_in(), language="en")
    landing = phone.get("/visit").get_data(as_text=True)
    page = phone.post("/visit/device-code", data={"csrf_token": CSRF.search(landing).group(1)}).get_data(as_text=True)
    assert "The code works once, for 10 minutes." in page  # its whole life, not what is left of it
    first, second = _code(phone), _code(phone)
    assert _type(app, first)[1].status_code == 400
    assert _type(app, second)[1].status_code == 303


def test_digits_of_other_scripts_and_spaces_are_read(app, sign_in):
    app.config["CODE_ANSWER_SECONDS"] = 0
    code = _code(_phone(app, sign_in())).replace(" ", "")
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in code)
    urdu = "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in code)
    assert device_codes.normalise(arabic) == device_codes.normalise(urdu) == code
    assert device_codes.normalise(f" {code[:3]}-{code[3:]} ") == code
    assert _type(app, arabic[:3] + " " + arabic[3:])[1].status_code == 303


def test_every_code_that_does_not_work_gets_one_answer_in_one_time(app, sign_in, db):
    """Wrong, malformed, used, expired, from before a new link, of a cancelled appointment: the same
    page and status (R4), and each answer takes CODE_ANSWER_SECONDS, as the right one does."""
    app.config["CODE_ANSWER_SECONDS"] = 0.3
    staff = sign_in()
    used = _code(_phone(app, staff))
    assert _type(app, used)[1].status_code == 303
    expired = _code(_phone(app, staff))
    db.execute(text("UPDATE device_codes SET expires_at = :t"), {"t": utcnow() - timedelta(seconds=1)})
    db.commit()
    replaced_phone = _phone(app, staff)
    replaced = _code(replaced_phone)
    fresh(db)
    for invitation in db.scalars(select(Invitation)):
        invitation.link_generation = (invitation.link_generation or 1) + 1  # a new link for everyone
    db.commit()
    cancelled = _code(_phone(app, staff))
    db.execute(text("UPDATE invitations SET state = 'cancelled' WHERE id = (SELECT invitation_id FROM device_codes "
                    "ORDER BY id DESC LIMIT 1)"))
    db.commit()
    bodies, times = [], []
    for typed in ["000000" if used != "000 000" else "000001", "12345", "abcdef", "", "1" * 5000, "\x00" * 6,
                  used, expired, replaced, cancelled]:
        started = time.monotonic()
        _pc, answer = _type(app, typed)
        times.append(time.monotonic() - started)
        assert answer.status_code == 400, typed
        html = answer.get_data(as_text=True)
        bodies.append(re.sub(r'(nonce|value|content)="[^"]*"', "", html))
    assert len(set(bodies)) == 1
    assert min(times) >= 0.3
    right = _code(_phone(app, staff))
    started = time.monotonic()
    assert _type(app, right)[1].status_code == 303
    assert time.monotonic() - started >= 0.3


def test_bad_input_to_the_code_form_is_a_calm_answer(app):
    app.config["CODE_ANSWER_SECONDS"] = 0
    client = app.test_client()
    here = {"Origin": "http://localhost"}
    for data in ({}, {"code": ["1", "2"]}, {"code": "𝟙𝟚𝟛𝟜𝟝𝟞"}, {"code": "ÆØÅ\u202e"}):
        answer = client.post("/code", data=data, headers=here)
        assert answer.status_code == 400 and b"device-code-error" in answer.data
    assert client.post("/code", json={"code": "123456"}, headers=here).status_code == 400
    assert client.post("/visit/device-code").status_code in (400, 410)  # no visit, no form token


def test_a_code_sent_from_another_site_is_refused(app, sign_in):
    """No CSRF token on the start page's form (every process renders it alike for the service
    worker): the Origin, or else the Referer, must be this site's."""
    app.config["CODE_ANSWER_SECONDS"] = 0
    code = _code(_phone(app, sign_in()))
    client = app.test_client()
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}, {"Referer": "https://evil.example/"},
                    {"Referer": "http://localhost.evil.example/"}):
        assert client.post("/code", data={"code": code}, headers=headers).status_code == 400
    # Still unused: the same code from this site's own page works.
    referer = client.post("/code", data={"code": code}, headers={"Referer": "http://localhost/code"})
    assert referer.status_code == 303


def test_no_code_in_a_url_a_log_or_the_database(app, sign_in, db, caplog):
    app.config["CODE_ANSWER_SECONDS"] = 0
    phone = _phone(app, sign_in())
    code = _code(phone)
    digits = code.replace(" ", "")
    fresh(db)
    stored = db.scalars(select(DeviceCode.digest)).all()
    assert len(stored) == 1 and digits not in stored[0]
    _pc, answer = _type(app, code)
    assert digits not in answer.location and digits not in caplog.text and code not in caplog.text


def test_purge_deletes_codes_whose_time_is_over(app, sign_in, db):
    _code(_phone(app, sign_in()))
    db.execute(text("UPDATE device_codes SET expires_at = :t"), {"t": utcnow() - timedelta(minutes=1)})
    db.commit()
    result = retention.purge(app.extensions["patientapp.db"], retention=timedelta(hours=24), audit_retention=None,
                             staff_idle=timedelta(minutes=30))
    assert result.device_codes == 1
    fresh(db)
    assert db.scalars(select(DeviceCode)).all() == []


# --- the typeable code on the letter and in the SMS (links.code_of) -----------------------------------

TYPEABLE = re.compile(r'<p class="pa-code-show"><bdi dir="ltr">([2-9A-Z]{5} [2-9A-Z]{5})</bdi></p>')


def test_the_letter_and_the_sms_carry_a_code_that_opens_the_appointment_on_a_pc(app, sign_in, db):
    app.config["CODE_ANSWER_SECONDS"] = 0
    staff = sign_in()
    made = create_invitation(staff, language="nb")
    html = made.get_data(as_text=True)
    code = TYPEABLE.search(html).group(1)
    token = link_token(made)
    assert links.grouped_code(links.code_of(token)) == code
    sms_text = re.search(r'<p class="pa-sms"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert code in sms_text and "localhost" in sms_text
    csrf = CSRF.search(html).group(1)
    letter = staff.client.post(f"/staff/invitations/{db.scalar(select(Invitation.id))}/letter",
                               data={"token": token, "csrf_token": csrf}).get_data(as_text=True)
    assert code in letter
    # Typed in lower case, without the space: the PC opens the appointment, in its language.
    pc, answer = _type(app, code.replace(" ", "").lower())
    assert answer.status_code == 303 and 'lang="nb"' in pc.get("/visit").get_data(as_text=True)[:200]
    # Like the link, it works again (the letter stays on the table) until the link is replaced.
    assert _type(app, code)[1].status_code == 303
    fresh(db)
    stored = db.scalar(select(InvitationLink.code_digest))
    assert stored and code.replace(" ", "") not in stored and stored != hashlib.sha256(
        code.replace(" ", "").encode()).hexdigest()


def test_a_new_link_ends_the_old_code_and_brings_its_own(app, sign_in, db):
    app.config["CODE_ANSWER_SECONDS"] = 0
    staff = sign_in()
    first = TYPEABLE.search(create_invitation(staff).get_data(as_text=True)).group(1)
    invitation_id = db.scalar(select(Invitation.id))
    replaced = staff.form(f"/staff/invitations/{invitation_id}/new-link", {})
    second = TYPEABLE.search(replaced.get_data(as_text=True)).group(1)
    assert second != first
    assert _type(app, first)[1].status_code == 400
    assert _type(app, second)[1].status_code == 303
    another = staff.form(f"/staff/invitations/{invitation_id}/another-link", {})
    third = TYPEABLE.search(another.get_data(as_text=True)).group(1)
    assert _type(app, third)[1].status_code == 303 and _type(app, second)[1].status_code == 303
    # Cancelled: every code gets the one answer for codes that do not work.
    assert staff.form(f"/staff/invitations/{invitation_id}/revoke", {}).status_code == 303
    for code in (second, third):
        answer = _type(app, code)[1]
        assert answer.status_code == 400 and "This code does not work" in answer.get_data(as_text=True)
