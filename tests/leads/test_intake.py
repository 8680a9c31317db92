"""leads_ingest: validation, matching, merging, accounts and the event log."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from leads.intake.services import INTAKE_FIELDS, leads_ingest
from leads.models import Account, DomainListEntry, Lead, LeadEvent
from tests.factories import AccountFactory, LeadFactory

pytestmark = pytest.mark.django_db


def ingest(*rows, source_system="crm", **kwargs):
    return leads_ingest(rows=list(rows), source_system=source_system, **kwargs)


def test_a_new_lead_is_created_with_normalised_keys_and_a_created_event():
    # when
    result = ingest(
        {
            "email": " Ada@ACME.com ",
            "phone": "138 0013 8000",
            "name": "Ada",
            "source_channel": "Website",
            "created_at_source": "2025-03-01T09:30:00+08:00",
        }
    )
    # then
    assert (result.created, result.updated, result.rejected) == (1, 0, 0)
    lead = Lead.objects.get()
    assert result.results[0].id == lead.pk
    assert result.results[0].status == "created"
    assert lead.email_normalised == "ada@acme.com"
    assert lead.phone == "+8613800138000"
    assert lead.source_channel == "website"
    assert lead.stage == "inquiry"
    assert lead.created_at_source == dt.datetime(2025, 3, 1, 1, 30, tzinfo=dt.UTC)
    event = LeadEvent.objects.get()
    assert (event.kind, event.to_stage, event.actor_system) == ("created", "inquiry", "crm")


def test_every_contract_field_is_accepted():
    row = {
        "external_id": "42",
        "source_system": "hubspot",
        "name": "Li Lei",
        "email": "li@acme.cn",
        "phone": "+8613800138000",
        "title": "CTO",
        "seniority": "executive",
        "wechat_id": "lilei",
        "language": "zh-hans",
        "company": "Acme 有限公司",
        "domain": "acme.cn",
        "employees": 120,
        "annual_revenue": "5000000.50",
        "industry": "Software",
        "region": "East China",
        "country": "cn",
        "source_channel": "event",
        "campaign": "Expo 2025",
        "created_at_source": "2025-03-01T09:30:00Z",
        "do_not_contact": "no",
        "consent_source": "form",
        "consent_at": "2025-03-01T09:30:00Z",
    }
    assert set(row) == set(INTAKE_FIELDS)
    result = ingest(row)
    assert result.errors == []
    lead = Lead.objects.select_related("account").get()
    assert (lead.source_system, lead.external_id) == ("hubspot", "42")
    assert lead.account.domain == "acme.cn"
    assert lead.account.employees == 120
    assert lead.account.annual_revenue == Decimal("5000000.50")
    assert lead.account.country == "CN"
    assert lead.do_not_contact is False


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"email": "a@b.co"}, "source_channel", "required"),
        ({"email": "a@b.co", "source_channel": "tv"}, "source_channel", "not a valid choice"),
        ({"email": "nope", "source_channel": "website"}, "email", "valid email"),
        ({"phone": "12", "source_channel": "website"}, "phone", "valid phone"),
        ({"email": "a@b.co", "source_channel": "website", "name": 5}, "name", "text"),
        ({"email": "a@b.co", "source_channel": "website", "name": "x" * 201}, "name", "200"),
        (
            {"email": "a@b.co", "source_channel": "website", "employees": "many"},
            "employees",
            "whole",
        ),
        ({"email": "a@b.co", "source_channel": "website", "employees": -1}, "employees", "between"),
        (
            {"email": "a@b.co", "source_channel": "website", "annual_revenue": "x"},
            "annual_revenue",
            "number",
        ),
        (
            {"email": "a@b.co", "source_channel": "website", "do_not_contact": "maybe"},
            "do_not_contact",
            "true or false",
        ),
        (
            {"email": "a@b.co", "source_channel": "website", "seniority": "boss"},
            "seniority",
            "not a valid choice",
        ),
        (
            {"email": "a@b.co", "source_channel": "website", "country": "China"},
            "country",
            "two-letter",
        ),
        (
            {"email": "a@b.co", "source_channel": "website", "domain": "not a domain"},
            "domain",
            "domain",
        ),
        (
            {
                "email": "a@b.co",
                "source_channel": "website",
                "created_at_source": "2025-03-01T09:30:00",
            },
            "created_at_source",
            "time zone",
        ),
        (
            {"email": "a@b.co", "source_channel": "website", "consent_at": "yesterday"},
            "consent_at",
            "ISO-8601",
        ),
        (
            {"email": "a@b.co", "source_channel": "website", "stage": "mql"},
            "stage",
            "cannot be set",
        ),
        ({"email": "a@b.co", "source_channel": "website", "owner": 1}, "owner", "cannot be set"),
        (
            {"email": "a@b.co", "source_channel": "website", "colour": "red"},
            "colour",
            "Unknown field",
        ),
        (
            {"name": "No keys", "source_channel": "website"},
            "non_field_errors",
            "external_id, email or phone",
        ),
        ("not an object", "non_field_errors", "object"),
    ],
)
def test_bad_rows_are_rejected_with_the_field_named(row, field, message):
    # given a good row around the bad one
    good = {"email": "good@acme.com", "source_channel": "website"}
    # when
    result = ingest(good, row)
    # then
    assert (result.created, result.rejected) == (1, 1)
    assert result.errors[0].index == 1
    assert message in " ".join(result.errors[0].errors[field])
    assert Lead.objects.count() == 1


def test_a_naive_datetime_is_read_in_naive_tz_when_given():
    shanghai = ZoneInfo("Asia/Shanghai")
    row = {
        "email": "a@acme.com",
        "source_channel": "website",
        "created_at_source": "2025-03-01 09:30",
    }
    result = ingest(row, naive_tz=shanghai)
    assert result.errors == []
    assert Lead.objects.get().created_at_source == dt.datetime(2025, 3, 1, 1, 30, tzinfo=dt.UTC)


def test_the_same_batch_twice_creates_nothing_new():
    rows = [
        {"email": "a@acme.com", "source_channel": "website", "name": "A"},
        {"external_id": "7", "source_channel": "event"},
        {"phone": "13800138000", "source_channel": "wechat"},
    ]
    first = ingest(*rows)
    second = ingest(*rows)
    assert (first.created, first.updated) == (3, 0)
    assert (second.created, second.updated) == (0, 3)
    assert [r.id for r in second.results] == [r.id for r in first.results]
    assert Lead.objects.count() == 3
    assert LeadEvent.objects.filter(kind="updated").count() == 0  # nothing changed


def test_identity_is_external_id_then_email_then_phone():
    lead = LeadFactory(email="x@acme.com", email_normalised="x@acme.com", external_id="9")
    phone_only = LeadFactory(email="", email_normalised=None, phone="+8613800138000")
    result = ingest(
        {"external_id": "9", "source_system": "test", "source_channel": "website", "name": "By id"},
        {"email": "X@Acme.com", "source_channel": "website", "title": "By email"},
        {"phone": "+86 138 0013 8000", "source_channel": "website", "name": "By phone"},
    )
    assert [r.id for r in result.results] == [lead.pk, lead.pk, phone_only.pk]
    assert Lead.objects.count() == 2


def test_an_update_merges_only_the_fields_sent():
    # given
    ingest({"email": "a@acme.com", "source_channel": "website", "name": "Ada", "title": "CTO"})
    # when
    result = ingest(
        {"email": "a@acme.com", "source_channel": "website", "title": "CEO", "name": ""}
    )
    # then
    assert (result.created, result.updated) == (0, 1)
    lead = Lead.objects.get()
    assert (lead.name, lead.title) == ("Ada", "CEO")
    event = LeadEvent.objects.get(kind="updated")
    assert event.data == {"changed": {"title": ["CTO", "CEO"]}}


def test_within_a_batch_the_last_duplicate_wins():
    result = ingest(
        {"email": "a@acme.com", "source_channel": "website", "title": "CTO", "name": "Ada"},
        {"email": "A@ACME.COM", "source_channel": "event", "title": "CEO"},
    )
    lead = Lead.objects.get()
    assert (lead.title, lead.name, lead.source_channel) == ("CEO", "Ada", "event")
    assert [(r.id, r.status) for r in result.results] == [
        (lead.pk, "created"),
        (lead.pk, "updated"),
    ]


def test_a_row_whose_keys_point_at_two_leads_is_rejected():
    by_id = LeadFactory(
        external_id="1", source_system="crm", email="a@acme.com", email_normalised="a@acme.com"
    )
    LeadFactory(email="b@acme.com", email_normalised="b@acme.com")
    result = ingest(
        {"external_id": "1", "email": "b@acme.com", "source_channel": "website", "name": "X"}
    )
    assert result.rejected == 1
    errors = result.errors[0].errors
    assert set(errors) == {"external_id", "email"}
    assert f"#{by_id.pk}" in errors["email"][0]
    assert not Lead.objects.filter(name="X").exists()


def test_a_stored_external_id_is_not_replaced():
    lead = LeadFactory(
        email="a@acme.com", email_normalised="a@acme.com", external_id="1", source_system="crm"
    )
    ingest({"external_id": "2", "email": "a@acme.com", "source_channel": "website"})
    lead.refresh_from_db()
    assert (lead.source_system, lead.external_id) == ("crm", "1")


def test_accounts_link_by_email_domain_but_never_free_mail():
    existing = AccountFactory(domain="acme.com", name="Acme")
    ingest(
        {"email": "a@acme.com", "source_channel": "website", "employees": 80},
        {"email": "b@qq.com", "source_channel": "website"},
        {"email": "c@gmail.com", "source_channel": "website", "company": "Foo Ltd"},
        {"email": "d@163.com", "source_channel": "website", "company": "FOO  Limited"},
    )
    a, b, c, d = (
        Lead.objects.get(email_normalised=e)
        for e in ("a@acme.com", "b@qq.com", "c@gmail.com", "d@163.com")
    )
    assert a.account_id == existing.pk
    existing.refresh_from_db()
    assert existing.employees == 80
    assert b.account_id is None
    assert c.account_id == d.account_id is not None
    assert Account.objects.get(pk=c.account_id).domain is None
    assert not Account.objects.filter(domain__in=["qq.com", "gmail.com", "163.com"]).exists()


def test_the_free_mail_list_is_read_from_the_database():
    DomainListEntry.objects.create(domain="corp-mail.example", kind="free_mail")
    ingest({"email": "a@corp-mail.example", "source_channel": "website"})
    assert Lead.objects.get().account_id is None


def test_rows_above_the_chunk_size_keep_their_indexes(settings):
    rows = [{"email": f"p{i}@acme.com", "source_channel": "website"} for i in range(5003)]
    rows[5001] = {"email": "broken", "source_channel": "website"}
    result = leads_ingest(rows=rows, source_system="crm")
    assert (result.created, result.rejected) == (5002, 1)
    assert result.errors[0].index == 5001
    assert Lead.objects.count() == 5002
    assert Account.objects.count() == 1


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+8613800138000",
        "+86 13800138000",
        "+86-138-0013-8000",
        "+86 138 0013 8000",
        "138 0013 8000",
        " 19912345678 ",
        "+86 11012345678",  # not a mobile prefix: phonenumbers decides
        "1380013800",  # too short for the fast path
    ],
)
def test_the_cn_mobile_fast_path_agrees_with_normalize_phone(raw):
    from leads.intake.normalize import normalize_phone
    from leads.intake.services import _phone_e164

    try:
        expected = normalize_phone(raw)
    except ValueError:
        expected = None
    try:
        got = _phone_e164(raw)
    except ValueError:
        got = None
    assert got == expected


def test_rows_naming_the_same_stored_lead_by_different_keys_merge_in_order():
    lead = LeadFactory(
        email="a@acme.com", email_normalised="a@acme.com", external_id="1", source_system="crm"
    )
    result = ingest(
        {"external_id": "1", "source_channel": "website", "title": "First"},
        {"email": "a@acme.com", "source_channel": "website", "title": "Second"},
    )
    assert [(r.id, r.status) for r in result.results] == [
        (lead.pk, "updated"),
        (lead.pk, "updated"),
    ]
    lead.refresh_from_db()
    assert lead.title == "Second"


def test_only_the_row_pointing_at_two_leads_is_rejected_not_its_neighbours():
    one = LeadFactory(
        external_id="1", source_system="crm", email="one@acme.com", email_normalised="one@acme.com"
    )
    two = LeadFactory(email="two@acme.com", email_normalised="two@acme.com")
    result = ingest(
        {"external_id": "1", "source_channel": "website", "title": "A"},
        {"email": "two@acme.com", "source_channel": "website", "title": "B"},
        {"external_id": "1", "email": "two@acme.com", "source_channel": "website"},
    )
    assert [e.index for e in result.errors] == [2]
    assert [r.id for r in result.results] == [one.pk, two.pk]
