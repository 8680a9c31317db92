"""People in the console: create, invite (the set-password link), roles and teams,
routing settings, deactivate (leads released) and reactivate; each leaves its record."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from leads.audit.models import AuditRecord
from leads.models import Lead, RepSettings, Stage
from leads.people.models import Team
from tests.factories import LeadFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_admin_adds_an_sdr_who_sets_a_password_from_the_invitation(
    client, admin_user, sdr_team_east, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:people"),
            {
                "username": "nina",
                "first_name": "Nina",
                "last_name": "New",
                "email": "nina@example.com",
                "roles": ["sdr"],
                "teams": [sdr_team_east.pk],
                "invite": "on",
            },
        )
    nina = Lead._meta.apps.get_model("auth", "User").objects.get(username="nina")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:person", args=[nina.pk])
    assert sorted(nina.groups.values_list("name", flat=True)) == ["sdr"]
    assert list(nina.teams.all()) == [sdr_team_east]
    assert not nina.has_usable_password()
    records = list(AuditRecord.objects.order_by("id").values_list("action", "target_id", "actor"))
    assert records == [
        ("person.create", str(nina.pk), admin_user.pk),
        ("person.invite", str(nina.pk), admin_user.pk),
    ]
    created = AuditRecord.objects.get(action="person.create")
    assert created.after["roles"] == ["sdr"]
    assert created.after["teams"] == [sdr_team_east.name]

    # the invitation
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nina@example.com"]
    link = re.search(r"http://testserver(/accounts/invite/\S+/)", mail.outbox[0].body).group(1)
    client.logout()
    page = client.get(link, follow=True)
    assert page.status_code == 200
    assert b"new_password1" in page.content
    set_url = page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "a-long-pass-9281", "new_password2": "a-long-pass-9281"}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("login")
    assert client.login(username="nina", password="a-long-pass-9281")
    assert AuditRecord.objects.filter(action="person.password_set", actor=nina).count() == 1
    # the link works once
    client.logout()
    again = client.get(link, follow=True)
    assert b"new_password1" not in again.content


def test_a_taken_username_or_bad_text_names_the_field(client, admin_user, sdr):
    client.force_login(admin_user)
    taken = client.post(reverse("console:people"), {"username": "SAM", "roles": ["sdr"]})
    nul = client.post(
        reverse("console:people"), {"username": "zed", "first_name": "Z\x00ed", "roles": ["sdr"]}
    )
    long = client.post(reverse("console:people"), {"username": "z" * 151})
    no_email = client.post(reverse("console:people"), {"username": "yan", "invite": "on"})

    assert taken.status_code == nul.status_code == long.status_code == no_email.status_code == 400
    assert taken.context["form"].errors["username"] == ["This username is taken."]
    assert "first_name" in nul.context["form"].errors
    assert "username" in long.context["form"].errors
    assert "email" in no_email.context["form"].errors
    assert AuditRecord.objects.count() == 0


def test_roles_and_teams_change_with_a_before_and_after(client, admin_user, sdr, sdr_team_west):
    client.force_login(admin_user)
    response = client.post(
        reverse("console:person", args=[sdr.pk]),
        {
            "first_name": "Sam",
            "last_name": "East",
            "email": "sam@example.com",
            "roles": ["sdr", "sales_manager"],
            "teams": [sdr_team_west.pk],
        },
    )
    assert response.status_code == 302
    record = AuditRecord.objects.get(action="person.update")
    assert record.before == {"roles": ["sdr"], "teams": ["SDR East"]}
    assert record.after == {"roles": ["sales_manager", "sdr"], "teams": [sdr_team_west.name]}
    page = client.get(reverse("console:person", args=[sdr.pk]))
    assert "Person changed" in page.content.decode()


def test_an_admin_keeps_their_own_admin_role(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("console:person", args=[admin_user.pk]), {"first_name": "Ada", "roles": ["sdr"]}
    )
    assert response.status_code == 400
    assert "roles" in response.context["form"].errors
    assert list(admin_user.groups.values_list("name", flat=True)) == ["admin"]
    assert AuditRecord.objects.count() == 0


def test_routing_weight_and_cap(client, admin_user, sdr, sdr_team_east):
    client.force_login(admin_user)
    bad = client.post(reverse("console:person_routing", args=[sdr.pk]), {"weight": 0})
    assert bad.status_code == 400
    assert "weight" in bad.context["rep_form"].errors

    ok = client.post(
        reverse("console:person_routing", args=[sdr.pk]),
        {"weight": 3, "daily_cap": 20, "team": sdr_team_east.pk},
    )
    assert ok["Location"] == reverse("console:team", args=[sdr_team_east.pk])
    rep = RepSettings.objects.get(user=sdr)
    assert (rep.weight, rep.daily_cap) == (3, 20)
    record = AuditRecord.objects.get(action="person.routing")
    assert (record.before, record.after) == (
        {"weight": 1, "daily_cap": None},
        {"weight": 3, "daily_cap": 20},
    )


def test_deactivating_routes_their_unaccepted_leads_again(client, admin_user, sdr):
    other = UserFactory(username="otto", roles=["sdr"])
    team = TeamFactory(name="Round", kind=Team.Kind.SDR, mode=Team.Mode.ROUND_ROBIN)
    team.members.add(sdr, other)
    lead = LeadFactory(stage=Stage.MQL, owner=sdr, team=team)
    client.force_login(admin_user)

    response = client.post(reverse("console:person_active", args=[sdr.pk]), {"active": "0"})

    assert response.status_code == 302
    sdr.refresh_from_db()
    lead.refresh_from_db()
    assert not sdr.is_active
    assert lead.owner == other
    record = AuditRecord.objects.get(action="person.deactivate")
    assert record.detail == {"rerouted": 1, "to_manager": 0}
    assert (record.before, record.after) == ({"is_active": True}, {"is_active": False})

    again = client.post(reverse("console:person_active", args=[sdr.pk]), {"active": "1"})
    assert again.status_code == 302
    sdr.refresh_from_db()
    assert sdr.is_active
    assert AuditRecord.objects.filter(action="person.reactivate").count() == 1


def test_an_admin_cannot_deactivate_themself(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("console:person_active", args=[admin_user.pk]), {"active": "0"})
    assert response.status_code == 400
    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert AuditRecord.objects.count() == 0


def test_the_people_list_reads_a_fixed_number_of_queries(client, admin_user, sdr_team_east):
    client.force_login(admin_user)
    client.get(reverse("console:people"))  # warm the session and the role cache

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("console:people")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(5):
        person = UserFactory(username=f"p{n}", roles=["sdr", "ae"])
        person.teams.add(sdr_team_east)
    assert count() == few
