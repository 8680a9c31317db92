"""``python -m bench.scoring``: the rule engine's rate on one core.

Generates 100,000 leads (``--leads``) with about 10 activities each (random
types, ages up to 120 days, a few in the future), compiles the default model
once, then times ``score_lead`` over every lead in one process. Prints leads/s
and whether the goal (20,000 leads/s) is met; a miss says MISS, exits 1 and prints a
cProfile top 10 (not with ``--smoke``: 10,000 leads, CI's run, unless ``--profile``).
No database, no Django.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from leads.scoring.engine import (
    ACTIVITY_TYPES,
    SERVICEABLE_COUNTRIES,
    TARGET_INDUSTRIES,
    ActivityFact,
    compile_model,
    default_model,
    score_lead,
)

GOAL = 20_000
NOW = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)


def generate(n: int, *, seed: int = 3) -> list[tuple[dict, list[ActivityFact]]]:
    rng = random.Random(seed)
    countries = (*SERVICEABLE_COUNTRIES, "JP", "AU", "BR")
    industries = (*TARGET_INDUSTRIES, "Retail", "Energy", "Logistics")
    seniorities = ("executive", "vp", "director", "manager", "individual", "unknown")
    out = []
    for _ in range(n):
        lead = {
            "employees": int(rng.lognormvariate(5.0, 1.5)),
            "annual_revenue": rng.randrange(100_000, 50_000_000),
            "industry": rng.choice(industries),
            "country": rng.choice(countries),
            "seniority": rng.choice(seniorities),
            "title": "Marketing Manager",
            "source_channel": "website",
            "do_not_contact": rng.random() < 0.02,
        }
        acts = [
            ActivityFact(
                rng.choice(ACTIVITY_TYPES),
                NOW - timedelta(seconds=rng.uniform(-5 * 86400, 120 * 86400)),
            )
            for _ in range(rng.randint(8, 12))
        ]
        out.append((lead, acts))
    return out


def run(rows, model) -> tuple[float, int]:
    mqls = 0
    start = time.perf_counter()
    for lead, acts in rows:
        mqls += score_lead(lead=lead, activities=acts, model=model, now=NOW).is_mql
    return time.perf_counter() - start, mqls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scoring")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="a quick run of 10,000 leads")
    parser.add_argument("--profile", action="store_true", help="profile even on a pass")
    args = parser.parse_args(argv)
    rows = generate(10_000 if args.smoke else args.leads)
    activities = sum(len(a) for _, a in rows)
    model = compile_model(default_model())
    run(rows[:2000], model)  # warm up
    elapsed, mqls = run(rows, model)
    rate = len(rows) / elapsed
    print(f"leads: {len(rows):,}  activities: {activities:,} ({activities / len(rows):.1f}/lead)")
    print(f"engine: {elapsed:.2f} s  -> {rate:,.0f} leads/s on one core  (MQLs: {mqls:,})")
    met = rate >= GOAL
    if met:
        print(f"goal {GOAL:,} leads/s: MET ({rate / GOAL:.2f}x)")
    else:
        print(f"goal {GOAL:,} leads/s: MISS ({rate / GOAL:.2f}x)")
    if not args.profile and (met or args.smoke):
        return 0 if met else 1
    profiler = cProfile.Profile()
    profiler.enable()
    run(rows[:20_000], model)
    profiler.disable()
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(10)
    print(buf.getvalue())
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
