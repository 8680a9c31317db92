"""The predictive score's page (/scoring/predictive/) and its card on the lead page."""

import pytest
from django.urls import reverse

from leads.models import Job
from leads.scoring.predictive_services import NOT_ENOUGH_HISTORY, predictive_train
from tests.factories import AccountFactory
from tests.leads.scoring.predictive_history import (
    ODOO_VECTOR,
    WON_PATH,
    lead_with_history,
    odoo_history,
)

pytestmark = pytest.mark.django_db

PAGE = reverse("leads:scoring_predictive")
REFRESH = reverse("leads:scoring_predictive_refresh")


@pytest.fixture(autouse=True)
def odoo_factors(settings):
    """The Odoo vectors, worked by hand: no shrinkage, no temperature (the product's
    default is tested in tests/leads/scoring/test_predictive_shrinkage.py)."""
    settings.PREDICTIVE_PRIOR_WEIGHT = 0


@pytest.fixture
def snapshot():
    odoo_history()
    return predictive_train(min_count=0)


def test_the_page_needs_a_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_gets_403(client, outsider):
    client.force_login(outsider)
    assert client.get(PAGE).status_code == 403


def test_before_training_the_page_says_so(client, marketer):
    client.force_login(marketer)

    html = client.get(PAGE).content.decode()

    assert "data-no-snapshot" in html
    assert "Refresh it to train it on the closed leads." in html
    assert 'data-action="refresh"' in html


def test_the_page_explains_the_snapshot(client, director, snapshot):
    lead_with_history(stage="lost", path=WON_PATH, source_system="demo")
    client.force_login(director)

    response = client.get(PAGE)

    html = response.content.decode()
    summary = response.context["summary"]
    assert summary["id"] == snapshot.pk
    assert f'data-trained-rows="{snapshot.trained_rows}"' in html
    assert "40 closed leads: 10 won, 30 lost or disqualified" in html
    assert f'data-held-out-rows="{snapshot.held_out_rows}"' in html
    for metric in ("accuracy", "auc", "brier", "base_rate"):
        assert f'data-metric="{metric}"' in html
    assert "Answering “lost” for every lead would score" in html
    assert "None: every value counts, however rarely it was seen." in html  # min_count 0
    assert 'data-factor="stage=sql"' in html
    assert "Furthest stage" in html
    # the director reads, but may not refresh
    assert 'data-action="refresh"' not in html
    # learned from real leads only: no synthetic label
    assert "data-demo-badge" not in html


def test_a_snapshot_of_demo_leads_is_labelled_synthetic(client, marketer):
    lead_with_history(stage="won", path=WON_PATH, source_system="demo")
    lead_with_history(stage="lost", path=WON_PATH, source_system="demo")
    predictive_train(min_count=0)
    client.force_login(marketer)

    html = client.get(PAGE).content.decode()

    assert "data-demo-badge" in html
    assert "Learned from synthetic demo data" in html


def test_the_page_costs_a_constant_number_of_queries(
    client, director, snapshot, django_assert_num_queries
):
    client.force_login(director)
    # session, user, groups, snapshot, latest job, the bell's unread count (sla.notify)
    with django_assert_num_queries(6):
        client.get(PAGE)


def test_a_marketer_refreshes_and_sees_the_progress(
    client, marketer, django_capture_on_commit_callbacks
):
    client.force_login(marketer)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(REFRESH)

    assert response.status_code == 302
    assert response["Location"] == PAGE
    job = Job.objects.get()
    assert (job.kind, job.state, job.created_by) == ("predictive", "pending", marketer)
    assert len(queued) == 1
    html = client.get(PAGE).content.decode()
    assert "Refresh queued" in html
    assert f'data-job="{job.pk}"' in html
    assert 'role="progressbar"' in html
    assert reverse("leads:job_progress", args=[job.pk]) in html  # polled while it runs
    assert reverse("leads:job_detail", args=[job.pk]) in html
    assert 'data-action="refresh" disabled' in html


def test_anyone_follows_a_running_refresh(client, director):
    job = Job.objects.create(kind="predictive", state="running", done=5, total=10)
    client.force_login(director)

    html = client.get(PAGE).content.decode()

    assert 'aria-valuenow="50"' in html
    assert reverse("leads:job_progress", args=[job.pk]) in html
    assert client.get(reverse("leads:job_progress", args=[job.pk])).json()["percent"] == 50


@pytest.mark.parametrize("user_fixture", ["sdr", "director", "sales_manager", "ae"])
def test_only_marketing_and_admins_may_refresh(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    assert client.post(REFRESH).status_code == 403
    assert not Job.objects.exists()


def test_refresh_only_answers_post(client, admin_user):
    client.force_login(admin_user)
    assert client.get(REFRESH).status_code == 405
    assert not Job.objects.exists()


def test_a_refresh_without_enough_history_says_so(client, marketer):
    Job.objects.create(kind="predictive", state="done", result={"message": NOT_ENOUGH_HISTORY})
    client.force_login(marketer)

    assert "data-not-enough" in client.get(PAGE).content.decode()


def test_a_failed_refresh_shows_its_reason(client, marketer):
    Job.objects.create(kind="predictive", state="failed", result={"message": "disk full"})
    client.force_login(marketer)

    html = client.get(PAGE).content.decode()

    assert "The last refresh stopped with an error" in html
    assert "disk full" in html


# ----------------------------------------------------------------------- lead page


def test_the_lead_page_shows_the_chance_and_its_reasons(client, marketer, snapshot):
    lead = lead_with_history(stage="sal", path=("mql",), account=AccountFactory(country="FR"))
    client.force_login(marketer)

    response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    html = response.content.decode()
    assert round(response.context["prediction"]["probability"], 2) == ODOO_VECTOR["sal", "FR"]
    assert 'data-win-probability="93.44"' in html
    assert "93.4 %" in html
    assert "Advice only — the published rules decide." in html
    assert "Furthest stage: SAL" in html
    assert 'data-factor="country=FR"' in html
    assert "Counts of all teams." in html
    # the card comes first in the side column
    side = html[html.index('class="detail-side"') :]
    assert side.index("data-predictive") < side.index("Contact")


def test_the_lead_page_of_a_closed_lead_says_it_teaches_the_model(client, marketer, snapshot):
    lead = lead_with_history(stage="won", path=WON_PATH)
    client.force_login(marketer)

    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()

    assert "data-predictive-closed" in html
    assert "This lead was won." in html
    assert "data-win-probability" not in html


def test_the_lead_page_without_a_snapshot_has_no_card(client, marketer):
    lead = lead_with_history(stage="sal", path=("mql",))
    client.force_login(marketer)

    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()

    assert "data-predictive" not in html
