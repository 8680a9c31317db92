"""The HTML pages of leads: home, lead list, lead detail, and the Django admin."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from leads.models import Account, DomainListEntry, Lead, LeadEvent
from tests.factories import AccountFactory, ActivityFactory, LeadFactory

# Module-wide, so pytest-django runs these with the other database tests, before the
# transactional ones whose flush drops the role groups of the data migration.
pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def lead_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-lead-id="(\d+)"', response.content.decode())]


# --- login, navigation ---------------------------------------------------------


@pytest.mark.parametrize("url_name", ["home", "leads:lead_list", "leads:integration_tokens"])
def test_pages_require_login(client, db, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse(url_name)}"


def test_lead_detail_requires_login(client, db):
    lead = LeadFactory()

    response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_with_the_form_lands_on_home(client, marketer):
    response = client.post(
        reverse("login"), {"username": "mia", "password": "pw-for-tests-1"}, follow=True
    )

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "Welcome, Mia" in response.content.decode()


def test_wrong_password_shows_the_error(client, marketer):
    response = client.post(reverse("login"), {"username": "mia", "password": "nope"})

    assert response.status_code == 200
    assert "Please try again." in response.content.decode()


def test_logout_ends_the_session(client, marketer):
    client.force_login(marketer)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def nav_names(response) -> list[str]:
    return re.findall(r'data-nav="([^"]+)"', response.content.decode())


@pytest.mark.parametrize(
    ("user_fixture", "expected"),
    [
        (
            "marketer",
            [
                "home",
                "leads:lead_list",
                "leads:returns",
                "leads:scoring_models",
                "leads:import_start",
                "swagger-ui",
                "sla:terms",
                "sla:compliance",
            ],
        ),
        (
            "sdr",
            ["home", "leads:lead_list", "leads:queue", "leads:scoring_models", "sla:compliance"],
        ),
        (
            "ae",
            ["home", "leads:lead_list", "leads:pipeline", "leads:scoring_models", "sla:compliance"],
        ),
        (
            "sales_manager",
            [
                "home",
                "leads:lead_list",
                "leads:pipeline",
                "leads:team",
                "leads:distribution",
                "leads:scoring_models",
                "sla:team_clocks",
                "sla:terms",
                "sla:compliance",
            ],
        ),
        (
            "director",
            [
                "home",
                "leads:lead_list",
                "leads:pipeline",
                "leads:returns",
                "leads:distribution",
                "leads:scoring_models",
                "console:history",
                "swagger-ui",
                "sla:calendars",
                "sla:terms",
                "sla:compliance",
            ],
        ),
        (
            "admin_user",
            [
                "home",
                "leads:lead_list",
                "leads:distribution",
                "leads:scoring_models",
                "leads:import_start",
                "console:index",
                "swagger-ui",
                "sla:calendars",
                "sla:terms",
                "sla:compliance",
                "admin",
            ],
        ),
        ("integration", ["home", "leads:lead_list", "leads:scoring_models", "swagger-ui"]),
        ("outsider", ["home"]),
    ],
)
def test_navigation_shows_what_the_role_can_use(client, request, user_fixture, expected):
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(reverse("home") + "?overview=1")  # a director's home is elsewhere

    assert response.status_code == 200
    assert nav_names(response) == expected


def test_navigation_marks_the_current_page(client, marketer):
    client.force_login(marketer)

    html = client.get(reverse("leads:lead_list")).content.decode()

    assert 'data-nav="leads:lead_list" class="active" aria-current="page"' in html


# --- home ------------------------------------------------------------------------


def stage_counts(response) -> dict[str, int]:
    html = response.content.decode()
    pairs = re.findall(
        r'data-stage-count="(\w+)">\s*(?:<span class="stat-value">|<span class="dot[^"]*"></span>'
        r"[^<]*<strong>)([\d,]+)",
        html,
    )
    return {stage: int(count.replace(",", "")) for stage, count in pairs}


def test_home_counts_the_leads_the_user_sees_by_stage(client, sdr, other_sdr):
    # given: two of Sam's leads (one MQL, one SAL) and one of Wendy's
    LeadFactory(owner=sdr, stage="mql")
    LeadFactory(owner=sdr, stage="sal")
    LeadFactory(owner=other_sdr, stage="mql")
    client.force_login(sdr)

    # when
    response = client.get(reverse("home"))

    # then: Sam's page counts only Sam's leads
    counts = stage_counts(response)
    assert counts["mql"] == 1
    assert counts["sal"] == 1
    assert counts["inquiry"] == 0
    assert counts["excluded"] == 0
    assert len(counts) == 12
    assert "2 leads you can see" in response.content.decode()


def test_home_shows_latest_leads_and_import_link_to_marketing(client, marketer):
    old = LeadFactory(received_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    new = LeadFactory(received_at=dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
    client.force_login(marketer)

    response = client.get(reverse("home"))

    assert lead_ids(response) == [new.pk, old.pk]
    assert 'data-action="import"' in response.content.decode()


def test_home_has_no_import_link_for_an_sdr(client, sdr):
    client.force_login(sdr)

    assert 'data-action="import"' not in client.get(reverse("home")).content.decode()


def test_home_labels_demo_data_as_synthetic(client, director):
    LeadFactory(source_system="demo")
    client.force_login(director)

    html = client.get(reverse("home") + "?overview=1").content.decode()

    assert "data-demo-badge" in html
    assert "Synthetic demo data" in html


def test_home_has_no_synthetic_badge_for_real_data(client, director):
    LeadFactory(source_system="hubspot")
    client.force_login(director)

    assert "data-demo-badge" not in client.get(reverse("home") + "?overview=1").content.decode()


def test_home_points_an_integration_to_the_api_docs_and_its_token(client, integration, api_as):
    api_as(integration)  # creates its token
    client.force_login(integration)

    html = client.get(reverse("home")).content.decode()

    assert "data-integration-help" in html
    assert reverse("swagger-ui") in html
    assert "This account has an API token." in html


def test_home_for_a_user_without_role_shows_no_leads(client, outsider):
    LeadFactory()
    client.force_login(outsider)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert lead_ids(response) == []
    assert "no role yet" in response.content.decode()


# --- lead list ---------------------------------------------------------------------


def test_lead_list_shows_the_row_fields(client, marketer, sdr):
    account = AccountFactory(name="Acme Robotics")
    lead = LeadFactory(
        name="Li Wei",
        email="li.wei@acme.example",
        phone="+8613800138000",
        account=account,
        source_channel="event",
        campaign="Expo 2024",
        stage="mql",
        owner=sdr,
        received_at=dt.datetime(2024, 3, 5, 2, 30, tzinfo=dt.UTC),
    )
    client.force_login(marketer)

    response = client.get(reverse("leads:lead_list"), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert lead_ids(response) == [lead.pk]
    for text in [
        "Li Wei",
        "li.wei@acme.example",
        "+8613800138000",
        "Acme Robotics",
        "Event",
        "Expo 2024",
        "MQL",
        "Sam East",
        # 02:30 UTC is 10:30 in Asia/Shanghai (settings.TIME_ZONE)
        '03/05/2024<span class="sub">10:30 a.m.</span>',
        reverse("leads:lead_detail", args=[lead.pk]),
    ]:
        assert text in html


def test_lead_list_sdr_sees_only_own_leads(client, sdr, other_sdr):
    mine = LeadFactory(owner=sdr)
    LeadFactory(owner=other_sdr)
    LeadFactory()
    client.force_login(sdr)

    assert lead_ids(client.get(reverse("leads:lead_list"))) == [mine.pk]


def test_lead_list_sales_manager_sees_the_team_leads(client, sales_manager, sdr, other_sdr):
    team_lead = LeadFactory(owner=sdr)
    LeadFactory(owner=other_sdr)
    client.force_login(sales_manager)

    assert lead_ids(client.get(reverse("leads:lead_list"))) == [team_lead.pk]


def test_lead_list_is_forbidden_without_a_role(client, outsider):
    LeadFactory()
    client.force_login(outsider)

    response = client.get(reverse("leads:lead_list"))

    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "sql"}, ["sql_web"]),
        ({"source": "wechat"}, ["wechat_mql"]),
        ({"campaign": "spring webinar"}, ["wechat_mql"]),
        ({"q": "ZHANG"}, ["sql_web"]),
        ({"q": "acme"}, ["wechat_mql"]),
        ({"q": "13900"}, ["inquiry_event"]),
        ({"received_from": "2024-03-01"}, ["sql_web", "wechat_mql"]),
        ({"received_to": "2024-02-29"}, ["inquiry_event"]),
        ({"received_from": "2024-03-10", "received_to": "2024-03-10"}, ["wechat_mql"]),
        ({"stage": "mql", "source": "website"}, []),
        ({}, ["sql_web", "wechat_mql", "inquiry_event"]),
    ],
)
def test_lead_list_filters(client, marketer, params, expected):
    acme = AccountFactory(name="Acme Ltd")
    leads = {
        "sql_web": LeadFactory(
            name="Zhang San",
            stage="sql",
            source_channel="website",
            received_at=dt.datetime(2024, 3, 20, 12, tzinfo=SHANGHAI),
        ),
        "wechat_mql": LeadFactory(
            name="Wang Wu",
            stage="mql",
            source_channel="wechat",
            campaign="Spring Webinar",
            account=acme,
            # 00:30 on the 10th in Shanghai (16:30 UTC on the 9th): still "the 10th"
            received_at=dt.datetime(2024, 3, 10, 0, 30, tzinfo=SHANGHAI),
        ),
        "inquiry_event": LeadFactory(
            name="Li Si",
            phone="+8613900139000",
            source_channel="event",
            received_at=dt.datetime(2024, 2, 29, 23, 59, tzinfo=SHANGHAI),
        ),
    }
    client.force_login(marketer)

    response = client.get(reverse("leads:lead_list"), params)

    assert response.status_code == 200
    assert lead_ids(response) == [leads[name].pk for name in expected]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"received_from": "not-a-date"}, "received_from", "Enter a valid date."),
        (
            {"stage": "bogus"},
            "stage",
            "Select a valid choice. bogus is not one of the available choices.",
        ),
        (
            {"received_from": "2024-05-01", "received_to": "2024-04-01"},
            "received_to",
            "The end date is before the start date.",
        ),
    ],
)
def test_lead_list_bad_filter_shows_the_field_error(client, marketer, params, field, message):
    lead = LeadFactory()
    client.force_login(marketer)

    response = client.get(reverse("leads:lead_list"), params)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    # the broken field filters nothing
    assert lead_ids(response) == [lead.pk]


def test_lead_list_paginates_by_50(client, marketer):
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    leads = [LeadFactory(received_at=base + dt.timedelta(minutes=i)) for i in range(51)]
    client.force_login(marketer)

    first = client.get(reverse("leads:lead_list"))
    second = client.get(reverse("leads:lead_list"), {"page": 2})

    assert lead_ids(first) == [lead.pk for lead in reversed(leads[1:])]
    assert lead_ids(second) == [leads[0].pk]
    assert "Page 1 of 2" in first.content.decode()


def test_pagination_links_keep_the_filters(client, marketer):
    for _ in range(51):
        LeadFactory(source_channel="wechat")
    client.force_login(marketer)

    html = client.get(reverse("leads:lead_list"), {"source": "wechat"}).content.decode()

    assert "?source=wechat&amp;page=2" in html


@pytest.mark.parametrize("rows", [3, 30])
def test_lead_list_query_count_does_not_grow_with_rows(
    client, marketer, sdr, django_assert_num_queries, rows
):
    for _ in range(rows):
        LeadFactory(owner=sdr, account=AccountFactory())
    client.force_login(marketer)

    # session, user, groups (roles), count, page, campaigns, demo flag, the bell's
    # unread notifications
    with django_assert_num_queries(8):
        response = client.get(reverse("leads:lead_list"))

    assert len(lead_ids(response)) == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_home_query_count_does_not_grow_with_rows(
    client, director, sdr, django_assert_num_queries, rows
):
    for _ in range(rows):
        LeadFactory(owner=sdr, account=AccountFactory())
    client.force_login(director)

    # session, user, groups (roles), stage counts, latest leads, demo flag, the bell
    with django_assert_num_queries(7):
        response = client.get(
            reverse("home") + "?overview=1"
        )  # a director's home is the SLA dashboard

    assert len(lead_ids(response)) == min(rows, 8)


# --- lead detail -----------------------------------------------------------------------


def test_lead_detail_shows_fields_account_and_timeline(client, marketer, sdr):
    account = AccountFactory(name="Acme Robotics", employees=1200, industry="Manufacturing")
    lead = LeadFactory(name="Li Wei", title="CTO", account=account, stage="sal", owner=sdr)
    ActivityFactory(
        lead=lead, type="demo_request", occurred_at=dt.datetime(2024, 3, 1, 1, tzinfo=dt.UTC)
    )
    LeadEvent.objects.create(
        lead=lead,
        kind="stage_change",
        from_stage="inquiry",
        to_stage="mql",
        actor_system="scoring model v3",
        reason="score over threshold",
        at=dt.datetime(2024, 3, 1, 2, tzinfo=dt.UTC),
    )
    LeadEvent.objects.create(
        lead=lead,
        kind="stage_change",
        from_stage="mql",
        to_stage="sal",
        actor_user=sdr,
        at=dt.datetime(2024, 3, 1, 3, tzinfo=dt.UTC),
    )
    client.force_login(marketer)

    response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    for text in ["Li Wei", "CTO", "Acme Robotics", "1,200", "Manufacturing", "Demo request"]:
        assert text in html
    # newest first
    assert re.findall(r'data-timeline="(\w+)"', html) == ["event", "event", "activity"]
    assert "scoring model v3" in html
    assert "Reason: score over threshold" in html
    assert "Sam East" in html
    first_event = html[html.rindex('data-timeline="event"') :]
    assert first_event.index("Inquiry") < first_event.index("→") < first_event.index("MQL")


@pytest.mark.parametrize("entries", [1, 15])
def test_lead_detail_query_count_does_not_grow_with_the_timeline(
    client, marketer, sdr, django_assert_num_queries, entries
):
    lead = LeadFactory(owner=sdr, account=AccountFactory())
    for _ in range(entries):
        ActivityFactory(lead=lead)
        LeadEvent.objects.create(lead=lead, kind="touch", actor_user=sdr)
    client.force_login(marketer)

    # session, user, groups (roles), the lead with account and owner, activities, events,
    # the predictive snapshot (none yet), the consent history, the SLA clocks, the bell
    with django_assert_num_queries(10):
        response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert len(response.context["timeline"]) == 2 * entries


def test_lead_detail_for_the_owner(client, sdr):
    lead = LeadFactory(owner=sdr)
    client.force_login(sdr)

    assert client.get(reverse("leads:lead_detail", args=[lead.pk])).status_code == 200


@pytest.mark.parametrize("user_fixture", ["other_sdr", "ae", "outsider"])
def test_lead_detail_outside_visibility_is_404(client, request, sdr, user_fixture):
    lead = LeadFactory(owner=sdr, stage="mql")
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert response.status_code == 404
    lead.refresh_from_db()
    assert (lead.stage, lead.owner_id) == ("mql", sdr.pk)


def test_lead_detail_of_a_missing_lead_is_404(client, marketer):
    client.force_login(marketer)

    assert client.get(reverse("leads:lead_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("url_name", ["leads:lead_list", "home"])
def test_pages_refuse_post(client, marketer, url_name):
    client.force_login(marketer)

    assert client.post(reverse(url_name)).status_code == 405


def test_lead_detail_refuses_post_and_leaves_the_lead(client, marketer):
    lead = LeadFactory(stage="inquiry")
    client.force_login(marketer)

    response = client.post(reverse("leads:lead_detail", args=[lead.pk]), {"stage": "won"})

    assert response.status_code == 405
    assert Lead.objects.get(pk=lead.pk).stage == "inquiry"


# --- Django admin ------------------------------------------------------------------------


ADMIN_CHANGELISTS = ["team", "domainlistentry", "account", "lead", "activity", "leadevent", "job"]


@pytest.mark.parametrize("model", ADMIN_CHANGELISTS)
def test_admin_changelists_open_for_a_superuser(admin_client, model):
    LeadEvent.objects.create(lead=LeadFactory(), kind="created", actor_system="test")

    response = admin_client.get(reverse(f"admin:leads_{model}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", ADMIN_CHANGELISTS)
def test_admin_changelists_open_for_the_admin_role(client, admin_user, model):
    client.force_login(admin_user)

    assert client.get(reverse(f"admin:leads_{model}_changelist")).status_code == 200


def test_admin_lead_change_page_opens(admin_client):
    lead = LeadFactory()
    ActivityFactory(lead=lead)
    LeadEvent.objects.create(lead=lead, kind="created", actor_system="test")

    response = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))

    assert response.status_code == 200


def test_admin_event_log_is_read_only(admin_client):
    event = LeadEvent.objects.create(lead=LeadFactory(), kind="created", actor_system="test")

    add = admin_client.get(reverse("admin:leads_leadevent_add"))
    delete = admin_client.post(reverse("admin:leads_leadevent_delete", args=[event.pk]))
    change = admin_client.post(
        reverse("admin:leads_leadevent_change", args=[event.pk]), {"kind": "note"}
    )

    assert add.status_code == 403
    assert delete.status_code == 403
    assert change.status_code == 403
    assert LeadEvent.objects.get(pk=event.pk).kind == "created"


@pytest.mark.parametrize("user_fixture", ["marketer", "director", "outsider"])
def test_admin_refuses_non_staff(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(reverse("admin:leads_lead_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_admin_adds_no_lead_intake_does(admin_client):
    assert admin_client.get(reverse("admin:leads_lead_add")).status_code == 403


def test_admin_domain_list_entry_is_normalised(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:leads_domainlistentry_add"),
        {"domain": " https://WWW.Rival.Example/pricing ", "kind": "competitor"},
    )

    assert response.status_code == 302
    assert DomainListEntry.objects.filter(kind="competitor").get().domain == "rival.example"


def test_admin_domain_list_entry_rejects_a_non_domain(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:leads_domainlistentry_add"), {"domain": "nonsense", "kind": "competitor"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "domain": ["Enter a domain such as example.com."]
    }
    assert not DomainListEntry.objects.filter(kind="competitor").exists()


def test_admin_account_gets_normalised_name_and_domain(admin_client):
    response = admin_client.post(
        reverse("admin:leads_account_add"),
        {"name": "ＡＣＭＥ Robotics Ltd.", "domain": "WWW.ACME.example"},
    )

    assert response.status_code == 302
    account = Account.objects.get()
    assert (account.domain, account.name_normalised) == ("acme.example", "acme robotics")
