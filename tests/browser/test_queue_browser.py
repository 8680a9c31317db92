"""The SDR queue's layout in a real browser: every Accept button lies within its own
row, in one column, whether or not the rows around it have one (a row without the
button used to shift the column), in English and in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.test_pages_browser import switch_language
from tests.factories import AccountFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def test_every_accept_button_lies_within_its_row(page, log_in, screenshot, sdr, sdr_team_east):
    # given: MQLs (with Accept) and SALs (without) interleaved, some with two-line cells
    now = timezone.now()
    for i, stage in enumerate(["mql", "sal", "mql", "sal", "mql", "mql"]):
        LeadFactory(
            name=f"Lead {i}" + (" with a rather longer name" if i % 3 == 1 else ""),
            stage=stage,
            owner=sdr,
            team=sdr_team_east,
            assigned_at=now - dt.timedelta(hours=i),
            account=AccountFactory(),
            title="VP of Engineering" if i % 2 else "",
            score_quadrant="hot",
            score_total=90 - i,
        )
    log_in(sdr)
    for language in ("en", "zh-hans"):
        switch_language(page, language)
        page.goto("/queue/")
        rows = page.locator("tr[data-queue-lead]")
        assert rows.count() == 6
        lefts = set()
        for index in range(rows.count()):
            row = rows.nth(index)
            row_box = row.bounding_box()
            # every row has the actions cell, empty when there is nothing to accept, and
            # the cell is the row's full height (a cell laid out as a flex box was not)
            cell = row.locator("td[data-queue-actions]")
            assert cell.count() == 1
            cell_box = cell.bounding_box()
            assert abs(cell_box["y"] - row_box["y"]) < 1, (language, index, cell_box, row_box)
            assert abs(cell_box["height"] - row_box["height"]) < 1, (language, index)
            buttons = row.locator("[data-action=accept]")
            stage = row.locator("[data-stage]").get_attribute("data-stage")
            assert buttons.count() == (1 if stage == "mql" else 0)
            if buttons.count():
                box = buttons.bounding_box()
                assert _inside(box, row_box), (language, index, box, row_box)
                lefts.add(round(box["x"] + box["width"]))  # right-aligned: same right edge
        assert len(lefts) == 1, lefts
        screenshot(page, language)
