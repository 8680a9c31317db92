#!/usr/bin/env python
"""Fill the zh_Hans catalog from JSON files of translations.

    python scripts/po_fill.py translations.json [more.json ...]

Each file is a list of ``{"msgid": ..., "msgstr": ...}`` (plurals: ``msgid_plural``
and ``msgstr`` as a list; context: ``msgctxt``). An entry of the catalog that
matches gets the translation and loses its fuzzy flag; entries of the JSON that
match nothing in the catalog are listed (run ``make messages`` first).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

CATALOG = Path(__file__).resolve().parent.parent / "locale/zh_Hans/LC_MESSAGES/django.po"


def main(paths: list[str]) -> int:
    po = polib.pofile(str(CATALOG))
    unused = []
    filled = 0
    for path in paths:
        for item in json.loads(Path(path).read_text(encoding="utf-8")):
            entry = po.find(item["msgid"], msgctxt=item.get("msgctxt") or False)
            if entry is None:
                unused.append(item["msgid"])
                continue
            if entry.msgid_plural:
                forms = item["msgstr"] if isinstance(item["msgstr"], list) else [item["msgstr"]]
                entry.msgstr_plural = dict(enumerate(forms))
            else:
                entry.msgstr = item["msgstr"]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
                entry.previous_msgid = None
                entry.previous_msgid_plural = None
                entry.previous_msgctxt = None
            filled += 1
    po.save(str(CATALOG))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
    out = sys.stdout.write
    out(f"filled {filled}; not in the catalog: {len(unused)}; still untranslated: {len(missing)}\n")
    for msgid in unused:
        out(f"  not in the catalog: {msgid!r}\n")
    for msgid in missing:
        out(f"  untranslated: {msgid!r}\n")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
