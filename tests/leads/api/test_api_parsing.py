"""How the API reads a body (``leads.web.api_parsing``) and answers what it refuses:
JSON only, at most ``MAX_JSON_DEPTH`` levels deep and ``DATA_UPLOAD_MAX_MEMORY_SIZE``
bytes, every refusal a 4xx in the API's error shape that wrote nothing (issue 10 §1)."""

from __future__ import annotations

import json

import pytest
from django import forms as django_forms

from leads.models import Activity, Lead
from leads.web.api_parsing import MAX_JSON_DEPTH, json_depth

LEADS = "/api/v1/leads/"
ACTIVITIES = "/api/v1/activities/"


def _nested(depth: int) -> str:
    """An array ``depth`` levels deep, as text (json.dumps itself would recurse)."""
    return "[" * depth + "]" * depth


def _lead(**extra) -> dict:
    return {"email": "ann@acme.example", "source_channel": "website", **extra}


def test_json_depth_counts_levels_without_recursion():
    assert json_depth(1) == 0
    assert json_depth([]) == 1
    assert json_depth({"a": [1, {"b": []}]}) == 4
    assert json_depth(json.loads(_nested(900))) == 900


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LEADS, ACTIVITIES, "/api/v1/leads/bulk/"])
def test_json_nested_100000_deep_is_a_400_naming_the_limit(api_as, integration, url):
    # was: 500, RecursionError in the JSON parser
    response = api_as(integration).post(url, _nested(100_000), content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": f"JSON nested more than {MAX_JSON_DEPTH} levels deep."}
    assert Lead.objects.count() == 0


@pytest.mark.django_db
def test_json_deeper_than_the_limit_is_refused_and_at_the_limit_is_read(api_as, integration):
    client = api_as(integration)
    deep: dict = {}
    node = deep
    for _ in range(MAX_JSON_DEPTH):  # the lead object + MAX_JSON_DEPTH nested levels
        node["d"] = {}
        node = node["d"]

    refused = client.post(LEADS, json.dumps(_lead(custom=deep)), content_type="application/json")
    read = client.post(LEADS, json.dumps(_lead(custom={"d": {}})), content_type="application/json")

    assert refused.status_code == 400
    assert "levels deep" in refused.json()["detail"]
    assert read.status_code in (201, 400)  # parsed; the serializer decides (not the parser)
    assert "levels deep" not in read.content.decode()


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_a_413_and_nothing_is_written(
    api_as, integration, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    client = api_as(integration)
    body = json.dumps(_lead(name="x" * 2_100))

    response = client.post(LEADS, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 2,000 bytes."}
    assert Lead.objects.count() == 0
    small = client.post(LEADS, json.dumps(_lead(name="Ann")), content_type="application/json")
    assert small.status_code == 201


@pytest.mark.django_db
def test_a_bulk_batch_over_the_upload_limit_is_a_413(api_as, integration, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    rows = [_lead(email=f"p{i}@acme.example") for i in range(200)]

    response = api_as(integration).post(
        "/api/v1/leads/bulk/", json.dumps(rows), content_type="application/json"
    )

    assert response.status_code == 413
    assert Lead.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "email=ann%40acme.example&source_channel=website"),
        ("multipart/form-data; boundary=xyz", "--xyz--"),
        ("text/plain", json.dumps(_lead())),
    ],
)
def test_a_body_that_is_not_json_is_a_415(api_as, integration, content_type, body):
    response = api_as(integration).post(LEADS, body, content_type=content_type)

    assert response.status_code == 415
    assert set(response.json()) == {"detail"}
    assert Lead.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{", "JSON parse error"),
        ('{"email": NaN}', "JSON parse error"),
        (b"\xff\xfe{}", "not valid utf-8"),
    ],
)
def test_malformed_json_is_a_400(api_as, integration, body, problem):
    response = api_as(integration).post(ACTIVITIES, body, content_type="application/json")

    assert response.status_code == 400
    assert problem in response.json()["detail"]
    assert Activity.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/leads/abc/", "/api/v1/nothing-here/", "/api/v1/leads/1/score/x/"]
)
def test_an_api_url_no_route_matches_is_a_json_404(api_as, integration, path):
    # was: the site's HTML 404 page, a content type the schema does not declare
    response = api_as(integration).get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_a_page_url_no_route_matches_is_still_the_html_404(client, integration):
    client.force_login(integration)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_every_operation_declares_the_common_errors(api_as, integration):
    schema = api_as(integration).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"400", "401", "403", "404", "405", "406", "429", "503"} <= declared, (
                method,
                path,
            )
            if method in ("post", "put", "patch", "delete"):
                assert {"413", "415"} <= declared, (method, path)
            body = operation.get("requestBody", {}).get("content", {})
            assert set(body) <= {"application/json"}, (method, path)
    assert schema["components"]["schemas"]["ApiError"]["required"] == ["detail"]


@pytest.mark.django_db
def test_a_request_django_refuses_before_the_api_is_a_json_400_under_api(client):
    # a Host not in ALLOWED_HOSTS: Django refuses it before any view runs
    api = client.get("/api/v1/leads/", HTTP_HOST="evil.example")
    page = client.get("/leads/", HTTP_HOST="evil.example")

    assert api.status_code == 400
    assert api.json() == {"detail": "Bad request."}
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_routing_rule_in_the_admin_with_json_100000_deep_is_a_form_error(client, admin_user):
    # was: 500, RecursionError in Django's JSON form field
    from leads.models import RoutingRule
    from leads.people.models import Team

    team = Team.objects.create(name="East", kind="sdr")
    client.force_login(admin_user)

    response = client.post(
        "/admin/leads/routingrule/add/",
        {
            "name": "deep",
            "order": 1,
            "active": "on",
            "applies_to": "mql",
            "conditions": _nested(100_000),
            "team": team.pk,
        },
    )

    assert response.status_code == 200
    assert "Nested deeper than 20 levels." in response.content.decode()
    assert RoutingRule.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field"),
    [("Activity", "properties"), ("RoutingRule", "conditions")],
)
def test_every_admin_json_field_is_bounded(rf, admin_user, model, field):
    from django.contrib import admin

    from leads import models
    from leads.storable_forms import StorableJSONField

    request = rf.get("/admin/")
    request.user = admin_user
    model_admin = admin.site._registry[getattr(models, model)]
    form = model_admin.get_form(request)

    assert isinstance(form.base_fields[field], StorableJSONField)
    with pytest.raises(django_forms.ValidationError, match="Nested deeper than"):
        form.base_fields[field].clean(_nested(100_000))
