"""Spreadsheet import: read a CSV or XLSX file, map its columns, feed intake.

The file is read here; the leads are validated and saved by
``leads.intake.services.leads_ingest`` only (the same code as the REST API), so the
browser, the Celery task and ``manage.py import_leads`` all import alike.

Reading
    ``table_open(data=…, filename=…)`` recognises XLSX by its zip signature
    (openpyxl, read-only) and reads anything else as delimited text. Text is
    decoded as UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030
    (a superset of GBK: Chinese Excel's "CSV" export); a decoding that does
    not look like text is refused rather than guessed. The header is the first
    of the top rows in which the cells are recognisable column names (title
    rows above it are skipped); a first row that looks like data (an email, a
    phone number, a date) means the file has no header, which is an error.
    Rows are numbered as the spreadsheet numbers them: the first line is row 1.

Mapping
    ``mapping_suggest(headers=…)`` proposes an intake field per column from
    English and Chinese header names; a person confirms or changes it.

Converting
    ``row_convert`` turns cells into an intake row: blanks are left out (intake
    never erases a stored value), whole-number floats from Excel become text
    (phones, ids), spreadsheet dates become ``datetime``s — still naive: intake
    reads naive times in the ``naive_tz`` the import passes, ``TIME_ZONE`` —
    and Chinese or English labels of source channels and seniorities become
    their codes. Everything else is intake's to judge.

Running
    ``import_rows`` feeds intake chunk by chunk; ``import_job_run`` does it for
    a ``Job`` and records progress after every chunk, so a re-delivered task
    resumes where the last one stopped (intake is idempotent, so a chunk that
    ran but was not yet recorded is merely counted as updates the second time).
    Rejected rows come back as a CSV (``report_write``): the spreadsheet row
    number, the reason (``field: message``) and the row as it was uploaded.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from leads import jobs
from leads.intake.services import INTAKE_FIELDS, IngestResult, leads_ingest
from leads.models import ConsentChange, Job, Seniority, SourceChannel

jobs.register(Job.Kind.IMPORT, task="leads.tasks.import_leads")

logger = logging.getLogger(__name__)

DEFAULT_SOURCE_SYSTEM = "import"
IMPORT_MAX_BYTES = 50 * 1024 * 1024
PREVIEW_ROWS = 10
# How many top rows may hold a title above the header.
HEADER_SEARCH_ROWS = 10

IDENTITY_FIELDS = ("email", "phone", "external_id")
DATETIME_FIELDS = ("created_at_source", "consent_at")

# What a person sees for each intake field (column mapping, preview).
FIELD_LABELS = {
    "external_id": gettext_lazy("External id"),
    "source_system": gettext_lazy("Source system"),
    "name": gettext_lazy("Name"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"),
    "title": gettext_lazy("Job title"),
    "seniority": gettext_lazy("Seniority"),
    "wechat_id": gettext_lazy("WeChat id"),
    "language": gettext_lazy("Language"),
    "company": gettext_lazy("Company"),
    "domain": gettext_lazy("Company domain"),
    "employees": gettext_lazy("Employees"),
    "annual_revenue": gettext_lazy("Annual revenue (USD)"),
    "industry": gettext_lazy("Industry"),
    "region": gettext_lazy("Region"),
    "country": gettext_lazy("Country (ISO code)"),
    "source_channel": gettext_lazy("Source channel"),
    "campaign": gettext_lazy("Campaign"),
    "created_at_source": gettext_lazy("Created at source"),
    "do_not_contact": gettext_lazy("Do not contact"),
    "consent_source": gettext_lazy("Consent source"),
    "consent_at": gettext_lazy("Consent given at"),
}
assert set(FIELD_LABELS) == set(INTAKE_FIELDS)  # noqa: S101 (import-time consistency check)


class ImportFileError(ValueError):
    """The file cannot be imported; the message (already translated) says why."""


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
_DELIMITERS = (",", "\t", ";", "|")


@dataclass(frozen=True)
class SheetRow:
    number: int  # the spreadsheet's row number (the file's first row is 1)
    values: tuple[Any, ...]


@dataclass
class Table:
    """A readable file: its format, header and the count of its data rows."""

    kind: str  # "csv" or "xlsx"
    encoding: str  # "" for xlsx
    delimiter: str  # "" for xlsx
    header_row: int
    headers: list[str]
    total: int
    data: bytes = field(repr=False)

    def rows(self, *, start: int = 0) -> Iterator[SheetRow]:
        """The data rows below the header, blank ones skipped, from the ``start``-th on."""
        width = len(self.headers)
        seen = 0
        for number, values in _records(self.data, self.kind, self.encoding, self.delimiter):
            if number <= self.header_row or _blank(values):
                continue
            if seen >= start:
                padded = tuple(values[:width]) + (None,) * (width - len(values))
                yield SheetRow(number=number, values=padded)
            seen += 1

    @property
    def encoding_label(self) -> str:
        return {
            "utf-8": "UTF-8",
            "utf-8-sig": _("UTF-8 with BOM"),
            "utf-16": "UTF-16",
            "gb18030": "GBK / GB18030",
        }.get(self.encoding, self.encoding or "XLSX")


def table_open(*, data: bytes, filename: str = "") -> Table:
    """Read ``data`` far enough to know its format, header and size; see the module doc."""
    if not data or not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(_OLE_MAGIC):
        raise ImportFileError(
            _("This is an old Excel .xls file; save it as .xlsx or CSV and upload it again.")
        )
    if data.startswith(_XLSX_MAGIC):
        kind, encoding, delimiter = "xlsx", "", ""
        _xlsx_check(data)
    else:
        if Path(filename).suffix.lower() in (".xlsx", ".xlsm"):
            raise ImportFileError(_("This file is not a valid XLSX workbook."))
        kind = "csv"
        text, encoding = _decode(data)
        delimiter = _sniff_delimiter(text)

    top: list[tuple[int, tuple[Any, ...]]] = []
    total = 0
    header_row = None
    for number, values in _records(data, kind, encoding, delimiter):
        if header_row is None:
            if not _blank(values):
                top.append((number, values))
            if len(top) >= HEADER_SEARCH_ROWS:
                header_row = _find_header(top)
            continue
        if number > header_row and not _blank(values):
            total += 1
    if header_row is None:
        if not top:
            raise ImportFileError(_("The file is empty."))
        header_row = _find_header(top)
        total = sum(1 for number, values in top if number > header_row)
    else:
        total += sum(1 for number, values in top if number > header_row)

    header_values = next(values for number, values in top if number == header_row)
    headers = _header_names(header_values)
    if total == 0:
        raise ImportFileError(_("The file has a header row but no data rows below it."))
    return Table(
        kind=kind,
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_row,
        headers=headers,
        total=total,
        data=data,
    )


def _xlsx_check(data: bytes) -> None:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ImportFileError(_("This file is not a valid XLSX workbook.")) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The workbook has no sheet."))
    finally:
        workbook.close()


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif b"\x00" in data:
        encodings = ()  # binary, or UTF-16/32 without a BOM: we do not guess
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "gb18030" or _plausible_chinese(text):
            return text, encoding
    raise ImportFileError(
        _(
            "The file's text encoding is not one we can read (we tried UTF-8 and GBK/GB18030). "
            "Save it as “CSV UTF-8” or as XLSX and upload it again."
        )
    )


def _plausible_chinese(text: str) -> bool:
    """A GB18030 decoding is believed only if it yields ordinary GBK text.

    GB18030 maps almost any byte string to *some* characters; text in another
    legacy encoding comes out as control or private-use characters or as
    characters outside GBK (GB18030's four-byte extension), save rare CJK ones.
    """
    for char in set(text):
        code = ord(char)
        if code < 0x80:
            if code < 0x20 and char not in "\t\r\n":
                return False
            continue
        if 0xE000 <= code <= 0xF8FF or 0x80 <= code < 0xA0:
            return False
        if 0x20000 <= code <= 0x3FFFF:  # CJK extension ideographs (rare names)
            continue
        try:
            char.encode("gbk")
        except UnicodeEncodeError:
            return False
    return True


def _sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(data: bytes, kind: str, encoding: str, delimiter: str) -> Iterator[tuple[int, tuple]]:
    """Every row of the file with its spreadsheet number, blank ones included."""
    if kind == "xlsx":
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # stored dimensions may be stale: read every row
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, tuple(_cell(v) for v in values)
        finally:
            workbook.close()
        return
    text = data.decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for values in reader:
            number += 1
            yield number, tuple(_cell(v) for v in values)
    except csv.Error as exc:
        raise ImportFileError(
            _("Row %(row)d cannot be read as CSV: %(error)s") % {"row": number + 1, "error": exc}
        ) from None


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _blank(values: Sequence[Any]) -> bool:
    return all(v is None for v in values)


_EMAILISH = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUMBERISH = re.compile(r"^[+(]?[\d\s().\-/:,]+$")


def _looks_like_data(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, int | float | Decimal | dt.date | dt.time):
        return True  # bool is an int: a TRUE cell is data too
    text = str(value)
    return bool(
        _EMAILISH.match(text) or (_NUMBERISH.match(text) and any(c.isdigit() for c in text))
    )


def _find_header(top: list[tuple[int, tuple[Any, ...]]]) -> int:
    """The spreadsheet row number of the header among the top non-blank rows."""
    for number, values in top:
        filled = [v for v in values if v is not None]
        if any(_looks_like_data(v) for v in filled):
            continue
        if any(_suggest_one(str(v)) for v in filled):
            return number
    # No row of known column names: the first row is the header if it could be one.
    number, values = top[0]
    filled = [v for v in values if v is not None]
    data_cells = [str(v) for v in filled if _looks_like_data(v)]
    if data_cells:
        raise ImportFileError(
            _(
                "The file has no header row: row %(row)d holds data (“%(value)s”). "
                "Add a first row with a name for each column, e.g. Email, Phone, Company."
            )
            % {"row": number, "value": data_cells[0][:60]}
        )
    if len({str(v) for v in filled}) < len(filled):
        raise ImportFileError(
            _(
                "The file has no recognisable header row: row %(row)d repeats a column name. "
                "Give each column a distinct name in the first row."
            )
            % {"row": number}
        )
    return number


def _header_names(values: Sequence[Any]) -> list[str]:
    names = [str(v) if v is not None else "" for v in values]
    while names and not names[-1]:
        names.pop()
    return [
        name or _("(column %(letter)s)") % {"letter": get_column_letter(i + 1)}
        for i, name in enumerate(names)
    ]


# ---------------------------------------------------------------------------
# Mapping
# ---------------------------------------------------------------------------

# Header names, English and Chinese, per intake field (compared after _key()).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "external id",
        "externalid",
        "id",
        "lead id",
        "record id",
        "contact id",
        "外部id",
        "线索id",
        "编号",
        "线索编号",
        "客户编号",
    ),
    "source_system": ("source system", "system", "来源系统", "系统"),
    "name": (
        "name",
        "full name",
        "contact",
        "contact name",
        "lead name",
        "姓名",
        "名字",
        "联系人",
        "联系人姓名",
        "客户姓名",
    ),
    "email": (
        "email",
        "e-mail",
        "email address",
        "mail",
        "work email",
        "邮箱",
        "电子邮箱",
        "电子邮件",
        "邮件",
        "邮箱地址",
        "工作邮箱",
    ),
    "phone": (
        "phone",
        "phone number",
        "mobile",
        "mobile phone",
        "cell",
        "telephone",
        "tel",
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "电话号码",
        "联系电话",
        "联系方式",
    ),
    "title": ("title", "job title", "position", "role", "职位", "职务", "头衔", "岗位"),
    "seniority": ("seniority", "level", "job level", "职级", "级别", "层级"),
    "wechat_id": ("wechat", "wechat id", "weixin", "微信", "微信号", "微信id"),
    "language": ("language", "preferred language", "语言"),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "account",
        "account name",
        "公司",
        "公司名称",
        "企业",
        "企业名称",
        "单位",
        "单位名称",
    ),
    "domain": (
        "domain",
        "website",
        "company website",
        "company domain",
        "网站",
        "域名",
        "公司网站",
    ),
    "employees": (
        "employees",
        "employee count",
        "number of employees",
        "company size",
        "headcount",
        "员工数",
        "员工人数",
        "公司规模",
        "人数",
    ),
    "annual_revenue": ("annual revenue", "revenue", "年收入", "营收", "年营收", "营业额"),
    "industry": ("industry", "sector", "行业", "所属行业"),
    "region": ("region", "state", "province", "city", "地区", "区域", "省份", "城市"),
    "country": ("country", "country code", "国家", "国家代码"),
    "source_channel": (
        "source",
        "channel",
        "source channel",
        "lead source",
        "来源",
        "渠道",
        "来源渠道",
        "线索来源",
    ),
    "campaign": ("campaign", "campaign name", "活动", "活动名称", "营销活动", "市场活动"),
    "created_at_source": (
        "created",
        "created at",
        "created at source",
        "created date",
        "created time",
        "create time",
        "date",
        "submitted",
        "submitted at",
        "创建时间",
        "创建日期",
        "提交时间",
        "日期",
        "时间",
    ),
    "do_not_contact": (
        "do not contact",
        "dnc",
        "unsubscribed",
        "opt out",
        "请勿联系",
        "勿扰",
        "退订",
    ),
    "consent_source": ("consent source", "consent", "同意来源", "授权来源"),
    "consent_at": ("consent at", "consent date", "consent time", "同意时间", "授权时间"),
}
_PUNCTUATION = re.compile(r"[\s_\-./:*()\[\]#]+")


def _key(header: str) -> str:
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", header).casefold())


_BY_KEY = {_key(name): target for target, names in _SYNONYMS.items() for name in names}
_BY_KEY.update({_key(target): target for target in INTAKE_FIELDS})


def _suggest_one(header: str) -> str:
    return _BY_KEY.get(_key(header), "")


def mapping_suggest(*, headers: Sequence[str]) -> list[str]:
    """An intake field (or "" to ignore) per column; each field goes to its first column."""
    taken: set[str] = set()
    mapping = []
    for header in headers:
        target = _suggest_one(header)
        if target in taken:
            target = ""
        taken.add(target)
        mapping.append(target)
    return mapping


def mapping_problems(*, mapping: Sequence[str], has_default_source: bool) -> list[str]:
    """What stops a mapping from importing anything (translated messages)."""
    problems = []
    chosen = [target for target in mapping if target]
    doubled = sorted({t for t in chosen if chosen.count(t) > 1})
    for target in doubled:
        problems.append(
            _("More than one column is mapped to “%(field)s”; keep one.")
            % {"field": FIELD_LABELS[target]}
        )
    if not set(chosen) & set(IDENTITY_FIELDS):
        problems.append(_("Map at least one column to email, phone or external id."))
    if "source_channel" not in chosen and not has_default_source:
        problems.append(
            _("Map a column to “Source channel”, or choose a source channel for every row.")
        )
    return problems


# ---------------------------------------------------------------------------
# Converting
# ---------------------------------------------------------------------------


def _label_aliases(choices, extra: dict[str, str]) -> dict[str, str]:
    from django.utils import translation

    aliases = {}
    for code in ("en", "zh-hans"):
        with translation.override(code):
            for value, label in choices:
                aliases[_key(str(label))] = value
                aliases[_key(value)] = value
    aliases.update({_key(k): v for k, v in extra.items()})
    return aliases


_CHANNEL_WORDS = {
    "web": "website",
    "官网": "website",
    "网站": "website",
    "网页": "website",
    "内容": "content",
    "白皮书": "content",
    "webinar": "event",
    "活动": "event",
    "展会": "event",
    "会议": "event",
    "线下活动": "event",
    "微信": "wechat",
    "公众号": "wechat",
    "企业微信": "wechat",
    "转介绍": "referral",
    "推荐": "referral",
    "外呼": "outbound",
    "电话外呼": "outbound",
    "广告": "paid",
    "付费广告": "paid",
    "合作伙伴": "partner",
    "渠道伙伴": "partner",
    "其他": "other",
}
_SENIORITY_WORDS = {
    "c-level": "executive",
    "ceo": "executive",
    "cxo": "executive",
    "高管": "executive",
    "vp": "vp",
    "副总裁": "vp",
    "总监": "director",
    "经理": "manager",
    "员工": "individual",
    "未知": "unknown",
}
_ALIASES: dict[str, dict[str, str]] = {}


def _aliases(target: str) -> dict[str, str]:
    if target not in _ALIASES:
        if target == "source_channel":
            _ALIASES[target] = _label_aliases(SourceChannel.choices, _CHANNEL_WORDS)
        else:
            _ALIASES[target] = _label_aliases(Seniority.choices, _SENIORITY_WORDS)
    return _ALIASES[target]


# Spreadsheet ways of writing a date and time; ISO-8601 is tried first.
_DATE_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日",
)


def _datetime(value: Any) -> Any:
    """A spreadsheet date as a ``datetime`` (naive stays naive); unreadable text is kept."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())  # noqa: DTZ001 (naive: intake's naive_tz)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern)  # noqa: DTZ007 (naive: intake's naive_tz)
        except ValueError:
            continue
    return str(value)


def _text_of(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def row_convert(
    *, values: Sequence[Any], mapping: Sequence[str], defaults: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One spreadsheet row as an intake row (see the module doc)."""
    row: dict[str, Any] = {}
    for value, target in zip(values, mapping, strict=False):
        if not target or value is None or value == "":
            continue
        if target in DATETIME_FIELDS:
            row[target] = _datetime(value)
        elif target in ("source_channel", "seniority"):
            text = str(value)
            row[target] = _aliases(target).get(_key(text), text)
        elif target in ("employees", "annual_revenue", "do_not_contact"):
            row[target] = value  # intake reads numbers and booleans as such
        else:
            row[target] = _text_of(value)
    for target, value in (defaults or {}).items():
        if value not in (None, "") and target not in row:
            row[target] = value
    return row


def reason_text(errors: dict[str, list[str]]) -> str:
    """``field: message; field: message`` — one line, for the report and the preview."""
    return "; ".join(
        f"{name}: {message}" for name, messages in errors.items() for message in messages
    )


# ---------------------------------------------------------------------------
# Importing
# ---------------------------------------------------------------------------


@dataclass
class RejectedRow:
    row: int
    errors: dict[str, list[str]]


@dataclass
class ImportOutcome:
    created: int = 0
    updated: int = 0
    rejected: int = 0
    done: int = 0
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    # saved rows whose consent was kept as stored (the person opted out): row, warnings
    kept_rows: list[RejectedRow] = field(default_factory=list)


# The import's result lists at most this many rows whose values intake kept as stored.
KEPT_ROWS_SHOWN = 100


def naive_tz() -> ZoneInfo:
    """The zone that times without one are read in: settings.TIME_ZONE."""
    return ZoneInfo(settings.TIME_ZONE)


def import_rows(
    *,
    table: Table,
    mapping: Sequence[str],
    defaults: dict[str, Any] | None = None,
    source_system: str = DEFAULT_SOURCE_SYSTEM,
    actor_user=None,
    chunk_size: int,
    start: int = 0,
    on_chunk: Callable[[ImportOutcome, ImportOutcome], None] | None = None,
) -> ImportOutcome:
    """Feed ``table``'s data rows from the ``start``-th on to intake, ``chunk_size`` at a time.

    ``on_chunk(chunk_outcome, total_outcome)`` runs after every chunk (progress), in
    the chunk's transaction: the job records how many rows are done together with
    their leads, so a run resumed after a crash starts at the first row not saved —
    none twice, none skipped (``leads.jobs``, Resuming).
    """
    total = ImportOutcome(done=start)
    batch: list[SheetRow] = []

    def flush() -> None:
        converted = [
            row_convert(values=r.values, mapping=mapping, defaults=defaults) for r in batch
        ]
        with transaction.atomic():
            result: IngestResult = leads_ingest(
                rows=converted,
                source_system=source_system,
                actor_user=actor_user,
                actor_system="" if actor_user is not None else "import",
                naive_tz=naive_tz(),
                via=ConsentChange.Via.IMPORT,
            )
            chunk = ImportOutcome(
                created=result.created,
                updated=result.updated,
                rejected=result.rejected,
                done=len(batch),
                rejected_rows=[
                    RejectedRow(row=batch[e.index].number, errors=e.errors) for e in result.errors
                ],
                kept_rows=[
                    RejectedRow(row=batch[r.index].number, errors=r.warnings)
                    for r in result.results
                    if r.warnings
                ],
            )
            total.created += chunk.created
            total.updated += chunk.updated
            total.rejected += chunk.rejected
            total.done += chunk.done
            total.rejected_rows.extend(chunk.rejected_rows)
            total.kept_rows.extend(chunk.kept_rows)
            batch.clear()
            if on_chunk is not None:
                on_chunk(chunk, total)

    for row in table.rows(start=start):
        batch.append(row)
        if len(batch) >= chunk_size:
            flush()
    if batch:
        flush()
    return total


@dataclass
class PreviewRow:
    number: int
    cells: list[Any]  # converted values, in the order of the mapped columns
    status: str  # "created", "updated" or "rejected"
    errors: dict[str, list[str]]
    warnings: dict[str, list[str]] = field(default_factory=dict)  # kept as stored

    @property
    def reason(self) -> str:
        return reason_text(self.errors)

    @property
    def warning(self) -> str:
        return reason_text(self.warnings)


def import_preview(
    *,
    table: Table,
    mapping: Sequence[str],
    defaults: dict[str, Any] | None = None,
    source_system: str = DEFAULT_SOURCE_SYSTEM,
    actor_user=None,
    limit: int = PREVIEW_ROWS,
) -> list[PreviewRow]:
    """The first ``limit`` rows as intake would take them, saving nothing.

    Runs the real intake inside a transaction that is rolled back, so the
    preview shows exactly what the import will do (new lead, update, or the
    reasons a row is refused) without a second copy of intake's rules.
    """
    rows = []
    for row in table.rows():
        rows.append(row)
        if len(rows) >= limit:
            break
    converted = [row_convert(values=r.values, mapping=mapping, defaults=defaults) for r in rows]
    with transaction.atomic():
        result = leads_ingest(
            rows=converted,
            source_system=source_system,
            actor_user=actor_user,
            actor_system="" if actor_user is not None else "import",
            naive_tz=naive_tz(),
            via=ConsentChange.Via.IMPORT,
        )
        transaction.set_rollback(True)
    status = {r.index: r.status for r in result.results}
    warnings = {r.index: r.warnings for r in result.results if r.warnings}
    errors = {e.index: e.errors for e in result.errors}
    targets = [(i, t) for i, t in enumerate(mapping) if t]
    preview = []
    for index, (row, values) in enumerate(zip(rows, converted, strict=True)):
        cells = [values.get(target) for _i, target in targets]
        preview.append(
            PreviewRow(
                number=row.number,
                cells=cells,
                status="rejected" if index in errors else status.get(index, "created"),
                errors=errors.get(index, {}),
                warnings=warnings.get(index, {}),
            )
        )
    return preview


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(text: str) -> str:
    """Neutralise a cell Excel would run as a formula (CSV injection): prefix a quote.

    A plain number such as ``-5`` or ``+8613800138000`` stays as it is.
    """
    if text.startswith(_FORMULA_START) and not re.fullmatch(r"[+-]?[\d\s().]+", text):
        return "'" + text
    return text


def report_write(*, table: Table, rejected: Sequence[RejectedRow], out: io.TextIOBase) -> int:
    """Write the rejected rows as CSV: row number, reason, then the row as uploaded.

    Returns the number of rows written. The caller opens ``out``; write it with
    a UTF-8 BOM (``utf-8-sig``) so that Excel shows Chinese text correctly.
    """
    reasons = {r.row: reason_text(r.errors) for r in rejected}
    writer = csv.writer(out)
    writer.writerow([_("row"), _("reason"), *table.headers])
    written = 0
    if not reasons:
        return 0
    for row in table.rows():
        if row.number in reasons:
            writer.writerow(
                [
                    row.number,
                    reasons[row.number],
                    *("" if v is None else _csv_safe(_text_of(v)) for v in row.values),
                ]
            )
            written += 1
    return written


def report_bytes(*, table: Table, rejected: Sequence[RejectedRow]) -> bytes:
    buffer = io.StringIO(newline="")
    report_write(table=table, rejected=rejected, out=buffer)
    return buffer.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------
# Import jobs (the browser's and the Celery task's view of an import)
# ---------------------------------------------------------------------------


def import_jobs_visible_to(*, user) -> QuerySet[Job]:
    """Import jobs a user may see: their own; an admin sees every one (``leads.jobs``)."""
    return jobs.visible_to(viewer=user).filter(kind=Job.Kind.IMPORT)


def import_job_create(*, upload, user) -> Job:
    """A draft job for an uploaded file; raises ImportFileError naming the problem."""
    if upload.size > IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(mb)d MB; split it and upload the parts.")
            % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    data = upload.read()
    table = table_open(data=data, filename=upload.name)
    name = Path(upload.name).name[:150] or "upload"
    job = Job(
        kind=Job.Kind.IMPORT,
        state=Job.State.DRAFT,
        total=table.total,
        created_by=user,
        params={
            "filename": name,
            "kind": table.kind,
            "encoding": table.encoding,
            "header_row": table.header_row,
            "headers": table.headers,
            "mapping": mapping_suggest(headers=table.headers),
            "defaults": {},
            "source_system": DEFAULT_SOURCE_SYSTEM,
            "time_zone": settings.TIME_ZONE,
        },
    )
    job.upload.save(name, ContentFile(data), save=False)
    job.save()
    return job


def job_table(*, job: Job) -> Table:
    with job.upload.open("rb") as handle:
        data = handle.read()
    return table_open(data=data, filename=job.params.get("filename", ""))


def import_job_set_mapping(*, job: Job, mapping: Sequence[str], defaults: dict[str, Any]) -> Job:
    job.params = {**job.params, "mapping": list(mapping), "defaults": defaults}
    job.save(update_fields=["params", "updated_at"])
    return job


def import_job_start(*, job: Job) -> bool:
    """Run a mapped draft job: inline when small, else queued. True when it ran inline."""
    chunk_size = settings.IMPORT_INLINE_MAX_ROWS
    updated = Job.objects.filter(pk=job.pk, state=Job.State.DRAFT).update(
        state=Job.State.PENDING,
        params={**job.params, "chunk_size": chunk_size},
        updated_at=timezone.now(),
    )
    if not updated:
        return False  # started already (a double submit)
    job.refresh_from_db()
    if job.total <= chunk_size:
        import_job_run(job_id=job.pk)
        return True
    jobs.enqueue(job)
    return False


def import_job_run(*, job_id: int) -> Job | None:
    """Run (or resume) an import job to the end; quietly nothing if it is gone or finished."""
    with jobs.claimed(job_id, kind=Job.Kind.IMPORT) as job:
        if job is None:
            return None
        return _import_job_run(job)


def _import_job_run(job: Job) -> Job:
    params = job.params
    try:
        table = job_table(job=job)
        result = dict(job.result or {})
        errors = list(job.errors or [])

        def record(chunk: ImportOutcome, total: ImportOutcome) -> None:
            for key in ("created", "updated", "rejected"):
                result[key] = result.get(key, 0) + getattr(chunk, key)
            if chunk.kept_rows:
                result["kept"] = result.get("kept", 0) + len(chunk.kept_rows)
                shown = result.setdefault("kept_rows", [])
                room = KEPT_ROWS_SHOWN - len(shown)
                shown.extend({"row": r.row, "warnings": r.errors} for r in chunk.kept_rows[:room])
            errors.extend({"row": r.row, "errors": r.errors} for r in chunk.rejected_rows)
            jobs.progress(job, done=total.done, result=result, errors=errors)

        import_rows(
            table=table,
            mapping=params["mapping"],
            defaults=params.get("defaults") or {},
            source_system=params.get("source_system") or DEFAULT_SOURCE_SYSTEM,
            actor_user=job.created_by,
            chunk_size=int(params.get("chunk_size") or settings.IMPORT_INLINE_MAX_ROWS),
            start=job.done,
            on_chunk=record,
        )
        job.refresh_from_db()
        rejected = [RejectedRow(row=e["row"], errors=e["errors"]) for e in job.errors]
        if rejected:
            job.report.save(
                f"import-{job.pk}-rejected.csv",
                ContentFile(report_bytes(table=table, rejected=rejected)),
                save=False,
            )
        for key in ("created", "updated", "rejected"):
            job.result.setdefault(key, 0)
        job.done = job.total
        return jobs.finish(job)
    except Exception as exc:
        # An import's errors are its rejected rows: the message goes to the result only.
        return jobs.fail(job, exc, in_errors=False)
