"""Versions of the SLA terms: draft → published → retired, a published version never
changes, one in force at a time, the version in force at a past instant, every
change audited, nothing half-saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leads.audit.models import AuditRecord
from sla import terms as sla_terms
from sla import wording
from sla.models import BusinessCalendar, TermSet
from sla.policies import services
from sla.terms import InvalidTerms

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
Status = TermSet.Status


def snapshot(version: TermSet):
    version.refresh_from_db()
    return (version.status, version.name, version.definition, version.updated_at)


@pytest.fixture
def v1(db):
    return services.published_terms()


def hot_first(minutes=60):
    definition = sla_terms.default_definition()
    definition["policies"].insert(
        0,
        {
            "name": "Hot leads",
            "match": {"quadrant": ["hot"]},
            "targets": {"first_touch": {"target": minutes}},
        },
    )
    return definition


def test_migrate_publishes_version_1_with_the_defaults(v1):
    assert (v1.number, v1.status) == (1, Status.PUBLISHED)
    assert v1.definition == sla_terms.default_definition()
    assert v1.published_at is not None


def test_published_terms_makes_the_defaults_again_after_a_flush(db):
    TermSet.objects.all().delete()
    made = services.published_terms()
    assert (made.number, made.status) == (1, Status.PUBLISHED)
    assert made.definition == sla_terms.default_definition()
    assert services.published_terms() == made
    assert TermSet.objects.count() == 1


def test_the_lifecycle(v1, admin_user, director):
    with time_machine.travel(T0, tick=False):
        draft = services.create_draft(admin_user)
    assert (draft.number, draft.status, draft.created_by) == (2, Status.DRAFT, admin_user)
    assert draft.definition == v1.definition  # a copy of the published one
    draft = services.update_draft(
        draft, by=director, name="Hot leads faster", definition=hot_first()
    )
    assert draft.name == "Hot leads faster"
    assert draft.definition["policies"][0]["name"] == "Hot leads"
    frozen_v1 = snapshot(v1)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        published = services.publish(draft, by=director)
    v1.refresh_from_db()
    assert (published.status, published.published_at) == (Status.PUBLISHED, T0 + timedelta(hours=1))
    assert (v1.status, v1.retired_at) == (Status.RETIRED, T0 + timedelta(hours=1))
    assert v1.definition == frozen_v1[2]
    assert TermSet.objects.filter(status=Status.PUBLISHED).get() == published
    assert services.published_terms() == published
    # the next draft copies the new published version and takes the next number
    third = services.create_draft(director)
    assert (third.number, third.definition) == (3, published.definition)
    copy_of_v1 = services.create_draft(director, v1.pk, name="Back to the defaults")
    assert (copy_of_v1.number, copy_of_v1.definition) == (4, v1.definition)


@pytest.mark.parametrize("status", ["published", "retired"])
def test_a_published_or_retired_version_never_changes(v1, admin_user, status):
    if status == "retired":
        services.publish(services.create_draft(admin_user), by=admin_user)
        v1.refresh_from_db()
    before = snapshot(v1)
    with pytest.raises(services.TermsNotEditable) as raised:
        services.update_draft(v1, by=admin_user, definition=hot_first())
    assert "Version 1" in raised.value.message
    with pytest.raises(services.TermsNotEditable):
        services.update_draft(v1, by=admin_user, name="renamed")
    with pytest.raises(services.TermsNotEditable):
        services.publish(v1, by=admin_user)  # not again, not as a rollback
    assert snapshot(v1) == before


def test_an_invalid_definition_saves_nothing(v1, admin_user):
    draft = services.create_draft(admin_user)
    before = snapshot(draft)
    bad = hot_first(minutes=0)
    bad["policies"].pop()  # no catch-all
    with pytest.raises(InvalidTerms) as raised:
        services.update_draft(draft, by=admin_user, name="new name", definition=bad)
    assert set(raised.value.errors) == {
        ("policies[0].targets.first_touch.target", "not_positive"),
        ("policies[0]", "no_catch_all"),
    }
    assert snapshot(draft) == before
    count = TermSet.objects.count()
    with pytest.raises(InvalidTerms):
        services.create_draft(admin_user, definition=bad)
    assert TermSet.objects.count() == count
    with pytest.raises(InvalidTerms) as raised:
        services.update_draft(draft, by=admin_user, name="x" * 201)
    assert raised.value.errors == [("name", "too_long")]


def test_calendars_and_teams_must_exist(v1, admin_user, sdr_team_east):
    calendar = BusinessCalendar.objects.create(name="Shanghai", time_zone="Asia/Shanghai", hours={})
    draft = services.create_draft(admin_user)
    definition = hot_first()
    definition["policies"][0]["calendar"] = calendar.pk
    definition["policies"][0]["match"]["team"] = [sdr_team_east.pk]
    services.update_draft(draft, by=admin_user, definition=definition)
    definition["policies"][0]["calendar"] = calendar.pk + 1000
    definition["policies"][0]["match"]["team"] = [sdr_team_east.pk, sdr_team_east.pk + 1000]
    definition["policies"][0]["match"]["quadrant"] = ["HOT"]
    with pytest.raises(InvalidTerms) as raised:
        services.update_draft(draft, by=admin_user, definition=definition)
    assert set(raised.value.errors) == {
        ("policies[0].calendar", "unknown_calendar"),
        ("policies[0].match.team[1]", "unknown_team"),
        ("policies[0].match.quadrant[0]", "unknown_value"),
    }


def test_publishing_checks_again(v1, admin_user):
    """A calendar removed after the draft was saved: publishing refuses, nothing moves."""
    calendar = BusinessCalendar.objects.create(name="Gone", time_zone="UTC", hours={})
    draft = services.create_draft(admin_user)
    definition = hot_first()
    definition["policies"][0]["calendar"] = calendar.pk
    services.update_draft(draft, by=admin_user, definition=definition)
    calendar.delete()
    with pytest.raises(InvalidTerms) as raised:
        services.publish(draft, by=admin_user)
    assert raised.value.errors == [("policies[0].calendar", "unknown_calendar")]
    assert TermSet.objects.get(status=Status.PUBLISHED) == v1
    assert TermSet.objects.get(pk=draft.pk).status == Status.DRAFT


@pytest.mark.parametrize(
    "role", ["sdr", "ae", "sales_manager", "marketer", "integration", "outsider"]
)
def test_only_admins_and_directors_change_the_terms(request, v1, admin_user, role):
    person = request.getfixturevalue(role)
    draft = services.create_draft(admin_user)
    before = (snapshot(draft), snapshot(v1), TermSet.objects.count())
    with pytest.raises(services.TermsForbidden):
        services.create_draft(person)
    with pytest.raises(services.TermsForbidden):
        services.update_draft(draft, by=person, name="mine")
    with pytest.raises(services.TermsForbidden):
        services.publish(draft, by=person)
    assert (snapshot(draft), snapshot(v1), TermSet.objects.count()) == before


def test_terms_in_force_at_a_past_instant(v1, admin_user):
    TermSet.objects.filter(pk=v1.pk).update(published_at=T0)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        v2 = services.publish(services.create_draft(admin_user, name="two"), by=admin_user)
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        v3 = services.publish(services.create_draft(admin_user, name="three"), by=admin_user)
    services.create_draft(admin_user, name="a draft is never in force")
    at = services.terms_in_force
    assert at(T0 - timedelta(days=1)) == v3  # before any: the one in force now
    assert at(T0) == v1
    assert at(T0 + timedelta(hours=23, minutes=59)) == v1
    assert at(T0 + timedelta(days=1)) == v2  # the instant of the switch: the new one
    assert at(T0 + timedelta(days=1, hours=12)) == v2
    assert at(T0 + timedelta(days=2)) == v3
    assert at(T0 + timedelta(days=400)) == v3
    with pytest.raises(ValueError, match="aware"):
        at(datetime(2026, 5, 4, 9, 0))  # noqa: DTZ001 — refused on purpose


def test_each_change_leaves_an_audit_record(v1, director):
    draft = services.create_draft(director)
    services.update_draft(draft, by=director, name="Faster", definition=hot_first())
    services.update_draft(draft, by=director, name="Faster")  # no change: no record
    services.publish(draft, by=director)
    records = list(AuditRecord.objects.filter(target_type="termset").order_by("id"))
    assert [(r.action, r.target_id, r.actor) for r in records] == [
        ("sla_terms.create", str(draft.pk), director),
        ("sla_terms.update", str(draft.pk), director),
        ("sla_terms.retire", str(v1.pk), director),
        ("sla_terms.publish", str(draft.pk), director),
    ]
    assert records[0].detail == {"from_version": 1}
    assert records[1].detail == {"changed": ["policies[0]", "policies[1]"]}
    assert records[1].after == {"name": "Faster"}
    assert records[3].detail == {"retired": [1]}


def test_the_wording_names_the_field(settings):
    assert wording.error_text("policies[2].targets.first_touch.target", "not_positive") == (
        "policies[2].targets.first_touch.target: must be greater than zero"
    )
    assert wording.error_text("policies[1]", "no_catch_all").startswith(
        "policies[1]: the last policy must match every lead"
    )
    assert wording.errors_by_path([("terms.acceptance.unit", "unknown_unit")]) == {
        "terms.acceptance.unit": ["must be one of: working_minutes, working_days, plain_minutes"]
    }
    codes = {
        "not_an_object",
        "unknown_field",
        "missing",
        "unknown_unit",
        "not_a_whole_number",
        "not_positive",
        "too_large",
        "out_of_range",
        "default_too_large",
        "no_policies",
        "too_many",
        "bad_name",
        "duplicate_name",
        "not_a_list",
        "bad_value",
        "unknown_team",
        "unknown_value",
        "unknown_calendar",
        "unknown_term",
        "catch_all_not_last",
        "no_catch_all",
        "too_long",
        "not_json",
        "text_too_long",
    }
    for code in codes:
        assert wording.message("policies[0].match.quadrant[0]", code) != code
    assert wording.amount_words(120, "working_minutes") == "2 working hours"
    assert wording.amount_words(90, "working_minutes") == "90 working minutes"
    assert wording.amount_words(2880, "plain_minutes") == "48 hours (24×7)"
    assert wording.amount_words(1, "working_days") == "1 working day"
