"""The SDR queue page and the manager's team view (on H4's leads.queue.claim / leads.queue.routing):
who may open them, the order and deadlines, "Next lead", a fixed number of queries
whatever the queue length, away flags and reassignment."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone

from leads.models import LeadEvent, RepSettings
from tests.factories import LeadFactory, UserFactory, with_history

pytest.importorskip("leads.queue.claim")  # H4's queue; present once h4-routing is merged

pytestmark = pytest.mark.django_db


def queue_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-queue-lead="(\d+)"', response.content.decode())]


@pytest.mark.parametrize(
    "user_fixture", ["marketer", "ae", "sales_manager", "director", "outsider"]
)
def test_the_queue_is_for_sdrs(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    assert client.get(reverse("leads:queue")).status_code == 403
    assert client.post(reverse("leads:queue_next")).status_code == 403


def test_the_queue_lists_own_open_leads_hot_first_with_deadlines(client, sdr, other_sdr):
    now = timezone.now()
    cold = with_history(
        LeadFactory(stage="sal", owner=sdr, score_quadrant="nurture", assigned_at=now)
    )
    hot = with_history(LeadFactory(stage="mql", owner=sdr, score_quadrant="hot", assigned_at=now))
    LeadFactory(stage="sql", owner=sdr)  # handed on: not in the queue
    LeadFactory(stage="mql", owner=other_sdr)
    client.force_login(sdr)

    response = client.get(reverse("leads:queue"))

    assert response.status_code == 200
    assert queue_ids(response) == [hot.pk, cold.pk]
    html = response.content.decode()
    for lead in (hot, cold):  # the earliest due time of its running clocks
        due = min(
            c.due_at for c in lead.clocks.filter(state="running").exclude(term="return_window")
        )
        assert f'data-deadline="{dateformat.format(timezone.localtime(due), "c")}"' in html
    assert html.count('data-action="accept"') == 1  # only the MQL is accepted


def test_next_lead_claims_from_the_team_pool(client, sdr, sdr_team_east):
    pooled = LeadFactory(stage="mql", team=sdr_team_east, owner=None, mql_at=timezone.now())
    client.force_login(sdr)

    page = client.get(reverse("leads:queue"))
    claimed = client.post(reverse("leads:queue_next"))

    assert 'data-pool="1"' in page.content.decode()
    assert claimed.status_code == 302
    assert claimed["Location"] == f"{reverse('leads:queue')}?selected={pooled.pk}"
    pooled.refresh_from_db()
    assert (pooled.owner, pooled.stage) == (sdr, "mql")
    assert queue_ids(client.get(claimed["Location"])) == [pooled.pk]


def test_next_lead_on_an_empty_pool_says_so(client, sdr):
    client.force_login(sdr)

    response = client.post(reverse("leads:queue_next"), follow=True)

    assert "The team pool is empty" in response.content.decode()


def test_accepting_from_the_queue_comes_back_to_it(client, sdr):
    lead = LeadFactory(stage="mql", owner=sdr, assigned_at=timezone.now())
    client.force_login(sdr)
    back = f"{reverse('leads:queue')}?selected={lead.pk}"

    response = client.post(reverse("leads:lead_act", args=[lead.pk, "accept"]), {"next": back})

    assert response["Location"] == back
    lead.refresh_from_db()
    assert lead.stage == "sal"


def test_the_queue_runs_a_fixed_number_of_queries(client, sdr, django_assert_num_queries):
    client.force_login(sdr)
    LeadFactory(stage="mql", owner=sdr, assigned_at=timezone.now())
    client.get(reverse("leads:queue"))  # warm up
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("leads:queue"))
    LeadFactory.create_batch(25, stage="sal", owner=sdr, assigned_at=timezone.now())

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("leads:queue"))

    assert len(queue_ids(response)) == 26


# --- the manager's team view ------------------------------------------------------------


@pytest.mark.parametrize("user_fixture", ["marketer", "sdr", "ae", "director", "outsider"])
def test_the_team_view_is_for_sales_managers(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    assert client.get(reverse("leads:team")).status_code == 403


def test_the_team_view_shows_load_and_reassigns(client, sales_manager, sdr, sdr_team_east):
    mate = UserFactory(username="tina", first_name="Tina", roles=["sdr"])
    sdr_team_east.members.add(mate)
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    client.force_login(sales_manager)

    page = client.get(reverse("leads:team")).content.decode()
    moved = client.post(reverse("leads:team_assign", args=[lead.pk]), {"to_user": mate.pk})

    load = re.search(rf'data-member="{sdr.pk}">.*?data-load-link>(\d+)<', page, re.S).group(1)
    assert load == "2"
    assert moved.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == mate
    assert LeadEvent.objects.filter(lead=lead, kind="assignment", actor_user=sales_manager).exists()


def test_each_members_count_of_open_leads_links_to_the_list_of_them(
    client, sales_manager, sdr, sdr_team_east
):
    for stage in ("mql", "sal", "sql", "opportunity", "won", "nurture"):
        LeadFactory(stage=stage, owner=sdr, team=sdr_team_east)
    LeadFactory(stage="sal", owner=UserFactory(roles=["sdr"]), team=sdr_team_east)
    client.force_login(sales_manager)

    page = client.get(reverse("leads:team")).content.decode()
    href, count = re.search(
        rf'data-member="{sdr.pk}">.*?<a href="([^"]+)" data-load-link>(\d+)<', page, re.S
    ).groups()
    listed = client.get(href.replace("&amp;", "&")).content.decode()

    assert count == "4"
    assert re.search(r'data-result-count="(\d+)"', listed).group(1) == count
    assert listed.count("data-lead-id=") == 4


def test_people_away_are_not_offered_as_reassignment_targets(
    client, sales_manager, sdr, sdr_team_east
):
    mate = UserFactory(username="tina", first_name="Tina", roles=["sdr"])
    resting = UserFactory(username="rest", first_name="Resting", roles=["sdr"])
    sdr_team_east.members.add(mate, resting)
    RepSettings.objects.create(user=resting, away=True)
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    client.force_login(sales_manager)

    page = client.get(reverse("leads:team")).content.decode()

    row = re.search(rf'data-team-lead="{lead.pk}">.*?</tr>', page, re.S).group(0)
    offered = [int(pk) for pk in re.findall(r'<option value="(\d+)"', row)]
    assert offered == [mate.pk]  # not the owner, not the one away


def test_the_manager_marks_a_member_away_and_back(client, sales_manager, sdr):
    client.force_login(sales_manager)

    away = client.post(reverse("leads:team_away", args=[sdr.pk]), {"away": "1"})
    flagged = RepSettings.objects.get(user=sdr).away
    back = client.post(reverse("leads:team_away", args=[sdr.pk]), {"away": "0"})

    assert (away.status_code, back.status_code) == (302, 302)
    assert flagged is True
    assert RepSettings.objects.get(user=sdr).away is False


def test_a_manager_cannot_mark_someone_outside_their_teams(client, sales_manager, other_sdr):
    client.force_login(sales_manager)

    response = client.post(reverse("leads:team_away", args=[other_sdr.pk]), {"away": "1"})

    assert response.status_code == 403
    assert not RepSettings.objects.filter(user=other_sdr, away=True).exists()
