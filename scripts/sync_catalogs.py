"""Extract messages, update both catalogs, and list what still needs translating.

Source strings are Simplified Chinese, so the zh_CN catalog maps each message to itself; the
en catalog is translated by hand. Run with `make extract-messages`; exits 1 if any English
translation is missing.
"""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "lms" / "translations"


def main() -> int:
    missing = []
    for locale in ("zh_CN", "en"):
        path = ROOT / locale / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as f:
            catalog = read_po(f, locale=locale)
        for message in catalog:
            if not message.id:
                continue
            if locale == "zh_CN":
                message.string = message.id
            elif not message.string or (
                isinstance(message.string, tuple) and not all(message.string)
            ):
                missing.append(message.id)
            message.flags.discard("fuzzy")
        with path.open("wb") as f:
            write_po(f, catalog, omit_header=True, no_location=True, width=100)
    for message_id in missing:
        print(f"en missing: {message_id!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
