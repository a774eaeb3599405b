"""Fail when patientapp/translations/messages.pot no longer matches the code (a stale catalogue)."""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "patientapp/translations/messages.pot"


def messages(path: Path) -> list[tuple]:
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle)
    return sorted(((m.id,) if isinstance(m.id, str) else tuple(m.id), m.context or "") for m in catalog if m.id)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "messages.pot"
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                        "-k", "_l", "-k", "plurals:1,2", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2",
                        "--no-location", "--no-wrap", "--sort-output",
                        "-o", str(fresh), "."], cwd=ROOT, check=True)
        if messages(fresh) != messages(POT):
            added = set(messages(fresh)) - set(messages(POT))
            gone = set(messages(POT)) - set(messages(fresh))
            print("messages.pot is stale: run `make translations-update` and translate the new strings.")
            for m in sorted(added, key=str)[:20]:
                print("  new:", m)
            for m in sorted(gone, key=str)[:20]:
                print("  removed:", m)
            return 1
    print("messages.pot is up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
