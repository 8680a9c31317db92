"""Lead scoring.

The pure maths — no Django import, neither in these modules nor in anything they
import (``tests/leads/scoring/test_purity.py`` checks it):

- ``engine``: the rule score — ICP fit (grade A–D), interest with decay and caps,
  the MQL threshold and the quadrant — with a per-rule breakdown.
- ``predictive``: an Odoo-style naive Bayes probability of winning, learned from
  closed leads.
- ``diff``: what changed between two model versions, rule by rule.
- ``evaluation``: how a model would have done on history, and the calibration.

With the database (Django), around them: ``definitions`` (a version's JSON parsed,
validated and compiled), ``services`` (model versions, one lead's re-score),
``selectors`` (reads of the versions), ``rescore`` (set-based re-scoring and its
jobs), ``history`` (the rows an evaluation counts), ``analysis`` (evaluation jobs,
calibration drafts), ``predictive_selectors`` and ``predictive_services`` (the
predictive score's rows, training and stored probabilities), ``tasks`` (the jobs'
Celery tasks). They store the maths' dataclasses as JSON (``to_dict`` / ``from_dict``).

The pages and the API: ``views`` and ``forms``, ``analysis_views``,
``predictive_views``, ``api``, ``analysis_api``, ``predictive_api``; ``wording`` and
``timeline`` word scores and score changes.
"""
