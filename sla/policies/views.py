"""Pages of the SLA's terms: the list of versions, one version's terms, period
definitions and ordered policies in words, and for a draft its editor — thin doors
onto ``sla.policies.services``.

Every role reads (the terms bind sales and marketing alike); admins and directors
(``TERMS_CHANGE_ROLES``) make drafts, edit and publish them — others get the 403 page
and see no buttons. A draft's terms and its period definitions (ICP grade, key
fields, minimum attempts) each have a form, and the whole definition has a JSON
editor (``sla.terms``' format, described beside it); every error is listed by its
path (``period.min_attempts``) and nothing is saved unless all of it is valid (400
with the input kept). A published or retired version is never edited (409): it is
copied into a new draft.
"""

from __future__ import annotations

import contextlib
import copy
import json
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from leads.models import ScoreQuadrant, SourceChannel
from leads.people.models import Team
from sla import terms as sla_terms
from sla import wording
from sla.models import TermSet
from sla.policies import services
from sla.policies.selectors import calendar_names, term_sets
from sla.terms import InvalidTerms

Status = TermSet.Status


def _reader_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not services.can_read_terms(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _changer_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not services.can_change_terms(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _refused(request, *, title: str, message: str, version=None, status: int):
    return render(
        request,
        "sla/terms_refused.html",
        {"title": title, "message": message, "version": version},
        status=status,
    )


# ------------------------------------------------------------ the terms in words


def _term_rows(fields_by_term: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for term in sla_terms.TERMS:
        fields = fields_by_term.get(term)
        if not fields:
            continue
        unit = fields.get("unit", "")
        rows.append(
            {
                "term": term,
                "label": wording.term_label(term),
                "side": wording.SIDE_LABELS[sla_terms.SIDES[term]],
                "target": wording.amount_words(fields.get("target"), unit),
                "unit": wording.unit_label(unit),
                "warning": wording.warning_words(fields.get("warn_percent")),
                "escalation": wording.escalation_words(fields.get("escalate_every"), unit),
            }
        )
    return rows


def describe(definition: Any) -> dict[str, Any] | None:
    """The definition in words for the page: its terms, its period terms' definitions
    (ICP grade, key fields, minimum attempts; product.md's defaults where it has none)
    and its ordered policies, each with its conditions, calendar and overridden targets
    (merged with the default).
    None when the stored definition is not sound (the page then shows the JSON)."""
    if sla_terms.validate(definition):
        return None
    calendars = calendar_names()
    teams = dict(Team.objects.values_list("pk", "name"))
    policies = []
    for index, policy in enumerate(definition["policies"]):
        overrides = {}
        for term in policy.get("targets") or {}:
            t = sla_terms.target(definition, index, term)
            overrides[term] = {
                "target": t.target,
                "unit": t.unit,
                "warn_percent": t.warn_percent,
                "escalate_every": t.escalate_every,
            }
        calendar = policy.get("calendar")
        policies.append(
            {
                "number": index + 1,
                "name": policy.get("name", ""),
                "catch_all": not wording.match_rows(policy.get("match")),
                "conditions": wording.match_rows(policy.get("match"), team_names=teams),
                "calendar": calendars.get(calendar, _("calendar #%(id)s") % {"id": calendar})
                if calendar is not None
                else None,
                "overrides": _term_rows(overrides),
            }
        )
    return {
        "terms": _term_rows(definition["terms"]),
        "period": wording.period_rows(definition),
        "policies": policies,
    }


def shown_json(definition: Any) -> str:
    """The definition as the editor shows it: terms in their order, each term's, the
    period's and each policy's fields in the format's order (the database keeps JSON
    keys its own way)."""
    if not isinstance(definition, dict):
        return json.dumps(definition, indent=2, ensure_ascii=False)

    def ordered(mapping: Any, keys: tuple[str, ...]) -> Any:
        if not isinstance(mapping, dict):
            return mapping
        rank = {key: i for i, key in enumerate(keys)}
        return dict(sorted(mapping.items(), key=lambda kv: (rank.get(kv[0], len(keys)), kv[0])))

    fields = ("target", "unit", "warn_percent", "escalate_every")
    shown = ordered(definition, ("terms", "period", "policies"))
    if isinstance(shown.get("period"), dict):
        shown["period"] = ordered(shown["period"], tuple(sla_terms.DEFAULT_PERIOD))
    terms = shown.get("terms")
    if isinstance(terms, dict):
        shown["terms"] = {
            name: ordered(value, fields) for name, value in ordered(terms, sla_terms.TERMS).items()
        }
    policies = shown.get("policies")
    if isinstance(policies, list):
        shown["policies"] = []
        for policy in policies:
            policy = ordered(policy, ("name", "match", "calendar", "targets"))
            if isinstance(policy, dict):
                if isinstance(policy.get("match"), dict):
                    policy["match"] = ordered(policy["match"], sla_terms.MATCH_KEYS)
                if isinstance(policy.get("targets"), dict):
                    policy["targets"] = {
                        name: ordered(value, fields)
                        for name, value in ordered(policy["targets"], sla_terms.TERMS).items()
                    }
            shown["policies"].append(policy)
    return json.dumps(shown, indent=2, ensure_ascii=False)


def _reference() -> dict[str, Any]:
    """What the editor may write: units, match keys and their values, calendars and
    teams by id, the period's grades and key fields."""
    return {
        "terms": [(term, wording.term_label(term)) for term in sla_terms.TERMS],
        "units": [(unit, wording.unit_label(unit)) for unit in sla_terms.UNITS],
        "quadrants": list(ScoreQuadrant.choices),
        "source_channels": list(SourceChannel.choices),
        "calendars": sorted(calendar_names().items()),
        "teams": list(Team.objects.order_by("name").values_list("pk", "name")),
        "grades": [(grade, wording.grade_words(grade)) for grade in sla_terms.GRADES],
        "complete_fields": [
            (code, wording.complete_field_label(code)) for code in sla_terms.COMPLETE_FIELDS
        ],
    }


# ---------------------------------------------------------------------- pages


@require_safe
@_reader_required
def terms_list(request):
    versions = list(term_sets())
    if not any(v.status == Status.PUBLISHED for v in versions):
        services.published_terms()
        versions = list(term_sets())
    return render(
        request,
        "sla/terms_list.html",
        {
            "versions": versions,
            "published": next(v for v in versions if v.status == Status.PUBLISHED),
            "can_change": services.can_change_terms(request.user),
        },
    )


@require_POST
@_changer_required
def terms_new(request):
    """A new draft: a copy of ``from_version`` (posted) or of the published version."""
    source = None
    raw = request.POST.get("from_version", "")
    if raw:
        try:
            source = get_object_or_404(TermSet, pk=int(raw))
        except ValueError:
            return _refused(
                request,
                title=_("Nothing was made"),
                message=_("“from_version” must be the id of a version."),
                status=400,
            )
    try:
        draft = services.create_draft(request.user, source)
    except InvalidTerms as exc:
        return _refused(
            request,
            title=_("Nothing was made"),
            message=_("The version copied is no longer valid: %(errors)s")
            % {"errors": "; ".join(wording.error_text(p, c) for p, c in exc.errors)},
            version=source,
            status=400,
        )
    messages.success(request, _("Draft v%(number)s created.") % {"number": draft.number})
    return redirect("sla:terms_detail", draft.pk)


TERM_FIELDS = ("target", "unit", "warn_percent", "escalate_every")


def _terms_form_rows(version: TermSet, posted=None, errors=()) -> list[dict[str, Any]]:
    """The terms editor's rows: each term's four fields (as stored, or as posted) and
    the messages of the errors at their paths."""
    stored = version.definition.get("terms") if isinstance(version.definition, dict) else {}
    stored = stored if isinstance(stored, dict) else {}
    by_path = wording.errors_by_path(errors)
    in_words = {}
    if not sla_terms.validate({"terms": stored, "policies": [{"name": "-", "match": {}}]}):
        in_words = {row["term"]: row for row in _term_rows(stored)}
    rows = []
    for term in sla_terms.TERMS:
        fields = stored.get(term) if isinstance(stored.get(term), dict) else {}
        values = {
            f: posted.get(f"{term}-{f}", "") if posted is not None else fields.get(f, "")
            for f in TERM_FIELDS
        }
        rows.append(
            {
                "term": term,
                "label": wording.term_label(term),
                "side": wording.SIDE_LABELS[sla_terms.SIDES[term]],
                "current": values,
                "errors": {f: by_path.get(f"terms.{term}.{f}", []) for f in TERM_FIELDS},
                "row_errors": by_path.get(f"terms.{term}", []),
                "words": in_words.get(term),
            }
        )
    return rows


def _posted_terms(post) -> dict[str, dict[str, Any]]:
    """The terms editor's fields as the definition's ``terms``: whole numbers where the
    text is one, the text as typed otherwise (the check then names it), a blank left
    out (the check says it is missing)."""
    terms: dict[str, dict[str, Any]] = {}
    for term in sla_terms.TERMS:
        fields: dict[str, Any] = {}
        for name in TERM_FIELDS:
            raw = (post.get(f"{term}-{name}") or "").strip()[:40]
            if not raw:
                continue
            if name == "unit":
                fields[name] = raw
                continue
            try:
                fields[name] = int(raw)
            except ValueError:
                fields[name] = raw
        terms[term] = fields
    return terms


PERIOD_FIELDS = tuple(sla_terms.DEFAULT_PERIOD)


def _period_form(version: TermSet, posted=None, errors=()) -> dict[str, Any]:
    """The period editor: the three definitions (as stored, product.md's defaults where
    the version has none, or as posted) and the messages of the errors at their paths."""
    by_path = wording.errors_by_path(errors)
    if posted is not None:
        current = {
            "icp_grade": posted.get("period-icp_grade", ""),
            "complete_fields": posted.getlist("period-complete_fields"),
            "min_attempts": posted.get("period-min_attempts", ""),
        }
    else:
        current = sla_terms.period(version.definition)
    return {
        "current": current,
        "grades": [(grade, wording.grade_words(grade)) for grade in sla_terms.GRADES],
        "grade_codes": sla_terms.GRADES,
        "fields": [
            (code, wording.complete_field_label(code)) for code in sla_terms.COMPLETE_FIELDS
        ],
        "errors": {key: by_path.get(f"period.{key}", []) for key in PERIOD_FIELDS},
        "section_errors": by_path.get("period", []),
        "words": wording.period_rows(version.definition),
    }


def _posted_period(post) -> dict[str, Any]:
    """The period editor's fields as the definition's ``period``: every key given (a
    blank or unknown value is kept as typed, and the check names it)."""
    attempts: Any = (post.get("period-min_attempts") or "").strip()[:40]
    with contextlib.suppress(ValueError):
        attempts = int(attempts)
    return {
        "icp_grade": (post.get("period-icp_grade") or "").strip()[:10],
        "complete_fields": [
            value.strip()[:40] for value in post.getlist("period-complete_fields")[:20]
        ],
        "min_attempts": attempts,
    }


def _render_detail(
    request,
    version: TermSet,
    *,
    form=None,
    errors=None,
    terms_posted=None,
    terms_errors=(),
    period_posted=None,
    period_errors=(),
    status: int = 200,
):
    can_change = services.can_change_terms(request.user)
    editable = version.status == Status.DRAFT and can_change
    other_errors = [(p, c) for p, c in terms_errors if not p.startswith("terms.")]
    if form is None:
        form = {
            "name": version.name,
            "definition": shown_json(version.definition),
        }
    return render(
        request,
        "sla/terms_detail.html",
        {
            "version": version,
            "described": describe(version.definition),
            "can_change": can_change,
            "editable": editable,
            "form": form,
            "errors": [wording.error_text(path, code) for path, code in errors or []],
            "error_paths": [path for path, _code in errors or []],
            "reference": _reference() if editable else None,
            "term_rows": _terms_form_rows(version, terms_posted, terms_errors) if editable else [],
            "terms_form_errors": [wording.error_text(p, c) for p, c in other_errors],
            "terms_form_failed": bool(terms_errors),
            "period_form": _period_form(version, period_posted, period_errors)
            if editable
            else None,
            "period_form_failed": bool(period_errors),
            "period_form_errors": [
                wording.error_text(p, c)
                for p, c in period_errors
                if p != "period" and not p.startswith("period.")
            ],
            "units": [(unit, wording.unit_label(unit)) for unit in sla_terms.UNITS],
            "unit_codes": sla_terms.UNITS,
            "published": services.published_terms(),
            "json_text": shown_json(version.definition),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@_reader_required
def terms_detail(request, pk: int):
    version = get_object_or_404(term_sets(), pk=pk)
    if request.method != "POST":
        return _render_detail(request, version)
    if not services.can_change_terms(request.user):
        raise PermissionDenied
    if version.status != Status.DRAFT:
        return _refused(
            request,
            title=_("This version cannot be edited"),
            message=services.frozen_error(version).message,
            version=version,
            status=409,
        )
    if request.POST.get("form") == "terms":
        return _save_terms(request, version)
    if request.POST.get("form") == "period":
        return _save_period(request, version)
    form = {
        "name": request.POST.get("name", ""),
        "definition": request.POST.get("definition", ""),
    }
    if len(form["definition"]) > wording.MAX_DEFINITION_CHARS:
        errors = [("definition", "text_too_long")]
        return _render_detail(request, version, form=form, errors=errors, status=400)
    try:
        definition = json.loads(form["definition"], parse_constant=_no_constant)
    except ValueError:
        return _render_detail(
            request, version, form=form, errors=[("definition", "not_json")], status=400
        )
    try:
        services.update_draft(version, by=request.user, name=form["name"], definition=definition)
    except services.TermsNotEditable as exc:
        return _refused(
            request,
            title=_("This version cannot be edited"),
            message=exc.message,
            version=version,
            status=409,
        )
    except InvalidTerms as exc:
        return _render_detail(request, version, form=form, errors=exc.errors, status=400)
    messages.success(request, _("Draft v%(number)s saved.") % {"number": version.number})
    return redirect("sla:terms_detail", version.pk)


def _save_terms(request, version: TermSet):
    """The terms editor's POST: the posted terms replace the draft's; the policies stay."""
    return _save_section(request, version, "terms", _posted_terms(request.POST))


def _save_period(request, version: TermSet):
    """The period editor's POST: the posted definitions replace the draft's period
    section; the terms and policies stay."""
    return _save_section(request, version, "period", _posted_period(request.POST))


def _save_section(request, version: TermSet, section: str, posted):
    """One section of a draft's definition replaced by what its form posted; the form
    again with its errors (400), or the refusal of a version that cannot change (409)."""
    definition = copy.deepcopy(version.definition)
    definition[section] = posted
    try:
        services.update_draft(version, by=request.user, definition=definition)
    except services.TermsNotEditable as exc:
        return _refused(
            request,
            title=_("This version cannot be edited"),
            message=exc.message,
            version=version,
            status=409,
        )
    except InvalidTerms as exc:
        return _render_detail(
            request,
            version,
            **{f"{section}_posted": request.POST, f"{section}_errors": exc.errors},
            status=400,
        )
    messages.success(request, _("Draft v%(number)s saved.") % {"number": version.number})
    return redirect("sla:terms_detail", version.pk)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


@require_POST
@_changer_required
def terms_publish(request, pk: int):
    version = get_object_or_404(term_sets(), pk=pk)
    try:
        version = services.publish(version, by=request.user)
    except services.TermsNotEditable as exc:
        return _refused(
            request,
            title=_("This version cannot be published"),
            message=exc.message,
            version=version,
            status=409,
        )
    except InvalidTerms as exc:
        return _refused(
            request,
            title=_("This version cannot be published"),
            message="; ".join(wording.error_text(p, c) for p, c in exc.errors),
            version=version,
            status=400,
        )
    messages.success(
        request,
        _("Version %(number)s is published: clocks that start from now on use it.")
        % {"number": version.number},
    )
    return redirect("sla:terms_detail", version.pk)
