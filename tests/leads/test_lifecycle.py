"""The lifecycle table (leads.lifecycle, pure): product.md's transitions, exactly."""

import itertools

import pytest

from leads import lifecycle as lc
from leads.models import LeadReturn, Stage

STAGES = [s.value for s in Stage]

# product.md, "Lifecycle" — written out again here so a change to either is seen.
ALLOWED = {
    ("inquiry", "mql"): {"scoring", "marketing"},
    ("inquiry", "nurture"): {"marketing"},
    ("inquiry", "disqualified"): {"marketing"},
    ("inquiry", "excluded"): {"marketing", "routing"},
    ("mql", "sal"): {"sdr"},
    ("mql", "returned"): {"sdr"},
    ("sal", "returned"): {"sdr"},
    ("mql", "nurture"): {"sdr", "system"},
    ("sal", "nurture"): {"sdr", "system"},
    ("mql", "disqualified"): {"sdr"},
    ("sal", "disqualified"): {"sdr"},
    ("mql", "customer_success"): {"sdr"},
    ("sal", "customer_success"): {"sdr"},
    ("mql", "excluded"): {"sdr", "routing"},
    ("sal", "excluded"): {"sdr", "routing"},
    ("returned", "mql"): {"marketing"},
    ("returned", "nurture"): {"marketing"},
    ("returned", "disqualified"): {"marketing"},
    ("sal", "sql"): {"sdr"},
    ("sql", "opportunity"): {"ae"},
    ("sql", "nurture"): {"ae", "system"},
    ("sql", "disqualified"): {"ae"},
    ("opportunity", "won"): {"ae", "system"},
    ("opportunity", "lost"): {"ae", "system"},
    ("nurture", "mql"): {"scoring"},
    ("lost", "nurture"): {"marketing"},
}
ACTORS = ("scoring", "marketing", "sdr", "ae", "system", "routing", "manager", "director")


def test_the_stages_are_the_models():
    assert set(STAGES) == {
        lc.INQUIRY, lc.MQL, lc.SAL, lc.SQL, lc.OPPORTUNITY, lc.WON, lc.LOST,
        lc.RETURNED, lc.NURTURE, lc.DISQUALIFIED, lc.CUSTOMER_SUCCESS, lc.EXCLUDED,
    }  # fmt: skip
    assert set(lc.RETURN_REASONS) == set(LeadReturn.Reason.values)


@pytest.mark.parametrize(("from_stage", "to_stage"), itertools.product(STAGES, STAGES))
def test_every_pair_of_stages_for_every_actor(from_stage, to_stage):
    for actor in ACTORS:
        refusal = lc.check_transition(from_stage, to_stage, actor)
        allowed = actor in ALLOWED.get((from_stage, to_stage), set())
        assert (refusal is None) == allowed, (from_stage, to_stage, actor)
        if refusal is not None:
            expected = "wrong_actor" if (from_stage, to_stage) in ALLOWED else "not_allowed"
            assert refusal.code == expected
            assert (refusal.from_stage, refusal.to_stage) == (from_stage, to_stage)


@pytest.mark.parametrize(
    ("reason", "choice", "target"),
    [
        ("wrong_information", None, "returned"),
        ("not_icp", None, "nurture"),
        ("not_icp", "disqualified", "disqualified"),
        ("bad_timing", None, "nurture"),
        ("already_customer", None, "customer_success"),
        ("competitor", None, "excluded"),
    ],
)
def test_return_targets(reason, choice, target):
    for stage in ("mql", "sal"):
        assert lc.return_target(reason, stage, choice) == target
        assert lc.check_transition(stage, target, "sdr") is None


@pytest.mark.parametrize(
    ("reason", "stage", "choice", "words"),
    [
        ("spam", "mql", None, "unknown return reason"),
        ("bad_timing", "mql", "disqualified", "goes to nurture"),
        ("not_icp", "sql", None, "only an MQL or SAL"),
    ],
)
def test_bad_returns(reason, stage, choice, words):
    with pytest.raises(ValueError, match=words):
        lc.return_target(reason, stage, choice)


def test_quality_reasons_count_against_marketing_unless_overturned():
    assert set(lc.QUALITY_REASONS) == {"wrong_information", "not_icp"}
    returned = LeadReturn(reason="not_icp")
    assert returned.counts_against_marketing
    returned.dispute = LeadReturn.Dispute.UPHELD
    assert returned.counts_against_marketing
    returned.dispute = LeadReturn.Dispute.OVERTURNED
    assert not returned.counts_against_marketing
    assert not LeadReturn(reason="bad_timing").counts_against_marketing
