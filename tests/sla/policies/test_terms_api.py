"""The terms API: everyone signed in reads; admins and directors make, edit and
publish drafts; a published version answers 409; a bad definition 400 with its
errors keyed by path; a refusal writes nothing."""

from __future__ import annotations

import pytest

from sla import terms as sla_terms
from sla.models import TermSet
from sla.policies import services

URL = "/api/v1/sla/terms/"
Status = TermSet.Status


@pytest.fixture
def v1(db):
    return services.published_terms()


def snapshot(version):
    version.refresh_from_db()
    return (version.status, version.name, version.definition, version.updated_at)


def everything():
    return sorted(
        TermSet.objects.values_list("pk", "number", "status", "name", "definition", "updated_at")
    )


@pytest.mark.parametrize(
    "role", ["sdr", "ae", "sales_manager", "marketer", "director", "admin_user", "integration"]
)
def test_everyone_signed_in_reads(request, api_as, api_client, v1, role):
    assert api_client.get(URL).status_code == 401
    client = api_as(request.getfixturevalue(role))
    body = client.get(URL).json()
    assert [(v["number"], v["status"]) for v in body["results"]] == [(1, "published")]
    detail = client.get(f"{URL}{v1.pk}/").json()
    assert detail["definition"]["terms"]["first_touch"]["target"] == 240
    assert client.get(f"{URL}{v1.pk + 999}/").status_code == 404


@pytest.mark.parametrize(
    "role", ["sdr", "ae", "sales_manager", "marketer", "integration", "outsider"]
)
def test_only_admins_and_directors_write(request, api_as, admin_user, v1, role):
    draft = services.create_draft(admin_user)
    client = api_as(request.getfixturevalue(role))
    before = everything()
    created = client.post(URL, {}, format="json")
    assert created.status_code == 403
    assert "admins and directors" in created.json()["detail"]
    assert client.patch(f"{URL}{draft.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.post(f"{URL}{draft.pk}/publish/").status_code == 403
    assert everything() == before


@pytest.mark.parametrize("role", ["director", "admin_user"])
def test_draft_edit_publish(request, api_as, v1, role):
    client = api_as(request.getfixturevalue(role))
    created = client.post(URL, {"name": "Faster"}, format="json")
    assert created.status_code == 201, created.json()
    draft = created.json()
    assert (draft["number"], draft["status"], draft["name"]) == (2, "draft", "Faster")
    assert draft["definition"] == v1.definition
    definition = sla_terms.default_definition()
    definition["policies"].insert(
        0,
        {"name": "Hot", "match": {"quadrant": ["hot"]}, "targets": {"first_touch": {"target": 60}}},
    )
    patched = client.patch(f"{URL}{draft['id']}/", {"definition": definition}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["definition"]["policies"][0]["name"] == "Hot"
    published = client.post(f"{URL}{draft['id']}/publish/")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    v1.refresh_from_db()
    assert v1.status == Status.RETIRED
    statuses = {v["number"]: v["status"] for v in client.get(URL).json()["results"]}
    assert statuses == {1: "retired", 2: "published"}
    # a copy of a given version, and one with a definition of its own
    copy = client.post(URL, {"from_version": v1.pk}, format="json").json()
    assert (copy["number"], copy["definition"], copy["name"]) == (3, v1.definition, v1.name)
    own = client.post(URL, {"definition": definition, "name": "own"}, format="json")
    assert own.status_code == 201
    assert client.post(URL, {"from_version": 99999}, format="json").status_code == 404


def test_a_published_or_retired_version_answers_409(api_as, director, v1):
    client = api_as(director)
    before = snapshot(v1)
    answer = client.patch(f"{URL}{v1.pk}/", {"name": "renamed"}, format="json")
    assert answer.status_code == 409
    assert answer.json()["status"] == "published"
    assert "Version 1" in answer.json()["detail"]
    assert client.post(f"{URL}{v1.pk}/publish/").status_code == 409
    draft = client.post(URL, {}, format="json").json()
    client.post(f"{URL}{draft['id']}/publish/")
    answer = client.patch(
        f"{URL}{v1.pk}/", {"definition": sla_terms.default_definition()}, format="json"
    )
    assert answer.status_code == 409
    assert answer.json()["status"] == "retired"
    assert client.post(f"{URL}{v1.pk}/publish/").status_code == 409
    assert snapshot(v1)[1:3] == before[1:3]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (
            lambda d: d["terms"]["acceptance"].update(target=0),
            "terms.acceptance.target",
            "must be greater than zero",
        ),
        (
            lambda d: d["terms"]["acceptance"].update(target=-30),
            "terms.acceptance.target",
            "must be greater than zero",
        ),
        (
            lambda d: d["policies"][0].update(match={"quadrant": ["hot"]}),
            "policies[0]",
            "the last policy must match every lead",
        ),
        (
            lambda d: d["policies"].insert(0, {"name": "All", "match": {}}),
            "policies[0]",
            "is not the last policy",
        ),
        (lambda d: d["terms"].update(lunch={}), "terms.lunch", "is not a term"),
        (
            lambda d: d["terms"]["first_touch"].update(unit="hours"),
            "terms.first_touch.unit",
            "must be one of",
        ),
        (
            lambda d: d["policies"][0].update(calendar=424242),
            "policies[0].calendar",
            "is not a calendar",
        ),
    ],
)
def test_a_bad_definition_answers_400_by_path(api_as, director, v1, change, path, words):
    client = api_as(director)
    draft = services.create_draft(director)
    definition = sla_terms.default_definition()
    change(definition)
    before = everything()
    for answer in (
        client.patch(f"{URL}{draft.pk}/", {"definition": definition}, format="json"),
        client.post(URL, {"definition": definition}, format="json"),
    ):
        assert answer.status_code == 400
        body = answer.json()
        assert "nothing was saved" in body["detail"]
        assert any(words in m for m in body["errors"][path]), body
    assert everything() == before


def test_bad_shapes_answer_400(api_as, director, v1):
    client = api_as(director)
    draft = services.create_draft(director)
    before = everything()
    for body in ({"definition": []}, {"definition": "x"}, {"name": "x" * 201}):
        answer = client.patch(f"{URL}{draft.pk}/", body, format="json")
        assert answer.status_code == 400, body
    assert client.post(URL, {"definition": 5}, format="json").status_code == 400
    assert client.post(URL, {"from_version": "v1"}, format="json").status_code == 400
    assert everything() == before


def test_the_schema_declares_the_terms_endpoints(api_as, director):
    schema = api_as(director).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/sla/terms/"]) >= {"get", "post"}
    assert set(paths["/api/v1/sla/terms/{id}/"]) >= {"get", "patch"}
    publish = paths["/api/v1/sla/terms/{id}/publish/"]["post"]["responses"]
    assert {"200", "400", "403", "404", "409"} <= set(publish)
