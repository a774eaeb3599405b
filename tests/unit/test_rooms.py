import random
from urllib.parse import urlsplit

import pytest

from patientapp import rooms
from patientapp.rooms import DEFAULT_ALLOWLIST, RoomError, check_url, host_allowed, room_url, validate_room

NAME = "Kari Nordmann & Æøå"
PLUS_NAME = "Kari+Nordmann+%26+%C3%86%C3%B8%C3%A5"  # urlencode: spaces as "+"
PATH_NAME = "Kari%20Nordmann%20%26%20%C3%86%C3%B8%C3%A5"  # quote: spaces as "%20"
TEMPLATE_ALLOWLIST = DEFAULT_ALLOWLIST + ["video.example.no"]


def pexip(**overrides):
    room = dict(key="lege-1", label="Dr. Nordby", provider="pexip", node="join.nhn.no",
                alias="vmr.123@nhn.no", autolock=True)
    room.update(overrides)
    return room


def whereby(**overrides):
    room = dict(key="venterom", label="Venterom", provider="whereby", subdomain="nordby",
                room="venterom-1")
    room.update(overrides)
    return room


def template(tpl="https://video.example.no/rom/a?n={name}&l={lang}", **overrides):
    room = dict(key="eget", label="Eget system", provider="template", template=tpl)
    room.update(overrides)
    return room


def assert_rejected(code, fn, *args, **kwargs):
    with pytest.raises(RoomError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, str(info.value)


# --- URLs per provider --------------------------------------------------------------------------

def test_pexip_url_exactly():
    # "@" unescaped, as in Pexip's own links (the review: it was sent as %40).
    assert room_url(pexip(), NAME, "nb", DEFAULT_ALLOWLIST) == (
        f"https://join.nhn.no/webapp/conference/vmr.123@nhn.no?name={PLUS_NAME}&role=guest&callType=video")


@pytest.mark.parametrize("style, url", [
    ("webapp1", f"https://join.nhn.no/webapp/conference/vmr.123@nhn.no?name={PLUS_NAME}&role=guest&callType=video"),
    ("webapp2", f"https://join.nhn.no/webapp/#/?conference=vmr.123@nhn.no&name={PLUS_NAME}&role=guest&callType=video"),
    ("webapp3", f"https://join.nhn.no/webapp3/m/vmr.123@nhn.no?name={PLUS_NAME}&role=guest&callType=video"),
])
def test_pexip_link_style_is_a_room_setting(style, url):
    assert room_url(pexip(link_style=style), NAME, "nb", DEFAULT_ALLOWLIST) == url
    assert validate_room(pexip(link_style=style), DEFAULT_ALLOWLIST)["link_style"] == style


def test_pexip_link_style_defaults_to_web_app_1_and_refuses_others():
    assert validate_room(pexip(), DEFAULT_ALLOWLIST)["link_style"] == "webapp1"
    assert_rejected("field", validate_room, pexip(link_style="webapp9"), DEFAULT_ALLOWLIST)


def test_whereby_url_exactly():
    assert room_url(whereby(), NAME, "nb", DEFAULT_ALLOWLIST) == (
        f"https://nordby.whereby.com/venterom-1?displayName={PLUS_NAME}&lang=nb")


@pytest.mark.parametrize("lang, suffix", [("nb", "&lang=nb"), ("en", "&lang=en"), ("pl", "&lang=pl"), ("ar", ""),
                                          ("so", ""), ("ur", ""), ("", ""), ("nb&x=1", "")])
def test_whereby_lang_only_for_languages_whereby_has(lang, suffix):
    assert room_url(whereby(), "Kari", lang, DEFAULT_ALLOWLIST) == (
        "https://nordby.whereby.com/venterom-1?displayName=Kari" + suffix)


def test_template_url_exactly():
    assert room_url(template(), NAME, "nb", TEMPLATE_ALLOWLIST) == (
        f"https://video.example.no/rom/a?n={PATH_NAME}&l=nb")


def test_template_quotes_every_value_and_allows_no_placeholders():
    url = room_url(template("https://video.example.no/{lang}/{name}"), "a/b?c#d", "x y", TEMPLATE_ALLOWLIST)
    assert url == "https://video.example.no/x%20y/a%2Fb%3Fc%23d"
    fixed = template("https://video.example.no/rom")
    assert room_url(fixed, NAME, "nb", TEMPLATE_ALLOWLIST) == "https://video.example.no/rom"


def test_display_name_is_one_line_of_printable_text_capped():
    url = room_url(whereby(), " Kari\n\tNord\x00mann\u200b ", "en", DEFAULT_ALLOWLIST)
    assert url == "https://nordby.whereby.com/venterom-1?displayName=Kari+Nordmann&lang=en"
    url = room_url(whereby(), "x" * 500, "en", DEFAULT_ALLOWLIST)
    assert "x" * rooms.MAX_NAME + "&" in url and "x" * (rooms.MAX_NAME + 1) not in url


@pytest.mark.parametrize("name, lang", [(None, "nb"), (b"Kari", "nb"), ("Kari", None), ("Kari", 1)])
def test_room_url_needs_text(name, lang):
    assert_rejected("field", room_url, whereby(), name, lang, DEFAULT_ALLOWLIST)


# --- Allowlist and URL checks -------------------------------------------------------------------

@pytest.mark.parametrize("host, allowed", [
    ("join.nhn.no", True),
    ("JOIN.NHN.NO", True),
    ("nordby.whereby.com", True),
    ("a.b.whereby.com", True),
    ("Nordby.WHEREBY.com", True),
    ("whereby.com", False),  # the bare suffix is not below it
    (".whereby.com", False),
    ("a..whereby.com", False),
    ("evilwhereby.com", False),
    ("evil.whereby.com.attacker.net", False),
    ("join.nhn.no.attacker.net", False),
    ("x.join.nhn.no", False),  # exact entries have no subdomains
    ("join.nhn.no.", False),
    ("user@join.nhn.no", False),
    ("join.nhn.no:443", False),
    ("", False),
    ("*.whereby.com", False),
    (None, False),
])
def test_host_allowed(host, allowed):
    assert host_allowed(host, DEFAULT_ALLOWLIST) is allowed


def test_allowlist_entries_are_case_insensitive_and_must_be_a_list():
    assert host_allowed("a.whereby.com", ["*.WhereBy.COM"])
    assert not host_allowed("join.nhn.no", [])
    with pytest.raises(TypeError):
        host_allowed("join.nhn.no", "join.nhn.no")


@pytest.mark.parametrize("url", ["https://join.nhn.no/x", "https://join.nhn.no:443/x", "https://JOIN.nhn.no/x",
                                 "https://nordby.whereby.com/r?displayName=a+b#top", "HTTPS://join.nhn.no/x"])
def test_check_url_accepts(url):
    assert check_url(url, DEFAULT_ALLOWLIST) == url


@pytest.mark.parametrize("url, code", [
    ("http://join.nhn.no/x", "scheme"),
    ("https://evil.example/x", "host"),
    ("javascript:alert(1)", "scheme"),
    ("JaVaScRiPt:alert(1)//https://join.nhn.no/", "scheme"),
    ("data:text/html,<script>alert(1)</script>", "scheme"),
    ("//join.nhn.no/x", "scheme"),
    ("https:join.nhn.no/x", "scheme"),
    ("https:/join.nhn.no/x", "scheme"),
    ("ftp://join.nhn.no/x", "scheme"),
    ("https://user@join.nhn.no/", "userinfo"),
    ("https://user:pw@join.nhn.no/", "userinfo"),
    ("https://join.nhn.no@evil.example/", "userinfo"),
    ("https://join.nhn.no:8443/", "port"),
    ("https://join.nhn.no:80/", "port"),
    ("https://join.nhn.no:99999/", "url"),
    ("https://join.nhn.no:x/", "url"),
    ("https://join.nhn.no:/x", "host"),
    ("https:///join.nhn.no/x", "host"),
    ("https://[::1]/x", "host"),
    ("https://whereby.com/x", "host"),
    ("https://evil.whereby.com.attacker.net/x", "host"),
    ("https://join.nhn.no /x", "chars"),
    (" https://join.nhn.no/x", "chars"),
    ("https://join.nhn.no/x\n", "chars"),
    ("https://join.nhn\n.no/x", "chars"),
    ("https://join.nhn.no/\tx", "chars"),
    ("https://evil.example\\@join.nhn.no/", "chars"),
    ("https:\\\\join.nhn.no/x", "chars"),
    ("https://join.nhn.no/\x00", "chars"),
    ("https://join\u3002nhn\u3002no/x", "chars"),  # ideographic full stops, read as dots by browsers
    ("https://join.nhn.no/" + "a" * 2000, "length"),
    ("", "url"),
    (None, "url"),
])
def test_check_url_rejects(url, code):
    assert_rejected(code, check_url, url, DEFAULT_ALLOWLIST)


@pytest.mark.parametrize("url", ["http://localhost:5000/room", "http://127.0.0.1:8000/fake?name=a",
                                 "https://localhost:5001/x", "http://LOCALHOST:5000/x"])
def test_local_urls_only_with_allow_local(url):
    assert check_url(url, DEFAULT_ALLOWLIST, allow_local=True) == url
    with pytest.raises(RoomError):
        check_url(url, DEFAULT_ALLOWLIST)  # off by default


@pytest.mark.parametrize("url", ["http://localhost.evil.example:5000/", "http://127.0.0.2:5000/",
                                 "http://user@localhost:5000/", "ftp://localhost/x", "//localhost:5000/",
                                 "http://evil.example/?localhost", "http://[::1]:5000/", "http://join.nhn.no/x"])
def test_allow_local_allows_nothing_else(url):
    with pytest.raises(RoomError):
        check_url(url, DEFAULT_ALLOWLIST, allow_local=True)


def test_local_template_room_for_tests():
    room = template("http://127.0.0.1:5005/fake-room?name={name}")
    assert_rejected("scheme", validate_room, room, DEFAULT_ALLOWLIST)
    assert room_url(room, "A B", "nb", DEFAULT_ALLOWLIST, allow_local=True) == (
        "http://127.0.0.1:5005/fake-room?name=A%20B")


# --- Validation when saved ----------------------------------------------------------------------

def test_validate_cleans_and_keeps_only_known_fields():
    room = pexip(key=" lege-1 ", label="  Dr. Nordby\t", node=" JOIN.nhn.no ", alias=" vmr.123@nhn.no\n",
                 subdomain="nordby", notes="x", autolock=False)
    assert validate_room(room, DEFAULT_ALLOWLIST) == dict(
        key="lege-1", label="Dr. Nordby", provider="pexip", node="join.nhn.no", alias="vmr.123@nhn.no",
        autolock=False, link_style="webapp1")
    assert validate_room(whereby(template="https://x"), DEFAULT_ALLOWLIST) == whereby()
    assert validate_room(template(node="join.nhn.no"), TEMPLATE_ALLOWLIST) == template()


def test_validate_does_not_change_its_input():
    room = whereby(label=" Venterom ")
    validate_room(room, DEFAULT_ALLOWLIST)
    assert room["label"] == " Venterom "


def test_pexip_autolock_defaults_to_false_and_must_be_bool():
    room = pexip()
    del room["autolock"]
    assert validate_room(room, DEFAULT_ALLOWLIST)["autolock"] is False
    for value in ("true", 1, None):
        assert_rejected("field", validate_room, pexip(autolock=value), DEFAULT_ALLOWLIST)


@pytest.mark.parametrize("key", ["", "  ", "A", "Lege", "a_b", "a b", "ab\ncd", "a/b", "æ", "a" * 31, 5, None])
def test_bad_keys_rejected(key):
    assert_rejected("key", validate_room, whereby(key=key), DEFAULT_ALLOWLIST)


def test_key_limits():
    assert validate_room(whereby(key="a" * 30), DEFAULT_ALLOWLIST)["key"] == "a" * 30
    room = whereby()
    del room["key"]
    assert_rejected("key", validate_room, room, DEFAULT_ALLOWLIST)


@pytest.mark.parametrize("label", ["", "   ", "x" * 61, "a\x00b", "a\u202eb", None, 3])
def test_bad_labels_rejected(label):
    assert_rejected("field", validate_room, whereby(label=label), DEFAULT_ALLOWLIST)


def test_label_of_sixty_characters_is_fine():
    assert validate_room(whereby(label="ø" * 60), DEFAULT_ALLOWLIST)["label"] == "ø" * 60


@pytest.mark.parametrize("provider", ["zoom", "Pexip", "", None, ["pexip"]])
def test_unknown_provider_rejected(provider):
    assert_rejected("provider", validate_room, whereby(provider=provider), DEFAULT_ALLOWLIST)
    room = whereby()
    del room["provider"]
    assert_rejected("provider", validate_room, room, DEFAULT_ALLOWLIST)


@pytest.mark.parametrize("room", [None, [], "pexip", 1])
def test_room_must_be_a_dict(room):
    assert_rejected("field", validate_room, room, DEFAULT_ALLOWLIST)


@pytest.mark.parametrize("secret", ["host_room_url", "hostRoomUrl", "host_pin", "HOST-PIN", "hostroomurl", "host_key"])
def test_host_secrets_rejected(secret):
    for room in (whereby(), pexip()):
        room[secret] = "https://nordby.whereby.com/venterom-1?roomKey=abc"
        assert_rejected("secret", validate_room, room, DEFAULT_ALLOWLIST)
        assert_rejected("secret", room_url, room, "Kari", "nb", DEFAULT_ALLOWLIST)


@pytest.mark.parametrize("overrides, code", [
    ({"node": "evil.example"}, "host"),
    ({"node": "join.nhn.no:8443"}, "host"),
    ({"node": "join.nhn.no/x"}, "host"),
    ({"node": "user@join.nhn.no"}, "host"),
    ({"node": "whereby.com"}, "host"),
    ({"node": ""}, "field"),
    ({"node": None}, "field"),
    ({"alias": "a/b"}, "field"),
    ({"alias": "a?b"}, "field"),
    ({"alias": "a b"}, "field"),
    ({"alias": "a" * 65}, "field"),
    ({"alias": ""}, "field"),
])
def test_bad_pexip_rooms_rejected(overrides, code):
    assert_rejected(code, validate_room, pexip(**overrides), DEFAULT_ALLOWLIST)


@pytest.mark.parametrize("overrides", [{"subdomain": "Nordby"}, {"subdomain": "a.b"}, {"subdomain": "a" * 64},
                                       {"subdomain": ""}, {"room": "/venterom"}, {"room": "a/b"},
                                       {"room": "../x"}, {"room": "a?b"}, {"room": "a" * 101}, {"room": None}])
def test_bad_whereby_rooms_rejected(overrides):
    assert_rejected("field", validate_room, whereby(**overrides), DEFAULT_ALLOWLIST)


@pytest.mark.parametrize("tpl, code", [
    ("http://video.example.no/rom?n={name}", "scheme"),
    ("https://video.example.no/rom?pin={pin}", "template"),
    ("https://video.example.no/rom?n={name.__class__}", "template"),
    ("https://video.example.no/rom?n={name!r}", "template"),
    ("https://video.example.no/rom?n={name:>99}", "template"),
    ("https://video.example.no/rom?n={0}", "template"),
    ("https://video.example.no/rom?n={}", "template"),
    ("https://video.example.no/rom?n={name", "template"),
    ("https://video.example.no/rom?n=name}", "template"),
    ("https://{name}.whereby.com/rom", "template"),
    ("https://video.example.no{name}", "template"),
    ("https://user{name}@video.example.no/", "template"),
    ("{name}://video.example.no/", "template"),
    ("javascript:alert({name})", "template"),
    ("https://evil.example/rom?n={name}", "host"),
    ("https://video.example.no/rom?n={name} ", None),  # stripped, so fine
    ("https://video.example.no/r om?n={name}", "chars"),
    ("", "field"),
])
def test_bad_templates_rejected(tpl, code):
    if code is None:
        assert validate_room(template(tpl), TEMPLATE_ALLOWLIST)["template"] == tpl.strip()
    else:
        assert_rejected(code, validate_room, template(tpl), TEMPLATE_ALLOWLIST)


def test_template_query_without_path_is_fine():
    assert room_url(template("https://video.example.no?n={name}"), "a b", "nb", TEMPLATE_ALLOWLIST) == (
        "https://video.example.no?n=a%20b")


def test_validate_rooms_needs_unique_keys():
    assert rooms.validate_rooms([pexip(), whereby()], DEFAULT_ALLOWLIST) == [pexip(link_style="webapp1"), whereby()]
    assert rooms.validate_rooms([], DEFAULT_ALLOWLIST) == []
    assert_rejected("key", rooms.validate_rooms, [whereby(), pexip(key="venterom")], DEFAULT_ALLOWLIST)
    assert_rejected("field", rooms.validate_rooms, {"rooms": []}, DEFAULT_ALLOWLIST)


def test_room_url_validates_the_stored_room_again():
    # JSON edited behind the settings form must not open a redirect.
    assert_rejected("host", room_url, pexip(node="evil.example"), "Kari", "nb", DEFAULT_ALLOWLIST)
    assert_rejected("host", room_url, template(), "Kari", "nb", DEFAULT_ALLOWLIST)


def test_room_url_checks_the_final_url_too(monkeypatch):
    # Defence in depth (R11): the URL actually handed out goes through check_url, not just a sample.
    checked = []
    real = rooms.check_url
    monkeypatch.setattr(rooms, "check_url", lambda url, *a, **kw: checked.append(url) or real(url, *a, **kw))
    url = room_url(whereby(), "Kari", "en", DEFAULT_ALLOWLIST)
    assert checked[-1] == url and "Kari" in url
    real_build = rooms._build
    monkeypatch.setattr(rooms, "_build", lambda room, name, lang: (
        real_build(room, name, lang) if name == "Test" else "https://evil.example/"))
    assert_rejected("host", room_url, whereby(), "Kari", "en", DEFAULT_ALLOWLIST)


def test_room_error_is_a_value_error_with_a_code():
    error = RoomError("host", "Not on the list.")
    assert isinstance(error, ValueError) and error.code == "host" and str(error) == "Not on the list."
    assert str(RoomError("key")) == "key"


# --- Staff warnings (R15) -----------------------------------------------------------------------

@pytest.mark.parametrize("room, expected", [
    (pexip(autolock=True), []),
    (pexip(autolock=False), ["pexip-not-autolock"]),
    ({k: v for k, v in pexip().items() if k != "autolock"}, ["pexip-not-autolock"]),
    (pexip(autolock="true"), ["pexip-not-autolock"]),
    (pexip(autolock=1), ["pexip-not-autolock"]),
    (whereby(), []),
    (template(), []),
    (None, []),
])
def test_warnings(room, expected):
    assert rooms.warnings(room) == expected


# --- Property: whatever is stored or typed, a patient only ever lands on an allowlisted host ----

HOSTILE = [
    "", " ", "evil.example", "https://evil.example/", "//evil.example", "javascript:alert(1)",
    "data:text/html,x", "evil.example#", "evil.example?", "evil.example/", "@evil.example", "x@evil.example",
    "join.nhn.no@evil.example", "join.nhn.no.evil.example", "evil.example\\.join.nhn.no", "\\\\evil.example",
    ":8443", "join.nhn.no:8443", "\n", "a\r\nLocation: https://evil.example", "\x00", "\t", "%2F%2Fevil.example",
    "%00", "../../evil.example", "..", "{name}", "{lang}", "{name}.evil.example", "}{", "{{", "a" * 300,
    "evil\u3002example", "evil\uff0eexample", "\u202eelpmaxe.live", "ｅｖｉｌ.example", "localhost", "127.0.0.1",
    "localhost:5000", "[::1]", "0x7f000001", "whereby.com", "x.whereby.com.evil.example", "nb", "en",
    "nb&displayName=evil", "x?lang=nb#https://evil.example",
]


def _rooms_with(value):
    """Every base room with one field (or a new field) set to `value`."""
    for base in (pexip(), whereby(), template()):
        for field in list(base) + ["host", "url", "hostRoomUrl"]:
            yield {**base, field: value}
        if base["provider"] == "template":
            for prefix in ("https://video.example.no/", "https://", "https://video.example.no", ""):
                yield {**base, "template": prefix + value}
                yield {**base, "template": prefix + value + "/{name}"}


def _lands_on_allowlist(room, name, lang, allowlist, allow_local):
    try:
        url = room_url(room, name, lang, allowlist, allow_local=allow_local)
    except RoomError:
        return
    parts = urlsplit(url)
    if allow_local and parts.hostname in rooms.LOCAL_HOSTS:
        assert parts.scheme in ("http", "https") and "@" not in parts.netloc
        return
    assert parts.scheme == "https" and parts.port in (None, 443)
    assert host_allowed(parts.hostname, allowlist), url
    assert not any(c.isspace() or c == "\\" for c in url)


@pytest.mark.parametrize("allow_local", [False, True])
def test_hostile_values_never_leave_the_allowlist(allow_local):
    for value in HOSTILE:
        for room in _rooms_with(value):
            try:
                clean = validate_room(room, TEMPLATE_ALLOWLIST, allow_local=allow_local)
            except RoomError:
                clean = None
            if clean is not None:
                sample = urlsplit(rooms._build(clean, "Test", "nb"))
                assert host_allowed(sample.hostname, TEMPLATE_ALLOWLIST) or (
                    allow_local and sample.hostname in rooms.LOCAL_HOSTS)
            for name, lang in ((value, "nb"), ("Kari", value), (value, value)):
                _lands_on_allowlist(room, name, lang, TEMPLATE_ALLOWLIST, allow_local)


def test_random_hostile_mixtures_never_leave_the_allowlist():
    rng = random.Random(20260329)  # fixed seed: a failure is reproducible
    pieces = HOSTILE + ["/", "?", "#", "&", "=", ":", "@", ".", "{", "}", "%", "https://", "join.nhn.no",
                        "nordby.whereby.com", "video.example.no"]
    for _ in range(3000):
        value = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 5)))
        room = rng.choice(list(_rooms_with(value)))
        _lands_on_allowlist(room, rng.choice(HOSTILE), rng.choice(HOSTILE), TEMPLATE_ALLOWLIST,
                            rng.random() < 0.5)


def test_clinic_rooms_and_find_room_skip_what_is_not_a_room():
    settings = {"rooms": [{"key": "a", "label": "A"}, "junk", None, {"key": "b"}]}
    assert [r["key"] for r in rooms.clinic_rooms(settings)] == ["a", "b"]
    assert rooms.clinic_rooms(None) == [] and rooms.clinic_rooms({}) == []
    assert rooms.find_room(settings, "b") == {"key": "b"}
    assert rooms.find_room(settings, "c") is None and rooms.find_room(settings, None) is None
    assert rooms.find_room({"rooms": [{"label": "no key"}]}, None) is None
