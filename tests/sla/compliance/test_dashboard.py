"""The directors' SLA dashboard (issue 13 §3) on the November fixture (worked out by hand
in ``test_figures.py``'s docstring): who sees which page, bad months, the colours, the
drill-down's leads, fixed queries."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads import hooks
from sla.compliance import dashboard as D
from sla.compliance import reports
from sla.compliance.services import set_target
from sla.models import ComplianceReport
from tests.factories import LeadFactory, UserFactory
from tests.sla.compliance.conftest import NOVEMBER, at, became_mql, move, touch

pytestmark = pytest.mark.django_db

PAGE = reverse("sla:compliance")
NOV = "2026-11"
SEEING = ["director", "admin_user", "marketer", "sales_manager", "sdr", "ae"]
NOT_SEEING = ["integration", "outsider"]


def term_url(term, month=NOV):
    return reverse("sla:compliance_term", args=[month, term])


def statuses(html: str) -> dict[str, str]:
    """``term -> status`` of the dashboard's term cards."""
    return dict(re.findall(r'data-term="(\w+)" data-status="(\w+)"', html))


def ids(html: str, attribute: str) -> list[int]:
    return [int(value) for value in re.findall(rf'{attribute}="(\d+)"', html)]


@pytest.fixture
def frozen(november):
    return reports.freeze(NOVEMBER)


# ------------------------------------------------------------------ who sees it


@pytest.mark.parametrize("role", SEEING)
def test_every_role_with_figures_sees_the_dashboard_and_a_term(request, client, frozen, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(PAGE).status_code == 200
    assert client.get(f"{PAGE}?month={NOV}").status_code == 200
    assert client.get(term_url("first_touch_in_time")).status_code == 200


@pytest.mark.parametrize("role", NOT_SEEING)
def test_anyone_else_gets_404_on_every_page(request, client, frozen, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(PAGE).status_code == 404
    assert client.get(term_url("first_touch_in_time")).status_code == 404
    assert client.post(reverse("sla:compliance_generate", args=[NOV])).status_code == 404
    assert client.get(reverse("sla:compliance_pdf", args=[NOV])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_an_unknown_term_is_404(client, director):
    client.force_login(director)
    assert client.get(term_url("happiness")).status_code == 404


def test_the_navigation_offers_it_to_the_roles_with_figures(client, sdr, integration):
    client.force_login(sdr)
    assert 'data-nav="sla:compliance"' in client.get(reverse("leads:lead_list")).content.decode()
    client.force_login(integration)
    assert 'data-nav="sla:compliance"' not in client.get(reverse("home")).content.decode()


def test_a_directors_home_opens_on_the_dashboard(client, director, sdr):
    client.force_login(director)
    response = client.get(reverse("home"))
    assert (response.status_code, response.url) == (302, PAGE)
    assert 'href="/?overview=1" data-overview' in client.get(PAGE).content.decode()
    assert client.get(reverse("home") + "?overview=1").status_code == 200  # the usual home
    client.force_login(sdr)
    assert client.get(reverse("home")).status_code == 200


# ------------------------------------------------------------------ generating a month


@pytest.mark.parametrize("role", ["director", "admin_user"])
def test_a_director_or_an_admin_generates_a_month_not_frozen_yet(request, client, november, role):
    director = request.getfixturevalue(role)
    client.force_login(director)
    page = client.get(f"{PAGE}?month={NOV}").content.decode()
    assert 'data-month-state="not_frozen"' in page
    assert "data-generate" in page

    response = client.post(reverse("sla:compliance_generate", args=[NOV]))

    assert response.status_code == 302
    report = ComplianceReport.objects.get(month=NOVEMBER)
    assert (report.version, report.created_by) == (1, director)
    page = client.get(response.url).content.decode()
    assert 'data-month-state="frozen"' in page
    assert "data-generate" not in page
    assert "frozen as version 1" in page


@pytest.mark.parametrize("role", ["sales_manager", "marketer", "sdr", "ae"])
def test_no_one_else_may_generate_a_month(request, client, november, role):
    client.force_login(request.getfixturevalue(role))
    assert "data-generate" not in client.get(f"{PAGE}?month={NOV}").content.decode()
    assert client.post(reverse("sla:compliance_generate", args=[NOV])).status_code == 403
    assert not ComplianceReport.objects.exists()


def test_the_open_month_is_never_frozen_from_the_page(client, director):
    client.force_login(director)
    month = f"{D.current_month():%Y-%m}"
    response = client.post(reverse("sla:compliance_generate", args=[month]), follow=True)
    assert "is still open" in response.content.decode()
    assert not ComplianceReport.objects.exists()


# ------------------------------------------------------------------ bad months


@pytest.mark.parametrize("value", ["2026-13", "26-11", "november", "2026-1", "2026-11-01"])
def test_a_malformed_month_is_400_naming_the_field(client, director, value):
    client.force_login(director)
    response = client.get(PAGE, {"month": value})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field-error="month"' in html
    assert "month: " in html
    assert "YYYY-MM" in html


def test_a_future_month_is_400_naming_the_field(client, director):
    client.force_login(director)
    future = f"{D.shift(D.current_month(), 1):%Y-%m}"
    response = client.get(PAGE, {"month": future})
    assert response.status_code == 400
    assert "in the future" in response.content.decode()
    response = client.get(term_url("mql_volume", future))
    assert response.status_code == 400
    assert "month in the address" in response.content.decode()


def test_a_bad_month_in_the_address_is_400_and_a_download_404(client, director):
    client.force_login(director)
    assert client.get(term_url("mql_volume", "2026-00")).status_code == 400
    assert client.post(reverse("sla:compliance_generate", args=["x"])).status_code == 400
    assert client.get(reverse("sla:compliance_pdf", args=["x"])).status_code == 404


def test_a_month_without_a_report_has_no_downloads(client, november, director):
    client.force_login(director)
    assert client.get(reverse("sla:compliance_pdf", args=[NOV])).status_code == 404
    assert client.get(reverse("sla:compliance_zip", args=[NOV])).status_code == 404
    assert "data-download" not in client.get(f"{PAGE}?month={NOV}").content.decode()


def test_the_message_is_in_chinese_too(client, director):
    client.force_login(director)
    response = client.get(PAGE, {"month": "2026-13"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert re.search(r"[\u4e00-\u9fff]", response.content.decode())


# ------------------------------------------------------------------ colours


def test_a_closed_month_is_met_or_missed_and_says_why_without_data(client, november, director):
    set_target(by=director, term="mql_volume", month=NOV, value=2)
    reports.freeze(NOVEMBER)
    client.force_login(director)

    html = client.get(f"{PAGE}?month={NOV}").content.decode()

    found = statuses(html)
    assert found["mql_volume"] == "met"  # 2 against 2: met at the exact target
    assert found["completeness"] == "missed"  # 50 % against 90 %
    assert found["delivery_hours"] == "missed"  # p90 3 h against 2 h
    assert found["returns_fixed_in_time"] == "met"  # 1 of 1
    assert found["accepted_in_time"] == "missed"  # 2 of 3
    assert found["sql_handoff_in_time"] == "no_data"
    assert "No clock of this term stopped or breached this month." in html
    assert "No return and no dispute settled this month." in html
    assert "at_risk" not in found.values()
    assert 'data-month-state="frozen"' in html


def test_the_open_month_is_at_risk_below_its_target_never_missed(client, november, director):
    # D became an MQL on 1 December 00:05: December counts 1 MQL so far.
    client.force_login(director)
    set_target(by=director, term="mql_volume", month=f"{D.current_month():%Y-%m}", value=3000)
    html = client.get(PAGE).content.decode()
    assert statuses(html)["mql_volume"] == "at_risk"
    assert 'data-month-state="open"' in html
    assert "missed" not in statuses(html).values()


def test_a_count_of_an_open_month_is_compared_with_its_target_so_far():
    line = {"term": "mql_volume", "target": "300", "actual": "100"}
    assert D.status(line, open_month=True, elapsed_share="0.30") == D.MET  # 90 expected by now
    assert D.status(line, open_month=True, elapsed_share="0.40") == D.AT_RISK  # 120
    assert D.status(line, open_month=False) == D.MISSED
    share = {"term": "icp_share", "target": "85", "actual": "84.99"}
    assert D.status(share, open_month=True, elapsed_share="0.99") == D.AT_RISK
    assert D.status({**share, "actual": "85.00"}, open_month=False) == D.MET
    several_teams = {"term": "mql_volume", "target": "300", "actual": "7", "verdict": ""}
    assert D.status(several_teams, open_month=False) == D.NEUTRAL  # no target of theirs
    hours = {"term": "delivery_hours", "target": "2", "actual": "2.00"}
    assert D.status(hours, open_month=False) == D.MET
    assert D.status({**hours, "actual": "2.01"}, open_month=False) == D.MISSED
    assert D.status({**hours, "actual": None}, open_month=False) == D.NO_DATA


def test_the_trend_reads_frozen_months_and_shows_gaps(client, november, director):
    report = reports.freeze(NOVEMBER)
    # A frozen snapshot is what the trend reads, not the events: change the events and
    # the page still shows the frozen figure.
    client.force_login(director)
    html = client.get(f"{PAGE}?month={NOV}").content.decode()
    chart = re.search(r'<svg[^>]*data-chart="trend-accepted_in_time".*?</svg>', html, re.S)
    assert chart, "a trend chart per term"
    values = re.findall(r'data-mark="point"[^>]*data-value="([\d.]+)"', chart.group(0))
    assert values == ["66.67"]  # October and the months before: no report, gaps
    assert report.pk


# ------------------------------------------------------------------ the drill-down


def test_a_term_lists_its_rows_with_p50_and_p90_and_the_leads_behind(client, november, director):
    a, b, c, d = november
    reports.freeze(NOVEMBER)
    client.force_login(director)

    html = client.get(term_url("first_touch_in_time")).content.decode()

    assert 'data-breakdown="team"' in html
    assert 'data-breakdown="person"' in html
    bars = re.search(r'<svg[^>]*data-chart="rows-first_touch_in_time-person".*?</svg>', html, re.S)
    assert re.findall(r'data-mark="bar"[^>]*data-value="([\d.]+)"', bars.group(0)) == ["33.33"]
    assert "4.5 h" in html
    assert "2 h" in html
    assert sorted(ids(html, "data-behind-lead")) == sorted([b.pk, c.pk])
    assert len(ids(html, "data-breach")) == 2
    assert f'href="{reverse("leads:lead_detail", args=[b.pk])}"' in html


def test_marketings_terms_break_down_by_source_campaign_and_source_system(client, frozen, director):
    client.force_login(director)
    html = client.get(term_url("delivery_hours")).content.decode()
    for dimension in ("source", "source_system"):
        assert f'data-breakdown="{dimension}"' in html
    html = client.get(term_url("completeness")).content.decode()
    assert 'data-breakdown="campaign"' in html


def test_the_drill_down_lists_only_the_leads_the_viewer_may_see(
    client, frozen, sales_manager, other_sdr, sdr_team_west
):
    b_and_c = ids(
        _as(client, sales_manager).get(term_url("first_touch_in_time")).content.decode(),
        "data-behind-lead",
    )
    assert len(b_and_c) == 2  # the east team's manager: their team's leads

    west = UserFactory(username="wes", roles=["sales_manager"])
    sdr_team_west.manager = west
    sdr_team_west.save()
    html = _as(client, west).get(term_url("first_touch_in_time")).content.decode()
    assert ids(html, "data-behind-lead") == []
    assert ids(html, "data-breach") == []
    html = _as(client, other_sdr).get(term_url("first_touch_in_time")).content.decode()
    assert ids(html, "data-behind-lead") == []


def test_an_sdr_sees_their_own_row_only(client, frozen, sdr, other_sdr):
    html = _as(client, sdr).get(term_url("first_touch_in_time")).content.decode()
    assert ids(html, "data-row") == [sdr.pk]
    assert 'data-breakdown="team"' not in html
    html = _as(client, other_sdr).get(f"{PAGE}?month={NOV}").content.decode()
    assert statuses(html)["first_touch_in_time"] == "no_data"
    assert "No figure of yours this month." in html


def test_a_marketing_manager_sees_teams_but_not_sales_people(client, frozen, marketer, sdr):
    html = _as(client, marketer).get(term_url("first_touch_in_time")).content.decode()
    assert 'data-breakdown="team"' in html
    assert 'data-breakdown="person"' not in html


def _as(client, user):
    client.force_login(user)
    return client


# ------------------------------------------------------------------ downloads


def pdf_text(blob: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(blob)).pages)


@pytest.mark.parametrize(("language", "words"), [("en", "First touch in time"), ("zh-hans", None)])
def test_a_director_downloads_the_months_pdf_and_csv(client, frozen, director, language, words):
    client.force_login(director)
    page = client.get(f"{PAGE}?month={NOV}").content.decode()
    assert f'href="{reverse("sla:compliance_pdf", args=[NOV])}"' in page

    response = client.get(reverse("sla:compliance_pdf", args=[NOV]), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "sla-compliance-2026-11-v1.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "33.33" in text  # first touch in time, 1 of 3
    if words:
        assert words in text
    else:
        assert re.search(r"[\u4e00-\u9fff]", text)
    archive = client.get(reverse("sla:compliance_zip", args=[NOV]))
    assert archive.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(archive.content)).namelist()


def test_an_sdr_downloads_their_own_figures_only(client, frozen, sdr, other_sdr):
    client.force_login(other_sdr)
    archive = client.get(reverse("sla:compliance_zip", args=[NOV]))
    tables = zipfile.ZipFile(io.BytesIO(archive.content))
    text = "".join(tables.read(name).decode("utf-8-sig") for name in tables.namelist())
    assert "Sam East" not in text  # another SDR's row is not theirs to read
    client.force_login(sdr)
    archive = client.get(reverse("sla:compliance_zip", args=[NOV]))
    tables = zipfile.ZipFile(io.BytesIO(archive.content))
    text = "".join(tables.read(name).decode("utf-8-sig") for name in tables.namelist())
    assert "Sam East" in text


# ------------------------------------------------------------------ returns, disputes


def test_returns_by_reason_and_disputes(client, director, sdr):
    from leads.models import LeadReturn

    lead = LeadFactory(owner=sdr, source_channel="website")
    for reason, dispute in (("not_icp", "open"), ("not_icp", "upheld"), ("competitor", "")):
        LeadReturn.objects.create(
            lead=lead, returned_by=sdr, reason=reason, from_stage="sal", to_stage="returned",
            dispute=dispute,
        )  # fmt: skip
    client.force_login(director)
    html = client.get(PAGE).content.decode()
    assert re.search(r'data-return-reason="not_icp">.*?<td class="num">2<', html, re.S)
    assert re.search(r'data-dispute="open">.*?<td class="num">1<', html, re.S)
    assert re.search(r'data-dispute="overturned">.*?<td class="num">0<', html, re.S)


# ------------------------------------------------------------------ gaming signals


def test_a_gaming_signal_is_listed_with_its_leads_for_those_who_may_see_them(
    client, director, sdr, other_sdr
):
    from tests.factories import with_history
    from tests.sla.compliance.test_gaming import touch as logged_touch

    assigned_at = at(11, 10, 9)
    lead = with_history(
        LeadFactory(name="Backdated Lead", stage="mql", owner=sdr, team=sdr.teams.get(),
                    assigned_at=assigned_at, mql_at=assigned_at),
        at=assigned_at,
    )  # fmt: skip
    # a call said to be at 10:00, recorded at 16:00 (the first touch was due 14:30)
    logged_touch(lead, sdr, at(11, 10, 10), recorded=at(11, 10, 16))

    html = _as(client, director).get(f"{PAGE}?month={NOV}").content.decode()
    signal = re.search(r'data-signal="backdated_touch".*?</details>', html, re.S).group(0)
    assert "data-signal-count>1<" in signal
    assert ids(signal, "data-signal-lead") == [lead.pk]
    html = _as(client, other_sdr).get(f"{PAGE}?month={NOV}").content.decode()
    signal = re.search(r'data-signal="backdated_touch".*?</details>', html, re.S).group(0)
    assert "data-signal-count>0<" in signal
    assert ids(signal, "data-signal-lead") == []


# ------------------------------------------------------------------ fixed queries


def _more_of_november(sdr, marketer, count):
    for index in range(count):
        lead = LeadFactory(
            stage="sal", owner=sdr, team=sdr.teams.get(), source_channel="event",
            campaign=f"fair-{index}", received_at=at(11, 5, 9), delivery_seconds=600,
        )  # fmt: skip
        became_mql(lead, at(11, 5, 9), "B", sdr)
        move(lead, at(11, 5, 10), "mql", "sal", sdr)
        touch(lead, at(11, 5, 11), sdr)
        hooks.on_events_written([lead.pk])


def test_the_dashboard_runs_a_fixed_number_of_queries(
    client, november, director, sdr, marketer, django_assert_num_queries
):
    reports.freeze(NOVEMBER)
    client.force_login(director)
    client.get(f"{PAGE}?month={NOV}")  # warm up
    with CaptureQueriesContext(connection) as small:
        client.get(f"{PAGE}?month={NOV}")
    with CaptureQueriesContext(connection) as small_open:
        client.get(PAGE)
    with CaptureQueriesContext(connection) as small_term:
        client.get(term_url("first_touch_in_time"))

    _more_of_november(sdr, marketer, 12)
    reports.freeze(NOVEMBER)  # version 2, with the new leads
    for back in range(2, 8):
        month = D.shift(NOVEMBER, -back)
        ComplianceReport.objects.create(
            month=month, version=1, data=reports.latest(NOVEMBER).data,
            watermark=at(11, 30, 0), reason="demo",
        )  # fmt: skip

    with django_assert_num_queries(len(small.captured_queries)):
        html = client.get(f"{PAGE}?month={NOV}").content.decode()
    assert "data-mark" in html
    with django_assert_num_queries(len(small_open.captured_queries)):
        client.get(PAGE)
    with django_assert_num_queries(len(small_term.captured_queries)):
        client.get(term_url("first_touch_in_time"))
    # a frozen month is read from its snapshot: fewer queries than computing one
    assert len(small.captured_queries) < len(small_open.captured_queries)


def test_a_frozen_month_is_read_from_its_snapshot_not_the_events(client, november, director, sdr):
    a, b, c, d = november
    reports.freeze(NOVEMBER)
    # A touch entered now with a past time changes November's first touch as computed
    # from the events (1 of 3 → 2 of 3); the frozen report still says 1 of 3.
    touch(c, at(11, 3, 13, 45), sdr)
    hooks.on_events_written([c.pk])
    client.force_login(director)
    html = client.get(f"{PAGE}?month={NOV}").content.decode()
    card = re.search(r'data-term="first_touch_in_time".*?</article>', html, re.S).group(0)
    assert "33.3 %" in card
    assert "1 of 3" in card


def test_the_months_nav_moves_month_by_month_and_stops_at_this_one(client, director):
    client.force_login(director)
    html = client.get(PAGE).content.decode()
    previous = f"{D.shift(D.current_month(), -1):%Y-%m}"
    assert f"?month={previous}" in html
    assert "data-month-next" not in html
    html = client.get(PAGE, {"month": previous}).content.decode()
    assert "data-month-next" in html
    assert "data-month-current" in html


def test_month_from_reads_the_parameter():
    now = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
    assert D.month_from("2026-11", now=now) == NOVEMBER
    assert D.month_from("", now=now) == dt.date(2026, 12, 1)
    with pytest.raises(D.BadMonth) as bad:
        D.month_from("2027-01", now=now)
    assert (bad.value.field, bad.value.code) == ("month", "future")


def test_a_director_regenerates_a_month_and_the_page_shows_what_changed(
    client, frozen, director, sales_manager, sdr
):
    client.force_login(director)
    first = client.get(PAGE, {"month": NOV}).content.decode()
    assert "data-version-changes" not in first  # a first version changed nothing
    assert "data-regenerate" in first

    c_pk = next(line for line in frozen.data["terms"] if line["term"] == "first_touch_in_time")[
        "leads"
    ][-1]  # C: its new round's first touch breached
    from leads.models import Lead

    touch(Lead.objects.get(pk=c_pk), at(11, 3, 13, 45), sdr)  # backdated, entered now
    hooks.on_events_written(c_pk)
    answer = client.post(reverse("sla:compliance_generate", args=[NOV]))
    assert answer.status_code == 302
    assert ComplianceReport.objects.filter(month=NOVEMBER).count() == 2  # the old one kept

    html = client.get(PAGE, {"month": NOV}).content.decode()
    changes = html[html.index("data-version-changes") :]
    assert "First touch in time" in changes
    assert "33.33" in changes
    assert "66.67" in changes

    client.force_login(sales_manager)  # regenerating is for directors and admins
    assert "data-regenerate" not in client.get(PAGE, {"month": NOV}).content.decode()
    assert client.post(reverse("sla:compliance_generate", args=[NOV])).status_code == 403
    assert ComplianceReport.objects.filter(month=NOVEMBER).count() == 2
