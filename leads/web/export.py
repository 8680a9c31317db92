"""The lead list as CSV (``/leads/export.csv``).

The same leads as the page — what the user may see, the page's filters and sort, every
page — one row each, streamed as it is read (``StreamingHttpResponse`` over an
iterator: memory does not grow with the list). For spreadsheets:

* UTF-8 with a byte-order mark, so that Excel reads Chinese names right;
* a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
  leading ``'`` (OWASP's advice against CSV formula injection): a lead named
  ``=HYPERLINK(…)`` stays text. A phone number in E.164 (``+86…``) therefore reads
  ``'+86…``, as in Salesforce's and HubSpot's own exports of such values;
* headers and values in the user's language, times in their time zone as
  ``YYYY-MM-DD HH:MM``.

Each export writes an audit record ``leads.export`` (who, the filters, the row count)
before the first row is sent.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.audit.services import audit_record
from leads.models import Lead
from leads.people.names import person_name

EXPORT = "leads.export"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


def neutralise(value: object) -> str:
    """The cell's text, with a ``'`` before a formula's first character."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _header() -> list[str]:
    return [
        _("ID"),
        _("Name"),
        _("Email"),
        _("Phone"),
        _("Title"),
        _("Company"),
        _("Source"),
        _("Campaign"),
        _("Stage"),
        _("Fit grade"),
        _("Quadrant"),
        _("Total score"),
        _("Owner"),
        _("Received"),
    ]


def _row(lead: Lead, zone) -> list[object]:
    received = timezone.localtime(lead.received_at, zone).strftime("%Y-%m-%d %H:%M")
    return [
        lead.pk,
        lead.name,
        lead.email,
        lead.phone or "",
        lead.title,
        (lead.account.name if lead.account else "") or lead.company_name,
        lead.get_source_channel_display(),
        lead.campaign,
        lead.get_stage_display(),
        lead.score_grade,
        lead.get_score_quadrant_display() if lead.score_quadrant else "",
        "" if lead.score_total is None else f"{lead.score_total:g}",
        person_name(lead.owner) if lead.owner else "",
        received,
    ]


def csv_lines(leads: QuerySet[Lead]) -> Iterator[str]:
    """The BOM and header, then one CSV line per lead, every cell neutralised."""
    writer = csv.writer(_Echo())
    zone = timezone.get_current_timezone()
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in _header()])
    for lead in leads.iterator(chunk_size=CHUNK):
        yield writer.writerow([neutralise(cell) for cell in _row(lead, zone)])


def filters_detail(form) -> dict:
    """The filters and sort the export was asked with, as sent (valid ones only)."""
    data = getattr(form, "cleaned_data", {})
    return {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in data.items()
        if value not in (None, "") and name != "page_size"
    }


def leads_csv_response(*, leads: QuerySet[Lead], by, filters: dict) -> StreamingHttpResponse:
    """Record the export, then stream it."""
    count = leads.count()
    audit_record(
        actor=by,
        action=EXPORT,
        target_type="lead",
        target_label=_("Lead list"),
        detail={"filters": filters, "rows": count},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(csv_lines(leads), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.csv"'
    return response
