"""Text and JSON that PostgreSQL cannot store (NUL, lone surrogates) or that is too
deep or large are refused naming the field, before anything is written; in a batch
the bad row is that row's error and the good rows are saved (issue 10 §1)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from leads import storable
from leads.models import Activity, Lead, Touch
from leads.queue import work
from tests.factories import LeadFactory

BAD_TEXTS = ["Ann\x00Lee", "Ann \ud800 Lee"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("plain 文本", None),
        ("a\x00b", "nul"),
        ("\udfff", "surrogate"),
    ],
)
def test_text_problem(value, problem):
    assert storable.text_problem(value) == problem


def test_json_problem_finds_keys_values_depth_and_size():
    assert storable.json_problem({"url": "/pricing", "n": [1, {"a": "b"}]}) is None
    assert storable.json_problem({"k\x00": 1}) == "nul"
    assert storable.json_problem({"k": ["\ud800"]}) == "surrogate"
    deep: dict = {}
    node = deep
    for _ in range(storable.MAX_JSON_DEPTH):
        node["d"] = {}
        node = node["d"]
    assert storable.json_problem(deep) == "too_deep"
    assert storable.json_problem({"big": "x" * (storable.MAX_JSON_BYTES + 1)}) == "too_large"


def test_shown_key_escapes_what_cannot_be_sent():
    assert storable.shown_key("a\x00b\ud800") == "a\\x00b\\ud800"


def _post(client, url, body):
    """JSON with escapes (``\\ud800``), as a client sends a lone surrogate."""
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _lead(email, **extra):
    return {"email": email, "source_channel": "website", **extra}


@pytest.mark.django_db
@pytest.mark.parametrize("text", BAD_TEXTS)
@pytest.mark.parametrize("field", ["name", "company", "external_id", "campaign"])
def test_a_lead_with_unstorable_text_is_400_naming_the_field(api_as, integration, text, field):
    answer = _post(
        api_as(integration), reverse("api:lead_list"), _lead("ann@acme.example", **{field: text})
    )
    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == [field]
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_an_unknown_key_with_a_nul_is_named_escaped(api_as, integration):
    answer = _post(
        api_as(integration), reverse("api:lead_list"), _lead("ann@acme.example", **{"x\x00y": "1"})
    )
    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == ["x\\x00y"]


@pytest.mark.django_db
def test_in_a_batch_the_bad_row_fails_alone(api_as, integration):
    rows = [
        _lead("good@acme.example", name="Good"),
        _lead("nul@acme.example", name="Bad\x00"),
        _lead("sur@acme.example", title="\ud800"),
        _lead("also-good@acme.example"),
    ]
    answer = _post(api_as(integration), reverse("api:lead_bulk"), rows)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["created"], body["rejected"]) == (2, 2)
    assert [(e["index"], list(e["errors"])) for e in body["errors"]] == [
        (1, ["name"]),
        (2, ["title"]),
    ]
    assert set(Lead.objects.values_list("email_normalised", flat=True)) == {
        "good@acme.example",
        "also-good@acme.example",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "properties",
    [
        {"url": "/a\x00"},
        {"k\ud800": 1},
        {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {}}}}}}}}}}}}}
        | {"deep": [[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]},
        {"big": "x" * (storable.MAX_JSON_BYTES + 10)},
    ],
)
def test_activity_properties_that_cannot_be_stored_are_refused(api_as, integration, properties):
    lead = LeadFactory()
    answer = _post(
        api_as(integration),
        reverse("api:activities"),
        {
            "lead": lead.pk,
            "type": "web_visit",
            "occurred_at": "2026-01-05T09:00:00+08:00",
            "properties": properties,
        },
    )
    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == ["properties"]
    assert not Activity.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("text", BAD_TEXTS)
def test_a_touch_note_that_cannot_be_stored_is_refused(text, sdr, sdr_team_east):
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    with pytest.raises(work.WorkInvalid) as invalid:
        work.touch_log(lead=lead, by=sdr, channel="call", outcome="connected", note=text)
    assert list(invalid.value.errors) == ["note"]
    assert not Touch.objects.exists()


@pytest.mark.django_db
def test_a_choice_that_cannot_be_sent_back_is_named_escaped(api_as, sdr, sdr_team_east):
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    answer = _post(
        api_as(sdr),
        f"/api/v1/leads/{lead.pk}/touches/",
        {"channel": "fax\ud800", "outcome": "connected"},
    )
    assert answer.status_code == 400, answer.content
    assert "fax\\ud800" in answer.json()["errors"]["channel"][0]


@pytest.mark.django_db
def test_a_note_longer_than_the_limit_is_refused(api_as, sdr, sdr_team_east):
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    url = f"/api/v1/leads/{lead.pk}/touches/"
    body = {"channel": "call", "outcome": "connected", "note": "x" * (work.TEXT_MAX_LENGTH + 1)}
    answer = _post(api_as(sdr), url, body)
    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == ["note"]
    assert not Touch.objects.exists()
    body["note"] = "x" * work.TEXT_MAX_LENGTH
    assert _post(api_as(sdr), url, body).status_code == 201
