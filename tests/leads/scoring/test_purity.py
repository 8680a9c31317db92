"""The scoring maths imports nothing from Django, and mirrors Django's activity types."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_scoring_modules_import_without_django():
    code = (
        "import sys\n"
        "assert 'django' not in sys.modules\n"
        "import leads.scoring.engine, leads.scoring.predictive, leads.scoring.diff\n"
        "import leads.scoring.evaluation, bench.scoring, leads.lifecycle\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(loaded) or 'none')\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


def test_activity_types_mirror_the_django_choices():
    from leads.models import ActivityType
    from leads.scoring.engine import ACTIVITY_TYPES

    assert list(ACTIVITY_TYPES) == list(ActivityType.values)
