"""sla.terms, the pure module: the definition's checks (each bad input named by its
path) and the choice of a policy (ordered, first match wins, the catch-all last)."""

from __future__ import annotations

import copy

import pytest

from sla import terms
from sla.terms import (
    ACCEPTANCE,
    FIRST_TOUCH,
    RETURN_WINDOW,
    SQL_HANDOFF,
    InvalidTerms,
    check,
    choose_policy,
    default_definition,
    target,
    validate,
)


def with_policies(*policies):
    definition = default_definition()
    definition["policies"] = [*policies, {"name": "Everyone else", "match": {}}]
    return definition


def test_the_default_definition_is_sound_and_says_product_md_numbers():
    definition = default_definition()
    assert validate(definition) == []
    assert check(definition) == definition
    got = {name: (t["target"], t["unit"]) for name, t in definition["terms"].items()}
    assert got == {
        "acceptance": (120, "working_minutes"),  # 2 working hours
        "first_touch": (240, "working_minutes"),  # 4 working hours
        "return_window": (2880, "plain_minutes"),  # 48 h
        "sql_handoff": (1, "working_days"),
        "status_update": (5, "working_days"),
        "return_fix": (3, "working_days"),
        "dispute_settle": (2, "working_days"),
    }
    # a copy each time: changing one does not change the next
    definition["terms"][ACCEPTANCE]["target"] = 1
    assert default_definition()["terms"][ACCEPTANCE]["target"] == 120


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["terms"][FIRST_TOUCH].update(target=0),
            ("terms.first_touch.target", "not_positive"),
        ),
        (
            lambda d: d["terms"][FIRST_TOUCH].update(target=-5),
            ("terms.first_touch.target", "not_positive"),
        ),
        (
            lambda d: d["terms"][FIRST_TOUCH].update(target=1.5),
            ("terms.first_touch.target", "not_a_whole_number"),
        ),
        (
            lambda d: d["terms"][FIRST_TOUCH].update(target="4h"),
            ("terms.first_touch.target", "not_a_whole_number"),
        ),
        (
            lambda d: d["terms"][FIRST_TOUCH].update(target=True),
            ("terms.first_touch.target", "not_a_whole_number"),
        ),
        (
            lambda d: d["terms"][SQL_HANDOFF].update(target=367),
            ("terms.sql_handoff.target", "too_large"),
        ),
        (
            lambda d: d["terms"][FIRST_TOUCH].update(unit="hours"),
            ("terms.first_touch.unit", "unknown_unit"),
        ),
        (
            lambda d: d["terms"][FIRST_TOUCH].update(warn_percent=100),
            ("terms.first_touch.warn_percent", "out_of_range"),
        ),
        (
            lambda d: d["terms"][FIRST_TOUCH].update(escalate_every=-1),
            ("terms.first_touch.escalate_every", "out_of_range"),
        ),
        (
            lambda d: d["terms"][SQL_HANDOFF].update(escalate_every=400),
            ("terms.sql_handoff.escalate_every", "out_of_range"),
        ),
        (lambda d: d["terms"][FIRST_TOUCH].pop("unit"), ("terms.first_touch.unit", "missing")),
        (
            lambda d: d["terms"][FIRST_TOUCH].update(colour="red"),
            ("terms.first_touch.colour", "unknown_field"),
        ),
        (lambda d: d["terms"].pop(RETURN_WINDOW), ("terms.return_window", "missing")),
        (lambda d: d["terms"].update(lunch={}), ("terms.lunch", "unknown_term")),
        (lambda d: d.update(extra=1), ("extra", "unknown_field")),
        (lambda d: d.update(policies=[]), ("policies", "no_policies")),
        (lambda d: d["policies"][0].update(name=""), ("policies[0].name", "bad_name")),
        (
            lambda d: d["policies"][0].update(calendar="x"),
            ("policies[0].calendar", "unknown_calendar"),
        ),
        (
            lambda d: d["policies"][0].update(targets={"lunch": {"target": 5}}),
            ("policies[0].targets.lunch", "unknown_term"),
        ),
        (
            lambda d: d["policies"][0].update(targets={FIRST_TOUCH: {"target": 0}}),
            ("policies[0].targets.first_touch.target", "not_positive"),
        ),
        (
            lambda d: d["policies"][0].update(targets={FIRST_TOUCH: {"unit": "weeks"}}),
            ("policies[0].targets.first_touch.unit", "unknown_unit"),
        ),
    ],
)
def test_each_bad_input_is_named_by_its_path(change, expected):
    definition = default_definition()
    change(definition)
    errors = validate(definition)
    assert expected in errors
    with pytest.raises(InvalidTerms) as raised:
        check(definition)
    assert expected in raised.value.errors


def test_not_an_object_at_all():
    assert validate([]) == [("definition", "not_an_object")]
    assert ("terms", "not_an_object") in validate({"terms": [], "policies": []})


def test_a_policy_set_without_a_catch_all():
    definition = default_definition()
    definition["policies"] = [{"name": "Hot", "match": {"quadrant": ["hot"]}}]
    assert validate(definition) == [("policies[0]", "no_catch_all")]


def test_a_catch_all_that_is_not_last():
    definition = with_policies(
        {"name": "All", "match": {}}, {"name": "Hot", "match": {"quadrant": ["hot"]}}
    )
    errors = validate(definition)
    assert ("policies[0]", "catch_all_not_last") in errors
    # an empty list of values is a catch-all too
    definition = with_policies({"name": "Nobody", "match": {"quadrant": []}})
    assert ("policies[0]", "catch_all_not_last") in validate(definition)


def test_match_values_are_lists_of_known_values():
    definition = with_policies(
        {"name": "A", "match": {"quadrant": "hot"}},
        {"name": "B", "match": {"quadrant": ["hot", "Hot"]}},
        {"name": "C", "match": {"team": ["3"]}},
        {"name": "D", "match": {"team": [3, 9]}},
        {"name": "E", "match": {"region": [""]}},
        {"name": "F", "match": {"country": ["CN"]}},
    )
    errors = validate(definition, team_ids=frozenset({3}), match_values={"quadrant": {"hot"}})
    assert ("policies[0].match.quadrant", "not_a_list") in errors
    assert ("policies[1].match.quadrant[1]", "unknown_value") in errors
    assert ("policies[1].match.quadrant[0]", "unknown_value") not in errors
    assert ("policies[2].match.team", "not_a_whole_number") in errors
    assert ("policies[3].match.team[1]", "unknown_team") in errors
    assert ("policies[3].match.team[0]", "unknown_team") not in errors
    assert ("policies[4].match.region", "bad_value") in errors
    assert ("policies[5].match.country", "unknown_field") in errors


def test_calendars_are_checked_against_those_that_exist():
    definition = with_policies(
        {"name": "China", "match": {"region": ["East China"]}, "calendar": 7}
    )
    assert validate(definition) == []  # ids not given: not checked
    assert validate(definition, calendar_ids=frozenset({7})) == []
    assert validate(definition, calendar_ids=frozenset({8})) == [
        ("policies[0].calendar", "unknown_calendar")
    ]


def test_policy_names_differ():
    definition = with_policies(
        {"name": "Hot", "match": {"quadrant": ["hot"]}},
        {"name": " hot ", "match": {"region": ["APAC"]}},
    )
    assert validate(definition) == [("policies[1].name", "duplicate_name")]


def test_an_override_in_another_unit_is_checked_against_that_unit():
    definition = default_definition()
    # the return window's 2,880 kept, read as working days: too long
    definition["policies"][0]["targets"] = {RETURN_WINDOW: {"unit": "working_days"}}
    assert ("policies[0].targets.return_window.unit", "default_too_large") in validate(definition)
    # a target without a unit is read in the term's unit
    definition["policies"][0]["targets"] = {SQL_HANDOFF: {"target": 400}}
    assert ("policies[0].targets.sql_handoff.target", "too_large") in validate(definition)
    definition["policies"][0]["targets"] = {
        RETURN_WINDOW: {"unit": "working_days", "target": 2, "escalate_every": 1}
    }
    assert validate(definition) == []


def test_too_many_policies():
    definition = with_policies(
        *({"name": f"P{i}", "match": {"region": [f"R{i}"]}} for i in range(terms.MAX_POLICIES))
    )
    assert validate(definition) == [("policies", "too_many")]


# ---------------------------------------------------------------- choosing a policy

TEAM_EAST, TEAM_WEST = 11, 12


@pytest.fixture
def ordered():
    definition = with_policies(
        {
            "name": "Hot leads",
            "match": {"quadrant": ["hot"]},
            "targets": {FIRST_TOUCH: {"target": 60}},
        },
        {
            "name": "Events in China",
            "match": {"source_channel": ["event"], "region": ["East China", "South China"]},
        },
        {"name": "Web", "match": {"source_channel": ["website"]}, "calendar": 4},
        {
            "name": "West team",
            "match": {"team": [TEAM_WEST]},
            "targets": {ACCEPTANCE: {"target": 1, "unit": "working_days"}},
        },
    )
    assert validate(definition) == []
    return definition


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        # hot wins over everything after it, whatever else fits
        (
            {
                "quadrant": "hot",
                "source_channel": "event",
                "region": "East China",
                "team": TEAM_WEST,
            },
            "Hot leads",
        ),
        (
            {"quadrant": "nurture", "source_channel": "event", "region": "East China"},
            "Events in China",
        ),
        # every key of a policy must fit: an event outside China falls through
        ({"quadrant": "nurture", "source_channel": "event", "region": "Europe"}, "Everyone else"),
        ({"quadrant": "nurture", "source_channel": "website", "team": TEAM_WEST}, "Web"),
        ({"quadrant": "drop", "source_channel": "referral", "team": TEAM_WEST}, "West team"),
        ({"quadrant": "drop", "source_channel": "referral", "team": TEAM_EAST}, "Everyone else"),
        ({"quadrant": "", "source_channel": "", "region": "", "team": None}, "Everyone else"),
        ({}, "Everyone else"),
    ],
)
def test_the_first_policy_that_fits_wins(ordered, lead, expected):
    index = choose_policy(ordered, lead)
    assert ordered["policies"][index]["name"] == expected


def test_order_decides_when_two_fit(ordered):
    lead = {"quadrant": "hot", "source_channel": "website"}
    assert ordered["policies"][choose_policy(ordered, lead)]["name"] == "Hot leads"
    swapped = copy.deepcopy(ordered)
    swapped["policies"][0], swapped["policies"][2] = swapped["policies"][2], swapped["policies"][0]
    assert swapped["policies"][choose_policy(swapped, lead)]["name"] == "Web"


def test_a_policy_gives_its_targets_over_the_terms(ordered):
    hot = target(ordered, 0, FIRST_TOUCH)
    assert (hot.target, hot.unit, hot.warn_percent, hot.policy) == (
        60,
        "working_minutes",
        75,
        "Hot leads",
    )
    assert target(ordered, 0, ACCEPTANCE).target == 120  # not overridden
    west = target(ordered, 3, ACCEPTANCE)
    assert (west.target, west.unit, west.calendar) == (1, "working_days", None)
    assert target(ordered, 2, FIRST_TOUCH).calendar == 4
    window = target(ordered, 4, RETURN_WINDOW)
    assert window.plain
    assert (window.target, window.policy_index) == (2880, 4)
