"""The SLA engine. Landed: the business-time maths (``sla.business_time``, pure).
Next: calendars as rows, the per-lead clocks, the sweep and notifications (issue 12)."""
