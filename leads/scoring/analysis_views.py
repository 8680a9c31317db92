"""Pages for testing a scoring model before publishing it: the evaluation against
history (side by side, per month, with a chart) and the closed-loop calibration.

Thin: parse the request, call ``leads.scoring.analysis``, shape for the template.
Everyone logged in may read both pages; reading never starts work. Starting an
evaluation (the evaluation page's form posts) and creating a draft from the
calibration are for marketing managers and admins (others get 403). The charts are
``leads.charts.svg``' server-rendered SVG (no JavaScript library, no external file); the
version under test is palette slot 1, the one compared with slot 2.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from leads.charts import l10n, svg
from leads.models import ActivityType, Job, ScoringModelVersion
from leads.people import roles
from leads.scoring.analysis import (
    AnalysisInputError,
    calibration_draft_create,
    calibration_report,
    evaluation_get_or_start,
    evaluation_latest,
)
from leads.scoring.evaluation import CALIBRATION_MONTHS_DEFAULT, MONTHS_DEFAULT, MONTHS_MAX

# Who changes scoring models (the same roles as the scoring API's MODEL_EDITORS).
MODEL_EDITOR_ROLES = (roles.MARKETING, roles.ADMIN)
MONTH_CHOICES = [(n, n) for n in range(1, MONTHS_MAX + 1)]
VERSIONS_OFFERED = 50
# The charts sit two to a row: about as wide in pixels as in units, so their text is
# drawn at its size.
CHART_WIDTH = 520


def _may_change_models(user) -> bool:
    return roles.has_role(user, *MODEL_EDITOR_ROLES)


def _url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# ------------------------------------------------------------------ evaluation


class EvaluationForm(forms.Form):
    months = forms.TypedChoiceField(
        label=gettext_lazy("Months of history"),
        choices=MONTH_CHOICES,
        coerce=int,
        initial=MONTHS_DEFAULT,
        required=False,
        empty_value=MONTHS_DEFAULT,
    )
    against = forms.ModelChoiceField(
        label=gettext_lazy("Compare with"),
        queryset=ScoringModelVersion.objects.none(),
        required=False,
        empty_label=gettext_lazy("the published version"),
    )

    def __init__(self, *args, version: ScoringModelVersion, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["against"]
        field.queryset = ScoringModelVersion.objects.exclude(pk=version.pk).order_by("-number")
        field.label_from_instance = lambda v: f"v{v.number} {v.name} ({v.get_status_display()})"


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _series_names(result: dict[str, Any], keys: list[str]) -> dict[str, str]:
    return {key: f"v{result[key]['number']}" for key in keys}


def _mql_chart(result: dict[str, Any], keys: list[str]) -> svg.Chart:
    months = result["per_month"]
    names = _series_names(result, keys)
    count = l10n.number()
    series = []
    for slot, key in enumerate(keys, start=1):
        values = [m["models"][key]["mqls"] for m in months]
        titles = [
            f"{m['month']} — {names[key]}: "
            + ngettext("%(counter)s MQL", "%(counter)s MQLs", v) % {"counter": count(v)}
            for m, v in zip(months, values, strict=True)
        ]
        name = f"{names[key]} {result[key]['name']}"
        series.append(svg.Series(key, name, values, titles=titles, slot=slot))
    return svg.bar_chart(
        [m["month"] for m in months],
        series,
        key="mqls",
        title=_("MQLs per month"),
        y_title=_("MQLs"),
        x_title=_("Month"),
        integer=True,
        format_value=count,
        width=CHART_WIDTH,
        **l10n.words(),
    )


def _rate_chart(result: dict[str, Any], keys: list[str]) -> svg.Chart:
    months = result["per_month"]
    names = _series_names(result, keys)
    metrics = {"precision": _("precision"), "recall": _("recall")}
    series = [
        svg.Series(
            f"{key}-{metric}",
            f"{names[key]} {word}",
            [_percent(m["models"][key][metric]) for m in months],
            slot=slot,
            dashed=metric == "recall",
        )
        for slot, key in enumerate(keys, start=1)
        for metric, word in metrics.items()
    ]
    return svg.line_chart(
        [m["month"] for m in months],
        series,
        key="rates",
        title=_("Precision and recall per month"),
        y_title=_("Percent"),
        x_title=_("Month"),
        value_range=(0, 100),
        format_value=l10n.percent(),
        width=CHART_WIDTH,
        **l10n.words(),
    )


def _model_view(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        **stats,
        "sql_pct": _percent(stats["sql_rate"]),
        "precision_pct": _percent(stats["precision"]),
        "recall_pct": _percent(stats["recall"]),
    }


def _evaluation_context(result: dict[str, Any]) -> dict[str, Any]:
    keys = ["model", "against"]
    months = result["per_month"]
    series = [
        {
            "key": key,
            "slot": slot,
            "number": result[key]["number"],
            "name": result[key]["name"],
            "status": result[key]["status"],
        }
        for slot, key in enumerate(keys, start=1)
    ]
    rows = [
        {
            "month": m["month"],
            "received": m["received"],
            "won_deals": m["won_deals"],
            "models": [_model_view(m["models"][key]) for key in keys],
        }
        for m in months
    ]
    totals = [_model_view(result["totals"][key]) for key in keys]
    return {
        "series": series,
        "rows": rows,
        "totals": totals,
        "summary": list(zip(series, totals, strict=True)),
        "mql_chart": _mql_chart(result, keys),
        "rate_chart": _rate_chart(result, keys),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def scoring_evaluation(request, pk: int):
    """GET shows the newest evaluation for the chosen parameters (its progress, its
    result or its error) or says none was started; it never starts one. POST
    (marketing managers and admins) starts one — or finds the one running or fresh
    for these parameters — and goes back to the GET page of those parameters."""
    version = get_object_or_404(ScoringModelVersion, pk=pk)
    can_change = _may_change_models(request.user)
    if request.method == "POST" and not can_change:
        raise PermissionDenied(_("Only marketing managers and admins start evaluations."))
    data_in = request.POST if request.method == "POST" else request.GET
    form = EvaluationForm(data_in or None, version=version)
    context: dict[str, Any] = {"version": version, "form": form, "can_change": can_change}
    if data_in and not form.is_valid():
        return render(request, "scoring/evaluation.html", context, status=400)
    data = form.cleaned_data if data_in else {}
    months = data.get("months") or MONTHS_DEFAULT
    against = data.get("against")
    context["months"], context["against"] = months, against
    try:
        if request.method == "POST":
            evaluation_get_or_start(
                version=version, against=against, months=months, user=request.user
            )
            query = {"months": months, **({"against": against.pk} if against else {})}
            url = reverse("leads:scoring_evaluation", args=[version.pk])
            return redirect(f"{url}?{urlencode(query)}")
        job = evaluation_latest(version=version, against=against, months=months)
    except AnalysisInputError as exc:
        context["problem"] = exc.message
        # Without a version to compare with, the page asks for one; anything else is bad input.
        status = 200 if exc.field == "against" and against is None else 400
        return render(request, "scoring/evaluation.html", context, status=status)
    context["job"] = job
    context["running"] = job is not None and job.state in (Job.State.PENDING, Job.State.RUNNING)
    if job is not None and job.state == Job.State.DONE:
        context.update(_evaluation_context(job.result))
        context["result"] = job.result
        context["as_of"] = datetime.fromisoformat(job.result["as_of"])
    return render(request, "scoring/evaluation.html", context)


# ----------------------------------------------------------------- calibration


class CalibrationForm(forms.Form):
    months = forms.TypedChoiceField(
        label=gettext_lazy("Leads closed in the last"),
        choices=[(n, n) for n in range(1, MONTHS_MAX + 1)],
        coerce=int,
        initial=CALIBRATION_MONTHS_DEFAULT,
        required=False,
        empty_value=CALIBRATION_MONTHS_DEFAULT,
    )


REASONS = {
    "too_few_leads": gettext_lazy("fewer than %(min)d leads"),
    "no_wins": gettext_lazy("none of them won"),
}


def _calibration_rows(report) -> list[dict[str, Any]]:
    labels = dict(ActivityType.choices)
    rows = []
    for row in report.calibration.rows:
        reason = REASONS.get(row.reason or "")
        rows.append(
            {
                **row.to_dict(),
                "label": labels.get(row.activity_type, row.activity_type),
                "close_rate_pct": _percent(row.close_rate),
                "change": (
                    None
                    if row.suggested_points is None or row.current_points is None
                    else row.suggested_points - row.current_points
                ),
                "reason_text": (reason % {"min": report.calibration.min_leads}) if reason else "",
            }
        )
    return rows


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def scoring_calibration(request):
    can_change = _may_change_models(request.user)
    source = request.POST if request.method == "POST" else request.GET
    form = CalibrationForm(source or None)
    if source and not form.is_valid():
        if request.method == "POST" and not can_change:
            raise PermissionDenied
        return render(
            request,
            "scoring/calibration.html",
            {"form": form, "can_change": can_change},
            status=400,
        )
    months = (form.cleaned_data.get("months") if source else None) or CALIBRATION_MONTHS_DEFAULT
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        try:
            draft = calibration_draft_create(user=request.user, months=months)
        except AnalysisInputError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Draft v%(number)d created from the suggestion. Evaluate it before publishing.")
                % {"number": draft.number},
            )
            target = _url_or_none("leads:scoring_model", draft.pk)
            if target:
                return redirect(target)
        return redirect(f"{reverse('leads:scoring_calibration')}?months={months}")
    report = calibration_report(months=months)
    published = report.published
    return render(
        request,
        "scoring/calibration.html",
        {
            "form": form,
            "can_change": can_change,
            "report": report,
            "calibration": report.calibration,
            "rows": _calibration_rows(report),
            "months": months,
            "average_pct": _percent(report.calibration.average_close_rate),
            "base_pct": _percent(report.calibration.base_close_rate),
            "reference_label": dict(ActivityType.choices).get(
                report.calibration.reference_type or "", ""
            ),
            "published_url": _url_or_none("leads:scoring_model", published.pk)
            if published
            else None,
        },
    )
