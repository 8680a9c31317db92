"""The OpenAPI schema declares every status an endpoint can answer.

Each view declares its own answers (``extend_schema``): its successes and the errors
particular to it (a 409 for a refused stage change, a 413 for a batch over 5,000 rows).
The errors any endpoint can answer are added here, to every operation that does not
declare them itself, all in the API's error shape (``leads.web.api_errors``):

=====  ==================================================================  ============
code   when                                                                operations
=====  ==================================================================  ============
400    a query parameter or the body is invalid (``errors`` names it)       all
401    no credentials, or a token that is not valid                         all
403    the role may not, or a session without its CSRF token               all
404    not there or not visible to you; a page number past the last         all
405    a method the path does not take                                      all
406    an ``Accept`` header the API cannot satisfy (it speaks JSON)         all
413    a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``leads.web.api_parsing``)  writes
415    a body that is not ``application/json``                              writes
429    too many requests for the throttle (``Retry-After`` says when)       all
503    a service the API needs is down (``Retry-After`` says when)          all
=====  ==================================================================  ============

``make fuzz`` (tests/test_api_fuzz.py) holds the API to this: every answer's status
must be declared and its body must match the declared schema. A pure module (the schema
as a dict in, the same dict out; listed in pyproject's pure-modules contract).
"""

from __future__ import annotations

ERROR_COMPONENT = "ApiError"
ERROR_SCHEMA = {
    "type": "object",
    "description": "The API's error shape: a message, and the field errors when there are.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "description": "Field name → messages (for a batch: per row).",
            "oneOf": [{"type": "object"}, {"type": "array"}],
        },
    },
    "required": ["detail"],
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
COMMON_ERRORS = {
    "400": "Invalid input; `errors` names the fields or parameters.",
    "401": "No or invalid credentials.",
    "403": "Not allowed for your role (or a session without its CSRF token).",
    "404": "Not there, or not visible to you.",
    "405": "Method not allowed on this path.",
    "406": "The API answers JSON only.",
    "429": "Too many requests; try again after Retry-After seconds.",
    "503": "A service the API needs is unavailable; try again after Retry-After seconds.",
}
WRITE_ERRORS = {
    "413": "The request body is too large.",
    "415": "The request body must be application/json.",
}
WRITES = {"post", "put", "patch", "delete"}


def _error(description: str, code: str) -> dict:
    response = {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
        },
    }
    if code in ("429", "503"):
        response["headers"] = dict(RETRY_AFTER)
    return response


def add_common_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: the table of the module's docs."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(COMMON_ERRORS)
            if method in WRITES:
                errors.update(WRITE_ERRORS)
            responses = operation["responses"]
            for code, description in errors.items():
                responses.setdefault(code, _error(description, code))
            operation["responses"] = dict(sorted(responses.items()))
    return result
