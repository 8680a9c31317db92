"""The rest of "no value may poison the data" (issue 10 §1): routing rules, scoring
model definitions, the Django admin's forms and the other write paths refuse what
PostgreSQL cannot store or read back — a NUL, a lone surrogate, a JSON value too deep
or too large, a number outside its column or not finite, a moment outside its
range — with an error naming the field, and nothing is written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from leads import moments, storable
from leads.intake.services import UNSTORABLE_TEXT
from leads.models import (
    LeadEvent,
    Opportunity,
    Qualification,
    RepSettings,
    RoutingRule,
    ScoringModelVersion,
    Touch,
)
from leads.queue.routing import RoutingRuleInvalid, routing_rule_create
from leads.scoring.engine import default_model
from leads.scoring.services import scoring_model_create_draft
from tests.factories import ActivityFactory, LeadFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _send(client, method, url, body):
    """JSON with escapes (``\\ud800``, ``\\u0000``), as a client sends them."""
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


# ------------------------------------------------------------------ routing rules (API)

RULES = "/api/v1/routing/rules/"


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ({"country": ["C\x00N"]}, "conditions.country"),
        ({"country": ["\ud800"]}, "conditions.country"),
        ({"region": ["east", "x" * 201]}, "conditions.region"),
        ({"region": [f"r{i}" for i in range(501)]}, "conditions.region"),
        ({"min_employees": 2**31}, "conditions.min_employees"),
        ({"max_employees": 10**40}, "conditions.max_employees"),
        ({"min_employees": 1.5}, "conditions.min_employees"),
    ],
)
def test_a_rule_with_unstorable_conditions_is_400_naming_the_key(
    api_as, admin_user, sdr_team_east, conditions, field
):
    body = {"name": "r", "team": sdr_team_east.pk, "conditions": conditions}

    answer = _send(api_as(admin_user), "post", RULES, body)

    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == [field]
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize("key", ["x\x00y", "x\ud800y"])
def test_an_unknown_condition_key_that_cannot_be_sent_is_named_escaped(
    api_as, admin_user, sdr_team_east, key
):
    body = {"name": "r", "team": sdr_team_east.pk, "conditions": {key: ["a"]}}

    answer = _send(api_as(admin_user), "post", RULES, body)

    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == [
        "conditions." + key.replace("\x00", "\\x00").replace("\ud800", "\\ud800")
    ]
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"name": "a\ud800"}, "name"), ({"name": "a\x00"}, "name"), ({"order": 2**31}, "order")],
)
def test_a_rule_patch_with_a_bad_value_changes_nothing(
    api_as, admin_user, sdr_team_east, extra, field
):
    rule = RoutingRule.objects.create(name="all", order=5, team=sdr_team_east)

    answer = _send(api_as(admin_user), "patch", f"{RULES}{rule.pk}/", extra)

    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == [field]
    rule.refresh_from_db()
    assert (rule.name, rule.order) == ("all", 5)


# ------------------------------------------------------------------ routing rules (admin)


@pytest.fixture
def staff_admin(db):
    return UserFactory(username="ops", roles=["admin"], is_staff=True)


def _rule_form(team, conditions: str) -> dict:
    return {
        "name": "China",
        "order": 10,
        "active": "on",
        "applies_to": "mql",
        "conditions": conditions,
        "team": team.pk,
    }


@pytest.mark.parametrize(
    "conditions",
    [
        '{"country": ["C\\u0000N"]}',
        '{"country": ["\\ud800"]}',
        '{"x\\u0000": ["a"]}',
        '{"min_employees": NaN}',
        '{"min_employees": Infinity}',
        '{"min_employees": 99999999999}',
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_the_admin_shows_a_form_error_for_unstorable_conditions(client, staff_admin, conditions):
    team = TeamFactory(name="SDR China", kind="sdr")
    client.force_login(staff_admin)

    answer = client.post(reverse("admin:leads_routingrule_add"), _rule_form(team, conditions))

    assert answer.status_code == 200
    assert answer.context["adminform"].form.errors
    assert "conditions" in answer.context["adminform"].form.errors
    assert not RoutingRule.objects.exists()


def test_the_admin_checks_the_team_kind_like_the_api(client, staff_admin):
    team = TeamFactory(name="AE East", kind="ae")
    client.force_login(staff_admin)

    answer = client.post(reverse("admin:leads_routingrule_add"), _rule_form(team, "{}"))

    assert answer.status_code == 200
    assert "team" in answer.context["adminform"].form.errors
    assert not RoutingRule.objects.exists()


# ------------------------------------------------------------------ other admin forms


def test_the_admin_refuses_activity_properties_that_cannot_be_stored(client, staff_admin):
    activity = ActivityFactory(properties={"url": "/pricing"})
    client.force_login(staff_admin)
    url = reverse("admin:leads_activity_change", args=[activity.pk])

    for properties in (
        '{"url": NaN}',
        '{"u\\u0000": 1}',
        '{"url": "\\udfff"}',
        "[1]",
        "[" * 5000 + "]" * 5000,
    ):
        answer = client.post(
            url,
            {
                "lead": activity.lead_id,
                "type": activity.type,
                "occurred_at_0": "2026-11-01",
                "occurred_at_1": "10:00:00",
                "source": activity.source,
                "external_id": activity.external_id or "",
                "properties": properties,
            },
        )
        assert answer.status_code == 200, properties
        assert "properties" in answer.context["adminform"].form.errors, properties
    activity.refresh_from_db()
    assert activity.properties == {"url": "/pricing"}


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_admin_refuses_a_moment_out_of_range(client, staff_admin, sdr, day):
    settings_row = RepSettings.objects.create(user=sdr)
    client.force_login(staff_admin)
    url = reverse("admin:leads_repsettings_change", args=[settings_row.pk])

    answer = client.post(
        url,
        {
            "user": sdr.pk,
            "weight": 1,
            "daily_cap": "",
            "away_since_0": "",
            "away_since_1": "",
            "back_at_0": day,
            "back_at_1": "23:59:59" if day.startswith("9999") else "00:00:00",
        },
    )

    assert answer.status_code == 200
    assert "back_at" in answer.context["adminform"].form.errors
    settings_row.refresh_from_db()
    assert settings_row.back_at is None


# ------------------------------------------------------------------ scoring definitions

MODELS = "/api/v1/scoring/models/"


def _definition(**changes):
    definition = default_model(1).to_dict()
    definition.update(changes)
    return definition


def _bad_definitions():
    base = default_model(1).to_dict()
    fit = base["fit_rules"]
    interest = base["interest_rules"]
    deep: dict = {}
    node = deep
    for _ in range(50):
        node["d"] = {}
        node = node["d"]
    return [
        ("label_nul", {"label": "Q4\x00"}),
        ("label_surrogate", {"label": "Q4\ud800"}),
        ("field_surrogate", {"fit_rules": [{**fit[0], "field": "x\ud800"}]}),
        ("group_nul", {"fit_rules": [{**fit[0], "group": "g\x00"}]}),
        ("huge_int_points", {"fit_rules": [{**fit[0], "points": 10**400}]}),
        ("huge_float_points", {"interest_rules": [{**interest[0], "points": 1e308}]}),
        ("huge_window", {"interest_rules": [{**interest[0], "window_days": 1e300}]}),
        ("huge_threshold", {"grade_thresholds": {"A": 10**30, "B": 40, "C": 20}}),
        ("deep_extra", {"extra": deep}),
        ("large", {"label": "x" * 300_000}),
        ("key_surrogate", {"x\ud800": 1}),
    ]


@pytest.mark.parametrize(("name", "changes"), _bad_definitions())
def test_a_draft_whose_definition_cannot_be_stored_is_400(api_as, marketer, name, changes):
    answer = _send(api_as(marketer), "post", MODELS, {"definition": _definition(**changes)})

    assert answer.status_code == 400, answer.content
    assert answer.json()["errors"]
    assert not ScoringModelVersion.objects.exists()


@pytest.mark.parametrize(("name", "changes"), _bad_definitions())
def test_a_draft_patch_that_cannot_be_stored_changes_nothing(api_as, marketer, name, changes):
    draft = scoring_model_create_draft(definition=default_model(1).to_dict(), user=marketer)
    before = draft.definition

    answer = _send(
        api_as(marketer), "patch", f"{MODELS}{draft.pk}/", {"definition": _definition(**changes)}
    )

    assert answer.status_code == 400, answer.content
    draft.refresh_from_db()
    assert draft.definition == before


def test_the_model_editor_refuses_a_label_with_a_nul(client, marketer):
    draft = scoring_model_create_draft(definition=default_model(1).to_dict(), user=marketer)
    before = draft.definition
    client.force_login(marketer)

    answer = client.post(
        reverse("leads:scoring_model", args=[draft.pk]),
        {
            "label": "Q4\x00",
            "threshold-mode": "grade_and_interest",
            "threshold-min_grade": "B",
            "threshold-min_interest": "40",
            "threshold-min_total": "",
        },
    )

    assert answer.status_code == 400
    draft.refresh_from_db()
    assert draft.definition == before


def test_the_rule_services_refuse_to_store_a_rule_that_fails_validation(sdr_team_east):
    with pytest.raises(RoutingRuleInvalid) as refused:
        routing_rule_create(name="r", team=sdr_team_east, conditions={"country": ["C\x00N"]})

    assert list(refused.value.errors) == ["conditions.country"]
    assert not RoutingRule.objects.exists()


def test_the_model_editor_puts_an_unstorable_cell_on_its_row(client, marketer):
    draft = scoring_model_create_draft(definition=default_model(1).to_dict(), user=marketer)
    before = draft.definition
    client.force_login(marketer)

    answer = client.post(
        reverse("leads:scoring_icp", args=[draft.pk]),
        {
            "grade-A": "60",
            "grade-B": "40",
            "grade-C": "20",
            "fit-0-field": "industry",
            "fit-0-operator": "in",
            "fit-0-value": "software, saas",
            "fit-0-points": "10",
            "fit-0-group": "g\x00",
        },
    )

    assert answer.status_code == 400
    assert answer.context["errors"].fit == {0: {"group": [str(UNSTORABLE_TEXT)]}}
    draft.refresh_from_db()
    assert draft.definition == before


# ------------------------------------------------------------------ working a lead


def _events(lead):
    return list(LeadEvent.objects.filter(lead=lead).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ({"bud\ud800get": "yes"}, "criteria"),
        ({"bud\x00get": "yes"}, "criteria"),
        ({"budget": "y\ud800s"}, "criteria.budget"),
        ({"budget": "y" * 100_000}, "criteria.budget"),
    ],
)
def test_qualification_names_what_cannot_be_sent_back_escaped(
    api_as, sdr, sdr_team_east, criteria, field
):
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    before = _events(lead)

    answer = _send(
        api_as(sdr), "put", f"/api/v1/leads/{lead.pk}/qualification/", {"criteria": criteria}
    )

    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == [field]
    assert len(answer.content) < 2_000
    assert not Qualification.objects.filter(lead=lead).exists()
    assert _events(lead) == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1969-12-31"])
def test_an_expected_close_out_of_range_is_refused(api_as, ae, day):
    lead = LeadFactory(stage="sql", owner=ae)
    before = _events(lead)

    answer = _send(
        api_as(ae),
        "post",
        "/api/v1/opportunities/",
        {"lead": lead.pk, "amount": "100", "expected_close": day},
    )

    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == ["expected_close"]
    assert not Opportunity.objects.exists()
    lead.refresh_from_db()
    assert lead.stage == "sql"
    assert _events(lead) == before


def test_a_touch_from_year_one_in_the_page_form_is_the_field_error(client, sdr):
    lead = LeadFactory(stage="sal", owner=sdr)
    client.force_login(sdr)

    answer = client.post(
        reverse("leads:lead_act", args=[lead.pk, "touch"]),
        {"touch-channel": "call", "touch-outcome": "connected", "touch-at": "0001-01-01T00:00"},
    )

    assert answer.status_code == 400, answer.status_code
    assert not Touch.objects.exists()
    assert not LeadEvent.objects.filter(lead=lead, kind="touch").exists()


@pytest.mark.parametrize("to_user", ["²", "9" * 5000, "١٢"])
def test_reassigning_on_the_team_page_with_a_junk_id_is_no_500(client, sales_manager, sdr, to_user):
    lead = LeadFactory(stage="mql", owner=sdr, team=sdr.teams.first())
    client.force_login(sales_manager)

    answer = client.post(reverse("leads:team_assign", args=[lead.pk]), {"to_user": to_user})

    assert answer.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == sdr


@pytest.mark.parametrize("selected", ["²", "9" * 5000])
def test_the_queue_page_with_a_junk_selection_is_no_500(client, sdr, selected):
    client.force_login(sdr)

    assert client.get(reverse("leads:queue"), {"selected": selected}).status_code == 200


def test_the_user_admin_refuses_a_joining_date_in_year_one(client, sdr):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    url = reverse("admin:auth_user_change", args=[sdr.pk])
    before = sdr.date_joined

    answer = client.post(
        url,
        {
            "username": sdr.username,
            "first_name": sdr.first_name,
            "last_name": sdr.last_name,
            "email": sdr.email,
            "is_active": "on",
            "date_joined_0": "0001-01-01",
            "date_joined_1": "00:00:00",
            "last_login_0": "",
            "last_login_1": "",
        },
    )

    assert answer.status_code == 200
    assert "date_joined" in answer.context["adminform"].form.errors
    sdr.refresh_from_db()
    assert sdr.date_joined == before


@pytest.mark.parametrize("required", ["5", '["budget", {"a": 1}]', '["champion"]'])
def test_the_team_admin_takes_only_the_frameworks_criteria(client, staff_admin, required):
    team = TeamFactory(name="SDR East", kind="sdr")
    client.force_login(staff_admin)

    answer = client.post(
        reverse("admin:leads_team_change", args=[team.pk]),
        {
            "name": team.name,
            "kind": "sdr",
            "mode": "pool",
            "framework": "bant",
            "required_criteria": required,
        },
    )

    assert answer.status_code == 200
    assert "required_criteria" in answer.context["adminform"].form.errors
    team.refresh_from_db()
    assert team.required_criteria == []


def test_the_team_admin_saves_required_criteria_of_the_framework(client, staff_admin):
    team = TeamFactory(name="SDR East", kind="sdr")
    client.force_login(staff_admin)

    answer = client.post(
        reverse("admin:leads_team_change", args=[team.pk]),
        {
            "name": team.name,
            "kind": "sdr",
            "mode": "pool",
            "framework": "meddic",
            "required_criteria": '["champion"]',
        },
    )

    assert answer.status_code == 302
    team.refresh_from_db()
    assert (team.framework, team.required_criteria) == ("meddic", ["champion"])


# ------------------------------------------------------------------ the pure checks


def test_json_problem_at_names_where():
    assert storable.json_problem_at({"fit_rules": [{"field": "x"}, {"group": "g\x00"}]}) == (
        "nul",
        "fit_rules[1].group",
    )
    assert storable.json_problem_at({"a\ud800": 1}) == ("surrogate", "a\\ud800")
    assert storable.json_problem_at({"n": [1.0, float("nan")]}) == ("not_finite", "n[1]")
    assert storable.json_problem_at([[[1]]], max_depth=2) == ("too_deep", "[0][0]")
    assert storable.json_problem_at({"fine": [1, "二"]}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("42", 42), ("", None), ("²", None), ("١٢", None), ("9" * 19, None), ("-1", None), (7, None)],
)
def test_plain_id(text, expected):
    assert storable.plain_id(text) == expected


def test_stored_moment_problem_bounds():
    utc = dt.UTC
    assert moments.stored_moment_problem(dt.datetime(9999, 12, 30, tzinfo=utc)) is None
    assert moments.stored_moment_problem(dt.datetime(9999, 12, 30, 1, tzinfo=utc)) == "too_late"
    assert moments.stored_moment_problem(dt.datetime(1969, 12, 31, tzinfo=utc)) == "too_early"
    far_east = dt.timezone(dt.timedelta(hours=14))
    assert moments.stored_moment_problem(dt.datetime(1, 1, 1, tzinfo=far_east)) == (
        "unrepresentable"
    )


def test_reordering_a_rule_stored_before_the_checks_names_its_problem(client, staff_admin):
    team = TeamFactory(name="SDR China", kind="sdr")
    rule = RoutingRule.objects.create(
        name="old", order=5, team=team, conditions={"min_employees": 10**12}
    )
    client.force_login(staff_admin)

    answer = client.post(
        reverse("admin:leads_routingrule_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": rule.pk,
            "form-0-order": "6",
            "form-0-active": "on",
            "_save": "Save",
        },
    )

    assert answer.status_code == 200
    assert "conditions.min_employees" in answer.content.decode()
    rule.refresh_from_db()
    assert rule.order == 5
