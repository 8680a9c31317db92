"""The SLA engine (business calendars, clocks, sweeps) — next issues."""
