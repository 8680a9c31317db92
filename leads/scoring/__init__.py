"""Lead scoring: the pure maths (no Django import anywhere in this package).

- ``engine``: the rule score — ICP fit (grade A–D), interest with decay and caps,
  the MQL threshold and the quadrant — with a per-rule breakdown.
- ``predictive``: an Odoo-style naive Bayes probability of winning, learned from
  closed leads.

Models, pages, the API and the jobs live elsewhere and store these dataclasses as
JSON (``to_dict`` / ``from_dict``).
"""
