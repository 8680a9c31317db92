"""The lead lifecycle of product.md as data: which stage may follow which, who
moves it, and where each return reason sends a lead. Pure Python, no Django.

``check_transition(from_stage, to_stage, actor)`` answers the one question every
service asks before it moves a lead; anything not in ``TRANSITIONS`` is refused
(the API answers 409 naming both stages).

Actors
    ``scoring`` (the published model), ``marketing``, ``sdr`` (the assigned SDR),
    ``ae`` (an account executive), ``system`` (an opportunity closing; an open lead
    leaving sales because the person opted out — ``OPT_OUT_STAGES``),
    ``routing`` (excluding a competitor's lead), and
    ``manager`` is never an actor of a stage change: managers reassign.
"""

from __future__ import annotations

from dataclasses import dataclass

INQUIRY, MQL, SAL, SQL, OPPORTUNITY, WON, LOST = (
    "inquiry",
    "mql",
    "sal",
    "sql",
    "opportunity",
    "won",
    "lost",
)
RETURNED, NURTURE, DISQUALIFIED, CUSTOMER_SUCCESS, EXCLUDED = (
    "returned",
    "nurture",
    "disqualified",
    "customer_success",
    "excluded",
)

# Return reasons (SDR → marketing) and where each sends the lead (product.md).
WRONG_INFORMATION = "wrong_information"
NOT_ICP = "not_icp"
BAD_TIMING = "bad_timing"
ALREADY_CUSTOMER = "already_customer"
COMPETITOR = "competitor"
RETURN_REASONS = (WRONG_INFORMATION, NOT_ICP, BAD_TIMING, ALREADY_CUSTOMER, COMPETITOR)
RETURN_TARGETS: dict[str, tuple[str, ...]] = {
    WRONG_INFORMATION: (RETURNED,),
    NOT_ICP: (NURTURE, DISQUALIFIED),  # the first is the default
    BAD_TIMING: (NURTURE,),
    ALREADY_CUSTOMER: (CUSTOMER_SUCCESS,),
    COMPETITOR: (EXCLUDED,),
}
# Returns that count against marketing's quality term unless a dispute overturns them.
QUALITY_REASONS = (WRONG_INFORMATION, NOT_ICP)

# Open leads an opt-out (do not contact) moves to nurture, the system as actor
# (product.md's last row): they leave every queue and pool.
OPT_OUT_STAGES = (MQL, SAL, SQL)

# (from, to) → the actors who may make that move.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (INQUIRY, MQL): frozenset({"scoring", "marketing"}),
    (INQUIRY, NURTURE): frozenset({"marketing"}),
    (INQUIRY, DISQUALIFIED): frozenset({"marketing"}),
    # routing excludes a lead whose domain is on the competitor list
    (INQUIRY, EXCLUDED): frozenset({"marketing", "routing"}),
    (MQL, SAL): frozenset({"sdr"}),
    (MQL, RETURNED): frozenset({"sdr"}),
    (SAL, RETURNED): frozenset({"sdr"}),
    # the system, when the person opts out (do not contact): see OPT_OUT_STAGES
    (MQL, NURTURE): frozenset({"sdr", "system"}),
    (SAL, NURTURE): frozenset({"sdr", "system"}),
    (MQL, DISQUALIFIED): frozenset({"sdr"}),
    (SAL, DISQUALIFIED): frozenset({"sdr"}),
    (MQL, CUSTOMER_SUCCESS): frozenset({"sdr"}),
    (SAL, CUSTOMER_SUCCESS): frozenset({"sdr"}),
    (MQL, EXCLUDED): frozenset({"sdr", "routing"}),
    (SAL, EXCLUDED): frozenset({"sdr", "routing"}),
    (RETURNED, MQL): frozenset({"marketing"}),
    (RETURNED, NURTURE): frozenset({"marketing"}),
    (RETURNED, DISQUALIFIED): frozenset({"marketing"}),
    (SAL, SQL): frozenset({"sdr"}),
    (SQL, OPPORTUNITY): frozenset({"ae"}),
    (SQL, NURTURE): frozenset({"ae", "system"}),
    (SQL, DISQUALIFIED): frozenset({"ae"}),
    (OPPORTUNITY, WON): frozenset({"ae", "system"}),
    (OPPORTUNITY, LOST): frozenset({"ae", "system"}),
    (NURTURE, MQL): frozenset({"scoring"}),
    (LOST, NURTURE): frozenset({"marketing"}),
}


@dataclass(frozen=True)
class Refusal:
    """Why a move is refused: ``code`` is ``not_allowed`` (no such transition) or
    ``wrong_actor`` (the transition exists, but not for this actor)."""

    code: str
    from_stage: str
    to_stage: str
    actor: str


def check_transition(from_stage: str, to_stage: str, actor: str) -> Refusal | None:
    """None when ``actor`` may move a lead from ``from_stage`` to ``to_stage``."""
    actors = TRANSITIONS.get((from_stage, to_stage))
    if actors is None:
        return Refusal("not_allowed", from_stage, to_stage, actor)
    if actor not in actors:
        return Refusal("wrong_actor", from_stage, to_stage, actor)
    return None


def return_target(reason: str, from_stage: str, choice: str | None = None) -> str:
    """Where a return with ``reason`` sends a lead in ``from_stage`` (``choice`` picks
    among several, e.g. not ICP → nurture or disqualified). ValueError when the
    reason is unknown or the choice is not one of the reason's targets."""
    targets = RETURN_TARGETS.get(reason)
    if targets is None:
        raise ValueError(f"unknown return reason {reason!r}")
    target = choice or targets[0]
    if target not in targets:
        raise ValueError(f"a {reason} return goes to {' or '.join(targets)}, not {target}")
    if from_stage not in (MQL, SAL):
        raise ValueError(f"only an MQL or SAL can be returned, not a lead in {from_stage}")
    return target
