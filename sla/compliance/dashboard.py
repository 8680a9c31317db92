"""The directors' SLA dashboard (issue 13 §3): what its pages show, assembled from the
scorecard dict (``sla.compliance.figures``) — presentation only, nothing here writes.

- :func:`month_from` — the ``month`` asked for (``?month=YYYY-MM`` or the path), or
  :class:`BadMonth` with the field and why (a page answers 400 naming it).
- :func:`month_figures` — the figures of many months in a fixed number of queries:
  closed months from their frozen snapshot (the latest version,
  ``reports.reports_by_month``), never recomputed from the events; the open month, and
  a closed month shown on its own that has no report yet, from ``figures.scorecard``
  (month to date). A closed month of the trend without a report is a gap.
- :func:`status` — met / at risk / missed / no data of a figure: a closed month's term
  is met or missed; an open month's below its target is at risk (a count against its
  target × the share of the month elapsed), never missed before the month ends.
- :func:`trend_chart` — the last 12 months of a term as a line chart of the shared
  chart component (``leads.charts``), the target as a dashed line, each point coloured
  by its status.
- :func:`returns_summary` — the month's returns by reason and source, and their disputes
  (open, upheld, overturned), for the viewer's scope (one query).
- :func:`gaming_section` — the month's gaming signals in the viewer's scope
  (``sla.compliance.gaming``), each with the leads behind it the viewer may see.

Who sees what is ``sla.compliance.scope``'s business: every dict shown here went through
``scope.restrict`` first.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.models import Lead, LeadReturn
from leads.people import roles
from leads.selectors import leads_visible_to
from sla import period_terms as P
from sla import scorecard as S
from sla.compliance import figures, reports, scope
from sla.compliance import words as W

# Who has a dashboard at all (each sees what ``scope.restrict`` leaves them); anyone
# else gets a 404. Integrations read the reports through the API.
PAGE_ROLES = (
    roles.DIRECTOR, roles.ADMIN, roles.MARKETING, roles.SALES_MANAGER, roles.SDR, roles.AE,
)  # fmt: skip
# Who may freeze a month from the page (everyone else: 403).
GENERATE_ROLES = (roles.DIRECTOR, roles.ADMIN)
TREND_MONTHS = 12
# The terms whose rows have response times (p50/p90) to show.
DURATION_TERMS = ("first_touch_in_time", "delivery_hours")
# How many leads a gaming signal lists on the dashboard (the count says the rest).
SIGNAL_LEADS_SHOWN = 20
MET, AT_RISK, MISSED, NO_DATA = S.MET, S.AT_RISK, S.MISSED, S.NO_DATA
NEUTRAL = "neutral"


class BadMonth(ValueError):
    """A month that cannot be shown: ``field`` names where it came from, ``code`` why
    (``malformed`` or ``future``)."""

    def __init__(self, field_name: str, code: str, value: str) -> None:
        super().__init__(code)
        self.field = field_name
        self.code = code
        self.value = value

    @property
    def message(self) -> str:
        if self.code == "future":
            why = _("%(value)s is in the future: a month has figures once it has begun.")
        else:
            why = _("%(value)s is not a month: write it as YYYY-MM, e.g. 2026-11.")
        return _("%(field)s: %(why)s") % {
            "field": self.field,
            "why": why % {"value": self.value[:40]},
        }


current_month = figures.month_of_now
shift = S.add_months
month_label = W.month_label


def month_from(
    text: str | None, *, field_name: str = "month", now=None, zone: str | None = None
) -> dt.date:
    """The month ``text`` names (empty: the current month); :class:`BadMonth` when it is
    malformed or in the future."""
    current = current_month(now, zone=zone)
    if text is None or text == "":
        return current
    month = P.parse_month(text)
    if month is None:
        raise BadMonth(field_name, "malformed", str(text))
    if S.month_state(month, current) == "future":
        raise BadMonth(field_name, "future", str(text))
    return month


def short_month_label(month: dt.date) -> str:
    return date_format(month, "Y-m")


# ------------------------------------------------------------------ the figures


@dataclass
class MonthFigures:
    """A month as the viewer may see it: ``data`` (restricted) and ``raw`` (the whole
    scorecard, for the leads behind a number, filtered by what the viewer may see),
    where they came from (``report``, or computed now) and the month's state."""

    month: dt.date
    state: str  # open | closed
    data: dict[str, Any] | None
    raw: dict[str, Any] | None
    report: Any = None  # the frozen ComplianceReport read, if any

    @property
    def frozen(self) -> bool:
        return self.report is not None

    def line(self, term: str) -> dict[str, Any] | None:
        for line in (self.data or {}).get("terms", []):
            if line["term"] == term:
                return line
        return None


def month_figures(
    month: dt.date,
    viewer_scope: scope.Scope,
    *,
    now=None,
    zone: str | None = None,
    trend: int = TREND_MONTHS,
) -> tuple[MonthFigures, dict[dt.date, MonthFigures]]:
    """The shown month and the ``trend`` months ending with it (fixed queries)."""
    now = now or timezone.now()
    current = current_month(now, zone=zone)
    months = [shift(month, -back) for back in range(trend - 1, -1, -1)]
    found = reports.reports_by_month(months)
    by_month: dict[dt.date, MonthFigures] = {}
    for each in months:
        state = S.month_state(each, current)
        report = found.get(each)
        raw = None
        if report is not None:
            raw = report.data
        elif state == "open" or each == month:
            raw = figures.scorecard(each, now=now)
        data = scope.restrict(raw, viewer_scope) if raw is not None else None
        by_month[each] = MonthFigures(each, state, data, raw, report)
    return by_month[month], by_month


# ------------------------------------------------------------------ colours


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def status(figure: dict[str, Any], *, open_month: bool, elapsed_share: Any = None) -> str:
    """Met / at risk / missed / no data of a term's line or a row (see the module)."""
    actual, target = _number(figure.get("actual")), _number(figure.get("target"))
    if figure.get("verdict") == "" and actual is not None:
        return NEUTRAL  # a count made for a scope (several teams, one person): no target
    if actual is None or target is None:
        return NO_DATA
    kind = P.PERIOD_TERMS[figure["term"]].kind if figure.get("term") in P.PERIOD_TERMS else ""
    if kind == P.HOURS:
        met = actual <= target
    elif kind == P.COUNT and open_month:
        share = _number(elapsed_share)
        met = actual >= target * (share if share is not None else Decimal(1))
    else:
        met = actual >= target
    if met:
        return MET
    return AT_RISK if open_month else MISSED


STATUS_CLASSES = {MET: "ok", AT_RISK: "warn", MISSED: "bad", NO_DATA: "none", NEUTRAL: "none"}


def status_label(code: str) -> str:
    return {
        MET: _("Met"),
        AT_RISK: _("At risk"),
        MISSED: _("Missed"),
        NO_DATA: _("No data"),
        NEUTRAL: _("No target for this view"),
    }[code]


def note_label(code: str) -> str:
    notes = {
        "no_mqls": _("No MQLs this month."),
        "no_deliveries": _("No lead with a delivery time was received this month."),
        "no_clocks": _("No clock of this term stopped or breached this month."),
        "no_give_ups": _("No lead was given up on this month."),
        "no_returns": _("No return and no dispute settled this month."),
        "no_data": _("No figure of yours this month."),
        "combined": _("A percentile of several teams is not the sum of theirs: see each team."),
    }
    return notes.get(code, _("No data this month.") if code else "")


# ------------------------------------------------------------------ values in words


def format_value(kind: str, value: Any) -> str:
    """A figure as people read it: ``312``, ``85.5 %``, ``3.5 h``; an em dash without."""
    from leads.numbers import format_number

    number = _number(value)
    if number is None:
        return "—"
    if kind == P.COUNT:
        return format_number(int(number))
    shown = format_number(number.quantize(Decimal("0.1")) if number % 1 else int(number))
    if kind == P.PERCENT:
        return _("%(value)s %%") % {"value": shown}
    return _("%(value)s h") % {"value": shown}


def _count_of(figure: dict[str, Any]) -> str:
    if not figure.get("of"):
        return ""
    return _("%(count)s of %(of)s") % {"count": figure.get("count") or 0, "of": figure["of"]}


@dataclass
class TermView:
    term: str
    side: str
    kind: str
    label: str
    target: str
    actual: str
    count_of: str
    status: str
    status_label: str
    status_class: str
    note: str
    p50: str = ""
    p90: str = ""
    missed_leads: int = 0
    chart: Any = None
    url: str = ""


def term_view(line: dict[str, Any], figures_of_month: MonthFigures) -> TermView:
    open_month = figures_of_month.state == "open"
    elapsed = (figures_of_month.data or {}).get("elapsed_share")
    code = status(line, open_month=open_month, elapsed_share=elapsed)
    kind = line["kind"]
    return TermView(
        term=line["term"],
        side=line["side"],
        kind=kind,
        label=W.term_label(line["term"]),
        target=format_value(kind, line.get("target")),
        actual=format_value(kind, line.get("actual")),
        count_of=_count_of(line),
        status=code,
        status_label=status_label(code),
        status_class=STATUS_CLASSES[code],
        note=note_label(line.get("note") or "") if code == NO_DATA else "",
        p50=format_value(P.HOURS, line.get("p50")) if line.get("p50") is not None else "",
        p90=format_value(P.HOURS, line.get("p90")) if line.get("p90") is not None else "",
        missed_leads=len(line.get("leads") or []),
    )


# ------------------------------------------------------------------ the trend chart


def trend_chart(term: str, months: dict[dt.date, MonthFigures], *, width: int = 420):
    """The last months of ``term`` as a line chart: closed months from their report,
    the open month to date; a month without figures is a gap."""
    from leads.charts import l10n, svg

    kind = P.PERIOD_TERMS[term].kind
    categories, values, statuses, titles = [], [], [], []
    target = None
    for month, shown in sorted(months.items()):
        categories.append(short_month_label(month))
        line = shown.line(term)
        actual = _number(line.get("actual")) if line else None
        values.append(float(actual) if actual is not None else None)
        if line is None:
            statuses.append(None)
            titles.append(
                _("%(month)s: not frozen yet") % {"month": month_label(month)}
                if shown.state == "closed"
                else None
            )
            continue
        if _number(line.get("target")) is not None:
            target = float(_number(line["target"]))
        code = status(
            line,
            open_month=shown.state == "open",
            elapsed_share=(shown.data or {}).get("elapsed_share"),
        )
        statuses.append(code if code in (MET, AT_RISK, MISSED) else None)
        text = _("%(month)s: %(actual)s (target %(target)s) — %(status)s") % {
            "month": month_label(month),
            "actual": format_value(kind, line.get("actual")),
            "target": format_value(kind, line.get("target")),
            "status": status_label(code),
        }
        if shown.state == "open":
            text += " · " + _("month to date")
        titles.append(text)
    formatter = l10n.percent() if kind == P.PERCENT else l10n.number()
    series = svg.Series(
        key=term, name=W.term_label(term), values=values, titles=titles, statuses=statuses
    )
    return svg.line_chart(
        categories,
        [series],
        key=f"trend-{term}",
        title=_("%(term)s, the last 12 months") % {"term": W.term_label(term)},
        format_value=formatter,
        value_range=(0, 100) if kind == P.PERCENT else None,
        integer=kind == P.COUNT,
        target=target,
        target_label=_("Target"),
        width=width,
        height=200 if width <= 420 else 240,
        **l10n.words(),
    )


# ------------------------------------------------------------------ rows (drill-down)


@dataclass
class RowView:
    dimension: str
    key: str
    label: str
    target_value: Decimal | None
    target: str
    actual: str
    count_of: str
    status: str
    status_label: str
    status_class: str
    p50: str = ""
    p90: str = ""


def breakdown_title(dimension: str) -> str:
    return {
        "team": _("By team"),
        "person": _("By person"),
        "source": _("By source"),
        "campaign": _("By campaign"),
        "source_system": _("By source system"),
    }.get(dimension, dimension)


@dataclass
class Breakdown:
    dimension: str
    label: str
    title: str
    rows: list[RowView] = field(default_factory=list)
    durations: bool = False
    chart: Any = None


# The breakdowns drawn as bars beside their table (the others are long lists of keys).
CHARTED = ("team", "person", "source", "source_system")
MAX_BARS = 30


def breakdown_chart(term: str, breakdown: Breakdown, values: list[Decimal | None]):
    """The rows of a breakdown as horizontal bars coloured by status, the term's target
    as a line (the shared chart component)."""
    from leads.charts import l10n, svg

    kind = P.PERIOD_TERMS[term].kind
    rows = breakdown.rows[:MAX_BARS]
    target = None
    for row in rows:
        if row.target_value is not None:
            target = float(row.target_value)
            break
    series = svg.Series(
        key=term,
        name=W.term_label(term),
        values=[float(v) if v is not None else None for v in values[:MAX_BARS]],
        statuses=[row.status if row.status in (MET, AT_RISK, MISSED) else None for row in rows],
    )
    return svg.bar_chart(
        [row.label for row in rows],
        [series],
        key=f"rows-{term}-{breakdown.dimension}",
        title=breakdown.title,
        horizontal=True,
        format_value=l10n.percent() if kind == P.PERCENT else l10n.number(),
        value_range=(0, 100) if kind == P.PERCENT else None,
        integer=kind == P.COUNT,
        target=target,
        target_label=_("Target"),
        width=640,
        **l10n.words(),
    )


DIMENSIONS = ("team", "person", "source", "campaign", "source_system")


def breakdowns(term: str, shown: MonthFigures, label, *, charts: bool = True) -> list[Breakdown]:
    """The term's rows by team, person, source, campaign, source system (those it has)."""
    data = shown.data or {}
    open_month = shown.state == "open"
    kind = P.PERIOD_TERMS[term].kind
    groups: dict[str, list[RowView]] = defaultdict(list)
    actuals: dict[tuple[str, str], Decimal | None] = {}
    for row in data.get("rows", []):
        if row["term"] != term:
            continue
        code = status(row, open_month=open_month, elapsed_share=data.get("elapsed_share"))
        actuals[(row["dimension"], str(row["key"]))] = _number(row.get("actual"))
        groups[row["dimension"]].append(
            RowView(
                dimension=row["dimension"],
                key=str(row["key"]),
                label=label(row["dimension"], row["key"]),
                target_value=_number(row.get("target")),
                target=format_value(kind, row.get("target")),
                actual=format_value(kind, row.get("actual")),
                count_of=_count_of(row),
                status=code,
                status_label=status_label(code),
                status_class=STATUS_CLASSES[code],
                p50=format_value(P.HOURS, row.get("p50")) if row.get("p50") is not None else "",
                p90=format_value(P.HOURS, row.get("p90")) if row.get("p90") is not None else "",
            )
        )
    found = []
    for dimension in DIMENSIONS:
        if dimension in groups:
            rows = sorted(groups[dimension], key=lambda r: r.label.casefold())
            breakdown = Breakdown(
                dimension,
                W.dimension_label(dimension),
                breakdown_title(dimension),
                rows,
                durations=term in DURATION_TERMS,
            )
            if charts and dimension in CHARTED:
                values = [actuals.get((dimension, row.key)) for row in rows]
                breakdown.chart = breakdown_chart(term, breakdown, values)
            found.append(breakdown)
    return found


def per_source(shown: MonthFigures, label) -> list[dict[str, Any]]:
    """Marketing's delivery and quality per source channel: ICP share, completeness,
    campaign tagged, delivery p90 and returns fixed in time, one row per source."""
    terms = ("mql_volume", "icp_share", "completeness", "campaign_tagged", "delivery_hours")
    data = shown.data or {}
    table: dict[str, dict[str, Any]] = {}
    for row in data.get("rows", []):
        if row["dimension"] != "source" or row["term"] not in terms:
            continue
        entry = table.setdefault(
            row["key"], {"key": row["key"], "label": label("source", row["key"])}
        )
        kind = P.PERIOD_TERMS[row["term"]].kind
        code = status(
            row, open_month=shown.state == "open", elapsed_share=data.get("elapsed_share")
        )
        entry[row["term"]] = {
            "actual": format_value(kind, row.get("actual")),
            "status_class": STATUS_CLASSES[code],
            "status_label": status_label(code),
        }
    for entry in table.values():
        entry["cells"] = [entry.get(term) for term in terms]
    return sorted(table.values(), key=lambda e: e["label"].casefold())


# ------------------------------------------------------------------ returns and disputes


def returns_summary(
    month: dt.date, viewer, viewer_scope: scope.Scope, *, zone: str | None = None
) -> dict[str, Any]:
    """The month's returns by reason and by source, and their disputes (one query)."""
    start, end = S.month_bounds(month, zone or figures.zone())
    returns = LeadReturn.objects.filter(at__gte=start, at__lt=end)
    if not (viewer_scope.everything or viewer_scope.marketing):
        if viewer_scope.person is not None:
            returns = returns.filter(returned_by_id=int(viewer_scope.person))
        elif viewer_scope.teams:
            returns = returns.filter(
                Q(returned_by_id__in=[int(p) for p in viewer_scope.people])
                | Q(lead__team_id__in=[int(t) for t in viewer_scope.teams])
            )
        else:
            returns = returns.none()
    rows = (
        returns.order_by()
        .values_list("reason", "dispute", "lead__source_channel")
        .annotate(n=Count("id"))
    )
    by_reason: Counter = Counter()
    by_source: Counter = Counter()
    disputes: Counter = Counter()
    total = 0
    for reason, dispute, channel, n in rows:
        total += n
        by_reason[reason] += n
        by_source[channel or ""] += n
        if dispute:
            disputes[dispute] += n
    reasons = dict(LeadReturn.Reason.choices)
    from leads.models import SourceChannel

    channels = dict(SourceChannel.choices)
    return {
        "total": total,
        "by_reason": [
            {"key": key, "label": str(reasons.get(key, key)), "count": by_reason[key]}
            for key in sorted(by_reason, key=lambda k: (-by_reason[k], k))
        ],
        "by_source": [
            {"key": key, "label": str(channels.get(key, key or _("(no channel)"))), "count": n}
            for key, n in sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "disputes": [
            {"key": key, "label": label, "count": disputes.get(key, 0)}
            for key, label in (
                (LeadReturn.Dispute.OPEN, _("Open")),
                (LeadReturn.Dispute.UPHELD, _("Upheld (the return stands)")),
                (LeadReturn.Dispute.OVERTURNED, _("Overturned (the lead goes back to sales)")),
            )
        ],
    }


# ------------------------------------------------------------------ gaming signals


def gaming_section(month: dt.date, viewer, *, zone: str | None = None) -> list[dict[str, Any]]:
    """Each gaming signal of the month in the viewer's scope, with the leads behind it
    the viewer may see (the signals' own queries and one for the leads)."""
    from sla.compliance import gaming, gaming_words

    signals = gaming.month_gaming_signals(
        month, gaming.scope_for(viewer), tz=zone or figures.zone()
    )
    ids = {lead for ids in signals.lead_ids.values() for lead in ids[:SIGNAL_LEADS_SHOWN]}
    visible = {
        lead.pk: lead
        for lead in leads_visible_to(viewer=viewer)
        .filter(pk__in=ids)
        .only("pk", "name", "email", "company_name")
    } if ids else {}  # fmt: skip
    section = []
    for code in gaming.SIGNALS:
        lead_ids = signals.lead_ids[code]
        section.append(
            {
                "code": code,
                "label": gaming_words.signal_name(code),
                "help": gaming_words.signal_description(code, min_attempts=signals.min_attempts),
                "count": signals.counts[code],
                "leads": [visible[pk] for pk in lead_ids[:SIGNAL_LEADS_SHOWN] if pk in visible],
                "more": max(0, len(lead_ids) - SIGNAL_LEADS_SHOWN),
            }
        )
    return section


# ------------------------------------------------------------------ the leads behind


def leads_behind(line: dict[str, Any] | None, viewer) -> tuple[list[Lead], list[Any]]:
    """The leads and breached clocks behind a term's number that the viewer may see
    (two queries at most)."""
    from sla.clocks.selectors import clocks_visible_to

    if not line:
        return [], []
    lead_ids = [int(pk) for pk in line.get("leads") or []]
    clock_ids = [int(pk) for pk in line.get("clocks") or []]
    leads = (
        list(
            leads_visible_to(viewer=viewer)
            .filter(pk__in=lead_ids)
            .select_related("owner", "team")
            .order_by("pk")
        )
        if lead_ids
        else []
    )
    clocks = (
        list(
            clocks_visible_to(viewer=viewer)
            .filter(pk__in=clock_ids)
            .select_related("lead", "owner", "team")
            .order_by("due_at", "pk")
        )
        if clock_ids
        else []
    )
    return leads, clocks


CHANGED_FIELDS = {
    "target": gettext_lazy("Target"),
    "actual": gettext_lazy("Actual"),
    "verdict": gettext_lazy("Verdict"),
    "count": gettext_lazy("Count"),
    "of": gettext_lazy("Of"),
    "p50": "p50",
    "p90": "p90",
    "terms_version": gettext_lazy("SLA terms version"),
}


def version_changes(report) -> dict[str, Any] | None:
    """What a regenerated report changed since the version before it (its ``changes``):
    each term's figures in words, and how many breakdown rows moved; None for a first
    version."""
    if report is None or report.version < 2:
        return None
    lines, rows = [], 0
    for change in report.changes:
        if change["dimension"]:
            rows += 1
            continue
        before, after = change["before"], change["after"]
        if change["field"] == "verdict":
            before, after = W.verdict_label(before or ""), W.verdict_label(after or "")
        lines.append(
            {
                "term": W.term_label(change["term"]) if change["term"] else "",
                "field": str(CHANGED_FIELDS.get(change["field"], change["field"])),
                "before": "—" if before is None else before,
                "after": "—" if after is None else after,
            }
        )
    return {"previous": report.version - 1, "lines": lines, "rows": rows}
