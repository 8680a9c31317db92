"""The audit trail: what a record keeps, what it shows, and that it rolls back with its change."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from leads.audit.models import AuditRecord
from leads.audit.selectors import audit_records, with_words
from leads.audit.services import SYSTEM, audit_changes, audit_record, audit_snapshot
from leads.audit.words import action_label, register_actions
from leads.people.models import Team
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_record_keeps_who_what_and_only_the_changed_values(admin_user, sdr):
    team = TeamFactory(name="East", kind=Team.Kind.SDR, manager=None)
    before = audit_snapshot(team, ["name", "manager", "framework", "members"])
    team.name, team.manager = "East 2", sdr
    team.save()
    team.members.add(sdr)
    after = audit_snapshot(team, ["name", "manager", "framework", "members"])

    record = audit_record(
        actor=admin_user, action="team.update", target=team, before=before, after=after
    )

    record.refresh_from_db()
    assert (record.actor, record.actor_label) == (admin_user, "Ada Admin")
    assert (record.target_type, record.target_id) == ("team", str(team.pk))
    assert record.target_label == "East 2"
    assert record.before == {"name": "East", "manager": None, "members": []}
    assert record.after == {"name": "East 2", "manager": sdr.pk, "members": [sdr.pk]}


def test_the_system_is_an_actor_and_values_become_json(db):
    when = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)
    record = audit_record(
        actor=None,
        action="leads.export",
        target_type="lead",
        detail={"rows": 3, "since": when, "long": "x" * 5000},
    )
    record.refresh_from_db()
    assert record.actor is None
    assert record.actor_label == SYSTEM
    assert record.detail["since"] == "2026-03-01T09:30:00+00:00"
    assert len(record.detail["long"]) == 2001


def test_audit_changes_keeps_differences_only():
    assert audit_changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == ({"b": 2}, {"b": 3})
    assert audit_changes({"a": 1}, {}) == ({"a": 1}, {"a": None})


def test_a_record_is_rolled_back_with_its_change(admin_user):
    def change_that_fails():
        with transaction.atomic():
            audit_record(actor=admin_user, action="team.update", target_type="team", target_id=1)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not AuditRecord.objects.exists()


def test_selectors_filter_newest_first_and_word_actions(admin_user, sdr):
    register_actions({"test.audit": _("Audit test")})
    team = TeamFactory()
    first = audit_record(actor=admin_user, action="test.audit", target=team)
    second = audit_record(actor=sdr, action="other.code", target=team)
    audit_record(actor=admin_user, action="test.audit", target_type="rule", target_id=9)

    assert list(audit_records(target=team)) == [second, first]
    assert list(audit_records(actor=admin_user, target_type="team")) == [first]
    assert audit_records(action_prefix="test.").count() == 2
    rows = with_words(audit_records(target=team))
    assert [r.action_words for r in rows] == ["other.code", "Audit test"]
    assert action_label("never.registered") == "never.registered"

    html = render_to_string("audit/_records.html", {"records": rows})
    assert "Ada Admin" in html
    assert "Audit test" in html
    with translation.override("zh-hans"):
        assert "尚无变更记录" in render_to_string("audit/_records.html", {"records": []})


def test_the_admin_shows_records_read_only(client, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    record = audit_record(actor=admin_user, action="team.update", target_type="team", target_id=1)
    client.force_login(admin_user)
    assert client.get("/admin/leads/auditrecord/").status_code == 200
    assert client.get(f"/admin/leads/auditrecord/{record.pk}/change/").status_code == 200
    assert client.post(f"/admin/leads/auditrecord/{record.pk}/delete/").status_code == 403
    assert client.get("/admin/leads/auditrecord/add/").status_code == 403
    outsider = UserFactory(roles=["sdr"], is_staff=True)
    client.force_login(outsider)
    assert client.get("/admin/leads/auditrecord/").status_code == 403
