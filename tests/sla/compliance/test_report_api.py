"""The SLA compliance API (issue 13 §4): the scorecard, the reports and their
regeneration — who sees what, bad input naming its field, fixed query counts."""

from __future__ import annotations

import pytest

from sla.compliance import reports
from sla.models import ComplianceReport
from tests.sla.compliance.conftest import NOVEMBER, at, touch

pytestmark = pytest.mark.django_db
SCORECARD = "/api/v1/sla/scorecard/"
REPORTS = "/api/v1/sla/reports/"


def terms(body):
    return {line["term"]: line for line in body["terms"]}


def test_the_api_needs_a_sign_in(api_client):
    for url in (SCORECARD, REPORTS, f"{REPORTS}2026-11/"):
        assert api_client.get(url).status_code == 401
    assert api_client.post(f"{REPORTS}2026-11/regenerate/").status_code == 401


def test_a_closed_month_not_frozen_is_computed_and_a_frozen_one_read_from_its_report(
    november, director, api_as
):
    client = api_as(director)
    live = client.get(SCORECARD, {"month": "2026-11"}).json()
    assert live["frozen"] is False
    assert live["report"] is None
    assert terms(live)["accepted_in_time"]["actual"] == "66.67"
    report = reports.freeze(NOVEMBER)
    frozen = client.get(SCORECARD, {"month": "2026-11"}).json()
    assert frozen["frozen"] is True
    assert frozen["report"]["version"] == report.version
    assert frozen["terms"] == report.data["terms"]


def test_the_scorecard_reads_a_frozen_month_in_a_fixed_number_of_queries(
    november, director, api_as, django_assert_num_queries
):
    reports.freeze(NOVEMBER)
    client = api_as(director)
    client.get(SCORECARD, {"month": "2026-11"})  # warm: the default calendar
    # token, user's groups, the calendar's zone (month state), the latest report
    with django_assert_num_queries(4):
        assert client.get(SCORECARD, {"month": "2026-11"}).status_code == 200


@pytest.mark.parametrize(
    ("month", "why"),
    [("2026-13", "YYYY-MM"), ("nov", "YYYY-MM"), ("2026-11\x00", "YYYY-MM"),
     ("2099-01", "not begun")],
)  # fmt: skip
def test_a_bad_month_is_a_400_naming_it(director, api_as, month, why):
    answer = api_as(director).get(SCORECARD, {"month": month})
    assert answer.status_code == 400
    assert why in str(answer.json()["errors"]["month"])


def test_a_month_with_no_data_says_why(director, api_as):
    body = api_as(director).get(SCORECARD, {"month": "2026-06"}).json()
    assert terms(body)["first_touch_in_time"]["verdict"] == "no_data"
    assert terms(body)["first_touch_in_time"]["note"] == "no_clocks"


def test_who_sees_which_figures(november, director, sales_manager, sdr, other_sdr, marketer,
                                integration, outsider, api_as):  # fmt: skip
    team = str(sdr.teams.get().pk)
    full = api_as(director).get(SCORECARD, {"month": "2026-11"}).json()
    assert {row["dimension"] for row in full["rows"]} >= {"team", "person", "source"}

    mine = api_as(sales_manager).get(SCORECARD, {"month": "2026-11"}).json()
    assert {row["key"] for row in mine["rows"] if row["dimension"] == "team"} == {team}
    assert terms(mine)["accepted_in_time"]["actual"] == "66.67"  # their team's row

    own = api_as(sdr).get(SCORECARD, {"month": "2026-11"}).json()
    assert {(row["dimension"], row["key"]) for row in own["rows"]} == {("person", str(sdr.pk))}
    assert terms(own)["first_touch_in_time"]["actual"] == "33.33"
    nothing = api_as(other_sdr).get(SCORECARD, {"month": "2026-11"}).json()
    assert nothing["rows"] == []
    assert terms(nothing)["first_touch_in_time"]["verdict"] == "no_data"

    marketing = api_as(marketer).get(SCORECARD, {"month": "2026-11"}).json()
    sales_people = [
        row for row in marketing["rows"]
        if row["dimension"] == "person" and terms(full)[row["term"]]["side"] == "sales"
    ]  # fmt: skip
    assert sales_people == []
    assert api_as(integration).get(SCORECARD, {"month": "2026-11"}).json()["rows"] == full["rows"]
    assert api_as(outsider).get(SCORECARD).status_code == 404


def test_one_teams_figures(november, director, sales_manager, sdr, other_sdr, api_as):
    team = sdr.teams.get().pk
    body = api_as(director).get(SCORECARD, {"month": "2026-11", "team": team}).json()
    assert terms(body)["accepted_in_time"]["actual"] == "66.67"
    west = other_sdr.teams.get().pk
    assert api_as(sales_manager).get(SCORECARD, {"team": west}).status_code == 404
    assert api_as(director).get(SCORECARD, {"team": 999999}).status_code == 404
    assert api_as(director).get(SCORECARD, {"team": "east"}).status_code == 400


def test_reports_list_and_detail(november, director, integration, sdr, api_as):
    report = reports.freeze(NOVEMBER)
    listed = api_as(integration).get(REPORTS).json()
    assert [(row["month"], row["version"]) for row in listed["results"]] == [("2026-11", 1)]
    body = api_as(integration).get(f"{REPORTS}2026-11/").json()
    assert body["report"]["id"] == report.pk
    assert body["changes"] == []
    assert terms(body)["icp_share"]["actual"] == "50.00"
    own = api_as(sdr).get(f"{REPORTS}2026-11/").json()
    assert {row["key"] for row in own["rows"]} == {str(sdr.pk)}
    assert api_as(director).get(f"{REPORTS}2026-10/").status_code == 404
    assert api_as(director).get(f"{REPORTS}2026-11/", {"version": 7}).status_code == 404
    assert api_as(director).get(f"{REPORTS}2026-11/", {"version": "x"}).status_code == 400
    assert api_as(director).get(f"{REPORTS}2026-99/").status_code == 400


def test_regenerating_is_for_directors_and_admins_and_keeps_the_old_version(
    november, director, admin_user, sales_manager, integration, sdr, api_as
):
    a, b, c, d = november
    reports.freeze(NOVEMBER)
    for who in (sales_manager, integration, sdr):
        assert api_as(who).post(f"{REPORTS}2026-11/regenerate/").status_code == 403
    assert ComplianceReport.objects.count() == 1
    touch(c, at(11, 3, 13, 45), sdr)  # a backdated call, entered now
    from leads import hooks

    hooks.on_events_written(c.pk)
    answer = api_as(director).post(f"{REPORTS}2026-11/regenerate/")
    assert answer.status_code == 201
    body = answer.json()
    assert body["report"]["version"] == 2
    assert body["report"]["reason"] == "regenerated"
    assert any(
        change["term"] == "first_touch_in_time" and change["after"] == "66.67"
        for change in body["changes"]
    )
    assert ComplianceReport.objects.filter(month=NOVEMBER).count() == 2
    open_month = api_as(admin_user).post(f"{REPORTS}2099-01/regenerate/")
    assert open_month.status_code == 400
    assert "month" in open_month.json()["errors"]


def _pdf_text(body: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["SLA compliance report", "First touch in time"]), ("zh-hans", ["SLA 合规报告"])],
)
def test_the_report_as_pdf_and_csv_in_the_readers_language(
    november, integration, api_as, language, words
):
    import io
    import zipfile

    reports.freeze(NOVEMBER)
    client = api_as(integration)
    pdf = client.get(f"{REPORTS}2026-11/", {"format": "pdf"}, HTTP_ACCEPT_LANGUAGE=language)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    for word in words:
        assert word in text
    assert "66.67" in text  # accepted in time
    by_accept = client.get(f"{REPORTS}2026-11/", HTTP_ACCEPT="application/pdf")
    assert by_accept.content.startswith(b"%PDF")

    archive = client.get(f"{REPORTS}2026-11/", {"format": "csv"}, HTTP_ACCEPT_LANGUAGE=language)
    assert archive["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        names = sorted(opened.namelist())
        terms_csv = opened.read(next(n for n in names if "terms" in n))
    assert len(names) == 3
    assert terms_csv.startswith("\ufeff".encode())
    assert "66.67" in terms_csv.decode("utf-8-sig")
    one = client.get(
        f"{REPORTS}2026-11/", {"format": "csv", "table": "terms"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert one["Content-Type"].startswith("text/csv")
    assert one.content == terms_csv
    bad = client.get(f"{REPORTS}2026-11/", {"format": "csv", "table": "nope"})
    assert bad.status_code == 400
    assert "table" in bad.json()["errors"]
