#!/usr/bin/env python
"""Build the CJK font the compliance PDF embeds: a subset of Noto Sans CJK SC with
TrueType outlines, shipped as ``sla/compliance/fonts/NotoSansCJKsc-Regular-subset.ttf``.

    python scripts/build_cjk_font.py [/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]

Needs Debian's ``fonts-noto-cjk`` (or the upstream NotoSansCJK-Regular.ttc / the SC
.otf) and fontTools (a dependency of fpdf2). Run it only to rebuild the shipped file.

What it keeps: every CJK Unified Ideograph of the basic block (U+4E00–U+9FFF: the
20,992 hanzi GBK has and a few more — the rare characters of people's names too), the
symbols of GB 2312, Latin with its extensions, Greek, Cyrillic, punctuation, arrows
and maths signs, CJK punctuation and the full-width forms: about 7 MB. A character
outside these (Extension A–G hanzi, Arabic, Hebrew, emoji) prints nothing in the PDF
(fpdf2 warns) — the CSV export keeps every character.

Why TrueType outlines: the upstream font has CFF (PostScript) outlines, which fpdf2
embeds as a CID-keyed CFF whose widths it gets wrong (text extractors then see a space
between every character); converted to quadratic outlines (fontTools' cu2qu, at most
1/1000 em off) it is embedded as FontFile2, which every reader and printer knows.

Licence: SIL Open Font License 1.1 (``sla/compliance/fonts/OFL.txt``); the Reserved
Font Name is "Source", which this subset does not use.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONTS = Path(__file__).resolve().parent.parent / "sla/compliance/fonts"
TARGET = FONTS / "NotoSansCJKsc-Regular-subset.ttf"
RANGES = [
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x24F),  # Latin-1, Latin Extended-A and -B
    (0x370, 0x3FF),  # Greek
    (0x400, 0x4FF),  # Cyrillic
    (0x2000, 0x206F),  # general punctuation
    (0x20A0, 0x20BF),  # currency signs
    (0x2100, 0x214F),  # letterlike (℃, №, ™)
    (0x2150, 0x218F),  # number forms
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (≥ ≤ ≠ ×)
    (0x2460, 0x24FF),  # enclosed numbers
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes (■ ▲ ●)
    (0x3000, 0x303F),  # CJK punctuation
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs (the basic block)
    (0xFF00, 0xFFEF),  # full-width and half-width forms
]


def gb2312() -> set[str]:
    """Every character GB 2312 encodes (rows 0xA1–0xF7, cells 0xA1–0xFE): its symbols."""
    found = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return found


def to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines by quadratic (glyf) ones, in place (after fontTools'
    Snippets/otf2ttf.py)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    max_err = font["head"].unitsPerEm / 1000
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    del font["CFF "]
    for tag in ("VORG", "vhea", "vmtx"):
        if tag in font:
            del font[tag]
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements",
                 "maxComponentDepth"):  # fmt: skip
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    # glyph names stored (format 2): without them every reader derives 22,000 names
    # from the cmap on load — fpdf2's add_font took 0.6 s instead of 0.25 s
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def main(source: str = SOURCE) -> None:
    if source.endswith((".ttc", ".otc")):
        fonts = TTCollection(source).fonts
        font = next(f for f in fonts if f["name"].getDebugName(4) == "Noto Sans CJK SC")
    else:
        font = TTFont(source)
    unicodes = {ord(c) for c in gb2312()}
    for low, high in RANGES:
        unicodes.update(range(low, high + 1))
    options = subset.Options()
    options.layout_features = []  # fpdf2 does not shape: no GSUB/GPOS needed
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 13, 14]  # keep copyright and licence
    options.drop_tables += ["vhea", "vmtx", "VORG", "DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    to_truetype(font)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(TARGET)
    print(f"{TARGET}: {len(font.getGlyphOrder())} glyphs, {TARGET.stat().st_size:,} bytes")  # noqa: T201


if __name__ == "__main__":
    main(*sys.argv[1:2])
