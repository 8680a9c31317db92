"""``{% lead_work_panel %}``: the actions the viewer may take on the lead in context
(``leads.queue.actions.lead_actions``), with fresh forms, or the bound ones a refused
POST left in ``work_bound``."""

from django import template

from leads.people import roles
from leads.queue import work
from leads.queue.actions import lead_actions
from leads.queue.views import ACTIONS, make_form
from leads.selectors import leads_worked_by

register = template.Library()


@register.inclusion_tag("work/_actions_panel.html", takes_context=True)
def lead_work_panel(context):
    lead = context["lead"]
    user = context["request"].user
    actions = lead_actions(lead=lead, user=user)
    bound = context.get("work_bound") or {}
    allowed = {
        "accept": actions.accept,
        "return": actions.return_lead,
        "touch": actions.touch,
        "qualify": actions.qualify,
        "convert": actions.convert,
        "disqualify": actions.disqualify,
        "sql_accept": actions.sql_accept,
        "sql_reject": actions.sql_reject,
        "opportunity": actions.opportunity is not None,
        "opt_out": actions.opt_out,
        "opt_out_reverse": actions.opt_out_reverse,
    }
    forms = {name: bound.get(name) or make_form(name, lead) for name in ACTIONS if allowed[name]}
    state = work.qualification_state(lead=lead) if actions.qualify or actions.convert else None
    return {
        "lead": lead,
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "actions": actions,
        "forms": forms,
        "open_form": next(iter(bound), ""),
        "work_error": context.get("work_error", ""),
        "qualification": state,
        "missing_words": state.missing_words if state else "",
        "opportunity": actions.opportunity,
        # an SDR or AE reading a lead they worked, held by someone else now
        "read_only": not actions.works
        and roles.has_role(user, roles.SDR, roles.AE)
        and leads_worked_by(user=user).filter(pk=lead.pk).exists(),
    }
