"""Funnel analytics (metrics, cohorts, planner) — next issues."""
