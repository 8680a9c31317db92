"""The one chart component (issue 13 §3): ``svg`` draws (pure, no Django: its docstring
is the API), ``l10n`` gives it Django's localised numbers and translated words.

    from leads.charts import l10n, svg

    chart = svg.line_chart(months, [svg.Series("icp", _("ICP share"), values)],
                           key="icp", title=_("ICP share per month"),
                           format_value=l10n.percent(), **l10n.words())

Nothing is imported here, so importing ``leads.charts.svg`` stays free of Django.
"""
