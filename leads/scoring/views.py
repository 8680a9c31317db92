"""Pages of the scoring models: the version list, the ICP editor (fit rules and
grades), the model editor (interest rules, MQL threshold, label), the diff of
two versions, and publishing (with a confirmation) — thin doors onto
``leads.scoring.services`` / ``selectors``.

Every role reads; only marketing managers and admins (``roles.SCORING_CHANGE_ROLES``)
create, edit and publish — others get the 403 page and see no buttons for it.
Saving an editor posts the whole page; the service validates the whole model
and nothing is saved unless all of it is valid (400 with every error shown by
its row and the input kept). A published or retired version is never edited
(409): it is copied into a new draft.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from leads.models import ActivityType, ScoringModelVersion
from leads.people import roles
from leads.scoring import forms as scoring_forms
from leads.scoring import wording as scoring_wording
from leads.scoring.definitions import ScoringModelInvalid
from leads.scoring.diff import diff_models
from leads.scoring.engine import (
    FIELD_TYPES,
    GRADES,
    MQL_MODES,
    OPERATORS,
    ScoringModel,
    default_model,
)
from leads.scoring.selectors import scoring_model_published, scoring_model_versions
from leads.scoring.services import (
    ScoringModelAlreadyPublished,
    ScoringModelNotEditable,
    scoring_model_create_draft,
    scoring_model_publish,
    scoring_model_update_draft,
)

Status = ScoringModelVersion.Status


def can_change_scoring(user) -> bool:
    return roles.has_role(user, *roles.SCORING_CHANGE_ROLES)


def _reader_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not roles.has_role(request.user, *roles.SCORING_READ_ROLES):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _changer_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_change_scoring(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _get_version(pk: int) -> ScoringModelVersion:
    return get_object_or_404(scoring_model_versions(), pk=pk)


def _refused(request, *, title: str, message: str, version=None, status: int):
    return render(
        request,
        "scoring/refused.html",
        {"title": title, "message": message, "version": version},
        status=status,
    )


def _not_editable(request, version: ScoringModelVersion):
    return _refused(
        request,
        title=_("This version cannot be edited"),
        message=_(
            "Version %(number)s is %(status)s. Published and retired versions are never "
            "changed: make a new draft from it and edit that."
        )
        % {"number": version.number, "status": version.get_status_display().lower()},
        version=version,
        status=409,
    )


# ---------------------------------------------------------------------- the list


@require_safe
@_reader_required
def scoring_models(request):
    versions = list(scoring_model_versions())
    published = next((v for v in versions if v.status == Status.PUBLISHED), None)
    rows = []
    for version in versions:
        if published is not None and version.pk != published.pk:
            against = published
        else:
            against = next((v for v in versions if v.number < version.number), None)
        rows.append({"version": version, "against": against})
    compare_against = rows[0]["against"] if rows else None
    return render(
        request,
        "scoring/model_list.html",
        {
            "rows": rows,
            "versions": versions,
            "published": published,
            "compare_against": compare_against,
            "can_change": can_change_scoring(request.user),
        },
    )


@require_POST
@_changer_required
def scoring_new(request):
    """A new draft holding the seed's default model."""
    model = default_model(1)
    draft = scoring_model_create_draft(definition=model.to_dict(), user=request.user)
    messages.success(request, _("Draft v%(number)s created.") % {"number": draft.number})
    return redirect("leads:scoring_model", draft.pk)


@require_POST
@_changer_required
def scoring_copy(request, pk: int):
    """A new draft holding a copy of version ``pk`` (any status)."""
    source = _get_version(pk)
    draft = scoring_model_create_draft(
        definition=source.definition, user=request.user, name=source.name
    )
    messages.success(
        request,
        _("Draft v%(number)s created from v%(source)s.")
        % {"number": draft.number, "source": source.number},
    )
    return redirect("leads:scoring_model", draft.pk)


# ------------------------------------------------------------------- the editors


def _value_hints() -> dict[str, str]:
    """Placeholders of the value input, by the kind of value the rule needs."""
    return {
        "number": _("e.g. 50"),
        "between": _("e.g. 50, 500"),
        "list": _("e.g. CN, US, DE"),
        "text": _("e.g. Software"),
    }


def _choices_context() -> dict[str, Any]:
    operators_by_type = {
        ftype: [[op, str(scoring_wording.OPERATOR_LABELS[op])] for op in ops]
        for ftype, ops in OPERATORS.items()
    }
    return {
        "field_choices": [
            (name, scoring_wording.field_label(name), ftype) for name, ftype in FIELD_TYPES.items()
        ],
        "activity_choices": ActivityType.choices,
        "grade_choices": GRADES,
        "mode_choices": [(m, scoring_wording.MQL_MODE_LABELS[m]) for m in MQL_MODES],
        "editor_config": {
            "operators": operators_by_type,
            "fieldTypes": FIELD_TYPES,
            "hints": _value_hints(),
        },
    }


def _value_hint(ftype: str, operator: str) -> str:
    config = _value_hints()
    if ftype == "number":
        return config["between" if operator == "between" else "number"]
    if ftype == "text":
        return config["list" if operator in ("in", "not_in") else "text"]
    return ""


def _decorate_fit_rows(rows, errors: scoring_forms.EditorErrors) -> list[dict[str, Any]]:
    decorated = []
    for i, row in enumerate(rows):
        ftype = FIELD_TYPES.get(row["field"], "")
        operators = scoring_forms.operators_fitting(row["field"])
        is_list = ftype == "text" and row["operator"] in ("in", "not_in")
        rule = scoring_forms.fit_rules_from_rows([row])[0]
        decorated.append(
            {
                **row,
                "index": i,
                "type": ftype,
                "field_known": bool(ftype),
                "field_label": scoring_wording.field_label(row["field"]),
                "operators": [(op, scoring_wording.OPERATOR_LABELS[op]) for op in operators],
                "operator_known": row["operator"] in operators,
                "operator_label": scoring_wording.OPERATOR_LABELS.get(
                    row["operator"], row["operator"]
                ),
                "value_text": scoring_wording.format_rule_value(
                    row["field"], row["operator"], rule["value"], limit=None
                ),
                "criterion": scoring_wording.criterion(
                    row["field"], row["operator"], rule["value"]
                ),
                "points_text": scoring_wording.signed(rule["points"]),
                "hint": _value_hint(ftype, row["operator"]),
                "errors": errors.fit.get(i, {}),
                "chips": scoring_forms.split_list(row["value"]) if is_list else [],
            }
        )
    return decorated


def _decorate_interest_rows(rows, errors: scoring_forms.EditorErrors) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "index": i,
            "label": scoring_wording.activity_label(row["activity_type"]),
            "known": row["activity_type"] in ActivityType.values,
            "sentence": scoring_wording.interest_sentence(
                scoring_forms.interest_rules_from_rows([row])[0]
            ),
            "errors": errors.interest.get(i, {}),
        }
        for i, row in enumerate(rows)
    ]


def _editor_state(version: ScoringModelVersion) -> dict[str, Any]:
    """The stored definition in the editors' raw shape."""
    definition = version.definition
    return {
        "label": definition.get("label", ""),
        "fit_rows": scoring_forms.fit_rows_from_rules(definition.get("fit_rules", [])),
        "interest_rows": scoring_forms.interest_rows_from_rules(
            definition.get("interest_rules", [])
        ),
        "grades": scoring_forms.grades_raw(definition.get("grade_thresholds") or {}, posted=False),
        "threshold": scoring_forms.threshold_raw(definition.get("threshold"), posted=False),
    }


def _render_editor(
    request,
    *,
    template: str,
    version: ScoringModelVersion,
    state: dict[str, Any],
    errors: scoring_forms.EditorErrors | None = None,
    status: int = 200,
):
    errors = errors or scoring_forms.EditorErrors()
    editable = version.status == Status.DRAFT and can_change_scoring(request.user)
    context = {
        "version": version,
        "label": state["label"],
        "fit_rows": _decorate_fit_rows(state["fit_rows"], errors),
        "interest_rows": _decorate_interest_rows(state["interest_rows"], errors),
        "grades": [
            {"grade": g, "value": state["grades"][g], "errors": errors.grades.get(g, [])}
            for g in scoring_forms.GRADE_CUTS
        ],
        "threshold": {
            cell: {"value": state["threshold"][cell], "errors": errors.threshold.get(cell, [])}
            for cell in scoring_forms.THRESHOLD_CELLS
        },
        "errors": errors,
        "editable": editable,
        "blank_fit_row": {"value_bool": "true", "operators": [], "errors": {}, "chips": []},
        "blank_interest_row": {"errors": {}},
        "next_fit_index": len(state["fit_rows"]),
        "next_interest_index": len(state["interest_rows"]),
        "can_change": can_change_scoring(request.user),
        "published": scoring_model_published(),
        **_choices_context(),
    }
    return render(request, template, context, status=status)


def _save(request, *, version: ScoringModelVersion, template: str, section: str):
    """POST of an editor: the posted sections replace the stored ones; the whole model
    is validated by the service."""
    if version.status != Status.DRAFT:
        return _not_editable(request, version)
    state = _editor_state(version)
    definition = dict(version.definition)
    try:
        if section == "icp":
            state["fit_rows"] = scoring_forms.fit_rows_from_post(request.POST)
            state["grades"] = scoring_forms.grades_raw(request.POST, posted=True)
            definition["fit_rules"] = scoring_forms.fit_rules_from_rows(state["fit_rows"])
            definition["grade_thresholds"] = scoring_forms.grades_from_raw(state["grades"])
        else:
            state["label"] = (request.POST.get("label") or "").strip()
            state["interest_rows"] = scoring_forms.interest_rows_from_post(request.POST)
            state["threshold"] = scoring_forms.threshold_raw(request.POST, posted=True)
            definition["label"] = state["label"]
            definition["interest_rules"] = scoring_forms.interest_rules_from_rows(
                state["interest_rows"]
            )
            definition["threshold"] = scoring_forms.threshold_from_raw(state["threshold"])
    except scoring_forms.TooManyRows:
        return _refused(
            request,
            title=_("Nothing was saved"),
            message=_("At most %(count)s rules per section.") % {"count": scoring_forms.MAX_ROWS},
            version=version,
            status=400,
        )
    try:
        scoring_model_update_draft(version=version, definition=definition, user=request.user)
    except ScoringModelNotEditable:
        version.refresh_from_db()
        return _not_editable(request, version)
    except ScoringModelInvalid as exc:
        errors = scoring_forms.place_errors(exc.errors, fit_rows=state["fit_rows"])
        return _render_editor(
            request, template=template, version=version, state=state, errors=errors, status=400
        )
    messages.success(request, _("Draft v%(number)s saved.") % {"number": version.number})
    return redirect("leads:scoring_icp" if section == "icp" else "leads:scoring_model", version.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@_reader_required
def scoring_model(request, pk: int):
    """The model page: label, interest rules and MQL threshold (editable on a draft),
    the ICP in words."""
    version = _get_version(pk)
    if request.method == "POST":
        if not can_change_scoring(request.user):
            raise PermissionDenied
        return _save(
            request, version=version, template="scoring/model_detail.html", section="model"
        )
    return _render_editor(
        request,
        template="scoring/model_detail.html",
        version=version,
        state=_editor_state(version),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@_reader_required
def scoring_icp(request, pk: int):
    """The ICP editor: fit rules (field, operator, value, points, must, group) and grades."""
    version = _get_version(pk)
    if request.method == "POST":
        if not can_change_scoring(request.user):
            raise PermissionDenied
        return _save(request, version=version, template="scoring/icp.html", section="icp")
    return _render_editor(
        request, template="scoring/icp.html", version=version, state=_editor_state(version)
    )


# ------------------------------------------------------------------- diff, publish


def _default_against(version: ScoringModelVersion) -> ScoringModelVersion | None:
    published = scoring_model_published()
    if published is not None and published.pk != version.pk:
        return published
    return scoring_model_versions().filter(number__lt=version.number).first()


def _change_rows(old: ScoringModelVersion, new: ScoringModelVersion):
    changes = diff_models(
        ScoringModel.from_dict({**old.definition, "version": old.number}),
        ScoringModel.from_dict({**new.definition, "version": new.number}),
    )
    return [scoring_wording.change_row(change) for change in changes]


@require_safe
@_reader_required
def scoring_diff(request, pk: int):
    """What changes from version ``against`` to version ``pk``, rule by rule."""
    version = _get_version(pk)
    raw = request.GET.get("against")
    if raw in (None, ""):
        against = _default_against(version)
    else:
        try:
            against_pk = int(raw)
        except ValueError:
            return _refused(
                request,
                title=_("Cannot compare"),
                message=_("“against” must be the id of a version, not “%(value)s”.")
                % {"value": raw[:40]},
                version=version,
                status=400,
            )
        against = _get_version(against_pk)
    return render(
        request,
        "scoring/diff.html",
        {
            "version": version,
            "against": against,
            "changes": _change_rows(against, version) if against is not None else [],
            "versions": scoring_model_versions(),
            "can_change": can_change_scoring(request.user),
        },
    )


@require_safe
@_reader_required
def scoring_compare(request):
    """The compare form of the list and diff pages: ``?version=<pk>&against=<pk>``."""
    try:
        pk = int(request.GET.get("version", ""))
        against = int(request.GET.get("against", ""))
    except ValueError:
        return _refused(
            request,
            title=_("Cannot compare"),
            message=_("Choose two versions to compare."),
            status=400,
        )
    _get_version(pk)
    return redirect(f"{reverse('leads:scoring_diff', args=[pk])}?against={against}")


@require_http_methods(["GET", "HEAD", "POST"])
@_changer_required
def scoring_publish(request, pk: int):
    """GET: what publishing would change, and a confirmation. POST: publish (a draft,
    or a retired version = rollback); the former one is retired and every open lead
    is re-scored by a job whose progress page comes next."""
    version = _get_version(pk)
    if request.method == "POST":
        try:
            version, job = scoring_model_publish(version=version, user=request.user)
        except ScoringModelAlreadyPublished:
            return _refused(
                request,
                title=_("Already published"),
                message=_("Version %(number)s is already the published one.")
                % {"number": version.number},
                version=version,
                status=409,
            )
        except ScoringModelInvalid as exc:
            return _refused(
                request,
                title=_("This version cannot be published"),
                message="; ".join(e.message for e in exc.errors),
                version=version,
                status=400,
            )
        messages.success(
            request,
            _("Version %(number)s is published; open leads are being re-scored.")
            % {"number": version.number},
        )
        return redirect("leads:job_detail", job.pk)
    published = scoring_model_published()
    return render(
        request,
        "scoring/publish_confirm.html",
        {
            "version": version,
            "published": published,
            "changes": _change_rows(published, version)
            if published is not None and published.pk != version.pk
            else [],
        },
    )
