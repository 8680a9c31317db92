"""The ``words`` template library: stored values in the reader's language
(``leads.vocabulary``). ``{% load words %}``, then
``{{ account.industry|industry }}``, ``{{ account.region|region }}``,
``{{ account.country|country }}``, ``{{ lead.language|language_name }}``,
``{{ event.actor_system|actor }}``, or ``{{ value|word:"industry" }}``; and
``{{ amount|money:currency }}`` (``leads.money``).
An empty value stays empty (so ``|default:"—"`` after it still works)."""

from django import template

from leads import vocabulary
from leads.money import format_money

register = template.Library()

register.filter("industry", vocabulary.industry_label)
register.filter("region", vocabulary.region_label)
register.filter("country", vocabulary.country_label)
register.filter("language_name", vocabulary.language_label)
register.filter("actor", vocabulary.actor_label)


@register.filter
def word(value, kind):
    return vocabulary.label(kind, value)


@register.filter
def money(amount, currency=""):
    """``{{ opp.amount|money:opp.currency }}``: "CNY 300,000.00" / "¥300,000.00"."""
    return format_money(amount, currency)
