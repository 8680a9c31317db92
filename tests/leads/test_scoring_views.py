"""The scoring model pages (leads.scoring.views): list, ICP and model editors, diff,
copy, publish; who may read and who may change."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from leads.models import Job, ScoringModelVersion
from leads.scoring.engine import default_model
from leads.scoring.forms import parse_number
from leads.scoring.services import scoring_model_create_draft, scoring_model_publish

pytestmark = pytest.mark.django_db

Status = ScoringModelVersion.Status
READERS = ["marketer", "admin_user", "director", "sdr", "ae", "sales_manager", "integration"]
CHANGERS = ["marketer", "admin_user"]
NOT_CHANGERS = ["director", "sdr", "ae", "sales_manager", "integration", "outsider"]


@pytest.fixture
def published(marketer):
    version = scoring_model_create_draft(definition=default_model(1).to_dict(), user=marketer)
    version, _job = scoring_model_publish(version=version, user=marketer)
    return version


@pytest.fixture
def draft(marketer, published):
    return scoring_model_create_draft(definition=published.definition, user=marketer)


def page_urls(version) -> list[str]:
    return [
        reverse("leads:scoring_models"),
        reverse("leads:scoring_model", args=[version.pk]),
        reverse("leads:scoring_icp", args=[version.pk]),
        reverse("leads:scoring_diff", args=[version.pk]),
    ]


def fit_post(rows, grades=("60", "40", "20")) -> dict[str, str]:
    """The ICP form as the browser posts it: one row per dict, numbered by ``n``."""
    data = {"grade-A": grades[0], "grade-B": grades[1], "grade-C": grades[2]}
    for row in rows:
        n = row.get("n")
        for cell in ("field", "operator", "value", "value_bool", "points", "group"):
            data[f"fit-{n}-{cell}"] = row.get(cell, "")
        if row.get("must"):
            data[f"fit-{n}-must"] = "on"
    return data


def model_post(rows, *, label="Q4", mode="grade_and_interest", grade="B", interest="40", total=""):
    data = {
        "label": label,
        "threshold-mode": mode,
        "threshold-min_grade": grade,
        "threshold-min_interest": interest,
        "threshold-min_total": total,
    }
    for row in rows:
        n = row["n"]
        for cell in ("activity_type", "points", "cap", "half_life_days", "window_days"):
            data[f"interest-{n}-{cell}"] = row.get(cell, "")
    return data


def row_html(html: str, kind: str) -> list[str]:
    """The rendered editor rows of a section, in order (not the <template> row)."""
    html = re.sub(r"<template .*?</template>", "", html, flags=re.S)
    return re.findall(rf'<tr class="rule-row[^"]*" data-row="{kind}">(.*?)</tr>', html, re.S)


# --- who may read, who may change ------------------------------------------------------


def test_pages_require_login(client, published):
    for url in page_urls(published):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("user_fixture", READERS)
def test_every_role_reads(client, request, draft, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    for url in page_urls(draft):
        assert client.get(url).status_code == 200, url


def test_a_user_without_a_role_reads_nothing(client, outsider, draft):
    client.force_login(outsider)

    for url in page_urls(draft):
        response = client.get(url)
        assert response.status_code == 403
        assert "Not allowed" in response.content.decode()


@pytest.mark.parametrize("user_fixture", ["director", "sdr", "ae", "sales_manager", "integration"])
def test_readers_see_no_buttons_and_no_inputs(client, request, draft, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    listing = client.get(reverse("leads:scoring_models")).content.decode()
    editor = client.get(reverse("leads:scoring_icp", args=[draft.pk])).content.decode()

    for action in ("copy", "publish", "edit", "new-default"):
        assert f'data-action="{action}"' not in listing
    assert 'data-action="view"' in listing
    assert "<input" not in editor.split("</header>")[1].replace('name="csrfmiddlewaretoken"', "")
    assert "data-read-only" in editor
    assert "scoring_editor.js" not in editor


@pytest.mark.parametrize("user_fixture", CHANGERS)
def test_changers_see_the_buttons_and_the_editor(client, request, draft, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    listing = client.get(reverse("leads:scoring_models")).content.decode()
    editor = client.get(reverse("leads:scoring_icp", args=[draft.pk])).content.decode()

    for action in ("copy", "publish", "edit", "new-default"):
        assert f'data-action="{action}"' in listing
    assert len(row_html(editor, "fit")) == len(default_model().fit_rules)
    assert 'id="fit-row-template"' in editor
    assert "scoring_editor.js" in editor


@pytest.mark.parametrize("user_fixture", NOT_CHANGERS)
def test_others_may_not_change_anything(client, request, draft, published, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    before = {v.pk: (v.status, v.definition) for v in ScoringModelVersion.objects.all()}
    changed = fit_post([{"n": 0, "field": "employees", "operator": "gt", "value": "10"}])

    responses = [
        client.post(reverse("leads:scoring_icp", args=[draft.pk]), changed),
        client.post(reverse("leads:scoring_model", args=[draft.pk]), model_post([])),
        client.post(reverse("leads:scoring_copy", args=[published.pk])),
        client.post(reverse("leads:scoring_new")),
        client.get(reverse("leads:scoring_publish", args=[draft.pk])),
        client.post(reverse("leads:scoring_publish", args=[draft.pk])),
    ]

    assert [r.status_code for r in responses] == [403] * 6
    assert {v.pk: (v.status, v.definition) for v in ScoringModelVersion.objects.all()} == before
    assert Job.objects.count() == 1  # the fixture's publish only


# --- the list --------------------------------------------------------------------------


def test_list_shows_every_version_with_status_dates_author_and_actions(
    client, marketer, published, draft
):
    client.force_login(marketer)

    html = client.get(reverse("leads:scoring_models"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    rows = re.findall(r'<tr data-version="(\d+)" data-status="(\w+)">(.*?)</tr>', html, re.S)
    assert [(n, s) for n, s, _ in rows] == [("2", "draft"), ("1", "published")]
    draft_row, published_row = rows[0][2], rows[1][2]
    assert "Mia Marketing" in draft_row
    assert 'data-action="edit"' in draft_row
    assert 'data-action="publish"' in draft_row
    assert f"?against={published.pk}" in draft_row  # compare with the published one
    assert 'data-action="publish"' not in published_row
    assert 'data-action="view"' in published_row
    assert published.published_at.astimezone().strftime("%Y") in published_row


# --- the ICP editor ---------------------------------------------------------------------


def test_icp_save_turns_rows_into_rules(client, marketer, draft):
    client.force_login(marketer)
    data = fit_post(
        [
            # rows keep the order of their numbers, gaps allowed (rows removed in the page)
            {
                "n": 7,
                "field": "do_not_contact",
                "operator": "is",
                "value_bool": "true",
                "points": "-100",
            },
            {
                "n": 0,
                "field": "employees",
                "operator": "between",
                "value": "50 – 500",
                "points": "20",
                "must": True,
                "group": " size ",
            },
            {
                "n": 3,
                "field": "country",
                "operator": "in",
                "value": "CN, US，DE;; ",
                "points": "12.5",
                "must": True,
            },
            {
                "n": 4,
                "field": "annual_revenue",
                "operator": "gt",
                "value": "5,000,000",
                "points": "",
            },
        ],
        grades=("70", "45.5", "20"),
    )

    response = client.post(reverse("leads:scoring_icp", args=[draft.pk]), data)

    assert response.status_code == 302
    assert response.url == reverse("leads:scoring_icp", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.definition["fit_rules"] == [
        {
            "field": "employees",
            "operator": "between",
            "value": [50, 500],
            "points": 20,
            "must": True,
            "group": "size",
        },
        {
            "field": "country",
            "operator": "in",
            "value": ["CN", "US", "DE"],
            "points": 12.5,
            "must": True,
            "group": "",
        },
        {
            "field": "annual_revenue",
            "operator": "gt",
            "value": 5000000,
            "points": 0,
            "must": False,
            "group": "",
        },
        {
            "field": "do_not_contact",
            "operator": "is",
            "value": True,
            "points": -100,
            "must": False,
            "group": "",
        },
    ]
    assert draft.definition["grade_thresholds"] == {"A": 70, "B": 45.5, "C": 20}
    # the other sections are left as they were
    assert draft.definition["interest_rules"] == default_model().to_dict()["interest_rules"]
    follow = client.get(response.url)
    assert "Draft v2 saved." in follow.content.decode()
    assert len(row_html(follow.content.decode(), "fit")) == 4


def test_icp_errors_are_shown_by_their_row_and_the_input_is_kept(client, marketer, draft):
    client.force_login(marketer)
    before = draft.definition
    data = fit_post(
        [
            {"n": 0, "field": "employees", "operator": "gt", "value": "50", "points": "20"},
            {"n": 1, "field": "industry", "operator": "gt", "value": "Software", "points": "5"},
            {"n": 2, "field": "employees", "operator": "gt", "value": "lots", "points": "x"},
            {"n": 3, "field": "country", "operator": "in", "value": " , ", "points": "1"},
        ],
        grades=("30", "40", "20"),
    )

    response = client.post(
        reverse("leads:scoring_icp", args=[draft.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    html = response.content.decode()
    rows = row_html(html, "fit")
    assert len(rows) == 4
    assert "field-error" not in rows[0]
    assert re.search(
        r'data-error-for="operator">This operator does not fit a text field\.<', rows[1]
    )
    assert 'value="Software"' in rows[1]
    assert re.search(r'data-error-for="value">Enter a number\.<', rows[2])
    assert re.search(r'data-error-for="points">Points must be a number\.<', rows[2])
    assert 'value="lots"' in rows[2]
    assert 'value="x"' in rows[2]
    assert re.search(
        r'data-error-for="value">Enter one or more values separated by commas\.<', rows[3]
    )
    assert 'data-error-for="grade-B">Thresholds must fall from A to C.<' in html
    assert 'name="grade-A" value="30"' in html
    assert "Nothing was saved: 5 problems are marked below." in html
    draft.refresh_from_db()
    assert draft.definition == before


def test_icp_error_messages_are_translated(client, marketer, draft):
    client.force_login(marketer)
    data = fit_post([{"n": 0, "field": "employees", "operator": "gt", "value": "lots"}])

    response = client.post(
        reverse("leads:scoring_icp", args=[draft.pk]), data, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.status_code == 400
    assert 'data-error-for="value">请输入数字。<' in response.content.decode()


def test_a_decimal_comma_is_not_read_as_thousands(client, marketer, draft):
    # "5,5" is not fifty-five: the row is refused with the field named, nothing saved
    client.force_login(marketer)
    before = draft.definition
    data = fit_post([{"n": 0, "field": "employees", "operator": "gt", "value": "5,5"}])

    response = client.post(reverse("leads:scoring_icp", args=[draft.pk]), data)

    assert response.status_code == 400
    assert 'data-error-for="value">Enter a number.<' in response.content.decode()
    assert 'value="5,5"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.definition == before


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("5,000,000", 5_000_000),
        ("1,234.5", 1234.5),
        ("-12,000", -12_000),
        ("61.5", 61.5),
        (" 7 ", 7),
        ("1 000", 1000),
        ("5,5", "5,5"),
        ("12,34", "12,34"),
        ("1,2345", "1,2345"),
        (",500", ",500"),
        ("lots", "lots"),
        ("", None),
    ],
)
def test_parse_number(text, number):
    assert parse_number(text) == number


def test_icp_of_an_unknown_field_keeps_what_was_sent(client, marketer, draft):
    client.force_login(marketer)
    data = fit_post([{"n": 0, "field": "shoe_size", "operator": "gt", "value": "42"}])

    response = client.post(
        reverse("leads:scoring_icp", args=[draft.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    [row] = row_html(response.content.decode(), "fit")
    assert '<option value="shoe_size" selected>shoe_size</option>' in row
    assert 'data-error-for="field">Choose a field from the list.<' in row


def test_too_many_rows_is_a_400(client, marketer, draft):
    client.force_login(marketer)
    data = {f"fit-{n}-field": "employees" for n in range(201)}

    response = client.post(reverse("leads:scoring_icp", args=[draft.pk]), data)

    assert response.status_code == 400
    assert "At most 200 rules per section." in response.content.decode()


# --- the model editor --------------------------------------------------------------------


def test_model_save_turns_rows_into_interest_rules_threshold_and_label(client, marketer, draft):
    client.force_login(marketer)
    data = model_post(
        [
            {
                "n": 2,
                "activity_type": "wechat_article_read",
                "points": "4",
                "cap": "12",
                "half_life_days": "14",
                "window_days": "90",
            },
            {"n": 0, "activity_type": "demo_request", "points": "50"},
        ],
        label=" Q4 push ",
        mode="total",
        total="90",
    )

    response = client.post(reverse("leads:scoring_model", args=[draft.pk]), data)

    assert response.status_code == 302
    assert response.url == reverse("leads:scoring_model", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.definition["label"] == "Q4 push"
    assert draft.definition["interest_rules"] == [
        {
            "activity_type": "demo_request",
            "points": 50,
            "cap": None,
            "half_life_days": None,
            "window_days": None,
        },
        {
            "activity_type": "wechat_article_read",
            "points": 4,
            "cap": 12,
            "half_life_days": 14,
            "window_days": 90,
        },
    ]
    assert draft.definition["threshold"] == {
        "mode": "total",
        "min_grade": "B",
        "min_interest": 40,
        "min_total": 90,
    }
    assert draft.definition["fit_rules"] == default_model().to_dict()["fit_rules"]


def test_model_errors_are_shown_by_their_row_and_field(client, marketer, draft):
    client.force_login(marketer)
    before = draft.definition
    data = model_post(
        [
            {"n": 0, "activity_type": "demo_request", "points": "50"},
            {"n": 1, "activity_type": "demo_request", "points": "-5", "half_life_days": "0"},
        ],
        mode="total",
        total="",
    )

    response = client.post(
        reverse("leads:scoring_model", args=[draft.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    html = response.content.decode()
    rows = row_html(html, "interest")
    assert "field-error" not in rows[0]
    assert (
        'data-error-for="activity_type">This activity type already has a rule above.<' in (rows[1])
    )
    assert 'data-error-for="points">Enter a number, 0 or more.<' in rows[1]
    assert (
        'data-error-for="half_life_days">Enter a number above 0, or leave it empty.<' in (rows[1])
    )
    assert 'value="-5"' in rows[1]
    assert 'data-error-for="threshold-min_total">The total rule needs a minimum total.<' in html
    assert "Nothing was saved: 4 problems are marked below." in html
    draft.refresh_from_db()
    assert draft.definition == before


def test_a_published_version_cannot_be_edited(client, marketer, published):
    client.force_login(marketer)
    before = published.definition

    icp = client.post(
        reverse("leads:scoring_icp", args=[published.pk]),
        fit_post([{"n": 0, "field": "employees", "operator": "gt", "value": "1"}]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    model = client.post(
        reverse("leads:scoring_model", args=[published.pk]),
        model_post([]),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert (icp.status_code, model.status_code) == (409, 409)
    assert "Published and retired versions are never changed" in icp.content.decode()
    published.refresh_from_db()
    assert (published.status, published.definition) == (Status.PUBLISHED, before)


def test_a_published_version_reads_with_new_draft_from_this(client, marketer, published):
    client.force_login(marketer)

    html = client.get(
        reverse("leads:scoring_model", args=[published.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "This is the published version: it is never edited." in html
    assert 'data-action="copy"' in html
    assert 'data-action="publish"' not in html
    assert 'name="interest-0-points"' not in html
    assert html.count('data-row="interest"') == len(default_model().interest_rules)


# --- copy, new --------------------------------------------------------------------------


def test_new_draft_from_a_version_copies_it(client, marketer, published):
    client.force_login(marketer)

    response = client.post(reverse("leads:scoring_copy", args=[published.pk]))

    copy = ScoringModelVersion.objects.get(number=2)
    assert response.status_code == 302
    assert response.url == reverse("leads:scoring_model", args=[copy.pk])
    assert (copy.status, copy.created_by) == (Status.DRAFT, marketer)
    assert {**copy.definition, "version": 1} == published.definition
    published.refresh_from_db()
    assert published.status == Status.PUBLISHED


def test_new_draft_from_the_default(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("leads:scoring_new"))

    version = ScoringModelVersion.objects.get()
    assert response.url == reverse("leads:scoring_model", args=[version.pk])
    assert version.definition == default_model(1).to_dict()
    assert version.status == Status.DRAFT


def test_copy_and_publish_refuse_get(client, marketer, published):
    client.force_login(marketer)

    assert client.get(reverse("leads:scoring_copy", args=[published.pk])).status_code == 405
    assert client.get(reverse("leads:scoring_new")).status_code == 405
    assert ScoringModelVersion.objects.count() == 1


# --- publish ------------------------------------------------------------------------------


def test_publish_asks_first_and_shows_what_changes(client, marketer, published, draft):
    client.force_login(marketer)
    definition = dict(draft.definition)
    definition["threshold"] = {**definition["threshold"], "min_interest": 50}
    draft.definition = definition
    draft.save()

    response = client.get(
        reverse("leads:scoring_publish", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Publish v2?" in html
    assert "Version 1, published now, is retired." in html
    assert re.findall(r'data-change="([^"]+)"', html) == ["threshold:changed"]
    assert "Minimum interest" in html
    assert 'data-action="confirm-publish"' in html
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_publish_creates_the_rescore_job_and_opens_its_page(client, marketer, published, draft):
    client.force_login(marketer)

    response = client.post(reverse("leads:scoring_publish", args=[draft.pk]))

    job = Job.objects.filter(kind=Job.Kind.RESCORE).latest("id")
    assert response.status_code == 302
    assert response.url == reverse("leads:job_detail", args=[job.pk])
    assert job.params["version"] == draft.pk
    assert job.created_by == marketer
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.status, published.status) == (Status.PUBLISHED, Status.RETIRED)


def test_publishing_a_retired_version_rolls_back(client, admin_user, published, draft):
    scoring_model_publish(version=draft, user=admin_user)
    client.force_login(admin_user)

    page = client.get(reverse("leads:scoring_publish", args=[published.pk]))
    response = client.post(reverse("leads:scoring_publish", args=[published.pk]))

    assert "Publish v1 again (roll back)?" in page.content.decode()
    assert response.status_code == 302
    published.refresh_from_db()
    draft.refresh_from_db()
    assert (published.status, draft.status) == (Status.PUBLISHED, Status.RETIRED)
    assert Job.objects.filter(kind=Job.Kind.RESCORE, params__version=published.pk).count() == 2


def test_publishing_the_published_version_is_a_409(client, marketer, published):
    client.force_login(marketer)
    jobs = Job.objects.count()

    response = client.post(
        reverse("leads:scoring_publish", args=[published.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 409
    assert "Version 1 is already the published one." in response.content.decode()
    assert Job.objects.count() == jobs
    published.refresh_from_db()
    assert published.status == Status.PUBLISHED


# --- diff ----------------------------------------------------------------------------------


def test_diff_page_lists_the_changes_rule_by_rule(client, director, published, draft):
    definition = dict(draft.definition)
    fit = list(definition["fit_rules"])
    fit[2] = {**fit[2], "value": [*fit[2]["value"], "JP"]}  # country in …, + JP
    del fit[1]  # revenue
    definition["fit_rules"] = fit
    definition["grade_thresholds"] = {**definition["grade_thresholds"], "A": 65}
    draft.definition = definition
    draft.save()
    client.force_login(director)

    response = client.get(
        reverse("leads:scoring_diff", args=[draft.pk]),
        {"against": published.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'data-change="([^"]+)"', html) == [
        "fit:removed",
        "fit:changed",
        "grades:changed",
    ]
    assert "Values added: Japan" in html
    assert "What changes from v1 to v2" in html
    assert "Annual revenue (USD) &gt; 5,000,000 · +10 points · required (group size)" in html


def test_diff_defaults_to_the_published_version(client, sdr, published, draft):
    client.force_login(sdr)

    response = client.get(reverse("leads:scoring_diff", args=[draft.pk]))

    assert response.context["against"] == published
    assert "data-no-changes" in response.content.decode()


@pytest.mark.parametrize(("against", "status"), [("abc", 400), ("999999", 404)])
def test_diff_against_a_bad_version(client, marketer, published, against, status):
    client.force_login(marketer)

    response = client.get(
        reverse("leads:scoring_diff", args=[published.pk]),
        {"against": against},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == status
    if status == 400:
        assert "“against” must be the id of a version, not “abc”." in response.content.decode()


def test_compare_form_redirects_to_the_diff(client, marketer, published, draft):
    client.force_login(marketer)

    response = client.get(
        reverse("leads:scoring_compare"), {"version": published.pk, "against": draft.pk}
    )
    bad = client.get(reverse("leads:scoring_compare"), {"version": "x"})

    assert response.status_code == 302
    assert (
        response.url == f"{reverse('leads:scoring_diff', args=[published.pk])}?against={draft.pk}"
    )
    assert bad.status_code == 400


def test_missing_version_is_404(client, marketer):
    client.force_login(marketer)

    assert client.get(reverse("leads:scoring_model", args=[999])).status_code == 404
    assert client.post(reverse("leads:scoring_publish", args=[999])).status_code == 404


@pytest.mark.parametrize("drafts", [1, 6])
def test_list_query_count_does_not_grow_with_versions(
    client, marketer, published, django_assert_num_queries, drafts
):
    for _ in range(drafts):
        scoring_model_create_draft(definition=published.definition, user=marketer)
    client.force_login(marketer)

    # session, user, groups (roles), the versions with their authors, the bell
    with django_assert_num_queries(5):
        response = client.get(reverse("leads:scoring_models"))

    assert len(response.context["rows"]) == drafts + 1
