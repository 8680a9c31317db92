"""How the API reads a request body: JSON only, bounded in size and in depth.

- **JSON only.** Every endpoint takes ``application/json`` (DRF's form and multipart
  parsers are not installed): a body of another type answers 415. Integrations
  speak JSON; one format means one set of rules to check.
- **Size.** A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes (settings: 50 MB, room for
  a bulk batch of 5,000 leads) answers 413 (``BodyTooLarge``): DRF reads a JSON body
  through ``request.body``, where Django checks that limit and raises
  ``RequestDataTooBig``, which ``leads.web.api_errors`` answers as this 413.
- **Depth.** Arrays and objects nest at most ``MAX_JSON_DEPTH`` (64) levels: deeper
  answers 400 naming the limit. The deepest shape the API takes is a bulk batch of
  activities whose properties nest 20 levels (``leads.storable``), 22 in all. Python's
  parser raises ``RecursionError`` on about a thousand levels (once a 500); the depth
  is checked on the parsed value without recursion.
- NaN and Infinity are refused (DRF's strict JSON), as are bodies that are not UTF-8.

Errors use the API's error shape (``leads.web.api_errors``).
"""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json as drf_json

MAX_JSON_DEPTH = 64


class BodyTooLarge(APIException):
    """A request body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "body_too_large"

    @classmethod
    def over_limit(cls) -> BodyTooLarge:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return cls(_("The request body is larger than %(limit)s bytes.") % {"limit": f"{limit:,}"})


def json_depth(value) -> int:
    """How deep arrays and objects nest in ``value`` (a scalar: 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the limits of the module's docs."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(
                _("The request body is not valid %(encoding)s.") % {"encoding": encoding}
            ) from exc
        try:
            parse_constant = drf_json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError as exc:
            raise ParseError(
                _("JSON nested more than %(limit)d levels deep.") % {"limit": MAX_JSON_DEPTH}
            ) from exc
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(
                _("JSON nested more than %(limit)d levels deep.") % {"limit": MAX_JSON_DEPTH}
            )
        return data
