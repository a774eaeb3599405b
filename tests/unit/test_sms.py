"""The invitation SMS: neutral text (R6), local times (R65), GSM-7 segments, numbers and gateways (R50, R53)."""
from __future__ import annotations

import base64
import inspect
import json
import re
import socket
import stat
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from patientapp.sms import (
    GSM_BASIC,
    GSM_EXTENSION,
    Gateway,
    HttpGateway,
    InvalidPhone,
    OutboxGateway,
    SendError,
    encoding,
    gateway_from_config,
    mask_phone,
    normalise_phone,
    render_text,
    segments,
)

TEMPLATE = "Video appointment with %(clinic)s %(date)s at %(time)s. Open: %(link)s"
TEMPLATE_NB = "Videotime hos %(clinic)s %(date)s kl. %(time)s. Åpne lenken: %(link)s"
TOKEN = "aB3-_x" * 7 + "Q"  # 43 characters, like secrets.token_urlsafe(32)
LINK = "https://video.example.no/i/" + TOKEN
PHONE, E164 = "912 34 567", "+4791234567"
SECRET_TEXT = "Video appointment with Nordby helsesenter. Open: " + LINK


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def render(**overrides):
    values = dict(sender_name="Nordby helsesenter", starts_at=utc(2026, 11, 24, 13, 30),
                  time_zone="Europe/Oslo", link=LINK, template=TEMPLATE)
    return render_text(**{**values, **overrides})


def assert_no_secrets(message: str):
    """R50: an error message carries neither the number (in any form) nor the text or link."""
    assert not re.search(r"\d{3}", message), message
    assert TOKEN not in message and "Nordby" not in message and "video.example" not in message


# --- R6: the text -----------------------------------------------------------------------------

def test_render_text_is_neutral_and_fits_two_gsm_segments():
    assert len(TOKEN) == 43
    text = render()
    assert text == f"Video appointment with Nordby helsesenter tirsdag 24. november 2026 at 14:30. Open: {LINK}"
    assert re.fullmatch(r"[^\n]{0,306}", text)
    enc, parts, _ = segments(text)
    assert (enc, parts <= 2) == ("GSM-7", True)


def test_render_text_cannot_take_patient_data():
    params = inspect.signature(render_text).parameters
    # The code (links.code_of) and the service's address follow from the link: nothing about the patient.
    assert set(params) == {"sender_name", "starts_at", "time_zone", "link", "template", "locale", "code", "address"}
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    for extra in ({"patient_name": "Kari Nordmann"}, {"label": "Psykiatri"}, {"note": "diabetes"}):
        with pytest.raises(TypeError):
            render(**extra)
    text = render()
    assert not any(word in text for word in ("Kari", "Nordmann", "diabetes", "Psykiatri"))


def test_norwegian_text_with_the_longest_sender_still_fits_two_gsm_segments():
    # The longest day: "mandag 30. september 2026" would be as long; this is the longest month.
    text = render(template=TEMPLATE_NB, sender_name="Å" * 60, starts_at=utc(2026, 9, 30, 8, 0))
    assert "Å" * 40 + " " in text and "Å" * 41 not in text
    enc, parts, length = segments(text)
    assert enc == "GSM-7" and parts <= 2 and length <= 306


@pytest.mark.parametrize("raw, shown", [
    ("Nordby\n  helsesenter\tavd. 2", "Nordby helsesenter avd. 2"),
    ("  Nordby\r\nhelsesenter  ", "Nordby helsesenter"),
    ("Nordby\x1b\u202ehelsesenter\x00", "Nordbyhelsesenter"),  # control and bidi characters go
    ("x" * 39 + " tail", "x" * 39),  # cut at 40, no trailing space
])
def test_sender_name_is_one_clean_line_of_at_most_40_characters(raw, shown):
    assert render(sender_name=raw, template="%(clinic)s|%(link)s") == f"{shown}|{LINK}"


def test_a_newline_in_the_translation_does_not_reach_the_sms():
    text = render(template="Videotime %(date)s\nkl. %(time)s\n\n%(link)s")
    assert text == f"Videotime tirsdag 24. november 2026 kl. 14:30 {LINK}"


@pytest.mark.parametrize("overrides", [
    {"starts_at": datetime(2026, 11, 24, 13, 30)},  # naive: which zone?
    {"template": "Video appointment %(date)s"},  # no link: the SMS would be useless
    {"link": ""},
    {"link": LINK + "\nInjected line"},
])
def test_render_text_rejects_unusable_input(overrides):
    with pytest.raises(ValueError):
        render(**overrides)


# --- R65: local time across DST ---------------------------------------------------------------

@pytest.mark.parametrize("starts_at, date, time_", [
    (utc(2026, 3, 29, 0, 30), "søndag 29. mars 2026", "01:30"),  # still CET
    (utc(2026, 3, 29, 1, 30), "søndag 29. mars 2026", "03:30"),  # spring forward: CEST
    (utc(2026, 10, 25, 0, 30), "søndag 25. oktober 2026", "02:30"),  # the first 02:30, still CEST
    (utc(2026, 10, 25, 1, 30), "søndag 25. oktober 2026", "02:30"),  # fall back: the second 02:30, CET
    (utc(2026, 11, 23, 23, 30), "tirsdag 24. november 2026", "00:30"),  # local date is the next day
    (utc(2026, 6, 5, 7, 5), "fredag 5. juni 2026", "09:05"),
])
def test_sms_shows_local_date_and_time(starts_at, date, time_):
    assert render(starts_at=starts_at, template="%(date)s %(time)s %(link)s") == f"{date} {time_} {LINK}"


@pytest.mark.parametrize("locale, date", [("ar", "الثلاثاء، 24 نوفمبر 2026"), ("so", "Talaado, 24 Noofeembar 2026"),
                                          ("en_GB", "Tuesday, 24 November 2026")])
def test_the_date_is_written_as_the_patients_language_writes_it(locale, date):
    """The review: "24.11." reads as a decimal number in Arabic; the page and the SMS differed."""
    assert render(locale=locale, template="%(date)s %(time)s %(link)s") == f"{date} 14:30 {LINK}"


def test_other_clinic_time_zone():
    text = render(time_zone="America/New_York", starts_at=utc(2026, 3, 8, 7, 30), template="%(time)s %(link)s")
    assert text.startswith("03:30 ")


# --- GSM 03.38 --------------------------------------------------------------------------------

def test_gsm_alphabet_is_complete():
    assert len(GSM_BASIC) == 127  # 128 codes minus the escape
    assert set("æøåÆØÅéÉÄÖÑÜäöñüà§¿¡£¥¤ΔΦΓΛΩΠΨΣΘΞß@$_\n\r") <= GSM_BASIC
    assert len(GSM_EXTENSION) == 9 and not GSM_BASIC & GSM_EXTENSION


@pytest.mark.parametrize("text, expected", [
    ("Videotime hos Nordby legesenter. Åpne lenken: æøå ÆØÅ", "GSM-7"),
    ("Tid: 24.11. kl. 14:30 – nei", "UCS-2"),  # an en dash is not GSM
    ("é Ä Ö Ñ Ü § ¿ ¡ à ß Δ £ ¥ @", "GSM-7"),
    ("{[~]}|^\\€", "GSM-7"),
    ("موعد فيديو مع العيادة", "UCS-2"),  # Arabic
    ("ویڈیو ملاقات", "UCS-2"),  # Urdu
    ("Ô Š ç", "UCS-2"),
    ("`", "UCS-2"),
    ("Hei 👋", "UCS-2"),
    ("", "GSM-7"),
])
def test_encoding(text, expected):
    assert encoding(text) == expected


@pytest.mark.parametrize("char", sorted(GSM_EXTENSION))
def test_extension_characters_cost_two_septets(char):
    assert segments(char) == ("GSM-7", 1, 2)


@pytest.mark.parametrize("text, expected", [
    ("", ("GSM-7", 1, 0)),
    ("a" * 160, ("GSM-7", 1, 160)),
    ("a" * 161, ("GSM-7", 2, 161)),
    ("a" * 306, ("GSM-7", 2, 306)),
    ("a" * 307, ("GSM-7", 3, 307)),
    ("a" * 459, ("GSM-7", 3, 459)),
    ("a" * 460, ("GSM-7", 4, 460)),
    ("€" * 80, ("GSM-7", 1, 160)),
    ("€" * 81, ("GSM-7", 2, 162)),
    ("a" * 152 + "€" + "a" * 152, ("GSM-7", 3, 306)),  # an escape pair is never split across parts
    ("Ж" * 70, ("UCS-2", 1, 70)),
    ("Ж" * 71, ("UCS-2", 2, 71)),
    ("Ж" * 134, ("UCS-2", 2, 134)),
    ("Ж" * 135, ("UCS-2", 3, 135)),
    ("a" * 159 + "ж", ("UCS-2", 3, 160)),  # one non-GSM character turns the whole text into UCS-2
    ("😀", ("UCS-2", 1, 2)),
    ("😀" * 35, ("UCS-2", 1, 70)),
    ("😀" * 36, ("UCS-2", 2, 72)),
    ("Ж" * 66 + "😀" + "Ж" * 66, ("UCS-2", 3, 134)),  # nor is a surrogate pair
])
def test_segments(text, expected):
    assert segments(text) == expected


# --- Phone numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("91234567", E164),
    ("912 34 567", E164),
    ("91 23 45 67", E164),
    ("912-34-567", E164),
    ("  91234567\n", E164),
    ("912\u00a034\u00a0567", E164),  # no-break spaces from a copied number
    ("+47 91234567", E164),
    ("+47 912 34 567", E164),
    ("+4791234567", E164),
    ("0047 91234567", E164),
    ("004791234567", E164),
    ("22 33 44 55", "+4722334455"),
    ("+46 8 123 456", "+468123456"),
    ("0046 70 123 45 67", "+46701234567"),
    ("+1 (415) 555-0100", "+14155550100"),
    ("+354 123 4567", "+3541234567"),
    ("+1234567", "+1234567"),
    ("+123456789012345", "+123456789012345"),
])
def test_normalise_phone_accepts(raw, expected):
    assert normalise_phone(raw) == expected
    assert normalise_phone(expected) == expected  # idempotent


@pytest.mark.parametrize("raw", [
    "", "   ", "abc", "9123456a", "91234567 ext 1", "phone: 91234567",
    "9123456", "912345678", "01234567", "0 1234567",
    "+47 9123456", "+47 912345678", "+47 01234567", "0047 9123456",
    "+0123456789", "000123456789", "+", "00", "++4791234567", "+47+91234567",
    "+123456", "+1234567890123456", "001234567890123456",
    "٩١٢٣٤٥٦٧", "９１２３４５６７", "9" * 50, None, 91234567,
])
def test_normalise_phone_rejects(raw):
    with pytest.raises(InvalidPhone) as caught:
        normalise_phone(raw)
    assert isinstance(caught.value, ValueError)
    assert_no_secrets(str(caught.value))


@pytest.mark.parametrize("e164, masked", [
    ("+4791234567", "+47 ••••• 567"),
    ("+4722334455", "+47 ••••• 455"),
    ("+46701234567", "+•••••••• 567"),
    ("+1234567", "+•••• 567"),
    ("12", "•••"),
    ("", "•••"),
])
def test_mask_phone_shows_only_the_last_three_digits(e164, masked):
    assert mask_phone(e164) == masked
    assert not re.search(r"\+?47\d{8}|\d{4}", masked)


# --- OutboxGateway ----------------------------------------------------------------------------

def test_outbox_round_trip(tmp_path):
    path = tmp_path / "deep" / "instance" / "sms-outbox.jsonl"
    outbox = OutboxGateway(path)
    assert isinstance(outbox, Gateway)
    ids = [outbox.send(PHONE, f"message {n}") for n in range(3)]
    assert len(set(ids)) == 3
    content = path.read_text(encoding="utf-8")
    assert "91234567" not in content and E164 not in content
    assert len(content.splitlines()) == 3

    records = outbox.read()
    assert [r["text"] for r in records] == ["message 2", "message 1", "message 0"]
    assert [r["id"] for r in records] == ids[::-1]
    newest = records[0]
    assert set(newest) == {"id", "at", "clinic", "sender", "to", "text", "segments"}
    assert newest["to"] == "+47 ••••• 567" and newest["segments"] == 1
    assert newest["at"].endswith("Z")
    at = datetime.fromisoformat(newest["at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - at).total_seconds()) < 60
    assert [r["text"] for r in outbox.read(limit=2)] == ["message 2", "message 1"]
    assert outbox.read(limit=0) == []


def test_outbox_keeps_unicode_and_segments(tmp_path):
    outbox = OutboxGateway(tmp_path / "outbox.jsonl")
    outbox.send(E164, "Åpne: " + "ж" * 80)
    assert "Åpne" in (tmp_path / "outbox.jsonl").read_text(encoding="utf-8")  # not \u-escaped
    assert outbox.read()[0]["segments"] == 2


def test_outbox_file_is_private(tmp_path):
    path = tmp_path / "outbox.jsonl"
    OutboxGateway(path).send(E164, "x")
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_outbox_read_without_file_or_with_a_broken_line(tmp_path):
    path = tmp_path / "outbox.jsonl"
    outbox = OutboxGateway(path)
    assert outbox.read() == []
    outbox.send(E164, "first")
    with path.open("a", encoding="utf-8") as f:
        f.write('{"truncated": \n[1, 2]\n')
    outbox.send(E164, "second")
    assert [r["text"] for r in outbox.read()] == ["second", "first"]


def test_outbox_appends_whole_lines_from_many_threads(tmp_path):
    path = tmp_path / "outbox.jsonl"

    def burst(n):
        outbox = OutboxGateway(path)  # separate instances share the lock
        for i in range(25):
            outbox.send(E164, f"thread {n} message {i} " + "x" * 200)

    threads = [threading.Thread(target=burst, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200
    assert len({json.loads(line)["id"] for line in lines}) == 200


def test_outbox_failure_is_a_send_error_without_secrets(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(SendError) as caught:
        OutboxGateway(tmp_path / "file" / "outbox.jsonl").send(E164, SECRET_TEXT)
    assert_no_secrets(str(caught.value))


def test_outbox_says_it_is_for_development_only():
    doc = OutboxGateway.__doc__.lower()
    assert "development" in doc and "production" in doc


def test_outbox_rejects_an_invalid_number(tmp_path):
    with pytest.raises(InvalidPhone):
        OutboxGateway(tmp_path / "outbox.jsonl").send("123", "x")
    assert not (tmp_path / "outbox.jsonl").exists()


# --- HttpGateway against a real local server --------------------------------------------------

class Provider(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ProviderHandler)
        self.received: list[dict] = []
        self.release = threading.Event()

    def handle_error(self, request, client_address):
        pass  # a client that gave up (the timeout test) is expected; keep stderr clean

    def url(self, path):
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class ProviderHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
        if self.path == "/hang":
            self.server.release.wait(5)
            return
        answer = {
            "/ok": (200, "application/json", json.dumps({"id": "prov-123", "status": "queued"})),
            "/message-id": (201, "application/json", json.dumps({"message_id": 42})),
            "/plain": (202, "text/plain", "queued"),
            # Providers like to echo the request in errors; none of this may reach SendError.
            "/fail": (500, "application/json", json.dumps({"error": "failed", "request": body.decode()})),
            "/bad": (400, "text/plain", body.decode()),
        }
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, kind, text = answer[self.path]
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def provider():
    server = Provider()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_http_gateway_sends_json_with_basic_auth(provider):
    gateway = HttpGateway(provider.url("/ok"), username="clinic", password="s3cret:pw", sender="Nordby")
    assert isinstance(gateway, Gateway)
    assert gateway.send(PHONE, SECRET_TEXT) == "prov-123"
    [request] = provider.received
    assert request["body"] == {"to": E164, "text": SECRET_TEXT, "sender": "Nordby"}
    assert request["headers"]["Content-Type"] == "application/json"
    expected = "Basic " + base64.b64encode(b"clinic:s3cret:pw").decode()
    assert request["headers"]["Authorization"] == expected


def test_http_gateway_sends_a_bearer_token(provider):
    HttpGateway(provider.url("/ok"), token="tok-abc").send(E164, "x")
    [request] = provider.received
    assert request["headers"]["Authorization"] == "Bearer tok-abc"
    assert request["body"]["sender"] is None


def test_http_gateway_without_credentials_sends_no_authorization(provider):
    HttpGateway(provider.url("/ok")).send(E164, "x")
    assert "Authorization" not in provider.received[0]["headers"]


def test_http_gateway_reads_message_id_or_makes_one(provider):
    assert HttpGateway(provider.url("/message-id")).send(E164, "x") == "42"
    plain = HttpGateway(provider.url("/plain"))
    first, second = plain.send(E164, "x"), plain.send(E164, "x")
    assert first and second and first != second


@pytest.mark.parametrize("path, reason", [("/fail", "500"), ("/bad", "400"), ("/redirect", "302")])
def test_http_gateway_error_status_is_a_send_error_without_secrets(provider, path, reason):
    with pytest.raises(SendError) as caught:
        HttpGateway(provider.url(path), token="tok-abc").send(PHONE, SECRET_TEXT)
    message = str(caught.value)
    assert reason in message
    assert_no_secrets(message.replace(reason, ""))
    assert "tok-abc" not in message
    assert [r["path"] for r in provider.received] == [path]  # a redirect is not followed


def test_http_gateway_times_out(provider):
    gateway = HttpGateway(provider.url("/hang"), timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SendError) as caught:
        gateway.send(PHONE, SECRET_TEXT)
    assert time.monotonic() - started < 3
    assert "timed out" in str(caught.value)
    assert_no_secrets(str(caught.value))


def test_http_gateway_connection_refused():
    with socket.socket() as s:  # a port that was free a moment ago: nobody listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SendError) as caught:
        HttpGateway(f"http://127.0.0.1:{port}/sms", timeout=2).send(PHONE, SECRET_TEXT)
    assert_no_secrets(str(caught.value))


def test_http_gateway_rejects_an_invalid_number_before_sending(provider):
    with pytest.raises(InvalidPhone):
        HttpGateway(provider.url("/ok")).send("12345", "x")
    assert provider.received == []


@pytest.mark.parametrize("url", [
    "https://sms.example.no/v1/send", "http://127.0.0.1:8080/sms", "http://localhost/sms", "http://[::1]:9/sms",
])
def test_http_gateway_accepts_https_or_local_http(url):
    assert HttpGateway(url).url == url


@pytest.mark.parametrize("url", [
    "http://sms.example.no/send", "http://localhost.example.no/send", "http://127.0.0.2/send",
    "ftp://sms.example.no/", "https://", "sms.example.no/send", "", "https://user:pw@sms.example.no/",
])
def test_http_gateway_requires_https(url):
    with pytest.raises(ValueError):
        HttpGateway(url)


def test_http_gateway_rejects_ambiguous_credentials():
    with pytest.raises(ValueError):
        HttpGateway("https://sms.example.no/", username="u", password="p", token="t")
    with pytest.raises(ValueError):
        HttpGateway("https://sms.example.no/", password="p")


def test_http_gateway_repr_hides_credentials():
    gateway = HttpGateway("https://sms.example.no/send", username="clinic", password="s3cret", token=None)
    assert "s3cret" not in repr(gateway) and "clinic" not in repr(gateway)


# --- Configuration ----------------------------------------------------------------------------

def test_gateway_from_config_defaults_to_the_outbox(tmp_path):
    for config in ({}, {"SMS_GATEWAY": ""}, {"SMS_GATEWAY": "outbox"}):
        gateway = gateway_from_config(config, tmp_path)
        assert isinstance(gateway, OutboxGateway)
        assert gateway.path == tmp_path / "sms-outbox.jsonl"


def test_gateway_from_config_http(tmp_path, provider):
    config = {"SMS_GATEWAY": "http", "SMS_HTTP_URL": provider.url("/ok"), "SMS_HTTP_USERNAME": "",
              "SMS_HTTP_PASSWORD": "", "SMS_HTTP_TOKEN": "tok", "SMS_SENDER": "Nordby"}
    gateway = gateway_from_config(config, tmp_path)
    assert isinstance(gateway, HttpGateway)
    assert gateway.send(E164, "x") == "prov-123"
    [request] = provider.received
    assert request["headers"]["Authorization"] == "Bearer tok"
    assert request["body"]["sender"] == "Nordby"


@pytest.mark.parametrize("config", [
    {"SMS_GATEWAY": "http"},
    {"SMS_GATEWAY": "http", "SMS_HTTP_URL": "http://sms.example.no/"},
    {"SMS_GATEWAY": "twilio"},
])
def test_gateway_from_config_rejects_bad_settings(tmp_path, config):
    with pytest.raises(ValueError):
        gateway_from_config(config, tmp_path)
