"""The documents a clinic needs for Normen (R67) and the emergency routine (R64) are there and finished."""
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
NORMEN = ("data-inventory.md", "threat-model.md", "risk-assessment.md", "dpia.md", "processor-agreements.md",
          "log-inventory.md", "patient-information.md")


@pytest.mark.parametrize("name", NORMEN)
def test_normen_document_exists_is_filled_and_has_no_todo(name):
    text = (DOCS / name).read_text(encoding="utf-8")
    assert len(text.split()) > 100, f"{name} is (nearly) empty"
    assert not re.search(r"todo", text, re.IGNORECASE), f"{name} has a TODO"


def test_the_emergency_routine_exists_and_says_to_phone_the_patient():
    text = (DOCS / "emergency.md").read_text(encoding="utf-8")
    assert text.strip()
    assert "Phone the patient" in text and "by phone" in text


def test_documents_link_only_to_documents_that_exist():
    for name in NORMEN + ("emergency.md",):
        for linked in re.findall(r"`([a-z-]+\.md)`", (DOCS / name).read_text(encoding="utf-8")):
            assert (DOCS / linked).exists(), f"{name} names {linked}, which is not in docs/"


def test_the_data_inventory_covers_every_table():
    from patientapp.models import Base

    text = (DOCS / "data-inventory.md").read_text(encoding="utf-8")
    missing = [t for t in Base.metadata.tables if f"`{t}`" not in text]
    assert not missing, f"data-inventory.md does not describe {missing}"
