"""sla.compliance.exports: the scorecard as a ZIP of CSVs, one CSV, and a PDF that
embeds its CJK font — on a scorecard written by hand with known numbers, in English
and in Chinese; nasty names and an empty month."""

from __future__ import annotations

import copy
import csv
import io
import zipfile

import pytest
from django.utils import translation
from pypdf import PdfReader

from sla.compliance import exports, words
from sla.period_terms import PERIOD_TERMS


def term(key, **fields):
    base = {
        "term": key, "side": PERIOD_TERMS[key].side, "kind": PERIOD_TERMS[key].kind,
        "target": str(PERIOD_TERMS[key].default), "actual": None, "verdict": "no_data",
        "count": 0, "of": None, "p50": None, "p90": None, "leads": [], "clocks": [],
        "note": "no_clocks",
    }  # fmt: skip
    base.update(fields)
    return base


FILLED = {
    "mql_volume": term("mql_volume", target="300", actual="312", verdict="met", count=312,
                       note=""),
    "icp_share": term("icp_share", target="85", actual="80.00", verdict="missed", count=16,
                      of=20, leads=[101, 102, 103, 104], note=""),
    "delivery_hours": term("delivery_hours", target="2", actual="3.50", verdict="missed",
                           count=40, p50="1.25", p90="3.50", leads=[105], note=""),
    "first_touch_in_time": term("first_touch_in_time", target="90", actual="85.00",
                                verdict="missed", count=17, of=20, leads=[201, 202, 203],
                                clocks=[5001, 5002, 5003], note=""),
}  # fmt: skip
DATA = {
    "month": "2026-11",
    "zone": "Asia/Shanghai",
    "start": "2026-10-31T16:00:00+00:00",
    "end": "2026-11-30T16:00:00+00:00",
    "month_to_date": False,
    "watermark": "2026-12-01T02:00:00.123456+00:00",
    "terms_version": 3,
    "period": {"icp_grade": "B", "complete_fields": ["company", "title"], "min_attempts": 6},
    "terms": [FILLED.get(key) or term(key) for key in PERIOD_TERMS],
    "rows": [
        {"term": "first_touch_in_time", "dimension": "team", "key": "12", "target": "90",
         "actual": "85.00", "verdict": "missed", "count": 17, "of": 20, "p50": "1.25",
         "p90": "3.50"},
        {"term": "first_touch_in_time", "dimension": "person", "key": "7", "target": "90",
         "actual": "95.00", "verdict": "met", "count": 19, "of": 20, "p50": "0.75",
         "p90": "2.00"},
        {"term": "first_touch_in_time", "dimension": "team", "key": "13", "target": "90",
         "actual": "60.00", "verdict": "missed", "count": 3, "of": 5, "p50": "4.00",
         "p90": "9.25"},
        {"term": "mql_volume", "dimension": "source", "key": "wechat", "target": "300",
         "actual": "140", "verdict": "missed", "count": 140, "of": None, "p50": None,
         "p90": None},
        {"term": "mql_volume", "dimension": "campaign", "key": "双十一 webinar",
         "target": "300", "actual": "172", "verdict": "missed", "count": 172, "of": None,
         "p50": None, "p90": None},
    ],
}  # fmt: skip
NAMES = {("team", "12"): "华东 SDR", ("person", "7"): "Zhang Wei 张伟"}


def read_zip(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rows_of(blob: bytes) -> list[list[str]]:
    assert blob.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(blob.decode("utf-8-sig"), newline="")))


def by_first(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row for row in rows[1:]}


def pdf_text(blob: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(blob)).pages)


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    """The fixture's PDF in each language, made once for the module."""
    made = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            made[language] = exports.pdf(DATA, NAMES)
    return made


def test_the_zip_has_one_csv_per_table_with_the_numbers_in_english():
    with translation.override("en"):
        files = read_zip(exports.csv_zip(DATA, NAMES))
    assert sorted(files) == ["breakdown.csv", "leads.csv", "terms.csv"]

    terms = rows_of(files["terms.csv"])
    assert terms[0][:6] == ["Term", "Side", "Unit", "Target", "Actual", "Verdict"]
    assert len(terms) == 1 + len(PERIOD_TERMS)
    named = by_first(terms)
    assert named["MQL volume"][1:11] == [
        "Marketing → sales", "count", "300", "312", "Met", "312", "", "", "", "0"]  # fmt: skip
    assert named["MQLs matching the ICP"][3:11] == ["85", "80.00", "Missed", "16", "20", "",
                                                    "", "4"]  # fmt: skip
    assert named["Delivery time (p90)"][3:11] == ["2", "3.50", "Missed", "40", "", "1.25",
                                                  "3.50", "1"]  # fmt: skip
    assert named["First touch in time"][1] == "Sales → marketing"
    assert named["Status updates kept"][4:6] == ["", "No data"]
    assert named["Status updates kept"][11] == "No clock stopped or breached this month."

    breakdown = rows_of(files["breakdown.csv"])
    assert breakdown[0] == ["Term", "Dimension", "Name", "Key", "Target", "Actual", "Verdict",
                            "Count", "Of", "p50 (hours)", "p90 (hours)"]  # fmt: skip
    assert breakdown[1] == ["First touch in time", "Team", "华东 SDR", "12", "90", "85.00",
                            "Missed", "17", "20", "1.25", "3.50"]  # fmt: skip
    assert breakdown[2][1:4] == ["Person", "Zhang Wei 张伟", "7"]
    assert breakdown[3][2:4] == ["Team 13", "13"]  # no name given: a readable default
    assert breakdown[4][2:4] == ["WeChat", "wechat"]  # a source channel by its name
    assert breakdown[5][2:6] == ["双十一 webinar", "双十一 webinar", "300", "172"]

    leads = rows_of(files["leads.csv"])
    assert leads[0] == ["Term", "Lead", "Clock"]
    assert ["MQLs matching the ICP", "104", ""] in leads
    assert ["First touch in time", "201", ""] in leads
    assert ["First touch in time", "", "5003"] in leads
    assert len(leads) == 1 + 4 + 1 + 3 + 3


def test_the_zip_speaks_chinese_under_zh_hans():
    with translation.override("zh-hans"):
        files = read_zip(exports.csv_zip(DATA, NAMES))
        label = words.term_label("first_touch_in_time")
    terms = rows_of(files["terms.csv"])
    assert terms[0][0] == "条款"
    assert terms[0][3] == "目标"
    named = by_first(terms)
    assert named["首次跟进及时"][1] == "销售 → 市场部"
    assert named["MQL 数量"][3:6] == ["300", "312", "已达成"]
    assert label == "首次跟进及时"
    breakdown = rows_of(files["breakdown.csv"])
    assert breakdown[1][:3] == ["首次跟进及时", "团队", "华东 SDR"]
    assert breakdown[1][5:7] == ["85.00", "未达成"]
    assert breakdown[3][2] == "团队 13"
    assert rows_of(files["leads.csv"])[0] == ["条款", "线索", "计时器"]


def test_one_table_alone_and_an_unknown_table_is_refused():
    files = read_zip(exports.csv_zip(DATA, NAMES))
    for table in exports.TABLES:
        assert exports.csv_table(DATA, table, NAMES) == files[f"{table}.csv"]
    with pytest.raises(ValueError, match="table"):
        exports.csv_table(DATA, "secrets", NAMES)
    assert exports.filename(DATA, "csv", "terms") == "sla-compliance-2026-11-terms.csv"
    assert exports.filename(DATA, "zip") == "sla-compliance-2026-11.zip"


def test_labels_may_be_a_mapping_or_a_callable_and_fall_back_to_a_default():
    def lookup(dimension, key):
        return NAMES.get((dimension, key))

    as_mapping = exports.csv_table(DATA, "breakdown", NAMES)
    assert exports.csv_table(DATA, "breakdown", lookup) == as_mapping
    unnamed = rows_of(exports.csv_table(DATA, "breakdown", None))
    assert [row[2] for row in unnamed[1:3]] == ["Team 12", "Person 7"]
    with pytest.raises(TypeError):
        exports.csv_table(DATA, "breakdown", 42)


def test_a_cell_that_looks_like_a_formula_is_defused_and_control_characters_dropped():
    data = copy.deepcopy(DATA)
    data["rows"] = [dict(DATA["rows"][4], key=key) for key in
                    ("=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\tx", "safe-name",
                     "a\x00b\x07c")]  # fmt: skip
    names = [row[2] for row in rows_of(exports.csv_table(data, "breakdown"))[1:]]
    assert names == ["'=cmd|' /C calc'!A0", "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "safe-name",
                     "abc"]  # fmt: skip
    # a team's name from the caller is guarded the same way
    named = exports.csv_table(DATA, "breakdown", {("team", "12"): "=HYPERLINK(1)"})
    assert rows_of(named)[1][2] == "'=HYPERLINK(1)"


def test_the_pdf_shows_the_numbers_in_english(pdfs):
    text = pdf_text(pdfs["en"])
    assert "SLA compliance report — November 2026" in text
    for words_shown in ("Month: 2026-11", "Time zone: Asia/Shanghai", "Terms version: 3",
                        "Events recorded up to: Dec. 1, 2026, 10 a.m.",  # the zone's time
                        "Marketing → sales", "Sales → marketing", "MQL volume",
                        "First touch in time", "Met", "Missed", "No data", "Breakdowns",
                        "First touch in time — by Team", "华东 SDR", "Zhang Wei 张伟",
                        "Team 13", "WeChat", "双十一 webinar", "Page 1 of"):  # fmt: skip
        assert words_shown in text, words_shown
    for number in ("312", "300", "85% (17 / 20)", "80% (16 / 20)", "3.5 h (p50 1.25 h)",
                   "4 leads behind it", "1 lead behind it", "9.25 h", "172"):  # fmt: skip
        assert number in text, number
    assert "month to date" not in text.lower()


def test_the_pdf_speaks_chinese_under_zh_hans(pdfs):
    text = pdf_text(pdfs["zh-hans"])
    assert "SLA 合规报告 — 2026年11月" in text
    for words_shown in ("首次跟进及时", "MQL 数量", "市场部 → 销售", "已达成", "未达成",
                        "无数据", "团队", "华东 SDR", "时区：Asia/Shanghai", "条款版本：3",
                        "2026年12月1日 10:00", "细分"):  # fmt: skip
        assert words_shown in text, words_shown
    for number in ("312", "85% (17 / 20)", "4 条相关线索"):
        assert number in text, number
    assert "Missed" not in text
    assert "First touch in time" not in text


def embedded_fonts(blob: bytes) -> list[tuple[str, set[str]]]:
    """(base font, keys of its descriptor) for every font the pages use."""
    found = []
    for page in PdfReader(io.BytesIO(blob)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font \
                else font  # fmt: skip
            descriptor = described["/FontDescriptor"].get_object()
            found.append((str(font["/BaseFont"]), set(descriptor.keys())))
    return found


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_pdf_embeds_a_subset_of_its_font(pdfs, language):
    fonts = embedded_fonts(pdfs[language])
    assert fonts
    for base_font, keys in fonts:
        assert keys & {"/FontFile", "/FontFile2", "/FontFile3"}, base_font
        assert "+" in base_font  # a subset: ABCDEF+Name
    # a subset of the 7 MB font: the whole report is small
    assert len(pdfs[language]) < 300_000


NASTY = [
    "a\x00b",
    "=cmd|' /C calc'!A0",
    "双" * 10_000,
    "مرحبا بالعالم",
    "שלום עולם",
    "lone \ud800 surrogate",
    "\u202eevil\u202c",
    "tab\tnew\nline",
    "",
]


def test_nasty_names_do_not_break_either_file():
    data = copy.deepcopy(DATA)
    data["rows"] = [dict(DATA["rows"][4], key=key) for key in NASTY]
    data["rows"] += [dict(DATA["rows"][0], key=str(n)) for n in range(len(NASTY))]
    names = {("team", str(n)): key for n, key in enumerate(NASTY)}
    with translation.override("zh-hans"):
        files = read_zip(exports.csv_zip(data, names))
        blob = exports.pdf(data, names)
    shown = [row[2] for row in rows_of(files["breakdown.csv"])[1:]]
    assert shown[0] == "ab"
    assert shown[1] == "'=cmd|' /C calc'!A0"
    assert shown[2] == "双" * 10_000  # the CSV keeps a long name whole
    assert shown[5] == "lone \ufffd surrogate"
    assert shown[8] == "（无）"  # no campaign
    text = pdf_text(blob)
    assert "ab" in text
    assert "=cmd|' /C calc'!A0" in text
    assert "双" * 20 + "…" in text
    assert "双" * 200 not in text
    assert len(PdfReader(io.BytesIO(blob)).pages) < 5


def test_an_empty_month_renders_and_says_there_is_no_data():
    empty = dict(DATA, terms=[term(key, note="") for key in PERIOD_TERMS], rows=[],
                 month_to_date=True)  # fmt: skip
    with translation.override("en"):
        blob = exports.pdf(empty)
        files = read_zip(exports.csv_zip(empty))
    text = pdf_text(blob)
    assert "No data for this month" in text
    assert "No breakdowns this month." in text
    assert "(month to date)" in text
    assert "these figures are not final" in text
    assert text.count("No data") >= 1 + len(PERIOD_TERMS)
    assert len(rows_of(files["breakdown.csv"])) == 1
    assert len(rows_of(files["leads.csv"])) == 1
    assert {row[5] for row in rows_of(files["terms.csv"])[1:]} == {"No data"}
    bare = read_zip(exports.csv_zip({}))  # not even the keys: still three files
    assert [len(rows_of(blob)) for blob in bare.values()] == [1, 1, 1]


def test_every_period_term_and_contract_value_has_words():
    with translation.override("en"):
        for key in PERIOD_TERMS:
            assert words.term_label(key) != key
        for side in ("marketing", "sales"):
            assert words.side_label(side) != side
        for verdict in ("met", "missed", "no_data"):
            assert words.verdict_label(verdict) != verdict
        for dimension in ("team", "person", "source", "campaign", "source_system"):
            assert words.dimension_label(dimension) != dimension
        assert words.term_label("a_newer_term") == "a_newer_term"
        assert words.note_label("some_code") == "No data"
        assert words.value_words("percent", "85.00") == "85%"
        assert words.value_words("hours", "1.25") == "1.25 h"
        assert words.value_words("count", "4500") == "4,500"
        assert words.value_words("count", None) == "—"
        assert words.month_label("2026-11") == "November 2026"
        assert words.month_label("nonsense") == "nonsense"
    with translation.override("zh-hans"):
        assert words.month_label("2026-11") == "2026年11月"
