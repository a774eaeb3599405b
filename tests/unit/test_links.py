import base64
import time

import pytest

from patientapp import links

SECRET = "s" * 40


def test_tokens_are_256_bit_unique_and_url_safe():
    tokens = {links.new_token() for _ in range(10_000)}
    assert len(tokens) == 10_000
    for token in list(tokens)[:500]:
        assert links.TOKEN_PATTERN.match(token)
        assert len(base64.urlsafe_b64decode(token + "=")) == 32


def test_hash_is_sha256_hex_and_not_the_token():
    token = links.new_token()
    digest = links.hash_token(token)
    assert len(digest) == 64 and token not in digest
    assert digest == links.hash_token(token)


@pytest.mark.parametrize("bad", ["", "abc", "x" * 44, "a" * 42 + "!", "../../etc/passwd", "%00" * 15])
def test_malformed_tokens_are_recognised(bad):
    assert not links.looks_like_token(bad)


def test_signed_ref_round_trips_per_purpose():
    signed = links.sign_ref(SECRET, "ref123", "qr")
    assert signed.startswith("q.")
    assert links.unsign_ref(SECRET, signed, {"qr": 60}) == "ref123"


def test_signed_ref_rejects_other_key_other_purpose_and_tampering():
    signed = links.sign_ref(SECRET, "ref123", "qr")
    assert links.unsign_ref("other" * 10, signed, {"qr": 60}) is None
    assert links.unsign_ref(SECRET, "c" + signed[1:], {"calendar": None}) is None
    assert links.unsign_ref(SECRET, signed[:-2] + "AA", {"qr": 60}) is None
    for junk in ["", "q", "q.", "z.abc", "q." + "a" * 300, "c..."]:
        assert links.unsign_ref(SECRET, junk, {"qr": 60, "calendar": None}) is None


def test_qr_links_expire(monkeypatch):
    signed = links.sign_ref(SECRET, "ref123", "qr")
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert links.unsign_ref(SECRET, signed, {"qr": 1800}) is None
