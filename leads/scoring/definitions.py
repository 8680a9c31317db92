"""A scoring model version's definition (JSON) as the pure engine's model: parsed
and validated (``ScoringModelInvalid`` names every problem), then compiled once
per version and cached. Read by the services, the re-score and the analyses.

What may be stored (issue 10 §1), checked before anything else: the definition is
JSON PostgreSQL takes and every page can read back — no NUL or lone surrogate in a
key or a text, at most ``MAX_DEFINITION_DEPTH`` levels and ``MAX_DEFINITION_BYTES``
of JSON, a ``label`` of at most ``MAX_LABEL_LENGTH`` characters (the version's name
is made from it); the engine's ``validate_model`` bounds every number (finite, at
most ``engine.NUMBER_LIMIT`` in size), so no score can overflow."""

from __future__ import annotations

import json
from typing import Any

from leads import storable
from leads.models import ScoringModelVersion
from leads.scoring.engine import ModelError, ScoringModel, compile_model, validate_model

MAX_DEFINITION_DEPTH = 10
MAX_DEFINITION_BYTES = 256 * 1024
MAX_LABEL_LENGTH = 200
_SECTIONS = {"fit_rules": "fit", "interest_rules": "interest", "grade_thresholds": "grades"}
_PROBLEMS = {
    "nul": ("unstorable", "contains a NUL byte, which cannot be stored"),
    "surrogate": ("unstorable", "contains a lone surrogate, which cannot be stored"),
    "not_finite": ("out_of_range", "must be a finite number"),
    "too_deep": ("too_deep", f"nested more than {MAX_DEFINITION_DEPTH} levels deep"),
    "too_large": ("too_large", f"larger than {MAX_DEFINITION_BYTES // 1024} KB"),
}


def storable_errors(definition: dict[str, Any]) -> list[ModelError]:
    """What in ``definition`` cannot be stored or read back, named where it is:
    ``fit_rules[0].group`` is the error (fit, 0, group)."""
    found = storable.json_problem_at(
        definition, max_depth=MAX_DEFINITION_DEPTH, max_bytes=MAX_DEFINITION_BYTES
    )
    if found is None:
        label = definition.get("label")
        if isinstance(label, str) and len(label) > MAX_LABEL_LENGTH:
            message = f"at most {MAX_LABEL_LENGTH} characters"
            return [ModelError("model", None, "label", "too_long", message)]
        return []
    problem, path = found
    code, message = _PROBLEMS[problem]
    head, _dot, rest = path.partition(".")
    name, _bracket, index = head.partition("[")
    if name in _SECTIONS and index[:-1].isdigit():
        return [ModelError(_SECTIONS[name], int(index[:-1]), rest or name, code, message)]
    if name in _SECTIONS or name == "threshold":
        return [ModelError(_SECTIONS.get(name, name), None, rest or name, code, message)]
    return [ModelError("model", None, path or "definition", code, message)]


class ScoringModelInvalid(ValueError):
    """The definition has problems; ``errors`` lists each (section, rule index, field)."""

    def __init__(self, errors: list[ModelError]) -> None:
        super().__init__(
            "; ".join(f"{e.section}[{e.index}] {e.field}: {e.message}" for e in errors)
        )
        self.errors = errors

    def as_dicts(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.errors]


def parse_definition(*, definition: Any, number: int) -> ScoringModel:
    """The pure model for ``definition`` (its version forced to ``number``), or
    ``ScoringModelInvalid`` naming every problem."""
    if not isinstance(definition, dict):
        raise ScoringModelInvalid(
            [ModelError("model", None, "definition", "malformed", "must be an object")]
        )
    if errors := storable_errors(definition):
        raise ScoringModelInvalid(errors)
    data = {**definition, "version": number}
    for section, key in (("fit", "fit_rules"), ("interest", "interest_rules")):
        rules = data.get(key, [])
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise ScoringModelInvalid(
                [ModelError(section, None, key, "malformed", "must be a list of objects")]
            )
        for i, rule in enumerate(rules):
            needed = ("field", "operator") if section == "fit" else ("activity_type", "points")
            for name in needed:
                if name not in rule:
                    raise ScoringModelInvalid(
                        [ModelError(section, i, name, "missing", f"{name} is required")]
                    )
    for key in ("grade_thresholds", "threshold"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise ScoringModelInvalid(
                [ModelError(key, None, key, "malformed", "must be an object")]
            )
    try:
        model = ScoringModel.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ScoringModelInvalid(
            [ModelError("model", None, "definition", "malformed", str(exc))]
        ) from exc
    errors = validate_model(model)
    if errors:
        raise ScoringModelInvalid(errors)
    return model


_COMPILED: dict[tuple[int, str], Any] = {}


def compiled_model(version: ScoringModelVersion) -> Any:
    """The compiled engine model of ``version``, cached by its number and definition
    (not by id and time: ids are reused after a rollback, and clocks can stand still)."""
    key = (version.number, json.dumps(version.definition, sort_keys=True))
    compiled = _COMPILED.get(key)
    if compiled is None:
        model = parse_definition(definition=version.definition, number=version.number)
        compiled = compile_model(model)
        if len(_COMPILED) > 64:
            _COMPILED.clear()
        _COMPILED[key] = compiled
    return compiled
