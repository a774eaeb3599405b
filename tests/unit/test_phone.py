import pytest

from patientapp.appointment import phone


@pytest.mark.parametrize("raw, display, href", [
    ("+4712345678", "+47 12 34 56 78", "tel:+4712345678"),
    ("12 34 56 78", "+47 12 34 56 78", "tel:+4712345678"),
    ("+46 8 123 456", "+46 8 123 456", "tel:+468123456"),
])
def test_phone_numbers_read_in_pairs_and_dial(raw, display, href):
    shown = phone(raw)
    assert (shown.display, shown.href) == (display, href)
