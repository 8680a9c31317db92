"""Numbers as people read them, in both languages: counts grouped (1,140), amounts
with their currency (CNY 300,000.00 / ¥300,000.00); and ids in URLs, attributes and
form values never grouped (an id 123,456 in a link or a checkbox breaks it).

Two checks: pages rendered with large counts, ids and amounts, their attributes
parsed; and a static audit of every template, so that a new template putting an id
or a count in an attribute without ``|unlocalize`` (or ``{% localize off %}``) fails
here before it fails a user with the thousandth lead.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils import timezone, translation

from leads.models import Account, Lead, Opportunity
from leads.money import format_money
from tests.factories import LeadFactory

ROOT = Path(__file__).resolve().parent.parent
GROUPED = re.compile(r"\d,\d{3}")
# Attributes people read (a tooltip may say "1,140 leads"); every other attribute is
# for machines: links, form values, data-* for scripts and tests, ids, SVG geometry.
READ_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder", "content"}
COUNT = 1140
BIG_ID = 123_456


@pytest.fixture(autouse=True)
def english_again():
    yield
    translation.deactivate()  # LocaleMiddleware leaves the request's language active


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.found.extend((tag, name, value or "") for name, value in attrs)


def grouped_attributes(html: str) -> list[tuple[str, str, str]]:
    parser = _Attributes()
    parser.feed(html)
    return [
        (tag, name, value)
        for tag, name, value in parser.found
        if name not in READ_ATTRIBUTES and GROUPED.search(value)
    ]


@pytest.fixture
def many_leads(db):
    """1,140 inquiries, ids 10,000 to 11,139."""
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            id=10_000 + i,
            name=f"Lead {i}",
            email=f"lead{i}@bulk{i}.example",
            email_normalised=f"lead{i}@bulk{i}.example",
            source_channel="website",
            source_system="test",
            received_at=now,
        )
        for i in range(COUNT)
    )


@pytest.fixture
def big_deal(db, ae):
    """A lead with id 123,456 in opportunity for CNY 300,000, at a Chinese car maker."""
    account = Account.objects.create(
        name="Big Auto",
        name_normalised="big auto",
        domain="bigauto.example",
        industry="Automotive",
        region="East China",
        country="CN",
        employees=12_500,
    )
    lead = LeadFactory(
        id=BIG_ID,
        stage="opportunity",
        owner=ae,
        account=account,
        language="zh-hans",
        assigned_at=timezone.now(),
    )
    Opportunity.objects.create(
        lead=lead,
        owner=ae,
        name="Big Auto fleet",
        amount=Decimal("300000"),
        currency="CNY",
        expected_close=dt.date(2031, 6, 30),
        stage="discovery",
        source="marketing",
        source_channel="website",
    )
    return lead


def _get(client, user, url, language):
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_counts_are_grouped_and_ids_are_not(client, director, many_leads):
    for language in ("en", "zh-hans"):  # one company of 1,140 leads for both
        # a director's home opens on the SLA dashboard; the overview is the usual home
        home = _get(client, director, "/?overview=1", language)
        listed = _get(client, director, "/leads/?stage=inquiry", language)

        assert re.search(r'data-stage-count="inquiry">\s*<span class="stat-value">1,140<', home)
        assert 'data-result-count="1140"' in listed
        assert "1,140" in listed
        assert f'data-lead-id="{10_000 + COUNT - 1}"' in listed  # ids ungrouped: 11139
        for page in (home, listed):
            assert grouped_attributes(page) == []


@pytest.mark.parametrize(
    ("language", "amount", "industry", "region", "country", "spoken"),
    [
        ("en", "CNY\xa0300,000.00", "Automotive", "East China", "China", "Simplified Chinese"),
        ("zh-hans", "¥300,000.00", "汽车", "华东", "中国", "简体中文"),
    ],
)
def test_the_lead_page_in_the_readers_numbers_and_words(
    client, ae, big_deal, language, amount, industry, region, country, spoken
):
    page = _get(client, ae, f"/leads/{BIG_ID}/", language)
    pipeline = _get(client, ae, "/pipeline/", language)

    assert amount in page
    assert amount in pipeline
    assert "12,500" in page  # employees
    assert f"<dd>{industry}</dd>" in page
    assert f"<dd>{region} ({country})</dd>" in page
    assert f"<dd>{spoken}</dd>" in page
    assert "zh-hans" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    assert f'data-lead="{BIG_ID}"' in page
    for html in (page, pipeline):
        assert grouped_attributes(html) == []


@pytest.mark.parametrize(
    ("language", "currency", "shown"),
    [
        ("en", "CNY", "CNY\xa0300,000.00"),
        ("en", "usd", "USD\xa01,250.50"),
        ("en", "JPY", "JPY\xa01,250"),
        ("en", "", "1,250.50"),
        ("zh-hans", "CNY", "¥300,000.00"),
        ("zh-hans", "USD", "US$1,250.50"),
        ("zh-hans", "CHF", "CHF\xa01,250.50"),
    ],
)
def test_money_in_each_language(language, currency, shown):
    amount = Decimal("300000") if currency == "CNY" else Decimal("1250.5")
    with translation.override(language):
        assert format_money(amount, currency) == shown
        assert format_money(-amount, currency) == "-" + shown
        assert format_money("not a number", currency) == "not a number"


# --------------------------------------------------------------- the static audit

NUMERIC_NAME = re.compile(
    r"(^|\.)(pk|id|\w+_id|\w+_pk|number|\w+_number|num_pages|count|\w+_count|\w+_rows"
    r"|row|n|index|\w+_index|percent|months|points|\w+_points|cap|\w+_days|total|done"
    r"|selected|pool)$"
)
ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*\{\{[^"]*)"')
EXPRESSION = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
UNLOCALIZED_BLOCK = re.compile(r"\{% localize off %\}.*?\{% endlocalize %\}", re.S)


def _templates():
    for path in sorted(ROOT.glob("**/templates/**/*.html")):
        if ".venv" not in path.parts and "node_modules" not in path.parts:
            yield path


def test_the_audit_sees_the_templates():
    names = {p.name for p in _templates()}
    assert {"base.html", "lead_detail.html", "queue.html", "pipeline.html"} <= names


def test_no_template_groups_an_id_or_a_count_in_an_attribute():
    found = []
    for path in _templates():
        text = UNLOCALIZED_BLOCK.sub("", path.read_text())
        for number, line in enumerate(text.splitlines(), 1):
            for attribute in ATTRIBUTE.finditer(line):
                name, value = attribute.groups()
                if name in READ_ATTRIBUTES:
                    continue
                for expression in EXPRESSION.findall(value):
                    variable = expression.split("|")[0].strip()
                    if "unlocalize" in expression or variable.endswith("id_for_label"):
                        continue
                    if NUMERIC_NAME.search(variable):
                        found.append(f"{path.relative_to(ROOT)}:{number}: {name}={expression}")
    assert found == [], "add |unlocalize (or {% localize off %}):\n" + "\n".join(found)
