"""The lead list page's sort, page size, CSV export and bulk assignment (issue 11 §4)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from leads.audit.models import AuditRecord
from leads.audit.words import action_label
from leads.models import Lead, LeadEvent
from tests.factories import AccountFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("leads:lead_list")
EXPORT = reverse("leads:lead_export")
BULK = reverse("leads:lead_bulk_assign")


def lead_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-lead-id="(\d+)"', response.content.decode())]


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


# --- sort ---------------------------------------------------------------------


@pytest.fixture
def sortable(sdr, other_sdr):
    base = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    return {
        "b": LeadFactory(
            name="Bo", company_name="Zeta", stage="mql", score_total=40, owner=other_sdr,
            received_at=base,
        ),
        "a": LeadFactory(
            name="Al", account=AccountFactory(name="Acme"), company_name="Zzz", stage="sql",
            score_total=90, owner=sdr, received_at=base + dt.timedelta(days=2),
        ),
        "c": LeadFactory(
            name="", company_name="", stage="inquiry", score_total=None, owner=None,
            received_at=base + dt.timedelta(days=1),
        ),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", "acb"),  # newest first
        ("-received", "acb"),
        ("received", "bca"),
        ("name", "abc"),  # the nameless last either way
        ("-name", "bac"),
        ("company", "abc"),  # Acme (the account), Zeta, then none
        ("-company", "bac"),
        ("stage", "cba"),  # the funnel's order: inquiry, MQL, SQL
        ("-stage", "abc"),
        ("score", "bac"),  # no score last either way
        ("-score", "abc"),
        ("owner", "abc"),  # Sam East, Wendy West, then unassigned
    ],
)
def test_the_list_sorts_by_a_column(client, director, sortable, sort, expected):
    client.force_login(director)
    response = client.get(LIST, {"sort": sort} if sort else {})
    assert lead_ids(response) == [sortable[key].pk for key in expected]


def test_ties_are_broken_by_id_in_the_sort_direction(client, director):
    same = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    leads = [LeadFactory(name="Same", received_at=same) for _ in range(3)]
    client.force_login(director)
    ids = [lead.pk for lead in leads]
    assert lead_ids(client.get(LIST, {"sort": "name"})) == ids
    assert lead_ids(client.get(LIST, {"sort": "-name"})) == ids[::-1]
    assert lead_ids(client.get(LIST, {"sort": "-received"})) == ids[::-1]


def test_header_links_sort_and_keep_the_filters(client, director, sortable):
    client.force_login(director)
    html = client.get(LIST, {"sort": "name", "stage": "mql", "page_size": 25}).content.decode()
    # the current column links to the other direction, the others to ascending
    assert 'href="?sort=-name&amp;stage=mql&amp;page_size=25"' in html
    assert 'href="?sort=company&amp;stage=mql&amp;page_size=25"' in html
    assert 'href="?sort=-received&amp;stage=mql&amp;page_size=25"' in html
    assert 'aria-sort="ascending"' in html
    # submitting the filters keeps the sort
    assert '<input type="hidden" name="sort" value="name"' in html


def test_a_bad_sort_shows_an_error_and_the_default_order(client, director, sortable):
    client.force_login(director)
    response = client.get(LIST, {"sort": "password"})
    assert response.status_code == 200
    assert "sort" in response.context["form"].errors
    assert lead_ids(response) == [sortable[key].pk for key in "acb"]


# --- page size ------------------------------------------------------------------


@pytest.fixture
def many(db):
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return Lead.objects.bulk_create(
        [
            Lead(
                name=f"Lead {i:03d}", email=f"l{i}@x.example", email_normalised=f"l{i}@x.example",
                source_channel="wechat" if i % 2 else "website", source_system="test",
                received_at=base + dt.timedelta(minutes=i),
            )
            for i in range(120)
        ]
    )  # fmt: skip


@pytest.mark.parametrize(("size", "shown"), [(None, 50), (25, 25), (100, 100), (200, 120)])
def test_the_page_size_is_chosen(client, director, many, size, shown):
    client.force_login(director)
    response = client.get(LIST, {"page_size": size} if size else {})
    assert len(lead_ids(response)) == shown


def test_pagination_links_keep_filters_sort_and_page_size(client, director, many):
    client.force_login(director)
    response = client.get(LIST, {"source": "wechat", "sort": "name", "page_size": 25})
    html = response.content.decode()
    assert "?source=wechat&amp;sort=name&amp;page_size=25&amp;page=2" in html
    second = client.get(LIST, {"source": "wechat", "sort": "name", "page_size": 25, "page": 2})
    names = [f"Lead {i:03d}" for i in range(1, 120, 2)]
    assert (
        lead_ids(second)
        == [lead.pk for lead in sorted((m for m in many if m.name in names), key=lambda m: m.name)][
            25:50
        ]
    )


def test_a_bad_page_size_shows_an_error_and_the_default(client, director, many):
    client.force_login(director)
    response = client.get(LIST, {"page_size": "100000"})
    assert "page_size" in response.context["form"].errors
    assert len(lead_ids(response)) == 50


def test_queries_do_not_grow_with_the_page_size(
    client, admin_user, many, django_assert_num_queries
):
    client.force_login(admin_user)
    for size in (25, 200):
        # session, user, groups, count, page, assignees, campaigns, demo flag, the bell
        with django_assert_num_queries(9):
            client.get(LIST, {"page_size": size, "sort": "company"})


# --- export ---------------------------------------------------------------------


def test_the_export_is_the_filtered_list_in_a_csv_reader(client, director, sortable, sdr):
    client.force_login(director)
    response = client.get(EXPORT, {"stage": "sql", "page_size": 25, "page": 3})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    rows = csv_rows(response)
    assert rows[0][:3] == ["ID", "Name", "Email"]
    assert [row[0] for row in rows[1:]] == [str(sortable["a"].pk)]  # every page, not page 3
    lead = sortable["a"]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Company"] == "Acme"
    assert row["Stage"] == "SQL"
    assert row["Owner"] == "Sam East"
    assert row["Received"] == "2024-05-03 08:00"  # Asia/Shanghai
    assert row["Email"] == lead.email


def test_the_export_follows_the_sort_and_holds_every_page(client, director, many):
    client.force_login(director)
    rows = csv_rows(client.get(EXPORT, {"sort": "-name"}))
    assert len(rows) == 121
    assert rows[1][1] == "Lead 119"


def test_the_export_holds_only_what_the_user_may_see(client, sdr, other_sdr):
    mine = LeadFactory(owner=sdr)
    LeadFactory(owner=other_sdr)
    client.force_login(sdr)
    rows = csv_rows(client.get(EXPORT))
    assert [row[0] for row in rows[1:]] == [str(mine.pk)]


def test_formula_cells_are_neutralised(client, director):
    LeadFactory(
        name="=HYPERLINK(\"http://evil\",\"x\")", company_name="@SUM(1)", campaign="-2+3",
        title="\tTab", phone="+8613800000000", source_channel="website",
    )  # fmt: skip
    client.force_login(director)
    header, row = csv_rows(client.get(EXPORT))
    cells = dict(zip(header, row, strict=True))
    assert cells["Name"] == '\'=HYPERLINK("http://evil","x")'
    assert cells["Company"] == "'@SUM(1)"
    assert cells["Campaign"] == "'-2+3"
    assert cells["Title"] == "'\tTab"
    assert cells["Phone"] == "'+8613800000000"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_the_export_speaks_the_users_language_and_keeps_chinese(client, director):
    LeadFactory(name="林晓梅", stage="mql")
    client.force_login(director)
    header, row = csv_rows(client.get(EXPORT, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert row[1] == "林晓梅"
    assert header[1] != "Name"


def test_each_export_writes_an_audit_record(client, director, sortable):
    client.force_login(director)
    response = client.get(EXPORT, {"stage": "sql", "q": "Al", "sort": "name"})
    b"".join(response.streaming_content)
    record = AuditRecord.objects.get(action="leads.export")
    assert record.actor == director
    assert record.detail == {"filters": {"stage": "sql", "q": "Al", "sort": "name"}, "rows": 1}
    assert action_label("leads.export") == "Exported the lead list"


@pytest.mark.parametrize("user_fixture", ["outsider"])
def test_the_export_needs_a_lead_reading_role(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    assert client.get(EXPORT).status_code == 403
    assert not AuditRecord.objects.exists()


def test_the_export_needs_a_login(client, db):
    response = client.get(EXPORT)
    assert response.status_code == 302


# --- bulk assignment ------------------------------------------------------------


@pytest.fixture
def team_leads(sdr, sdr_team_east, other_sdr):
    mates = UserFactory(username="kim", first_name="Kim", last_name="Mate", roles=["sdr"])
    sdr_team_east.members.add(mates)
    return {
        "mate": mates,
        "a": LeadFactory(owner=sdr, team=sdr_team_east, stage="mql"),
        "b": LeadFactory(owner=None, team=sdr_team_east, stage="mql"),
        "closed": LeadFactory(owner=sdr, team=sdr_team_east, stage="won"),
        "outside": LeadFactory(owner=other_sdr, stage="mql"),
    }


def test_a_manager_assigns_selected_leads_and_hears_about_each_refusal(
    client, sales_manager, team_leads
):
    client.force_login(sales_manager)
    ids = [team_leads[k].pk for k in ("a", "b", "closed", "outside")]
    response = client.post(
        BULK,
        {
            "leads": [str(pk) for pk in ids],
            "to_user": team_leads["mate"].pk,
            "next": f"{LIST}?sort=name",
        },
    )
    assert response.status_code == 302
    assert response.url == f"{LIST}?sort=name"
    a, b = (Lead.objects.get(pk=team_leads[k].pk) for k in "ab")
    assert a.owner == b.owner == team_leads["mate"]
    assert Lead.objects.get(pk=team_leads["closed"].pk).owner != team_leads["mate"]
    events = LeadEvent.objects.filter(kind="assignment", reason="manual", actor_user=sales_manager)
    assert sorted(events.values_list("lead_id", flat=True)) == sorted([a.pk, b.pk])
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts[0] == "2 leads assigned to Kim Mate."
    assert texts[1].startswith("2 leads not assigned:")
    assert f"(#{team_leads['closed'].pk}): A lead in stage Won cannot be assigned." in texts[1]
    assert f"(#{team_leads['outside'].pk}): No such lead for you." in texts[1]
    record = AuditRecord.objects.get(action="lead.bulk_assign")
    assert record.actor == sales_manager
    assert record.target_id == str(team_leads["mate"].pk)
    assert record.detail["lead_ids"] == [a.pk, b.pk]
    assert [f["lead_id"] for f in record.detail["failed"]] == ids[2:]


def test_an_admin_assigns_any_lead_to_any_team_member(client, admin_user, team_leads, other_sdr):
    client.force_login(admin_user)
    lead = team_leads["outside"]
    client.post(BULK, {"leads": [lead.pk], "to_user": team_leads["mate"].pk})
    assert Lead.objects.get(pk=lead.pk).owner == team_leads["mate"]


def test_a_manager_may_not_assign_outside_their_teams(client, sales_manager, team_leads, other_sdr):
    client.force_login(sales_manager)
    response = client.post(BULK, {"leads": [team_leads["a"].pk], "to_user": other_sdr.pk})
    assert response.status_code == 302
    assert "Assign to:" in str(next(iter(get_messages(response.wsgi_request))))
    assert Lead.objects.get(pk=team_leads["a"].pk).owner != other_sdr
    assert not AuditRecord.objects.exists()


@pytest.mark.parametrize(
    ("leads", "message"),
    [([], "Leads: Select at least one lead."), (["1x"], "Leads: “1x” is not a lead id.")],
)
def test_bad_bulk_input_names_the_field_and_assigns_nothing(
    client, sales_manager, team_leads, leads, message
):
    client.force_login(sales_manager)
    response = client.post(BULK, {"leads": leads, "to_user": team_leads["mate"].pk})
    assert [str(m) for m in get_messages(response.wsgi_request)] == [message]
    assert not LeadEvent.objects.filter(kind="assignment", reason="manual").exists()


def test_too_many_leads_at_once_is_refused(client, admin_user, team_leads):
    client.force_login(admin_user)
    response = client.post(
        BULK, {"leads": [str(i) for i in range(1, 202)], "to_user": team_leads["mate"].pk}
    )
    assert "at most 200" in str(next(iter(get_messages(response.wsgi_request))))


@pytest.mark.parametrize("user_fixture", ["sdr", "ae", "marketer", "director", "outsider"])
def test_only_managers_and_admins_bulk_assign(client, request, team_leads, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    response = client.post(BULK, {"leads": [team_leads["b"].pk], "to_user": team_leads["mate"].pk})
    assert response.status_code == 403
    assert Lead.objects.get(pk=team_leads["b"].pk).owner is None
    html = client.get(LIST).content.decode()
    assert 'id="bulk-assign"' not in html
    assert 'name="leads"' not in html


def test_the_bulk_form_offers_the_managers_people(client, sales_manager, team_leads, other_sdr):
    client.force_login(sales_manager)
    html = client.get(LIST).content.decode()
    assert 'id="bulk-assign"' in html
    assert f'<option value="{team_leads["mate"].pk}">Kim Mate</option>' in html
    assert f'<option value="{other_sdr.pk}">' not in html
    assert f'name="leads" value="{team_leads["a"].pk}" form="bulk-assign"' in html


def test_bulk_assign_needs_post(client, sales_manager):
    client.force_login(sales_manager)
    assert client.get(BULK).status_code == 405
