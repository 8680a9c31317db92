"""The scoring API: model versions (list, create, edit drafts, publish → 202 + job) and
a lead's score with its breakdown."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leads.models import Job, ScoringModelVersion
from leads.scoring.engine import default_model
from leads.scoring.rescore import leads_rescore
from leads.scoring.services import ensure_default_model
from tests.factories import AccountFactory, ActivityFactory, LeadFactory

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
URL = "/api/v1/scoring/models/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def published(db):
    version, _job = ensure_default_model(enqueue=False)
    return version


def definition(**changes):
    return {**default_model(1).to_dict(), **changes}


def snapshot(version):
    version.refresh_from_db()
    return (version.status, version.name, version.definition, version.updated_at)


# ----------------------------------------------------------------- who may do what


def test_everyone_reads_anonymous_does_not(api_as, api_client, sdr, director, published):
    assert api_client.get(URL).status_code == 401
    for user in (sdr, director):
        body = api_as(user).get(URL).json()
        assert [v["number"] for v in body["results"]] == [1]
        assert body["results"][0]["status"] == "published"
    assert api_as(sdr).get(f"{URL}{published.pk}/").json()["definition"]["threshold"]["mode"]


@pytest.mark.parametrize("role", ["sdr", "ae", "sales_manager", "director", "integration"])
def test_only_marketing_and_admin_write(request, api_as, role, published):
    client = api_as(request.getfixturevalue(role))
    before = ScoringModelVersion.objects.count()
    created = client.post(URL, {"definition": definition()}, format="json")
    assert created.status_code == 403
    assert "marketing" in created.json()["detail"]
    assert client.post(f"{URL}{published.pk}/publish/").status_code == 403
    assert ScoringModelVersion.objects.count() == before


def test_marketing_creates_edits_and_publishes(api_as, marketer, published):
    client = api_as(marketer)
    created = client.post(URL, {"name": "Q4", "definition": definition()}, format="json")
    assert created.status_code == 201
    draft = created.json()
    assert (draft["number"], draft["status"], draft["name"]) == (2, "draft", "Q4")
    assert draft["created_by"]["id"] == marketer.pk

    changed = definition(threshold={"mode": "total", "min_grade": "B", "min_interest": 0})
    changed["threshold"]["min_total"] = 70
    patched = client.patch(f"{URL}{draft['id']}/", {"definition": changed}, format="json")
    assert patched.status_code == 200
    assert patched.json()["definition"]["threshold"]["min_total"] == 70

    published_answer = client.post(f"{URL}{draft['id']}/publish/")
    assert published_answer.status_code == 202
    body = published_answer.json()
    assert body["version"]["status"] == "published"
    job = Job.objects.get(pk=body["job"])
    assert job.kind == Job.Kind.RESCORE
    assert body["status_url"] == f"/api/v1/jobs/{job.pk}/"
    assert client.get(body["status_url"]).json()["state"] == "pending"
    published.refresh_from_db()
    assert published.status == "retired"


def test_copy_a_version_into_a_draft(api_as, admin_user, published):
    answer = api_as(admin_user).post(URL, {"from_version": published.pk}, format="json")
    assert answer.status_code == 201
    assert answer.json()["definition"]["fit_rules"] == published.definition["fit_rules"]
    assert answer.json()["status"] == "draft"
    missing = api_as(admin_user).post(URL, {"from_version": 999999}, format="json")
    assert missing.status_code == 404


# ------------------------------------------------------------------- bad input


def test_published_model_cannot_be_edited(api_as, marketer, published):
    before = snapshot(published)
    answer = api_as(marketer).patch(
        f"{URL}{published.pk}/", {"name": "sneaky", "definition": definition()}, format="json"
    )
    assert answer.status_code == 409
    assert answer.json()["status"] == "published"
    assert "new draft" in answer.json()["detail"]
    assert snapshot(published) == before


def test_publishing_twice_is_409(api_as, marketer, published):
    answer = api_as(marketer).post(f"{URL}{published.pk}/publish/")
    assert answer.status_code == 409
    assert "already published" in answer.json()["detail"]
    assert Job.objects.filter(kind=Job.Kind.RESCORE).count() == 1  # the seed's only


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (
            lambda d: d["fit_rules"].append({"field": "shoe_size", "operator": "gt", "value": 1}),
            "fit_rules[8].shoe_size",
            "unknown field",
        ),
        (
            lambda d: d["fit_rules"][3].update(operator="gt"),
            "fit_rules[3].industry",
            "does not fit a text field",
        ),
        (
            lambda d: d["interest_rules"].append({"activity_type": "telepathy", "points": 5}),
            "interest_rules[14].telepathy",
            "unknown activity type",
        ),
        (
            lambda d: d["threshold"].update(min_interest=-5),
            "threshold.min_interest",
            ">= 0",
        ),
        (lambda d: d.pop("threshold"), "threshold.threshold", "no MQL threshold"),
        (
            lambda d: d["grade_thresholds"].update(B=90),
            "grade_thresholds.B",
            "fall from A to C",
        ),
    ],
)
def test_invalid_definitions_name_the_problem_and_save_nothing(
    api_as, marketer, published, change, key, words
):
    client = api_as(marketer)
    draft = client.post(URL, {"definition": definition()}, format="json").json()
    bad = definition()
    change(bad)
    count = ScoringModelVersion.objects.count()
    created = client.post(URL, {"definition": bad}, format="json")
    assert created.status_code == 400
    assert key in created.json()["errors"], created.json()
    assert words in " ".join(created.json()["errors"][key])
    assert ScoringModelVersion.objects.count() == count

    version = ScoringModelVersion.objects.get(pk=draft["id"])
    before = snapshot(version)
    patched = client.patch(f"{URL}{draft['id']}/", {"definition": bad}, format="json")
    assert patched.status_code == 400
    assert patched.json()["problems"][0]["field"] == key.rsplit(".", 1)[1]
    assert snapshot(version) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "definition"),
        ({"definition": [1, 2]}, "definition"),
        ({"definition": definition(), "name": "x" * 201}, "name"),
        ({"from_version": "seven"}, "from_version"),
    ],
)
def test_malformed_bodies_are_400(api_as, marketer, db, body, field):
    answer = api_as(marketer).post(URL, body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["errors"]


def test_malformed_rules_are_400_not_500(api_as, marketer, db):
    for bad in (
        definition(fit_rules="everyone"),
        definition(fit_rules=[{"operator": "gt"}]),
        definition(interest_rules=[{"activity_type": "webinar"}]),
        definition(threshold=7),
    ):
        answer = api_as(marketer).post(URL, {"definition": bad}, format="json")
        assert answer.status_code == 400, bad
        assert answer.json()["errors"]


# ------------------------------------------------------------------ lead score


def test_lead_score_with_breakdown_and_explanation(api_as, sdr, marketer, published):
    account = AccountFactory(employees=500, industry="Software", country="US")
    lead = LeadFactory(account=account, seniority="vp", owner=sdr)
    ActivityFactory(lead=lead, type="pricing_page", occurred_at=NOW - timedelta(days=1))
    leads_rescore(lead_ids=[lead.pk])
    body = api_as(sdr).get(f"/api/v1/leads/{lead.pk}/score/").json()
    assert body["scored"] is True
    assert (body["grade"], body["model_version"]) == ("A", 1)
    assert body["quadrant"] == "nurture"
    assert body["next_action"] == "marketing_nurture"
    assert body["is_mql"] is False
    assert body["total"] == body["fit"] + body["interest"]
    keys = [line["key"] for line in body["explanation"]]
    assert keys[0] == "mql.no"
    assert "fit.matched" in keys
    assert "interest.type" in keys
    [employees] = [
        line["params"]
        for line in body["explanation"]
        if line["key"] == "fit.matched" and line["params"]["field"] == "employees"
    ]
    assert (employees["operator"], employees["value"], employees["lead_value"]) == ("gt", 50, 500)
    assert employees["points"] == 20


def test_lead_score_of_an_invisible_lead_is_404(api_as, sdr, other_sdr, published):
    lead = LeadFactory(owner=other_sdr)
    assert api_as(sdr).get(f"/api/v1/leads/{lead.pk}/score/").status_code == 404


def test_unscored_lead(api_as, marketer, db):
    lead = LeadFactory()
    body = api_as(marketer).get(f"/api/v1/leads/{lead.pk}/score/").json()
    assert body["scored"] is False
    assert body["explanation"] == []
    assert body["model_version"] is None


def test_lead_list_carries_the_score(api_as, marketer, published):
    account = AccountFactory(employees=500, industry="Software", country="US")
    lead = LeadFactory(account=account, seniority="vp")
    leads_rescore(lead_ids=[lead.pk])
    [row] = api_as(marketer).get("/api/v1/leads/?grade=A").json()["results"]
    assert (row["id"], row["score_grade"], row["score_quadrant"]) == (lead.pk, "A", "nurture")
    assert row["score_total"] == row["score_fit"] + row["score_interest"]
    assert row["mql_at"] is None


def test_lead_score_carries_the_predictive_advice(api_as, marketer, published):
    from leads.models import Job
    from leads.scoring.predictive_services import predictive_refresh_run

    account = AccountFactory(employees=500, industry="Software", country="US")
    for n in range(12):
        LeadFactory(account=account, stage="won" if n % 3 == 0 else "lost")
    lead = LeadFactory(account=account)
    assert api_as(marketer).get(f"/api/v1/leads/{lead.pk}/score/").json()["predictive"] is None
    job = Job.objects.create(kind=Job.Kind.PREDICTIVE, state=Job.State.PENDING)
    predictive_refresh_run(job_id=job.pk)
    advice = api_as(marketer).get(f"/api/v1/leads/{lead.pk}/score/").json()["predictive"]
    assert advice["closed"] is False
    assert 0.01 <= advice["probability"] <= 99.99
    assert advice["stored_probability"] == pytest.approx(advice["probability"])
