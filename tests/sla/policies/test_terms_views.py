"""The terms pages: every role reads; admins and directors make drafts, edit them
(the definition as JSON, every error listed by its path, nothing half-saved) and
publish; a published version is never edited (409); the navigation's entry."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from sla import terms as sla_terms
from sla.models import BusinessCalendar, TermSet
from sla.policies import services

Status = TermSet.Status
LIST = "/sla/terms/"
NEW = "/sla/terms/new/"


@pytest.fixture
def v1(db):
    return services.published_terms()


def detail(version):
    return f"/sla/terms/{version.pk}/"


def snapshot(version):
    version.refresh_from_db()
    return (version.status, version.name, version.definition, version.updated_at)


def everything():
    return sorted(
        TermSet.objects.values_list("pk", "number", "status", "name", "definition", "updated_at")
    )


def post_definition(client, version, definition, name="Edited"):
    return client.post(detail(version), {"name": name, "definition": json.dumps(definition)})


def test_urls():
    assert reverse("sla:terms") == LIST
    assert reverse("sla:terms_new") == NEW


def test_anonymous_is_sent_to_sign_in(client, v1):
    for url in (LIST, detail(v1)):
        assert client.get(url)["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "role", ["sdr", "ae", "sales_manager", "marketer", "integration", "director", "admin_user"]
)
def test_every_role_reads(request, client, v1, role):
    client.force_login(request.getfixturevalue(role))
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-version="1"' in html
    page = client.get(detail(v1))
    assert page.status_code == 200
    html = page.content.decode()
    assert "4 working hours" in html  # first touch
    assert "48 hours (24×7)" in html  # the return window
    assert "All leads" in html
    can_change = role in ("director", "admin_user")
    assert ('data-action="copy"' in html) == can_change
    assert 'name="definition"' not in html  # published: no editor
    assert client.get(f"/sla/terms/{v1.pk + 999}/").status_code == 404


def test_someone_without_a_role_is_refused(client, outsider, v1):
    client.force_login(outsider)
    assert client.get(LIST).status_code == 403
    assert client.get(detail(v1)).status_code == 403


@pytest.mark.parametrize("role", ["sdr", "ae", "sales_manager", "marketer", "integration"])
def test_only_admins_and_directors_change(request, client, admin_user, v1, role):
    draft = services.create_draft(admin_user)
    client.force_login(request.getfixturevalue(role))
    before = everything()
    assert client.post(NEW).status_code == 403
    assert post_definition(client, draft, sla_terms.default_definition()).status_code == 403
    assert client.post(f"/sla/terms/{draft.pk}/publish/").status_code == 403
    assert 'name="definition"' not in client.get(detail(draft)).content.decode()
    assert everything() == before


@pytest.mark.parametrize("role", ["director", "admin_user"])
def test_new_draft_edit_and_publish(request, client, v1, role):
    client.force_login(request.getfixturevalue(role))
    made = client.post(NEW)
    draft = TermSet.objects.get(number=2)
    assert made["Location"] == detail(draft)
    page = client.get(detail(draft)).content.decode()
    assert 'name="definition"' in page
    assert 'data-action="publish"' in page
    definition = sla_terms.default_definition()
    definition["policies"].insert(
        0,
        {
            "name": "Hot leads",
            "match": {"quadrant": ["hot"], "region": ["East China"]},
            "targets": {"first_touch": {"target": 60}},
        },
    )
    saved = post_definition(client, draft, definition, name="Hot leads faster")
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.definition) == ("Hot leads faster", definition)
    page = client.get(detail(draft)).content.decode()
    assert "Quadrant is Hot" in page
    assert "Region is East China" in page
    assert "1 working hour" in page
    published = client.post(f"/sla/terms/{draft.pk}/publish/")
    assert published.status_code == 302
    draft.refresh_from_db()
    v1.refresh_from_db()
    assert (draft.status, v1.status) == (Status.PUBLISHED, Status.RETIRED)
    # a copy of a given version
    client.post(NEW, {"from_version": v1.pk})
    assert TermSet.objects.get(number=3).definition == v1.definition


def test_errors_are_listed_by_path_and_nothing_is_saved(client, director, v1):
    client.force_login(director)
    draft = services.create_draft(director)
    before = snapshot(draft)
    definition = sla_terms.default_definition()
    definition["terms"]["acceptance"]["target"] = -1
    definition["terms"]["sql_handoff"]["target"] = 0
    definition["policies"] = [
        {"name": "All", "match": {}},
        {"name": "Hot", "match": {"quadrant": ["hot"]}, "calendar": 9999},
    ]
    page = post_definition(client, draft, definition)
    assert page.status_code == 400
    html = page.content.decode()
    for line in (
        "terms.acceptance.target: must be greater than zero",
        "terms.sql_handoff.target: must be greater than zero",
        "policies[0]: matches every lead (a catch-all) but is not the last policy",
        "policies[1]: the last policy must match every lead",
        "policies[1].calendar: is not a calendar",
    ):
        assert line in html
    assert "&quot;target&quot;: -1" in html  # the input is kept
    assert snapshot(draft) == before
    # not JSON at all, and NaN
    for text in ("{not json", '{"terms": NaN}'):
        page = client.post(detail(draft), {"name": "x", "definition": text})
        assert page.status_code == 400
        assert "definition: is not valid JSON" in page.content.decode()
    page = client.post(detail(draft), {"name": "x" * 201, "definition": json.dumps(before[2])})
    assert page.status_code == 400
    assert "name: at most 200 characters" in page.content.decode()
    assert snapshot(draft) == before


def test_a_published_version_is_never_edited(client, director, v1):
    client.force_login(director)
    before = snapshot(v1)
    page = post_definition(client, v1, sla_terms.default_definition())
    assert page.status_code == 409
    assert "never changes" in page.content.decode()
    assert client.post(f"/sla/terms/{v1.pk}/publish/").status_code == 409
    assert snapshot(v1) == before


def test_policies_in_words_with_calendar_and_team(client, director, v1, sdr_team_west):
    calendar = BusinessCalendar.objects.create(name="Shanghai office", time_zone="Asia/Shanghai")
    draft = services.create_draft(director)
    definition = sla_terms.default_definition()
    definition["policies"].insert(
        0,
        {
            "name": "West",
            "match": {"team": [sdr_team_west.pk], "source_channel": ["event", "wechat"]},
            "calendar": calendar.pk,
            "targets": {"acceptance": {"target": 1, "unit": "working_days", "escalate_every": 0}},
        },
    )
    services.update_draft(draft, by=director, definition=definition)
    client.force_login(director)
    html = client.get(detail(draft)).content.decode()
    assert "Source channel is Event or WeChat" in html
    assert "Team is SDR West" in html
    assert "Shanghai office" in html
    assert "no escalation" in html
    with translation.override("zh-hans"):
        page = client.get(detail(draft), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("admin_user", True),
        ("director", True),
        ("sales_manager", True),
        ("marketer", True),
        ("sdr", False),
        ("ae", False),
    ],
)
def test_the_navigation_entry(request, client, v1, role, shown):
    client.force_login(request.getfixturevalue(role))
    html = client.get(LIST).content.decode()
    assert ('data-nav="sla:terms"' in html) == shown


def terms_post(definition, **changes):
    """The terms editor's fields for ``definition``'s terms, with ``changes``
    (``first_touch_target="0"``)."""
    data = {"form": "terms"}
    for term, fields in definition["terms"].items():
        for name, value in fields.items():
            data[f"{term}-{name}"] = str(value)
    for key, value in changes.items():
        term, name = key.split("__")
        data[f"{term}-{name}"] = value
    return data


def test_the_terms_form_saves_the_terms_and_keeps_the_policies(client, director, v1):
    client.force_login(director)
    draft = services.create_draft(director)
    definition = sla_terms.default_definition()
    definition["policies"].insert(0, {"name": "Hot", "match": {"quadrant": ["hot"]}})
    services.update_draft(draft, by=director, definition=definition)
    page = client.get(detail(draft)).content.decode()
    assert 'name="first_touch-target" value="240"' in page
    saved = client.post(
        detail(draft),
        terms_post(
            definition,
            first_touch__target="180",
            sql_handoff__unit="working_minutes",
            sql_handoff__target="480",
        ),
    )
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert draft.definition["terms"]["first_touch"]["target"] == 180
    assert draft.definition["terms"]["sql_handoff"] == {
        "target": 480,
        "unit": "working_minutes",
        "warn_percent": 75,
        "escalate_every": 1,
    }
    assert draft.definition["policies"] == definition["policies"]
    assert "3 working hours" in client.get(detail(draft)).content.decode()


def test_the_terms_form_marks_each_bad_field(client, director, v1):
    client.force_login(director)
    draft = services.create_draft(director)
    before = snapshot(draft)
    page = client.post(
        detail(draft),
        terms_post(
            draft.definition,
            first_touch__target="0",
            acceptance__target="-5",
            return_fix__warn_percent="abc",
            status_update__escalate_every="",
            sql_handoff__unit="fortnights",
        ),
    )
    assert page.status_code == 400
    html = page.content.decode()
    for field, words in (
        ("first_touch-target", "must be greater than zero"),
        ("acceptance-target", "must be greater than zero"),
        ("return_fix-warn_percent", "must be a whole number"),
        ("status_update-escalate_every", "is missing"),
        ("sql_handoff-unit", "must be one of"),
    ):
        assert f'data-error-for="{field}">{words}' in html, field
    assert 'name="return_fix-warn_percent" value="abc"' in html  # kept as typed
    assert snapshot(draft) == before
    # a reader cannot post it; a published version answers 409
    assert client.post(detail(v1), terms_post(v1.definition)).status_code == 409
