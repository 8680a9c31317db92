"""A scoring model version's definition (JSON) as the pure engine's model: parsed
and validated (``ScoringModelInvalid`` names every problem), then compiled once
per version and cached. Read by the services, the re-score and the analyses."""

from __future__ import annotations

import json
from typing import Any

from leads.models import ScoringModelVersion
from leads.scoring.engine import ModelError, ScoringModel, compile_model, validate_model


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
