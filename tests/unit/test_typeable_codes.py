"""The two short codes (issue 16): their alphabet, size and what a person may type."""
import math

from patientapp import device_codes, links


def test_the_typeable_code_follows_from_the_token_and_avoids_look_alikes():
    token = links.new_token()
    code = links.code_of(token)
    assert code == links.code_of(token) and code != links.code_of(links.new_token())
    assert len(code) == 10 and set(code) <= set(links.CODE_ALPHABET)
    assert not set("01OILU") & set(links.CODE_ALPHABET)
    assert math.log2(len(links.CODE_ALPHABET) ** links.CODE_LENGTH) > 49  # the entropy the README states
    assert links.grouped_code(code) == f"{code[:5]} {code[5:]}"


def test_what_a_person_may_type_for_the_typeable_code():
    assert links.normalise_code("abcde-fghjk") == "ABCDEFGHJK"
    assert links.normalise_code(" ABCDE FGHJK ") == "ABCDEFGHJK"
    for bad in ("ABCDE FGHJ", "ABCDE FGHJKK", "ABCDE FGHJ0", "ABCDE FGHJI", "", "x" * 41, None, 12):
        assert links.normalise_code(bad) is None


def test_what_a_person_may_type_for_the_device_code():
    assert device_codes.normalise("123 456") == device_codes.normalise("123-456") == "123456"
    assert device_codes.normalise("١٢٣٤٥٦") == device_codes.normalise("۱۲۳۴۵۶") == "123456"
    assert device_codes.normalise("１２３４５６") == "123456"  # full-width digits
    for bad in ("12345", "1234567", "12a456", "", "1" * 41, None):
        assert device_codes.normalise(bad) is None
    assert math.log2(10 ** device_codes.DIGITS) > 19.9
