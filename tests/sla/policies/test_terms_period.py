"""The period section of a terms version (issue 13 §1: the ICP grade, the key fields of
a complete lead, the minimum attempts before giving up) on the pages and in the API:
shown in words, edited on a draft (its own form, the JSON editor, PATCH), every
problem named by its path (``period.min_attempts``) with nothing saved, documented in
the schema."""

from __future__ import annotations

import json

import pytest

from leads.audit.models import AuditRecord
from sla import terms as sla_terms
from sla.models import TermSet
from sla.policies import services
from sla.policies.views import shown_json

URL = "/api/v1/sla/terms/"
THREE = {"icp_grade": "A", "complete_fields": ["company", "email"], "min_attempts": 3}


@pytest.fixture
def v1(db):
    return services.published_terms()


def detail(version):
    return f"/sla/terms/{version.pk}/"


def everything():
    return sorted(
        TermSet.objects.values_list("pk", "number", "status", "name", "definition", "updated_at")
    )


def with_period(**period):
    definition = sla_terms.default_definition()
    definition["period"] = period
    return definition


def period_post(**fields):
    data = {
        "form": "period",
        "period-icp_grade": "B",
        "period-complete_fields": ["company", "title", "contact"],
        "period-min_attempts": "6",
    }
    data.update({f"period-{k}": v for k, v in fields.items()})
    return data


# --------------------------------------------------------------------------- API


def test_the_api_saves_the_period_section_and_audits_it(api_as, director, v1):
    client = api_as(director)
    draft = services.create_draft(director)
    answer = client.patch(f"{URL}{draft.pk}/", {"definition": with_period(**THREE)}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["definition"]["period"] == THREE
    draft.refresh_from_db()
    assert sla_terms.period(draft.definition) == THREE
    record = AuditRecord.objects.filter(action="sla_terms.update").get()
    assert record.detail == {
        "changed": ["period.icp_grade", "period.complete_fields", "period.min_attempts"]
    }
    # one key only: the others keep product.md's defaults
    answer = client.post(URL, {"definition": with_period(min_attempts=8)}, format="json")
    assert answer.status_code == 201, answer.json()
    made = TermSet.objects.get(pk=answer.json()["id"])
    assert sla_terms.period(made.definition) == {**sla_terms.DEFAULT_PERIOD, "min_attempts": 8}


@pytest.mark.parametrize(
    ("period", "path", "words"),
    [
        ({"min_attempts": -1}, "period.min_attempts", "must be a whole number from 0 to 100"),
        ({"min_attempts": 101}, "period.min_attempts", "must be a whole number from 0 to 100"),
        ({"min_attempts": 2.5}, "period.min_attempts", "must be a whole number from 0 to 100"),
        ({"min_attempts": "six"}, "period.min_attempts", "must be a whole number from 0 to 100"),
        ({"min_attempts": True}, "period.min_attempts", "must be a whole number from 0 to 100"),
        ({"min_attempts": None}, "period.min_attempts", "must be a whole number from 0 to 100"),
        ({"icp_grade": "D"}, "period.icp_grade", "must be one of: A, B, C"),
        ({"icp_grade": 1}, "period.icp_grade", "must be one of: A, B, C"),
        ({"complete_fields": []}, "period.complete_fields", "must list one or more of"),
        ({"complete_fields": ["fax"]}, "period.complete_fields", "must list one or more of"),
        (
            {"complete_fields": ["company", "company"]},
            "period.complete_fields",
            "each once",
        ),
        ({"complete_fields": "company"}, "period.complete_fields", "must list one or more of"),
        ({"lunch": 1}, "period.lunch", "is not a known field"),
    ],
)
def test_a_bad_period_answers_400_naming_the_field(api_as, director, v1, period, path, words):
    client = api_as(director)
    draft = services.create_draft(director)
    before = everything()
    for answer in (
        client.patch(f"{URL}{draft.pk}/", {"definition": with_period(**period)}, format="json"),
        client.post(URL, {"definition": with_period(**period)}, format="json"),
    ):
        assert answer.status_code == 400
        body = answer.json()
        assert "nothing was saved" in body["detail"]
        assert any(words in m for m in body["errors"][path]), body
    assert everything() == before


def test_a_whole_number_written_as_a_float_is_stored_whole(api_as, director, v1):
    client = api_as(director)
    draft = services.create_draft(director)
    definition = with_period(min_attempts=3.0)
    definition["terms"]["acceptance"]["target"] = 90.0
    answer = client.patch(f"{URL}{draft.pk}/", {"definition": definition}, format="json")
    assert answer.status_code == 200, answer.json()
    assert '"min_attempts":3}' in answer.content.decode()
    draft.refresh_from_db()
    stored = draft.definition
    assert type(stored["period"]["min_attempts"]) is int
    assert type(stored["terms"]["acceptance"]["target"]) is int


def test_a_period_that_is_not_an_object_answers_400(api_as, director, v1):
    client = api_as(director)
    draft = services.create_draft(director)
    before = everything()
    definition = sla_terms.default_definition()
    definition["period"] = [6]
    answer = client.patch(f"{URL}{draft.pk}/", {"definition": definition}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"]["period"] == ["must be an object ({…})"]
    assert everything() == before


def test_the_schema_documents_the_period_section(api_as, director):
    schema = api_as(director).get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    definition = components["TermSetOut"]["properties"]["definition"]
    assert definition["allOf"] == [{"$ref": "#/components/schemas/DefinitionDoc"}]
    assert components["DefinitionDoc"]["properties"]["period"] == {
        "$ref": "#/components/schemas/PeriodDoc"
    }
    period = components["PeriodDoc"]
    assert "required" not in period  # every key optional: product.md's default
    attempts = period["properties"]["min_attempts"]
    assert (attempts["type"], attempts["minimum"], attempts["maximum"]) == ("integer", 0, 100)
    assert "default 6" in attempts["description"]

    def enum(prop):
        ref = prop.get("allOf", [prop])[0]["$ref"]
        return components[ref.rsplit("/", 1)[1]]["enum"]

    assert enum(period["properties"]["icp_grade"]) == ["A", "B", "C"]
    assert enum(period["properties"]["complete_fields"]["items"]) == list(sla_terms.COMPLETE_FIELDS)
    for body in ("TermSetCreateIn", "PatchedTermSetPatchIn"):
        prop = components[body]["properties"]["definition"]
        assert prop.get("allOf", [prop])[0]["$ref"] == "#/components/schemas/DefinitionDoc"


# ------------------------------------------------------------------------- pages


@pytest.mark.parametrize("role", ["sdr", "marketer", "director"])
def test_the_version_page_says_the_period_terms(request, client, v1, role):
    client.force_login(request.getfixturevalue(role))
    html = client.get(detail(v1)).content.decode()
    assert "Period terms" in html
    assert 'data-period-term="icp_grade">Fit grade B or better (A or B)</dd>' in html
    assert 'data-period-term="complete_fields">Company; Job title; Phone or email</dd>' in html
    assert (
        'data-period-term="min_attempts">At least 6 touch attempts before an SDR gives up '
        "on a lead (unless not ICP)</dd>"
    ) in html
    assert "data-period-form" not in html  # published: no form


def test_a_version_without_a_period_section_shows_the_defaults(client, director, v1):
    definition = sla_terms.default_definition()
    del definition["period"]
    TermSet.objects.filter(pk=v1.pk).update(definition=definition)
    client.force_login(director)
    html = client.get(detail(v1)).content.decode()
    assert "At least 6 touch attempts" in html
    assert "Fit grade B or better" in html


def test_another_version_in_words(client, director, v1):
    draft = services.create_draft(director, definition=with_period(**THREE))
    services.publish(draft, by=director)
    client.force_login(director)
    html = client.get(detail(draft)).content.decode()
    assert 'data-period-term="icp_grade">Fit grade A</dd>' in html
    assert 'data-period-term="complete_fields">Company; Email</dd>' in html
    assert "At least 3 touch attempts" in html


def test_the_period_form_saves_and_keeps_the_rest(client, director, v1):
    client.force_login(director)
    draft = services.create_draft(director)
    definition = sla_terms.default_definition()
    definition["policies"].insert(0, {"name": "Hot", "match": {"quadrant": ["hot"]}})
    services.update_draft(draft, by=director, definition=definition)
    page = client.get(detail(draft)).content.decode()
    assert "data-period-form" in page
    assert 'name="period-min_attempts" value="6"' in page
    assert 'value="contact" checked' in page
    assert 'value="phone">' in page  # not checked
    saved = client.post(
        detail(draft),
        period_post(icp_grade="A", complete_fields=["company", "phone"], min_attempts="4"),
    )
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert draft.definition["period"] == {
        "icp_grade": "A",
        "complete_fields": ["company", "phone"],
        "min_attempts": 4,
    }
    assert draft.definition["terms"] == definition["terms"]
    assert draft.definition["policies"] == definition["policies"]
    html = client.get(detail(draft)).content.decode()
    assert "At least 4 touch attempts" in html
    assert 'name="period-min_attempts" value="4"' in html


def test_the_period_form_marks_each_bad_field(client, director, v1):
    client.force_login(director)
    draft = services.create_draft(director)
    draft.refresh_from_db()
    before = everything()
    page = client.post(
        detail(draft), period_post(icp_grade="Z", complete_fields=[], min_attempts="lots")
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "Nothing was saved: see the fields marked below." in html
    for field, words in (
        ("period-icp_grade", "must be one of: A, B, C"),
        ("period-complete_fields", "must list one or more of"),
        ("period-min_attempts", "must be a whole number from 0 to 100"),
    ):
        assert f'data-error-for="{field}">{words}' in html, field
    assert 'name="period-min_attempts" value="lots"' in html  # kept as typed
    assert everything() == before
    for bad in ("101", "-1", "", "2.5"):
        page = client.post(detail(draft), period_post(min_attempts=bad))
        assert page.status_code == 400, bad
        assert 'data-error-for="period-min_attempts"' in page.content.decode()
    assert everything() == before


def test_only_admins_and_directors_post_the_period_form(client, sdr, director, v1):
    draft = services.create_draft(director)
    before = everything()
    client.force_login(sdr)
    assert client.post(detail(draft), period_post(min_attempts="1")).status_code == 403
    client.force_login(director)
    page = client.post(detail(v1), period_post(min_attempts="1"))
    assert page.status_code == 409  # a published version never changes
    assert everything() == before


def test_the_json_editor_takes_the_period_section(client, director, v1):
    client.force_login(director)
    draft = services.create_draft(director)
    before = everything()
    bad = with_period(min_attempts=-2, icp_grade="E")
    page = client.post(detail(draft), {"name": "x", "definition": json.dumps(bad)})
    assert page.status_code == 400
    html = page.content.decode()
    assert "period.min_attempts: must be a whole number from 0 to 100" in html
    assert "period.icp_grade: must be one of: A, B, C" in html
    assert everything() == before
    # a change to the period section alone is a change: it is saved
    good = json.loads(shown_json(draft.definition))
    good["period"]["min_attempts"] = 2
    saved = client.post(detail(draft), {"name": draft.name, "definition": json.dumps(good)})
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert draft.definition["period"]["min_attempts"] == 2


def test_the_editor_shows_the_period_between_terms_and_policies(db):
    definition = {
        "policies": [{"name": "All", "match": {}}],
        "period": {"min_attempts": 6, "complete_fields": ["company"], "icp_grade": "B"},
        "terms": sla_terms.DEFAULT_TERMS,
    }
    shown = json.loads(shown_json(definition))
    assert list(shown) == ["terms", "period", "policies"]
    assert list(shown["period"]) == ["icp_grade", "complete_fields", "min_attempts"]
