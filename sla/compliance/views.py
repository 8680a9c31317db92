"""The directors' SLA dashboard (issue 13 §3) and its drill-downs, under /sla/compliance/.

- ``compliance`` — the two sides facing each other for a month (``?month=YYYY-MM``,
  default the current month to date): each term against its target, coloured, with
  its 12-month trend; marketing's quality per source; returns and disputes; gaming
  signals.
- ``compliance_term`` — one term of a month: its rows by team, person, source,
  campaign, source system (p50/p90 where it has them), and the breaches and leads
  behind a missed number, restricted to what the viewer may see.
- ``compliance_generate`` (POST) — a director or an admin freezes a closed month
  (``reports.freeze``); anyone else 403, nothing written.
- ``compliance_pdf`` / ``compliance_zip`` — the month's latest frozen report as PDF and
  as the ZIP of its CSV tables, as the viewer may see it; 404 without a report.

Who sees which figures is ``sla.compliance.scope``; a role without a dashboard gets 404.
A malformed or future month answers 400 with a message naming the field.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from leads.people import roles
from sla import period_terms as P
from sla.compliance import dashboard as D
from sla.compliance import figures, reports, scope
from sla.compliance import words as W
from sla.compliance.rendering import labels


def _viewer_scope(user) -> scope.Scope:
    if not roles.has_role(user, *D.PAGE_ROLES):
        raise Http404
    found = scope.scope_for(user)
    if not found.sees_anything:
        raise Http404
    return found


def _bad_month(request, error: D.BadMonth, zone: str):
    return render(
        request,
        "sla/compliance/bad_month.html",
        {"error": error, "current": D.month_label(D.current_month(zone=zone))},
        status=400,
    )


def _months_nav(month, zone: str) -> dict:
    current = D.current_month(zone=zone)
    previous = D.shift(month, -1)
    following = D.shift(month, 1)
    return {
        "previous": f"{previous:%Y-%m}",
        "previous_label": D.month_label(previous),
        "next": f"{following:%Y-%m}" if following <= current else "",
        "next_label": D.month_label(following) if following <= current else "",
        "is_current": month == current,
        "current": f"{current:%Y-%m}",
    }


def _sides(shown: D.MonthFigures, months: dict, *, charts: bool, term_url) -> list[dict]:
    sides = []
    for side in ("marketing", "sales"):
        terms = []
        for line in (shown.data or {}).get("terms", []):
            if line["side"] != side:
                continue
            view = D.term_view(line, shown)
            view.url = term_url(line["term"])
            if charts:
                view.chart = D.trend_chart(line["term"], months)
            terms.append(view)
        sides.append({"side": side, "label": W.side_label(side), "terms": terms})
    return sides


@require_safe
@login_required
def compliance(request):
    viewer_scope = _viewer_scope(request.user)
    zone = figures.zone()
    try:
        month = D.month_from(request.GET.get("month"), zone=zone)
    except D.BadMonth as error:
        return _bad_month(request, error, zone)
    shown, months = D.month_figures(month, viewer_scope, zone=zone)
    key = f"{month:%Y-%m}"
    label = labels(shown.data or {})

    def term_url(term: str) -> str:
        return reverse("sla:compliance_term", args=[key, term])

    context = {
        "month": month,
        "month_key": key,
        "month_label": D.month_label(month),
        "shown": shown,
        "nav": _months_nav(month, zone),
        "sides": _sides(shown, months, charts=True, term_url=term_url),
        "per_source": D.per_source(shown, label),
        "returns": D.returns_summary(month, request.user, viewer_scope, zone=zone),
        "gaming": D.gaming_section(month, request.user, zone=zone),
        "can_generate": roles.has_role(request.user, *D.GENERATE_ROLES) and shown.state == "closed",
        "changes": D.version_changes(shown.report) if viewer_scope.everything else None,
        "scope": viewer_scope,
        "elapsed_percent": _elapsed_percent(shown),
        # a director's home opens here: the usual home stays a link away
        "overview_url": f"{reverse('home')}?overview=1"
        if roles.has_role(request.user, roles.DIRECTOR)
        else "",
    }
    return render(request, "sla/compliance/dashboard.html", context)


def _elapsed_percent(shown: D.MonthFigures) -> str:
    share = D._number((shown.data or {}).get("elapsed_share"))
    return "" if share is None else D.format_value(P.PERCENT, share * 100)


def _path_month(request, month: str, zone: str):
    try:
        return D.month_from(month, field_name=_("month in the address"), zone=zone), None
    except D.BadMonth as error:
        return None, _bad_month(request, error, zone)


@require_safe
@login_required
def compliance_term(request, month: str, term: str):
    viewer_scope = _viewer_scope(request.user)
    if term not in P.PERIOD_TERMS:
        raise Http404
    zone = figures.zone()
    found, problem = _path_month(request, month, zone)
    if problem:
        return problem
    shown, months = D.month_figures(found, viewer_scope, zone=zone)
    line = shown.line(term)
    if line is None:
        raise Http404
    raw_line = next((t for t in (shown.raw or {}).get("terms", []) if t["term"] == term), None)
    leads, clocks = D.leads_behind(raw_line, request.user)
    label = labels(shown.data or {})
    view = D.term_view(line, shown)
    key = f"{found:%Y-%m}"
    context = {
        "month": found,
        "month_key": key,
        "month_label": D.month_label(found),
        "shown": shown,
        "term": view,
        "side_label": W.side_label(line["side"]),
        "chart": D.trend_chart(term, months, width=760),
        "breakdowns": D.breakdowns(term, shown, label),
        "leads": leads,
        "clocks": clocks,
        "durations": term in D.DURATION_TERMS,
        "nav": _months_nav(found, zone),
    }
    return render(request, "sla/compliance/term.html", context)


@require_POST
@login_required
def compliance_generate(request, month: str):
    _viewer_scope(request.user)
    if not roles.has_role(request.user, *D.GENERATE_ROLES):
        raise PermissionDenied
    found, problem = _path_month(request, month, figures.zone())
    if problem:
        return problem
    try:
        report = reports.freeze(found, by=request.user)
    except figures.MonthRefused:
        messages.error(
            request,
            _("%(month)s is still open: it is shown month to date and frozen once it ends.")
            % {"month": D.month_label(found)},
        )
    else:
        messages.success(
            request,
            _("%(month)s frozen as version %(version)s.")
            % {"month": D.month_label(found), "version": report.version},
        )
    return redirect(f"{reverse('sla:compliance')}?month={found:%Y-%m}")


def _report_or_404(request, month: str):
    viewer_scope = _viewer_scope(request.user)
    found = P.parse_month(month)
    if found is None:
        raise Http404
    report = reports.latest(found)
    if report is None:
        raise Http404
    return found, report, viewer_scope


def _download(request, month: str, which: str) -> HttpResponse:
    """The latest report of the month as the viewer may see it (``scope.restrict``), in
    the reader's language — what ``rendering.attachments`` makes, one of the two."""
    from sla.compliance import exports

    found, report, viewer_scope = _report_or_404(request, month)
    data = scope.restrict(report.data, viewer_scope)
    label = labels(data)
    name = f"sla-compliance-{found:%Y-%m}-v{report.version}"
    if which == "pdf":
        response = HttpResponse(exports.pdf(data, label), content_type="application/pdf")
    else:
        response = HttpResponse(exports.csv_zip(data, label), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.{which}"'
    return response


@require_safe
@login_required
def compliance_pdf(request, month: str):
    return _download(request, month, "pdf")


@require_safe
@login_required
def compliance_zip(request, month: str):
    return _download(request, month, "zip")
