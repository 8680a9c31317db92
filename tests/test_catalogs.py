"""The English and Simplified Chinese catalogs are complete and compiled.

Runs ``makemessages`` on a scratch copy of the source tree, so a string marked
for translation anywhere but missing from the committed catalog fails here,
then checks every zh_Hans entry is translated (not fuzzy) and the committed
.mo files hold exactly what the .po files say.
"""

import ast
import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
IGNORE = shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "*.pyc", ".ruff_cache")


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr (list), fuzzy."""
    entries, entry, field = [], None, None

    def unquote(text: str) -> str:
        return ast.literal_eval(text)

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry, field = None, None
            continue
        if entry is None:
            entry = {
                "msgid": "",
                "msgid_plural": None,
                "msgstr": {},
                "fuzzy": False,
                "obsolete": False,
            }
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["fuzzy"] = entry["fuzzy"] or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            entry["msgctxt"] = unquote(line[8:])
            field = "msgctxt"
        elif line.startswith("msgid_plural "):
            entry["msgid_plural"] = unquote(line[13:])
            field = "msgid_plural"
        elif line.startswith("msgid "):
            entry["msgid"] = unquote(line[6:])
            field = "msgid"
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            entry["msgstr"][index] = unquote(line[line.index("]") + 2 :])
            field = ("msgstr", index)
        elif line.startswith("msgstr "):
            entry["msgstr"][0] = unquote(line[7:])
            field = ("msgstr", 0)
        elif line.startswith('"'):
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += unquote(line)
            else:
                entry[field] += unquote(line)
    return [e for e in entries if e["msgid"] and not e["obsolete"]]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    if shutil.which("xgettext") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but xgettext is missing (.ci/run installs gettext)")
        pytest.skip("xgettext not installed (apt-get install gettext)")
    copy = tmp_path_factory.mktemp("src") / "smarketing"
    shutil.copytree(ROOT, copy, ignore=IGNORE)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "-l",
            "en",
            "--ignore=bench",
            "--ignore=tests",
            "--no-obsolete",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "SMARKETING_VAR_DIR": str(copy / "var")},
    )
    assert result.returncode == 0, result.stderr
    return copy / "locale"


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_committed_catalog_has_every_marked_string(extracted, language):
    fresh = {
        (e.get("msgctxt"), e["msgid"])
        for e in parse_po(extracted / language / "LC_MESSAGES" / "django.po")
    }
    committed = {
        (e.get("msgctxt"), e["msgid"])
        for e in parse_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    }
    missing = sorted(m for _, m in fresh - committed)
    assert missing == [], f"run `make messages` and translate: {missing[:20]}"


def test_every_chinese_entry_is_translated():
    entries = parse_po(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 50
    untranslated = [e["msgid"] for e in entries if e["fuzzy"] or not all(e["msgstr"].values())]
    assert untranslated == []


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_compiled_catalog_matches_the_po_file(language):
    mo = LOCALE / language / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in parse_po(LOCALE / language / "LC_MESSAGES" / "django.po"):
        if entry["msgid_plural"] or not entry["msgstr"].get(0) or entry.get("msgctxt"):
            continue
        assert compiled.gettext(entry["msgid"]) == entry["msgstr"][0], entry["msgid"]
