"""After `pybabel update`: keep the English catalogue equal to the source strings, and keep the
conventional gettext plural formulas (Babel's Arabic formula orders forms 4 and 5 differently from
the one translators know: here 4 = 11–99, 5 = 100–102 and the rest)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "patientapp/translations"
PLURAL_FORMS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "pl": "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "nb": "nplurals=2; plural=(n != 1);",
    "en": "nplurals=2; plural=(n != 1);",
    "so": "nplurals=2; plural=(n != 1);",
    "ur": "nplurals=2; plural=(n != 1);",
}


def main() -> None:
    from babel.messages.pofile import read_po, write_po

    for lang, forms in PLURAL_FORMS.items():
        path = ROOT / lang / "LC_MESSAGES/messages.po"
        if not path.exists():
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        if lang == "en":
            for message in catalog:
                if message.id and not (message.string if isinstance(message.string, str) else any(message.string)):
                    message.string = message.id if isinstance(message.id, str) else tuple(message.id)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False)
        text = path.read_text(encoding="utf-8")
        text = re.sub(r'"Plural-Forms: [^"\\]*\\n"', f'"Plural-Forms: {forms}\\\\n"', text)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
