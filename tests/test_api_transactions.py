"""An API write and its answer commit together or not at all (issue 10 §1: "a response
is never built after a commit from data that may not read back, and no 4xx leaves
anything written"; ``leads.api_transactions.AtomicWrites``).

The first tests poison a row the way data was stored before the range checks (year
1 BC, which PostgreSQL keeps and psycopg cannot read back): the service's write
succeeds, the answer's re-read fails, and nothing may stay written. The others send
bad input to every single-object write path and check that no row changed."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db import connection

from leads.models import Lead, LeadEvent
from leads.pipeline import services as pipeline_services
from tests.factories import AccountFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def _poison(table: str, column: str, pk: int) -> None:
    """What a year-1 moment with +14:00 became before issue 10: 0001-12-31 BC, in a
    row the answer reads back and the service does not (the lead's account, owner)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = '0001-01-01 00:00:00+14' WHERE id = %s", [pk]
        )


def _quiet(client):
    client.raise_request_exception = False
    return client


@pytest.mark.postgres
def test_an_accept_whose_answer_cannot_be_read_back_leaves_nothing_written(
    api_as, sdr, sdr_team_east
):
    lead = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east, account=AccountFactory())
    _poison("leads_account", "updated_at", lead.account_id)
    events = LeadEvent.objects.filter(lead=lead).count()

    answer = _quiet(api_as(sdr)).post(f"/api/v1/leads/{lead.pk}/accept/")

    assert answer.status_code == 500
    assert Lead.objects.values_list("stage", flat=True).get(pk=lead.pk) == "mql"
    assert LeadEvent.objects.filter(lead=lead).count() == events


@pytest.mark.postgres
def test_a_lead_update_whose_answer_cannot_be_read_back_leaves_nothing_written(api_as, integration):
    lead = LeadFactory(email="ann@acme.example", name="Ann", owner=UserFactory())
    _poison("auth_user", "date_joined", lead.owner_id)

    answer = _quiet(api_as(integration)).post(
        "/api/v1/leads/",
        {"email": "ann@acme.example", "name": "Ann Lee", "source_channel": "website"},
        format="json",
    )

    assert answer.status_code == 500
    assert Lead.objects.values_list("name", flat=True).get(pk=lead.pk) == "Ann"


# ------------------------------------------------------------------ no 4xx writes


def _snapshot() -> dict[str, list[dict]]:
    """Every row of every model of the leads app."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("leads").get_models()
    }


@pytest.fixture
def cast(sdr, other_sdr, ae, marketer, director, admin_user, integration, sdr_team_east):
    sal = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    mql = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    sql = LeadFactory(stage="sql", owner=ae)
    opportunity = pipeline_services.sql_accept(
        lead=LeadFactory(stage="sql", owner=ae), by=ae, amount=10, expected_close="2031-01-01"
    )
    return {
        "sdr": sdr,
        "ae": ae,
        "marketer": marketer,
        "admin": admin_user,
        "integration": integration,
        "team": sdr_team_east,
        "sal": sal,
        "mql": mql,
        "sql": sql,
        "opportunity": opportunity,
    }


def _cases():
    """(name, who, method, url, body) — each a bad request to one write path."""
    return [
        (
            "touch at year 1",
            "sdr",
            "post",
            "leads/{sal}/touches/",
            {"channel": "call", "outcome": "connected", "at": "0001-01-01T00:00:00+14:00"},
        ),
        (
            "touch note NUL",
            "sdr",
            "post",
            "leads/{sal}/touches/",
            {"channel": "call", "outcome": "connected", "note": "a\u0000"},
        ),
        (
            "return bad reason",
            "sdr",
            "post",
            "leads/{mql}/return/",
            {"reason": "bored", "note": "x"},
        ),
        (
            "return note surrogate",
            "sdr",
            "post",
            "leads/{mql}/return/",
            {"reason": "not_icp", "note": "\ud800"},
        ),
        (
            "qualification bad key",
            "sdr",
            "put",
            "leads/{sal}/qualification/",
            {"criteria": {"bud\ud800": "yes"}},
        ),
        (
            "qualification bad note",
            "sdr",
            "put",
            "leads/{sal}/qualification/",
            {"criteria": {"budget": {"value": "yes", "note": "\u0000"}}},
        ),
        ("convert unqualified", "sdr", "post", "leads/{sal}/convert/", {}),
        ("disqualify bad reason", "sdr", "post", "leads/{sal}/disqualify/", {"reason": "\ud800"}),
        ("accept, a lead the AE cannot see", "ae", "post", "leads/{mql}/accept/", {}),
        ("reject without reason", "ae", "post", "leads/{sql}/reject/", {"reason": ""}),
        (
            "opportunity close year 1",
            "ae",
            "post",
            "opportunities/",
            {"lead": "{sql}", "amount": "10", "expected_close": "0001-01-01"},
        ),
        (
            "opportunity lost without reason",
            "ae",
            "patch",
            "opportunities/{opportunity}/",
            {"stage": "lost", "amount": "99"},
        ),
        (
            "opportunity huge amount",
            "ae",
            "patch",
            "opportunities/{opportunity}/",
            {"amount": "1e400"},
        ),
        ("assign to nobody", "admin", "post", "leads/{mql}/assign/", {"to_user": 2**62}),
        (
            "rule with NUL condition",
            "admin",
            "post",
            "routing/rules/",
            {"name": "r", "team": "{team}", "conditions": {"country": ["\u0000"]}},
        ),
        (
            "draft with NUL label",
            "marketer",
            "post",
            "scoring/models/",
            {"definition": {"label": "\u0000"}},
        ),
        (
            "lead created in year 1",
            "integration",
            "post",
            "leads/",
            {"email": "z@acme.example", "created_at_source": "0001-01-01T00:00:00+14:00"},
        ),
        (
            "activity in year 1",
            "integration",
            "post",
            "activities/",
            {
                "lead_email": "z@acme.example",
                "type": "web_visit",
                "occurred_at": "0001-01-01T00:00:00+14:00",
            },
        ),
        (
            "predictive refresh junk",
            "marketer",
            "post",
            "scoring/predictive/refresh/",
            {"min_count": -1},
        ),
    ]


@pytest.mark.parametrize(
    ("name", "who", "method", "url", "body"), [pytest.param(*c, id=c[0]) for c in _cases()]
)
def test_a_refused_write_leaves_every_row_as_it_was(api_as, cast, name, who, method, url, body):
    ids = {key: getattr(value, "pk", None) for key, value in cast.items()}
    text = json.dumps(body).replace("\\\\u", "\\u")
    for key, pk in ids.items():
        text = text.replace(f'"{{{key}}}"', str(pk))
    before = _snapshot()

    answer = getattr(api_as(cast[who]), method)(
        "/api/v1/" + url.format(**ids), data=text, content_type="application/json"
    )

    assert 400 <= answer.status_code < 500, (name, answer.content)
    assert _snapshot() == before, name
