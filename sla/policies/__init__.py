"""The SLA's terms and policies: versions (draft → published → retired), their pages
and API (issue 12 §2)."""
