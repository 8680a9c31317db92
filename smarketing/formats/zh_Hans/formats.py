"""Numbers in Simplified Chinese as Chinese business software writes them:
1,140 and ¥300,000.00 (Django's own zh_Hans formats group nothing, so counts and
amounts read "1140" and "300000.00"). Every other format (dates, inputs) falls back
to Django's zh_Hans module (``FORMAT_MODULE_PATH`` is searched first)."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
