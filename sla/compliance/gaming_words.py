"""The gaming signals (``sla.compliance.gaming``) in words: each one's name and what
it means, with the module's thresholds filled in."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sla.compliance import gaming as G

NAMES = {
    G.BACKDATED: _("Backdated touches"),
    G.LAST_MINUTE: _("Last-minute stops"),
    G.NO_ANSWER: _("“No answer” bursts before giving up"),
    G.LATE_WINDOW: _("Returns at the end of the return window"),
    G.RESET: _("Reassignments that reset acceptance"),
}

DESCRIPTIONS = {
    G.BACKDATED: _(
        "Touches dated more than %(minutes)d minutes before they were recorded. The "
        "clocks believe the touch's date, so a touch logged late can still stop a clock "
        "in time."
    ),
    G.LAST_MINUTE: _(
        "Clocks stopped in time but in the last %(percent)d%% of their target or the "
        "last %(minutes)d minutes before the deadline. Many for one person: touches "
        "kept for just before the deadline."
    ),
    G.NO_ANSWER: _(
        "Leads given up on right after at least %(burst)d “no answer” touches within "
        "%(minutes)d minutes, without which the lead would not have had the minimum of "
        "%(attempts)d attempts."
    ),
    G.LATE_WINDOW: _("Returns filed inside the return window but in its last %(minutes)d minutes."),
    G.RESET: _(
        "Acceptance clocks cancelled by a reassignment after %(percent)d%% of their "
        "target had elapsed: the new owner's clock starts from zero."
    ),
}


def _minutes(span) -> int:
    return int(span.total_seconds() // 60)


def signal_name(signal: str) -> str:
    return str(NAMES[signal])


def signal_description(signal: str, *, min_attempts: int = 6) -> str:
    """What ``signal`` means, with the thresholds (``min_attempts``: the month's)."""
    values = {
        G.BACKDATED: {"minutes": _minutes(G.BACKDATED_AFTER)},
        G.LAST_MINUTE: {
            "percent": G.LAST_MINUTE_PERCENT,
            "minutes": _minutes(G.LAST_MINUTE_SPAN),
        },
        G.NO_ANSWER: {
            "burst": G.NO_ANSWER_BURST_MIN,
            "minutes": _minutes(G.NO_ANSWER_SPAN),
            "attempts": min_attempts,
        },
        G.LATE_WINDOW: {"minutes": _minutes(G.RETURN_WINDOW_LAST)},
        G.RESET: {"percent": G.RESET_USED_PERCENT},
    }[signal]
    return str(DESCRIPTIONS[signal]) % values
