"""Stored values in the reader's words (leads.vocabulary, the ``words`` library)."""

import pytest
from django.template import engines
from django.utils import translation

from leads import vocabulary
from leads.models import LeadEvent
from leads.timeline import Refs, event_words
from tests.factories import LeadFactory


@pytest.mark.parametrize(
    ("kind", "stored", "english", "chinese"),
    [
        ("industry", "Automotive", "Automotive", "汽车"),
        ("industry", "Financial services", "Financial services", "金融服务"),
        ("region", "East China", "East China", "华东"),
        ("region", "APAC", "APAC", "亚太"),
        ("country", "CN", "China", "中国"),
        ("country", "us", "United States", "美国"),
        ("language", "zh-hans", "Simplified Chinese", "简体中文"),
        ("language", "en", "English", "英语"),
        ("actor", "routing", "routing", "自动分配"),
        ("actor", "router v1", "routing", "自动分配"),
        ("actor", "opt-out", "the opt-out rule", "退订规则"),
        ("actor", "scoring model v3", "scoring model v3", "评分模型 v3"),
        ("actor", "import", "the spreadsheet import", "表格导入"),
    ],
)
def test_a_stored_value_reads_in_each_language(kind, stored, english, chinese):
    with translation.override("en"):
        assert vocabulary.label(kind, stored) == english
    with translation.override("zh-hans"):
        assert vocabulary.label(kind, stored) == chinese


@pytest.mark.parametrize(
    ("kind", "stored"),
    [
        ("industry", "Aerospace"),  # a company's own list: not ours to translate
        ("region", "Benelux"),
        ("country", "XX"),
        ("country", "Atlantis"),
        ("language", "tlh"),
        ("actor", "hubspot sync"),
        ("industry", ""),
        ("country", None),
    ],
)
def test_an_unknown_value_is_shown_as_stored(kind, stored):
    with translation.override("zh-hans"):
        assert vocabulary.label(kind, stored) == ("" if stored is None else stored)


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown kind of value 'colour'"):
        vocabulary.label("colour", "red")


def test_the_words_library_in_a_template():
    template = engines["django"].from_string(
        "{% load words %}{{ i|industry }}|{{ r|region }}|{{ c|country }}|{{ l|language_name }}"
        '|{{ a|actor }}|{{ i|word:"industry" }}|{{ n|industry|default:"—" }}|{{ m|money:"CNY" }}'
    )
    values = {
        "i": "Healthcare",
        "r": "South China",
        "c": "SG",
        "l": "zh-hans",
        "a": "routing",
        "n": "",
        "m": 1_234_567.5,
    }

    with translation.override("zh-hans"):
        assert (
            template.render(values)
            == "医疗健康|华南|新加坡|简体中文|自动分配|医疗健康|—|¥1,234,567.50"
        )
    with translation.override("en"):
        assert template.render(values) == (
            "Healthcare|South China|Singapore|Simplified Chinese|routing|Healthcare|—|"
            "CNY\xa01,234,567.50"
        )


@pytest.mark.django_db
def test_the_timeline_names_systems_and_languages_in_chinese():
    lead = LeadFactory()
    routed = LeadEvent.objects.create(
        lead=lead, kind=LeadEvent.Kind.ASSIGNMENT, actor_system="router v1", data={}
    )
    changed = LeadEvent.objects.create(
        lead=lead,
        kind=LeadEvent.Kind.UPDATED,
        actor_system="import",
        data={"changed": {"language": ["en", "zh-hans"]}},
    )

    with translation.override("zh-hans"):
        routed_words = event_words(routed, Refs())
        changed_words = event_words(changed, Refs())

    assert (routed_words.actor, routed_words.actor_is_system) == ("自动分配", True)
    assert changed_words.actor == "表格导入"
    assert [(f.label, f.value) for f in changed_words.facts] == [("语言", "英语 → 简体中文")]
