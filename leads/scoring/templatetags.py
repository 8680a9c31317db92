"""Template tags of the scoring pages and the lead page's "why this score"."""

from django import template

from leads.scoring import wording as scoring_wording

register = template.Library()


@register.simple_tag
def why_score(lead) -> scoring_wording.WhyScore:
    """``{% why_score lead as why %}``: the lead's stored breakdown in sentences.

    Reads ``lead.score_model``: select it with the lead (``select_related``) so the
    page costs no extra query."""
    version = lead.score_model if lead.score_model_id else None
    return scoring_wording.why_score(
        breakdown=lead.score_breakdown,
        definition=version.definition if version is not None else None,
        model_pk=lead.score_model_id,
        mql_at=lead.mql_at,
    )


@register.filter
def field_label(name: str) -> str:
    return scoring_wording.field_label(name)


@register.filter
def activity_label(kind: str) -> str:
    return scoring_wording.activity_label(kind)


@register.filter
def score_number(value) -> str:
    return scoring_wording.format_number(value)
