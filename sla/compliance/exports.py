"""The compliance scorecard as files (issue 13 §2): CSV (a ZIP of one file per table,
or one table alone) and PDF, in the language active when called.

Input: the scorecard dict (``sla.compliance.figures.scorecard``, stored as
``ComplianceReport.data``; /work/tr/CONTRACT.md). It holds ids, never names: the
caller passes ``labels``, a callable ``(dimension, key) -> str | None`` or a mapping
``{(dimension, key): str}``, and looks team and person names up when the file is made
(a person erased still has an id). No label → a readable default ("Team 12", a source
channel's name, the campaign as stored).

- ``csv_zip(data, labels)``: ``terms.csv``, ``breakdown.csv``, ``leads.csv`` — UTF-8
  with a BOM (Excel then opens Chinese correctly), headers and words translated,
  numbers as stored (decimal strings). A text cell starting with ``= + - @`` (or a tab
  or carriage return) gets a leading ``'`` so a spreadsheet does not run it as a
  formula; control characters (NUL…) are dropped, lone surrogates replaced.
- ``csv_table(data, table, labels)``: one of ``TABLES`` alone; another name raises
  ``ValueError`` (the caller answers 400 naming ``table``).
- ``pdf(data, labels)``: one document, A4 landscape — the title, month, time zone,
  terms version, watermark and the month-to-date marker, the two sides facing (term,
  target, actual, verdict), then the breakdowns. It embeds a subset of Noto Sans CJK
  SC (OFL; ``fonts/``, built by ``scripts/build_cjk_font.py``), subset again by fpdf2 to
  the characters used, so it shows Chinese on any reader.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from itertools import zip_longest
from pathlib import Path
from typing import Any

from django.utils import formats
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace

from leads.models import SourceChannel
from sla.compliance import words

TABLES = ("terms", "breakdown", "leads")
Labels = Callable[[str, str], Any] | Mapping[tuple[str, str], Any] | None

FONT_FILE = Path(__file__).resolve().parent / "fonts" / "NotoSansCJKsc-Regular-subset.ttf"
FONT = "NotoSansSC"
BOM = "\ufeff"
EXCEL_MAX_CELL = 32_767  # characters in one spreadsheet cell
PDF_MAX_LABEL = 160  # characters of a name shown in the PDF
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- shared ------------------------------------------------------------------------


def _clean(value: Any) -> str:
    """Text any file can hold: no control characters, no lone surrogates."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", str(value)))


def _namer(labels: Labels) -> Callable[[str, str], str]:
    """``labels`` as one function ``(dimension, key) -> name``, with a default."""
    if labels is None:

        def lookup(dimension: str, key: str) -> Any:
            return None
    elif isinstance(labels, Mapping):

        def lookup(dimension: str, key: str) -> Any:
            return labels.get((dimension, key))
    elif callable(labels):
        lookup = labels
    else:
        raise TypeError("labels: a callable (dimension, key) -> str, or a mapping")

    def name(dimension: str, key: Any) -> str:
        key = "" if key is None else str(key)
        found = lookup(dimension, key)
        if found is not None and str(found) != "":
            return str(found)
        return default_label(dimension, key)

    return name


def default_label(dimension: str, key: str) -> str:
    """A breakdown's key when the caller has no name for it."""
    if dimension == "source":
        try:
            return str(SourceChannel(key).label)
        except ValueError:
            pass
    if dimension == "team" and key:
        return _("Team %(id)s") % {"id": key}
    if dimension == "person" and key:
        return _("Person %(id)s") % {"id": key}
    return key if key != "" else _("(none)")


def _terms(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [t for t in data.get("terms") or [] if isinstance(t, Mapping)]


def _rows(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in data.get("rows") or [] if isinstance(r, Mapping)]


def _kinds(data: Mapping[str, Any]) -> dict[str, str]:
    return {str(t.get("term")): str(t.get("kind") or "") for t in _terms(data)}


def filename(data: Mapping[str, Any], extension: str, table: str | None = None) -> str:
    """``sla-compliance-2026-11.zip``, ``sla-compliance-2026-11-terms.csv``."""
    month = re.sub(r"[^0-9-]", "", str(data.get("month") or ""))[:7] or "month"
    middle = f"-{table}" if table else ""
    return f"sla-compliance-{month}{middle}.{extension}"


# --- CSV -----------------------------------------------------------------------------


def _text_cell(value: Any) -> str:
    if value is None:
        return ""
    text = _clean(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text[:EXCEL_MAX_CELL]


def _number_cell(value: Any) -> str:
    """A number as stored (``"85.00"``); anything that is not one, as guarded text."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _text_cell(value)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return _text_cell(value)
    return str(value) if number.is_finite() else _text_cell(value)


def _terms_table(data: Mapping[str, Any], name: Callable[[str, str], str]) -> list[list[str]]:
    rows = [[
        _("Term"), _("Side"), _("Unit"), _("Target"), _("Actual"), _("Verdict"),
        _("Count"), _("Of"), _("p50 (hours)"), _("p90 (hours)"), _("Leads behind it"),
        _("Note"),
    ]]  # fmt: skip
    for term in _terms(data):
        verdict = str(term.get("verdict") or "")
        note = term.get("note") or ""
        rows.append([
            _text_cell(words.term_label(str(term.get("term")))),
            _text_cell(words.side_label(str(term.get("side")))),
            _text_cell(words.unit_label(str(term.get("kind")))),
            _number_cell(term.get("target")),
            _number_cell(term.get("actual")),
            _text_cell(words.verdict_label(verdict)),
            _number_cell(term.get("count")),
            _number_cell(term.get("of")),
            _number_cell(term.get("p50")),
            _number_cell(term.get("p90")),
            str(len(term.get("leads") or [])),
            _text_cell(words.note_label(note) if note else ""),
        ])  # fmt: skip
    return rows


def _breakdown_table(data: Mapping[str, Any], name: Callable[[str, str], str]) -> list[list[str]]:
    rows = [[
        _("Term"), _("Dimension"), _("Name"), _("Key"), _("Target"), _("Actual"),
        _("Verdict"), _("Count"), _("Of"), _("p50 (hours)"), _("p90 (hours)"),
    ]]  # fmt: skip
    for row in _rows(data):
        dimension = str(row.get("dimension") or "")
        key = row.get("key")
        rows.append([
            _text_cell(words.term_label(str(row.get("term")))),
            _text_cell(words.dimension_label(dimension)),
            _text_cell(name(dimension, key)),
            _text_cell(key),
            _number_cell(row.get("target")),
            _number_cell(row.get("actual")),
            _text_cell(words.verdict_label(str(row.get("verdict") or ""))),
            _number_cell(row.get("count")),
            _number_cell(row.get("of")),
            _number_cell(row.get("p50")),
            _number_cell(row.get("p90")),
        ])  # fmt: skip
    return rows


def _leads_table(data: Mapping[str, Any], name: Callable[[str, str], str]) -> list[list[str]]:
    """One row per lead behind a term's number, then one per breached clock: the
    snapshot does not pair them."""
    rows = [[_("Term"), _("Lead"), _("Clock")]]
    for term in _terms(data):
        label = _text_cell(words.term_label(str(term.get("term"))))
        rows.extend([label, _number_cell(lead), ""] for lead in term.get("leads") or [])
        rows.extend([label, "", _number_cell(clock)] for clock in term.get("clocks") or [])
    return rows


_TABLE_BUILDERS = {"terms": _terms_table, "breakdown": _breakdown_table, "leads": _leads_table}


def _csv_bytes(rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    csv.writer(out).writerows(rows)  # Excel's dialect: quoted as needed, CRLF
    return out.getvalue().encode("utf-8")


def csv_table(data: Mapping[str, Any], table: str, labels: Labels = None) -> bytes:
    """One table (``terms``, ``breakdown`` or ``leads``) as a CSV file's bytes."""
    if table not in _TABLE_BUILDERS:
        raise ValueError(f"table: one of {', '.join(TABLES)}")
    return _csv_bytes(_TABLE_BUILDERS[table](data, _namer(labels)))


def csv_zip(data: Mapping[str, Any], labels: Labels = None) -> bytes:
    """A ZIP of ``terms.csv``, ``breakdown.csv`` and ``leads.csv``."""
    name = _namer(labels)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in TABLES:
            archive.writestr(f"{table}.csv", _csv_bytes(_TABLE_BUILDERS[table](data, name)))
    return out.getvalue()


# --- PDF -----------------------------------------------------------------------------

MET, MISSED, GREY = (0, 110, 50), (190, 20, 20), (110, 110, 110)
HEADING_FILL = (232, 236, 242)
_VERDICT_COLOURS = {"met": MET, "missed": MISSED}


def _pdf_text(value: Any, limit: int = PDF_MAX_LABEL) -> str:
    text = " ".join(_clean(value).split())  # newlines and tabs as spaces
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _zone(data: Mapping[str, Any]) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(str(data.get("zone") or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _moment(value: Any, zone: dt.tzinfo) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return _pdf_text(value or "—")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return formats.date_format(moment.astimezone(zone), "DATETIME_FORMAT")


def _actual_words(term: Mapping[str, Any]) -> str:
    """The actual with what it is made of: ``85% (17 / 20)``, ``3.5 h (p50 1.25 h)``."""
    kind = str(term.get("kind") or "")
    text = words.value_words(kind, term.get("actual"))
    if term.get("actual") is None:
        return text
    count, of = term.get("count"), term.get("of")
    if kind == "percent" and of not in (None, ""):
        shown = (words.value_words("count", count), words.value_words("count", of))
        text += " ({} / {})".format(*shown)
    if kind == "hours" and term.get("p50") not in (None, ""):
        p50 = _("p50 %(value)s") % {"value": words.value_words("hours", term["p50"])}
        text += f" ({p50})"
    return text


def _verdict_words(term: Mapping[str, Any]) -> str:
    verdict = str(term.get("verdict") or "")
    text = words.verdict_label(verdict)
    leads = len(term.get("leads") or [])
    if verdict == "missed" and leads:
        text += "\n" + ngettext("%(count)s lead behind it", "%(count)s leads behind it", leads) % {
            "count": leads
        }
    if verdict == "no_data" and term.get("note"):
        text += "\n" + words.note_label(str(term["note"]))
    return text


class _Report(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, size=7)
        self.set_text_color(*GREY)
        self.cell(0, 4, self.footer_text, align="L")
        self.set_x(self.l_margin)
        page = _("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(0, 4, page, align="R")


def _verdict_style(verdict: str) -> FontFace:
    return FontFace(color=_VERDICT_COLOURS.get(verdict, GREY))


def _facing_table(report: _Report, terms: list[Mapping[str, Any]]) -> None:
    sides = {"marketing": [], "sales": []}
    for term in terms:
        sides.setdefault(str(term.get("side")), []).append(term)
    columns = [side for side in ("marketing", "sales") if sides[side]] or ["marketing", "sales"]
    extra = [side for side in sides if side not in ("marketing", "sales") and sides[side]]
    columns += extra
    widths = [34, 18, 26, 22] * len(columns)
    with report.table(
        col_widths=widths, num_heading_rows=2, line_height=5, text_align="LEFT",
        headings_style=FontFace(emphasis="", fill_color=HEADING_FILL),
        padding=(1, 1.5), repeat_headings=1,
    ) as table:  # fmt: skip
        row = table.row()
        for side in columns:
            row.cell(words.side_label(side), colspan=4, align="CENTER")
        row = table.row()
        for _side in columns:
            for heading in (_("Term"), _("Target"), _("Actual"), _("Verdict")):
                row.cell(heading)
        for group in zip_longest(*(sides[side] for side in columns)):
            row = table.row()
            for term in group:
                if term is None:
                    for _i in range(4):
                        row.cell("")
                    continue
                kind = str(term.get("kind") or "")
                verdict = str(term.get("verdict") or "")
                row.cell(_pdf_text(words.term_label(str(term.get("term")))))
                row.cell(words.value_words(kind, term.get("target")))
                row.cell(_actual_words(term))
                row.cell(_verdict_words(term), style=_verdict_style(verdict))


BREAKDOWN_WIDTHS = (0.34, 0.09, 0.09, 0.1, 0.08, 0.08, 0.11, 0.11)  # of the page's width


def _fit(report: _Report, text: str, width: float) -> str:
    """``text`` cut (with "…") to fit ``width`` at the current font size."""
    if report.get_string_width(text) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if report.get_string_width(text[:middle] + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…"


def _grid_row(report: _Report, cells: list[tuple[str, tuple[int, int, int] | None]], *,
              heading: bool = False, fill: bool = False) -> None:  # fmt: skip
    """One line of a breakdown: single-line cells (fpdf2's tables wrap each cell, ten
    times slower for a few hundred rows), each cut to its column."""
    height = 5.2
    page = report.epw
    if heading:
        report.set_fill_color(*HEADING_FILL)
    elif fill:
        report.set_fill_color(248, 248, 250)
    for (text, colour), share in zip(cells, BREAKDOWN_WIDTHS, strict=True):
        width = page * share
        report.set_text_color(*(colour or (0, 0, 0)))
        report.cell(width, height, _fit(report, text, width - 2), border="B",
                    fill=heading or fill, new_x="RIGHT", new_y="TOP")  # fmt: skip
    report.set_text_color(0)
    report.ln(height)


def _breakdown_tables(report: _Report, data: Mapping[str, Any], name) -> None:
    kinds = _kinds(data)
    order = [str(t.get("term")) for t in _terms(data)]
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in _rows(data):
        groups.setdefault((str(row.get("term")), str(row.get("dimension") or "")), []).append(row)
    ranked = sorted(groups, key=lambda g: (order.index(g[0]) if g[0] in order else len(order), g))
    report.c_margin = 1
    report.set_draw_color(200, 204, 212)
    report.set_line_width(0.15)
    for term, dimension in ranked:
        if report.will_page_break(22):
            report.add_page()
        report.set_font(FONT, size=10)
        title = _("%(term)s — by %(dimension)s") % {
            "term": _pdf_text(words.term_label(term)),
            "dimension": words.dimension_label(dimension),
        }
        report.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        report.set_font(FONT, size=8)
        kind = kinds.get(term, "")
        heading = [(text, None) for text in (
            words.dimension_label(dimension), _("Target"), _("Actual"), _("Verdict"),
            _("Count"), _("Of"), _("p50"), _("p90"),
        )]  # fmt: skip
        _grid_row(report, heading, heading=True)
        for number, item in enumerate(groups[(term, dimension)]):
            if report.will_page_break(5.2):
                report.add_page()
                _grid_row(report, heading, heading=True)
            verdict = str(item.get("verdict") or "")
            _grid_row(report, [
                (_pdf_text(name(dimension, item.get("key"))), None),
                (words.value_words(kind, item.get("target")), None),
                (words.value_words(kind, item.get("actual")), None),
                (words.verdict_label(verdict), _VERDICT_COLOURS.get(verdict, GREY)),
                (words.value_words("count", item.get("count")), None),
                (words.value_words("count", item.get("of")), None),
                (words.value_words("hours", item.get("p50")), None),
                (words.value_words("hours", item.get("p90")), None),
            ], fill=number % 2 == 1)  # fmt: skip
        report.ln(4)


def pdf(data: Mapping[str, Any], labels: Labels = None) -> bytes:
    """The month's report as one PDF document's bytes."""
    name = _namer(labels)
    zone = _zone(data)
    month = str(data.get("month") or "")
    title = _("SLA compliance report — %(month)s") % {"month": words.month_label(month)}
    if data.get("month_to_date"):
        title += " " + _("(month to date)")
    terms = _terms(data)

    report = _Report(orientation="landscape", unit="mm", format="A4")
    report.set_margins(12, 12, 12)
    report.set_auto_page_break(True, margin=14)
    report.add_font(FONT, fname=str(FONT_FILE))
    report.set_title(title)
    report.set_lang(get_language() or "en")
    report.set_creator("smarketing")
    report.footer_text = _pdf_text(title, 200)
    report.add_page()

    report.set_font(FONT, size=16)
    report.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    report.set_font(FONT, size=9)
    facts = [
        _("Month: %(month)s") % {"month": _pdf_text(month, 20)},
        _("Time zone: %(zone)s") % {"zone": _pdf_text(data.get("zone") or "UTC", 64)},
        _("Terms version: %(number)s") % {"number": _pdf_text(data.get("terms_version"), 20)},
        _("Events recorded up to: %(when)s") % {"when": _moment(data.get("watermark"), zone)},
    ]
    report.multi_cell(0, 5, "   ·   ".join(facts), new_x="LMARGIN", new_y="NEXT")
    if data.get("month_to_date"):
        report.set_text_color(*MISSED)
        report.multi_cell(
            0, 6, _("Month to date: the month is still open; these figures are not final."),
            border=1, new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip
        report.set_text_color(0)
    if not terms or all(str(t.get("verdict")) == "no_data" for t in terms):
        report.set_text_color(*GREY)
        report.multi_cell(
            0, 6, _("No data for this month: no term has figures yet."),
            new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip
        report.set_text_color(0)
    report.ln(3)

    report.set_font(FONT, size=8)
    _facing_table(report, terms)
    report.ln(5)

    report.set_font(FONT, size=12)
    report.multi_cell(0, 7, _("Breakdowns"), new_x="LMARGIN", new_y="NEXT")
    if _rows(data):
        _breakdown_tables(report, data, name)
    else:
        report.set_font(FONT, size=9)
        report.set_text_color(*GREY)
        report.multi_cell(0, 6, _("No breakdowns this month."), new_x="LMARGIN", new_y="NEXT")
        report.set_text_color(0)
    return bytes(report.output())
