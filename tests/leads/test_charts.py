"""The shared chart component (leads.charts.svg, pure) and its Django side
(leads.charts.l10n).

Charts are parsed as XML: a chart must be well-formed whatever text it is given, and
the assertions read its elements, not its spelling."""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from leads.charts import l10n, svg
from leads.charts.svg import Series, bar_chart, fit, line_chart, text_width, ticks

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
NASTY = "<script>alert('x')</script> & \"quoted\""


def parse(chart: str) -> ET.Element:
    return ET.fromstring(chart)


def find(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    found = root.iter(f"{SVG}{tag}")
    return [e for e in found if cls is None or cls in (e.get("class") or "").split()]


def texts(root: ET.Element, cls: str | None = None) -> list[str]:
    return [e.text or "" for e in find(root, "text", cls)]


def marks(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in find(root, "g") if g.get("data-mark") == kind]


def mark_title(mark: ET.Element) -> str:
    return mark.find(f"{SVG}title").text


def view_box(root: ET.Element) -> tuple[float, float]:
    _x, _y, width, height = map(float, root.get("viewBox").split())
    return width, height


def inside(root: ET.Element) -> bool:
    """Every coordinate of every shape lies within the viewBox."""
    width, height = view_box(root)
    for element in root.iter():
        for name in ("x", "x1", "x2", "cx"):
            if element.get(name) is not None and not -1 <= float(element.get(name)) <= width + 1:
                return False
        for name in ("y", "y1", "y2", "cy"):
            if element.get(name) is not None and not -1 <= float(element.get(name)) <= height + 1:
                return False
    return True


# ------------------------------------------------------------------ ticks


@pytest.mark.parametrize(
    ("high", "expected"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (326, [0, 100, 200, 300, 400]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_count_axes_have_whole_round_ticks(high, expected):
    found = ticks(0, high, integer=True)
    assert found == expected
    assert all(type(t) is int for t in found)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 100, [0, 25, 50, 75, 100]),
        (-30, 80, [-50, 0, 50, 100]),
        (-7, -2, [-8, -6, -4, -2, 0]),  # zero is always on the axis
        (0, 0.3, [0, 0.1, 0.2, 0.3]),  # not 0.30000000000000004
        (0, 0.03, [0, 0.01, 0.02, 0.03]),
        (0, 0.8, [0, 0.2, 0.4, 0.6, 0.8]),
        (0, 2.2e15, [0, 1e15, 2e15, 3e15]),
        (0, 0, [0, 1]),
    ],
)
def test_ticks_are_round_and_cover_the_range(low, high, expected):
    found = ticks(low, high)
    assert found == pytest.approx(expected)
    assert [repr(float(t)) for t in found] == [repr(float(t)) for t in expected]
    assert found[0] <= min(0, low)
    assert found[-1] >= max(0, high)


# ------------------------------------------------------------------ text


def test_chinese_characters_are_twice_as_wide_as_latin_ones():
    assert text_width("华东区", 10) == pytest.approx(30)
    assert text_width("abc", 10) == pytest.approx(18)
    assert fit("华东区销售一组", 40, 10) == "华东区…"
    assert fit("short", 100, 10) == "short"
    assert text_width(fit("A very long English team name", 60, 10), 10) <= 60


# ------------------------------------------------------------------ line chart


def test_a_line_chart_has_axes_ticks_titles_and_values_on_hover_and_on_the_marks():
    values = [92, 95, 88, 91.5]
    chart = line_chart(
        MONTHS[:4],
        [Series("icp", "ICP share", values)],
        key="icp",
        title="ICP share per month",
        y_title="Share (%)",
        x_title="Month",
        format_value=lambda v: f"{v:g} %",
        format_tick=lambda v: f"{v:g}%",
        value_range=(0, 100),
    )

    root = parse(chart)
    assert root.get("role") == "img"
    assert root.get("data-chart") == "icp"
    assert root.get("aria-labelledby") == "chart-icp-title"
    assert root.find(f"{SVG}title").text == "ICP share per month"
    assert root.find(f"{SVG}title").get("id") == "chart-icp-title"
    assert "Noto Sans CJK SC" in root.get("font-family")
    assert texts(root, "chart-tick") == ["0%", "25%", "50%", "75%", "100%", *MONTHS[:4]]
    assert texts(root, "chart-axis-title") == ["Share (%)", "Month"]
    points = marks(root, "point")
    assert [p.get("data-category") for p in points] == MONTHS[:4]
    assert [p.get("data-value") for p in points] == ["92", "95", "88", "91.5"]
    assert mark_title(points[3]) == "2026-04 — ICP share: 91.5 %"
    assert texts(root, "chart-value") == ["92 %", "95 %", "88 %", "91.5 %"]
    assert find(root, "g", "chart-legend-item") == []  # one series: no legend
    assert inside(root)
    # Higher values are drawn higher (SVG's y grows downwards).
    ys = [float(p.find(f"{SVG}circle").get("cy")) for p in points]
    assert ys[1] < ys[0] < ys[3] < ys[2]


def test_twelve_months_on_a_narrow_chart_label_every_other_month_whole():
    chart = line_chart(
        MONTHS, [Series("s", "S", list(range(12)))], key="narrow", title="t", width=420
    )

    root = parse(chart)
    categories = find(root, "g", "chart-category")
    shown = [g.find(f"{SVG}text") for g in categories]
    assert [t.text for t in shown if t is not None] == MONTHS[::2]
    # A month without its label still names itself on hover, and so do its marks.
    assert [g.find(f"{SVG}title").text for g in categories[1::2]] == MONTHS[1::2]
    assert [p.get("data-category") for p in marks(root, "point")] == MONTHS


def test_missing_values_are_gaps_in_the_line():
    chart = line_chart(
        MONTHS[:6],
        [Series("s", "S", [1, None, 3, 4, math.nan, Decimal("6.5")])],
        key="gaps",
        title="Gaps",
    )

    root = parse(chart)
    assert [p.get("data-category") for p in marks(root, "point")] == [
        "2026-01",
        "2026-03",
        "2026-04",
        "2026-06",
    ]
    lines = find(root, "polyline")
    # 2026-01 and 2026-06 stand alone (a marker, no line); 03–04 is the one segment.
    assert [len(line.get("points").split()) for line in lines] == [2]
    assert marks(root, "point")[-1].get("data-value") == "6.5"


def test_the_target_line_and_the_status_colours_have_a_legend():
    values = [92, None, 85]
    statuses = ["met", None, "missed"]
    chart = line_chart(
        MONTHS[:3],
        [Series("icp", "ICP", values, statuses=statuses)],
        key="icp",
        title="ICP",
        target=90,
        target_label="Target 90 %",
        status_names={"met": "Met", "at_risk": "At risk", "missed": "Missed"},
    )

    root = parse(chart)
    assert [g.get("data-target") for g in find(root, "g", "chart-target")] == [None, "90"]
    assert [p.get("class") for p in marks(root, "point")] == [
        "chart-mark is-met",
        "chart-mark is-missed",
    ]
    # The legend names the target and the statuses shown (not "at risk": none is).
    assert texts(root, "chart-legend-text") == ["Target 90 %", "Met", "Missed"]


def test_a_legend_tells_several_series_apart_and_overlapping_values_are_printed_once():
    chart = line_chart(
        MONTHS[:2],
        [
            Series("a", "v2 precision", [50, 60]),
            Series("b", "v2 recall", [50, 10], dashed=True),
        ],
        key="two",
        title="Two",
    )

    root = parse(chart)
    legend = find(root, "g", "chart-legend-item")
    assert [item.get("class") for item in legend] == [
        "chart-legend-item chart-slot-1",
        "chart-legend-item chart-slot-2 is-dashed",
    ]
    assert texts(root, "chart-legend-text") == ["v2 precision", "v2 recall"]
    # Both points of 2026-01 sit at 50: one value printed, both on hover.
    assert sorted(texts(root, "chart-value")) == ["10", "50", "60"]
    assert len(marks(root, "point")) == 4


@pytest.mark.parametrize(
    ("categories", "values"),
    [([], []), (MONTHS[:3], [None, None, None]), (MONTHS[:2], [math.inf, math.nan])],
)
def test_a_chart_without_data_says_so(categories, values):
    for draw in (line_chart, bar_chart):
        series = [Series("s", "S", values)] if categories else []
        chart = draw(categories, series, key="none", title="Nothing yet", no_data="暂无数据")

        root = parse(chart)
        assert "chart-empty" in root.get("class")
        assert texts(root) == ["暂无数据"]
        assert root.find(f"{SVG}title").text == "Nothing yet"
        assert root.find(f"{SVG}desc").text == "暂无数据"
        assert marks(root, "bar") == marks(root, "point") == []


def test_bad_input_is_refused_with_what_is_wrong():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        line_chart(MONTHS[:3], [Series("s", "S", [1, 2])], key="k", title="t")
    with pytest.raises(ValueError, match="unknown status 'late'"):
        bar_chart(["a"], [Series("s", "S", [1], statuses=["late"])], key="k", title="t")
    with pytest.raises(ValueError, match="slot 7"):
        bar_chart(["a"], [Series("s", "S", [1], slot=7)], key="k", title="t")


# ------------------------------------------------------------------ escaping


def test_every_text_is_escaped():
    chart = bar_chart(
        [NASTY, "华东区"],
        [
            Series(NASTY, NASTY, [1, 2], labels=[NASTY, None], titles=[NASTY, None]),
            Series("b", "B\"'<>", [3, 4]),
        ],
        key=NASTY,
        title=NASTY,
        y_title=NASTY,
        x_title=NASTY,
        target=2,
        target_label=NASTY,
        description=NASTY,
    )

    assert "<script" not in chart
    root = parse(chart)  # well-formed: quotes in attributes, & and < in texts
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert root.find(f"{SVG}title").text == NASTY
    assert root.get("data-chart") == NASTY
    assert " " not in root.get("aria-labelledby").split()[0]  # ids are slugs
    bars = marks(root, "bar")
    assert bars[0].get("data-category") == NASTY
    assert bars[0].get("data-series") == NASTY
    assert mark_title(bars[0]) == NASTY
    assert "B\"'<>" in texts(root, "chart-legend-text")


def test_django_templates_output_a_chart_as_it_is():
    chart = bar_chart(["<b>team</b>"], [Series("s", "S", [1])], key="k", title="t")

    html = Template("<div>{{ chart }}</div>").render(Context({"chart": chart}))

    assert html == f"<div>{chart}</div>"
    assert "&lt;b&gt;team&lt;/b&gt;" in html
    assert "<b>" not in html
    assert Template("{{ text }}").render(Context({"text": str(chart)})).startswith("&lt;svg")


# ------------------------------------------------------------------ bar chart


def test_columns_rise_from_zero_and_negative_ones_fall_below_it():
    chart = bar_chart(
        ["a", "b", "c"],
        [Series("s", "S", [-30, 80, 0])],
        key="neg",
        title="Negative",
        integer=True,
    )

    root = parse(chart)
    zero = float(find(root, "line", "chart-zero")[0].get("y1"))
    rects = {b.get("data-category"): b.find(f"{SVG}rect") for b in marks(root, "bar")}
    top = {k: float(r.get("y")) for k, r in rects.items()}
    bottom = {k: float(r.get("y")) + float(r.get("height")) for k, r in rects.items()}
    assert top["a"] == pytest.approx(zero, abs=0.1)
    assert bottom["a"] > zero
    assert bottom["b"] == pytest.approx(zero, abs=0.1)
    assert top["b"] < zero
    assert float(rects["c"].get("height")) == 0
    assert texts(root, "chart-value") == ["-30", "80", "0"]
    assert texts(root, "chart-tick")[:4] == ["-50", "0", "50", "100"]
    assert inside(root)


def test_huge_values_stay_inside_the_picture():
    chart = bar_chart(
        ["a", "b"],
        [Series("s", "S", [12_000_000_000_000, 3])],
        key="huge",
        title="Huge",
        format_value=lambda v: f"{v:,.0f}",
    )

    root = parse(chart)
    assert inside(root)
    assert texts(root, "chart-tick")[-3:] == ["15,000,000,000,000", "a", "b"]
    assert marks(root, "bar")[0].get("data-value") == "12000000000000"


def test_grouped_columns_have_a_legend_and_slots():
    chart = bar_chart(
        MONTHS[:3],
        [Series("model", "v2", [3, 1, 0]), Series("against", "v1", [2, 0, 1])],
        key="mqls",
        title="MQLs per month",
        integer=True,
    )

    root = parse(chart)
    assert [(b.get("data-series"), b.get("data-value")) for b in marks(root, "bar")] == [
        ("model", "3"),
        ("model", "1"),
        ("model", "0"),
        ("against", "2"),
        ("against", "0"),
        ("against", "1"),
    ]
    groups = [g.get("class") for g in find(root, "g", "chart-series")]
    assert groups == ["chart-series chart-slot-1", "chart-series chart-slot-2"]
    assert texts(root, "chart-legend-text") == ["v2", "v1"]


def test_horizontal_bars_cut_long_chinese_labels_and_keep_them_whole_on_hover():
    teams = ["华东区销售一组（上海浦东新区陆家嘴金融贸易区）", "华南区", "North"]
    chart = bar_chart(
        teams,
        [Series("p50", "p50", [1.5, 2.25, None])],
        key="teams",
        title="响应时间",
        horizontal=True,
        y_title="小时",
        width=400,
    )

    root = parse(chart)
    categories = find(root, "g", "chart-category")
    labels = [g.find(f"{SVG}text").text for g in categories]
    assert labels[0].endswith("…")
    assert labels[0].startswith("华东区")
    assert text_width(labels[0], svg.TICK_SIZE) <= 400 * 0.32
    assert categories[0].find(f"{SVG}title").text == teams[0]
    assert labels[1:] == ["华南区", "North"]
    assert categories[1].find(f"{SVG}title") is None
    assert [b.get("data-category") for b in marks(root, "bar")] == teams[:2]  # None: no bar
    assert texts(root, "chart-value") == ["1.5", "2.25"]
    assert "小时" in texts(root, "chart-axis-title")
    assert inside(root)
    # One row per team: a longer list is a taller picture.
    taller = bar_chart(teams * 4, [Series("s", "S", [1] * 12)], key="k", title="t", horizontal=True)
    assert view_box(parse(taller))[1] > view_box(root)[1]


# ------------------------------------------------------------------ Django's side


@pytest.mark.parametrize(
    ("language", "value", "formatter", "expected"),
    [
        ("en", 1234567, l10n.number(), "1,234,567"),
        ("en", 91.5, l10n.percent(), "91.5 %"),
        ("en", 100.0, l10n.percent(), "100 %"),
        ("en", 2 / 3 * 100, l10n.percent(1), "66.7 %"),
        ("zh-hans", 1234.5, l10n.number(), "1,234.5"),
    ],
)
def test_numbers_are_formatted_the_readers_way(language, value, formatter, expected):
    with translation.override(language):
        assert formatter(value) == expected


def test_the_words_are_in_the_readers_language():
    with translation.override("zh-hans"):
        words = l10n.words()
    assert words["status_names"][svg.MET] == "已达成"


def test_no_template_draws_a_chart_by_hand():
    """Charts come from leads.charts.svg: no template holds SVG shapes of its own (an icon's
    paths are not a chart)."""
    root = Path(__file__).resolve().parents[2]
    shapes = re.compile(r"<(rect|polyline|polygon|circle|line)[\s/>]")
    templates = [
        path
        for folder in ("leads", "sla", "funnel", "templates")
        for path in (root / folder).rglob("*.html")
    ]
    assert len(templates) > 50
    assert [str(t.relative_to(root)) for t in templates if shapes.search(t.read_text())] == []


def test_a_target_that_changed_steps_from_month_to_month():
    chart = line_chart(
        MONTHS[:5],
        [Series("s", "S", [80, 85, 90, 95, 99])],
        key="steps",
        title="t",
        target=[90, 95, None, 95, Decimal("97.5")],
        target_label="Target",
        format_value=lambda v: f"{v:g} %",
    )

    root = parse(chart)
    (target,) = find(root, "g", "chart-target")[-1:]
    pieces = [g for g in target if g.get("data-category")]
    assert [(g.get("data-category"), g.get("data-target")) for g in pieces] == [
        ("2026-01", "90"),
        ("2026-02", "95"),
        ("2026-04", "95"),
        ("2026-05", "97.5"),
    ]
    assert mark_title(pieces[3]) == "2026-05 — Target: 97.5 %"
    # A step joins 01 to 02 and 04 to 05; the gap in 03 breaks the line.
    assert len([e for e in target if e.tag == f"{SVG}line"]) == 2
    assert inside(root)
    with pytest.raises(ValueError, match="2 targets for 5 categories"):
        line_chart(MONTHS[:5], [Series("s", "S", [1] * 5)], key="k", title="t", target=[1, 2])


def test_lazy_translations_and_dates_are_drawn_as_their_text():
    chart = bar_chart(
        [dt.date(2026, 1, 1), gettext_lazy("Total")],
        [Series("a", gettext_lazy("Met"), [1, 2]), Series("b", gettext_lazy("Missed"), [2, 1])],
        key="lazy",
        title=gettext_lazy("Target"),
        y_title=gettext_lazy("Month"),
        target=1,
        target_label=gettext_lazy("Target"),
    )

    root = parse(chart)
    assert [b.get("data-category") for b in marks(root, "bar")][:2] == ["2026-01-01", "Total"]
    assert texts(root, "chart-legend-text") == ["Met", "Missed", "Target"]


# Any numbers (None, NaN, ±huge, tiny), any text (controls, quotes, CJK, surrogate-free
# unicode): a chart is still well-formed XML with every mark inside the picture.
_values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(-(10**15), 10**15),
)
_words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=40)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    data=st.data(),
    count=st.integers(0, 14),
    series=st.integers(1, 3),
    horizontal=st.booleans(),
    line=st.booleans(),
)
def test_any_input_makes_a_well_formed_picture(data, count, series, horizontal, line):
    categories = data.draw(st.lists(_words, min_size=count, max_size=count))
    drawn = [
        Series(
            data.draw(_words),
            data.draw(_words),
            data.draw(st.lists(_values, min_size=count, max_size=count)),
            statuses=data.draw(
                st.lists(
                    st.sampled_from([None, *svg.STATUS_CLASSES]), min_size=count, max_size=count
                )
            ),
        )
        for _ in range(series)
    ]
    target = data.draw(_values)
    kwargs = {"key": data.draw(_words), "title": data.draw(_words), "target": target}
    kwargs |= {"target_label": data.draw(_words), "y_title": data.draw(_words)}
    if line:
        chart = line_chart(categories, drawn, **kwargs)
    else:
        chart = bar_chart(categories, drawn, horizontal=horizontal, **kwargs)

    root = parse(chart)
    assert inside(root)
    drawable = [v for s in drawn for v in s.values if svg._finite(v) is not None]
    assert len(marks(root, "point" if line else "bar")) == (len(drawable) if count else 0)
