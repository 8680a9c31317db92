"""Charts as server-rendered SVG: the one chart component of every page (pure, no Django).

Every chart of the app — the scoring evaluation's, the SLA dashboard's — is drawn here,
never by hand in a template. A chart is a real picture: value axis with round ticks and
tick labels, category labels, axis titles, a legend when there is more than one thing
to tell apart, an accessible name (``<title>`` + ``aria-labelledby``), and on each mark
a ``<title>`` (its value on hover) and the value printed on or near it where it fits.

API (the caller translates and formats; this module only lays out):

- :func:`line_chart` ``(categories, series, *, key, title, …) -> Chart`` — one line per
  :class:`Series` over the categories (e.g. the last 12 months); a ``None`` value is a
  gap in the line; an optional target line; markers coloured by ``statuses``.
- :func:`bar_chart` ``(categories, series, *, key, title, horizontal=False, …) -> Chart``
  — grouped bars per category; ``horizontal=True`` for long labels (teams, people,
  sources): labels on the left, cut to fit with the full label in the ``<title>``.
- :func:`ticks` ``(low, high, *, count=4, integer=False) -> list[float]`` — the round
  ticks of a value axis from ``low`` to ``high`` (zero always included).
- :class:`Series` — ``key``, ``name``, ``values``; optional ``labels`` (text printed on
  each mark), ``titles`` (hover text of each mark), ``statuses`` (per mark: ``met``,
  ``at_risk``, ``missed``, ``no_data`` or None), ``slot`` (palette colour 1–6; default
  its position), ``dashed``.
- :class:`Chart` — a ``str`` of SVG markup with ``__html__``: Django templates (and
  ``format_html``) output it as is, ``{{ chart }}``. Every text in it (labels, names,
  titles) is escaped here, so user text (team or campaign names) is safe.

Keyword arguments shared by both charts: ``key`` (names the chart: ``data-chart`` and
the ids ``chart-<key>-…``; unique on a page), ``title`` (its accessible name), ``y_title``
/ ``x_title`` (axis titles; for a horizontal bar chart ``y_title`` still names the value
axis), ``format_value`` (number → text for ticks and the default mark labels; pass
Django's localised formatting from the caller, ``leads.charts.l10n`` has ready ones),
``format_tick`` (ticks only; defaults to ``format_value``), ``value_range`` (a fixed
(low, high) the axis covers at least, e.g. (0, 100) for percentages), ``integer`` (whole
ticks, for counts), ``target`` + ``target_label`` (a dashed reference line and its
legend text; a sequence, one per category, for a target that changed over the months:
the line steps, a None leaving a gap), ``status_names`` (legend text of each status shown),
``no_data`` (the text of a chart without any value: a picture saying so, not an error),
``description`` (a longer accessible description: ``<desc>``),
``width`` / ``height`` (viewBox units; the SVG scales to its container's width).

Colours are CSS classes, styled by ``static/css/charts.css`` (linked from base.html):
``chart-slot-1`` … ``chart-slot-6`` for series, ``is-met`` / ``is-at-risk`` /
``is-missed`` / ``is-no-data`` for statuses. Marks carry ``data-mark`` (``bar`` or
``point``), ``data-series``, ``data-category`` and ``data-value`` (the raw number) for
tests and scripts; a line's segments carry ``data-line``; the target ``data-target`` (per
category with ``data-category`` when it steps).

Bad input is a ValueError naming it (a column longer or shorter than the categories, an
unknown status, a slot out of the palette); a value that is None, NaN, infinite or
beyond ±1e300 is no mark. Text wider than its room is cut with "…" and whole in a
``<title>``; twelve month labels on a narrow chart label every other month instead.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from leads.numbers import format_number

MET, AT_RISK, MISSED, NO_DATA = "met", "at_risk", "missed", "no_data"
STATUS_CLASSES = {MET: "is-met", AT_RISK: "is-at-risk", MISSED: "is-missed", NO_DATA: "is-no-data"}
SLOTS = 6  # palette colours in charts.css

# A stack with Chinese glyphs, for an SVG shown outside the page's stylesheet too.
FONT_FAMILY = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", '
    '"PingFang SC", "Microsoft YaHei", sans-serif'
)
# Font sizes (user units) are the layout's: written on each text, not left to CSS.
TICK_SIZE, VALUE_SIZE, TITLE_SIZE, LEGEND_SIZE, EMPTY_SIZE = 12, 11, 12, 12, 14
SIZES = {
    "chart-tick": TICK_SIZE,
    "chart-value": VALUE_SIZE,
    "chart-axis-title": TITLE_SIZE,
    "chart-legend-text": LEGEND_SIZE,
    "chart-empty-text": EMPTY_SIZE,
}
LEGEND_ROW = 20
PAD = 8

Number = float | int | Decimal
# Beyond this a number is no measurement (and its axis would overflow a float).
MAX_MAGNITUDE = 1e300


class Chart(str):
    """SVG markup, escaped and ready: Django templates output it without escaping."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Series:
    key: str  # names the series in data-series / data-line (not shown)
    name: str  # the legend's text
    values: Sequence[Number | None]
    labels: Sequence[str | None] | None = None  # printed on the marks; default format_value
    titles: Sequence[str | None] | None = None  # hover text; default "category — name: label"
    statuses: Sequence[str | None] | None = None  # per mark: MET, AT_RISK, MISSED, NO_DATA
    slot: int | None = None  # palette colour 1..SLOTS; default the series' position
    dashed: bool = False


# ------------------------------------------------------------------ numbers


def _finite(value) -> float | None:
    """A number to draw, or None (missing, NaN, infinite or beyond ±MAX_MAGNITUDE: a gap)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and abs(number) <= MAX_MAGNITUDE else None


def _raw(value) -> str:
    """The data-value of a mark: the number as given (``1``, ``100.0``)."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | Decimal):
        return str(value)
    return repr(float(value))


def _nice(value: float, *, integer: bool) -> tuple[int, int]:
    """The smallest round step (1, 2, 2.5 or 5 × 10^k; whole when ``integer``) at or
    above ``value``, as (mantissa × 10, k)."""
    if value <= 0:
        value = 1 if integer else value or 1
    if integer and value <= 1:
        return 10, 0
    k = math.floor(math.log10(value))
    for mantissa in (10, 20, 25, 50, 100):
        if integer and mantissa == 25 and k < 1:
            continue
        if value <= mantissa / 10 * 10.0**k * (1 + 1e-9):
            return mantissa, k
    return 100, k  # pragma: no cover — 10 × 10^k ≥ value by the choice of k


def _step_value(step: tuple[int, int], n: int) -> float:
    mantissa, k = step
    whole = n * mantissa
    return whole * 10 ** (k - 1) if k >= 1 else whole / 10 ** (1 - k)


def ticks(low: float, high: float, *, count: int = 4, integer: bool = False) -> list[float]:
    """Round ticks of an axis covering [low, high] and zero, about ``count`` intervals.

    ``ticks(0, 7, integer=True)`` is ``[0, 2, 4, 6, 8]``; ``ticks(0, 100)`` is ``[0, 25,
    50, 75, 100]``; ``ticks(-30, 80)`` is ``[-50, 0, 50, 100]``. An empty range (all
    zero) gets one step above zero. Whole ticks are ints.
    """
    low, high = min(0.0, float(low)), max(0.0, float(high))
    if high - low < 1e-300:  # nothing but zero (or too little to tell from it)
        return [0, 1]
    step = _nice((high - low) / max(1, count), integer=integer)
    first = math.floor(low / _step_value(step, 1) + 1e-9)
    last = math.ceil(high / _step_value(step, 1) - 1e-9)
    if last == first:
        last = first + 1
    values = [float(_step_value(step, n)) for n in range(first, last + 1)]
    whole = all(v.is_integer() and abs(v) < 1e15 for v in values)
    return [int(v) if whole else v for v in values]


# ------------------------------------------------------------------ text


def text_width(text: str, size: float) -> float:
    """An estimate of ``text``'s width in user units: wide (CJK) characters are 1 em,
    others about 0.6 em — enough to decide what fits without a font engine."""
    width = 0.0
    for char in str(text):
        if unicodedata.east_asian_width(char) in ("W", "F"):
            width += 1.0
        elif unicodedata.combining(char):
            continue
        else:
            width += 0.6
    return width * size


def fit(text: str, width: float, size: float) -> str:
    """``text`` as is if it fits ``width``, else cut with an ellipsis to fit."""
    text = str(text)
    if text_width(text, size) <= width:
        return text
    cut = text
    while cut and text_width(cut + "…", size) > width:
        cut = cut[:-1]
    return cut.rstrip() + "…" if cut else "…"


def _e(text) -> str:
    return escape(str(text), quote=True)


def _n(value: float) -> str:
    """A coordinate: one decimal, no trailing zero."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _attrs(**attrs) -> str:
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        name = name.rstrip("_").replace("_", "-")
        if value is True:
            parts.append(f" {name}")
        elif isinstance(value, float):
            parts.append(f' {name}="{_n(value)}"')
        else:
            parts.append(f' {name}="{_e(value)}"')
    return "".join(parts)


def _text(x, y, content: str, *, cls: str, anchor: str = "middle", **attrs) -> str:
    size = SIZES[cls.split()[0]]
    attrs = {"class_": cls, "x": float(x), "y": float(y), "text_anchor": anchor, **attrs}
    return f"<text{_attrs(**attrs, font_size=str(size))}>{_e(content)}</text>"


def _el(name: str, *children: str, **attrs) -> str:
    """An element: its attributes escaped (floats as coordinates), its children as given."""
    if not children:
        return f"<{name}{_attrs(**attrs)}/>"
    return f"<{name}{_attrs(**attrs)}>{''.join(children)}</{name}>"


def _mark(
    kind: str, s: Series, category: str, value, status: str | None, hover: str, *shapes: str
) -> str:
    """A bar or a point with its hover title; the group carries the data attributes."""
    return _el(
        "g",
        f"<title>{_e(hover)}</title>",
        *shapes,
        class_="chart-mark" + (f" {STATUS_CLASSES[status]}" if status else ""),
        data_mark=kind,
        data_series=s.key,
        data_category=category,
        data_value=_raw(value),
    )


def _slug(key: str) -> str:
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in key)
    return cleaned.strip("-") or "chart"


# ------------------------------------------------------------------ frame


@dataclass
class _Frame:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def plot_width(self) -> float:
        return self.right - self.left

    @property
    def plot_height(self) -> float:
        return self.bottom - self.top


@dataclass
class _Axis:
    values: list[float]
    start: float  # the coordinate of values[0]
    end: float  # the coordinate of values[-1]

    def at(self, value: float) -> float:
        low, high = self.values[0], self.values[-1]  # ticks() keeps them apart
        return self.start + (self.end - self.start) * (value - low) / (high - low)


def _value_ticks(
    numbers: list[float],
    *,
    value_range: tuple[float, float] | None,
    targets: list[float],
    integer: bool,
    count: int,
) -> list[float]:
    candidates = [*numbers, *targets]
    if value_range is not None:
        candidates.extend(float(v) for v in value_range)
    return ticks(
        min(candidates, default=0), max(candidates, default=0), count=count, integer=integer
    )


def _check(series: Sequence[Series], categories: Sequence[str], target=None) -> None:
    if _each(target) and len(target) != len(categories):
        raise ValueError(f"{len(target)} targets for {len(categories)} categories")
    for s in series:
        for name in ("values", "labels", "titles", "statuses"):
            column = getattr(s, name)
            if column is not None and len(column) != len(categories):
                raise ValueError(
                    f"series {s.key!r}: {len(column)} {name} for {len(categories)} categories"
                )
        for status in s.statuses or ():
            if status is not None and status not in STATUS_CLASSES:
                raise ValueError(f"series {s.key!r}: unknown status {status!r}")
        if s.slot is not None and not 1 <= s.slot <= SLOTS:
            raise ValueError(f"series {s.key!r}: slot {s.slot} is not 1..{SLOTS}")


def _slot(series: Series, index: int) -> int:
    return series.slot or (index % SLOTS) + 1


def _mark_texts(
    s: Series, i: int, category: str, value, format_value: Callable[[float], str]
) -> tuple[str, str]:
    label = str((s.labels[i] if s.labels is not None else None) or format_value(value))
    title = s.titles[i] if s.titles is not None else None
    return label, str(title or f"{category} — {s.name}: {label}")


# ------------------------------------------------------------------ legend


def _swatch(kind: str, x: float, y: float) -> str:
    line = _el("line", class_="chart-line", x1=x, x2=x + 18, y1=y, y2=y)
    if kind == "bar":
        return _el("rect", class_="chart-swatch", x=x, y=y - 6, width=14.0, height=12.0)
    if kind == "point":
        return _el("circle", class_="chart-point", cx=x + 8, cy=y, r="4.5")
    if kind == "line":
        return line + _el("circle", class_="chart-point", cx=x + 9, cy=y, r="3")
    return line  # the target


def _legend(entries: list[tuple[str, str, str]], width: float) -> tuple[list[str], float]:
    """Legend entries (swatch kind, css class, text) flowed in rows from the top left;
    the markup and its height. Swatches: ``bar`` a square, ``point`` a dot, ``line`` a
    line through a dot, ``target`` a line."""
    if not entries:
        return [], 0.0
    out, x, y, rows = [], float(PAD), PAD + LEGEND_ROW / 2, 1
    for kind, cls, text in entries:
        shown = fit(text, width * 0.45, LEGEND_SIZE)
        item = 22 + text_width(shown, LEGEND_SIZE) + 16
        if x > PAD and x + item > width - PAD:
            x, y, rows = float(PAD), y + LEGEND_ROW, rows + 1
        swatch = _swatch(kind, x, y)
        title = f"<title>{_e(text)}</title>" if shown != text else ""
        label = _text(
            x + 22, y, shown, cls="chart-legend-text", anchor="start", dominant_baseline="middle"
        )
        out.append(_el("g", title, swatch, label, class_=f"chart-legend-item {cls}"))
        x += item
    return out, rows * LEGEND_ROW + 4


def _legend_entries(
    series: Sequence[Series],
    *,
    kind: str,
    target_label: str,
    status_names: dict[str, str] | None,
    has_target: bool,
) -> list[tuple[str, str, str]]:
    """What the legend tells apart: the series (when more than one), the target, the
    statuses the marks show (those ``status_names`` names)."""
    entries: list[tuple[str, str, str]] = []
    if len(series) > 1:
        for index, s in enumerate(series):
            dashed = " is-dashed" if s.dashed else ""
            entries.append((kind, f"chart-slot-{_slot(s, index)}{dashed}", str(s.name)))
    if has_target and target_label:
        entries.append(("target", "chart-target", str(target_label)))
    if status_names:
        shown = {status for s in series for status in (s.statuses or ()) if status}
        for status, cls in STATUS_CLASSES.items():
            if status in shown and status_names.get(status):
                swatch = "bar" if kind == "bar" else "point"
                entries.append((swatch, cls, str(status_names[status])))
    return entries


# ------------------------------------------------------------------ the picture


def _svg(
    kind: str,
    key: str,
    title: str,
    frame: _Frame,
    body: list[str],
    *,
    description: str = "",
    empty: bool = False,
) -> Chart:
    ident = f"chart-{_slug(key)}"
    labelled = f"{ident}-title" + (f" {ident}-desc" if description else "")
    head = (
        "<svg"
        + _attrs(
            xmlns="http://www.w3.org/2000/svg",
            class_=f"chart chart-{kind}" + (" chart-empty" if empty else ""),
            viewBox=f"0 0 {_n(frame.width)} {_n(frame.height)}",
            role="img",
            aria_labelledby=labelled,
            data_chart=key,
            font_family=FONT_FAMILY,
        )
        + ">"
        f'<title id="{ident}-title">{_e(title)}</title>'
        + (f'<desc id="{ident}-desc">{_e(description)}</desc>' if description else "")
    )
    return Chart(head + "".join(body) + "</svg>")


def _empty(kind: str, key: str, title: str, no_data: str, width: float, height: float) -> Chart:
    frame = _Frame(width, height, PAD, width - PAD, PAD, height - PAD)
    body = [
        _el(
            "rect",
            class_="chart-empty-frame",
            x=float(PAD),
            y=float(PAD),
            width=float(width - 2 * PAD),
            height=float(height - 2 * PAD),
            rx="6",
        ),
        _text(width / 2, height / 2, no_data, cls="chart-empty-text", dominant_baseline="middle"),
    ]
    return _svg(kind, key, title, frame, body, description=no_data, empty=True)


def _value_grid_horizontal(frame: _Frame, axis: _Axis, format_tick, y_title: str) -> list[str]:
    """Grid lines and labels of a vertical value axis (line and column charts); a label
    wider than a quarter of the chart (an absurd number) is cut to fit."""
    room = frame.left - 6 - PAD - (TITLE_SIZE + 8 if y_title else 0)
    out = []
    for value in axis.values:
        y = axis.at(value)
        cls = "chart-grid chart-zero" if value == 0 else "chart-grid"
        out.append(
            f'<line class="{cls}"{_attrs(x1=frame.left, x2=frame.right, y1=y, y2=y)}/>'
            + _text(
                frame.left - 6,
                y,
                fit(format_tick(value), room, TICK_SIZE),
                cls="chart-tick",
                anchor="end",
                dominant_baseline="middle",
            )
        )
    return out


def _layout_vertical(
    categories: Sequence[str],
    axis_values: list[float],
    *,
    width: float,
    height: float,
    legend_height: float,
    format_tick,
    y_title: str,
    x_title: str,
) -> tuple[_Frame, _Axis]:
    widest = max(text_width(format_tick(v), TICK_SIZE) for v in axis_values)
    left = PAD + (TITLE_SIZE + 8 if y_title else 0) + min(widest, width * 0.25) + 8
    bottom = height - PAD - TICK_SIZE - 8 - (TITLE_SIZE + 8 if x_title else 0)
    top = PAD + legend_height + 14
    frame = _Frame(width, height, left, width - PAD - 4, top, bottom)
    return frame, _Axis(axis_values, frame.bottom, frame.top)


def _label_every(categories: Sequence[str], slot: float) -> int:
    """Label every category, or every 2nd, 3rd or 4th when their labels are too wide for
    their slots (12 months on a narrow chart); past that, labels are cut to fit."""
    widest = max(text_width(c, TICK_SIZE) for c in categories)
    for every in (1, 2, 3, 4):
        if widest <= slot * every - 4:
            return every
    return 1


def _category_axis(
    frame: _Frame, categories: Sequence[str], centers: list[float], slot: float
) -> list[str]:
    out = [
        _el(
            "line",
            class_="chart-axis",
            x1=frame.left,
            x2=frame.right,
            y1=frame.bottom,
            y2=frame.bottom,
        )
    ]
    every = _label_every(categories, slot)
    for i, (category, x) in enumerate(zip(categories, centers, strict=True)):
        shown = fit(category, slot * every - 4, TICK_SIZE) if i % every == 0 else ""
        title = f"<title>{_e(category)}</title>" if shown != category else ""
        out.append(
            f'<g class="chart-category">{title}'
            + _el(
                "line", class_="chart-tick-mark", x1=x, x2=x, y1=frame.bottom, y2=frame.bottom + 4
            )
            + (_text(x, frame.bottom + 6 + TICK_SIZE, shown, cls="chart-tick") if shown else "")
            + "</g>"
        )
    return out


def _axis_titles(frame: _Frame, y_title: str, x_title: str) -> list[str]:
    out = []
    if y_title:
        cy = (frame.top + frame.bottom) / 2
        shown = fit(y_title, frame.plot_height, TITLE_SIZE)
        out.append(
            _text(
                PAD + TITLE_SIZE,
                cy,
                shown,
                cls="chart-axis-title",
                transform=f"rotate(-90 {_n(PAD + TITLE_SIZE)} {_n(cy)})",
            )
        )
    if x_title:
        shown = fit(x_title, frame.plot_width, TITLE_SIZE)
        out.append(
            _text(
                (frame.left + frame.right) / 2,
                frame.height - PAD - 2,
                shown,
                cls="chart-axis-title",
            )
        )
    return out


def _each(target) -> bool:
    """Whether ``target`` is one per category (a target that changed over the months)."""
    return isinstance(target, Sequence) and not isinstance(target, str)


def _target_numbers(target) -> list[float]:
    values = target if _each(target) else [target]
    return [n for n in map(_finite, values) if n is not None]


def _target_line(
    frame: _Frame,
    axis: _Axis,
    target,
    label: str,
    *,
    categories: Sequence[str],
    bands: list[tuple[float, float]],
    format_value: Callable[[float], str],
    horizontal: bool = False,
) -> list[str]:
    """The target as a dashed line across the plot. A target per category steps from
    one category's band (its slot or row) to the next, a None leaving a gap; each step
    says its category and value on hover. ``target`` as the caller gave it."""

    def line(at: float, start: float, end: float, cls: str = "chart-line") -> str:
        if horizontal:  # the value axis runs across: the target runs down
            return _el("line", class_=cls, x1=at, x2=at, y1=start, y2=end)
        return _el("line", class_=cls, x1=start, x2=end, y1=at, y2=at)

    def step(start: float, at_from: float, at_to: float) -> str:
        if horizontal:
            return _el("line", class_="chart-line", x1=at_from, x2=at_to, y1=start, y2=start)
        return _el("line", class_="chart-line", x1=start, x2=start, y1=at_from, y2=at_to)

    if not _each(target):
        value = _finite(target)
        if value is None:
            return []
        span = (frame.top, frame.bottom) if horizontal else (frame.left, frame.right)
        title = f"<title>{_e(label)}</title>" if label else ""
        line_ = line(axis.at(value), *span)
        return [_el("g", title, line_, class_="chart-target", data_target=_raw(target))]
    pieces, previous = [], None
    for category, value, (start, end) in zip(categories, target, bands, strict=True):
        number = _finite(value)
        if number is None:
            previous = None
            continue
        at = axis.at(number)
        if previous is not None and abs(previous - at) > 0.05:
            pieces.append(step(start, previous, at))
        hover = f"{category} — {label}: {format_value(number)}" if label else format_value(number)
        pieces.append(
            _el(
                "g",
                f"<title>{_e(hover)}</title>",
                line(at, start, end),
                data_category=category,
                data_target=_raw(value),
            )
        )
        previous = at
    return [_el("g", *pieces, class_="chart-target")] if pieces else []


class _Labels:
    """Value labels placed without overlapping one another."""

    def __init__(self) -> None:
        self.boxes: list[tuple[float, float, float, float]] = []

    def place(self, x: float, y: float, width: float, height: float) -> bool:
        box = (x - width / 2, y - height, x + width / 2, y)
        for other in self.boxes:
            if box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]:
                return False
        self.boxes.append(box)
        return True


# ------------------------------------------------------------------ line chart


def line_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    key: str,
    title: str,
    y_title: str = "",
    x_title: str = "",
    format_value: Callable[[float], str] = format_number,
    format_tick: Callable[[float], str] | None = None,
    value_range: tuple[float, float] | None = None,
    integer: bool = False,
    target: Number | Sequence[Number | None] | None = None,
    target_label: str = "",
    status_names: dict[str, str] | None = None,
    no_data: str = "No data",
    description: str = "",
    width: float = 640,
    height: float = 280,
) -> Chart:
    """One line per series across ``categories``; None values break the line."""
    categories = [str(c) for c in categories]  # dates, lazy translations: their text
    _check(series, categories, target)
    format_tick = format_tick or format_value
    numbers = [v for s in series for v in map(_finite, s.values) if v is not None]
    if not categories or not numbers:
        return _empty("line", key, title, no_data, width, height)
    targets = _target_numbers(target)
    entries = _legend_entries(
        series,
        kind="line",
        target_label=target_label,
        status_names=status_names,
        has_target=bool(targets),
    )
    legend, legend_height = _legend(entries, width)
    axis_values = _value_ticks(
        numbers, value_range=value_range, targets=targets, integer=integer, count=4
    )
    frame, axis = _layout_vertical(
        categories,
        axis_values,
        width=width,
        height=height,
        legend_height=legend_height,
        format_tick=format_tick,
        y_title=y_title,
        x_title=x_title,
    )
    slot = frame.plot_width / len(categories)
    centers = [frame.left + slot * (i + 0.5) for i in range(len(categories))]

    bands = [(c - slot / 2, c + slot / 2) for c in centers]
    body = [*legend, *_value_grid_horizontal(frame, axis, format_tick, y_title)]
    body += _target_line(
        frame,
        axis,
        target,
        target_label,
        categories=categories,
        bands=bands,
        format_value=format_value,
    )
    body += _category_axis(frame, categories, centers, slot)
    marks, labels = [], _Labels()
    for index, s in enumerate(series):
        cls = f"chart-series chart-slot-{_slot(s, index)}" + (" is-dashed" if s.dashed else "")
        segments: list[list[str]] = [[]]
        points = []
        for i, (category, value) in enumerate(zip(categories, s.values, strict=True)):
            number = _finite(value)
            if number is None:
                if segments[-1]:
                    segments.append([])
                continue
            x, y = centers[i], axis.at(number)
            segments[-1].append(f"{_n(x)},{_n(y)}")
            label, hover = _mark_texts(s, i, category, number, format_value)
            status = s.statuses[i] if s.statuses is not None else None
            text = ""
            label_width = text_width(label, VALUE_SIZE)
            # Above the point; below it only when it would reach into the legend (the plot
            # starts 14 units under it, the legend's own row has 4 spare).
            above = y - 7 if y - 7 - VALUE_SIZE >= frame.top - 18 else y + 7 + VALUE_SIZE
            if label_width <= slot - 2 and labels.place(x, above, label_width + 2, VALUE_SIZE):
                text = _text(x, above, label, cls="chart-value")
            circle = _el("circle", class_="chart-point", cx=x, cy=y, r="4")
            points.append(_mark("point", s, category, value, status, hover, circle, text))
        lines = [
            f'<polyline class="chart-line"{_attrs(points=" ".join(seg), data_line=s.key)}/>'
            for seg in segments
            if len(seg) > 1
        ]
        marks.append(f'<g class="{cls}">{"".join(lines)}{"".join(points)}</g>')
    body += marks
    body += _axis_titles(frame, y_title, x_title)
    return _svg("line", key, title, frame, body, description=description)


# ------------------------------------------------------------------ bar chart


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    key: str,
    title: str,
    horizontal: bool = False,
    y_title: str = "",
    x_title: str = "",
    format_value: Callable[[float], str] = format_number,
    format_tick: Callable[[float], str] | None = None,
    value_range: tuple[float, float] | None = None,
    integer: bool = False,
    target: Number | Sequence[Number | None] | None = None,
    target_label: str = "",
    status_names: dict[str, str] | None = None,
    no_data: str = "No data",
    description: str = "",
    width: float = 640,
    height: float | None = None,
) -> Chart:
    """Grouped bars, one per series in each category; a None value draws no bar.

    Vertical (columns) by default, ``height`` 280. ``horizontal``: one row per category
    with its label on the left (cut to fit, the full label on hover), the value axis at
    the bottom; ``height`` grows with the rows unless given. For a horizontal chart
    ``y_title`` names the value axis (drawn under it) and ``x_title`` the categories.
    """
    categories = [str(c) for c in categories]  # dates, lazy translations: their text
    _check(series, categories, target)
    format_tick = format_tick or format_value
    numbers = [v for s in series for v in map(_finite, s.values) if v is not None]
    per_row = max(1, len(series))
    if height is None:
        height = 280 if not horizontal else 70 + max(1, len(categories)) * (per_row * 16 + 12)
    if not categories or not numbers:
        return _empty("bar", key, title, no_data, width, min(height, 280))
    targets = _target_numbers(target)
    entries = _legend_entries(
        series,
        kind="bar",
        target_label=target_label,
        status_names=status_names,
        has_target=bool(targets),
    )
    legend, legend_height = _legend(entries, width)
    axis_values = _value_ticks(
        numbers, value_range=value_range, targets=targets, integer=integer, count=4
    )
    if horizontal:
        return _horizontal_bars(
            categories,
            series,
            key=key,
            title=title,
            axis_values=axis_values,
            legend=legend,
            legend_height=legend_height,
            format_value=format_value,
            format_tick=format_tick,
            target=target,
            target_label=target_label,
            y_title=y_title,
            x_title=x_title,
            description=description,
            width=width,
            height=height,
        )

    frame, axis = _layout_vertical(
        categories,
        axis_values,
        width=width,
        height=height,
        legend_height=legend_height,
        format_tick=format_tick,
        y_title=y_title,
        x_title=x_title,
    )
    slot = frame.plot_width / len(categories)
    centers = [frame.left + slot * (i + 0.5) for i in range(len(categories))]
    gap = 2.0
    bar = min(36.0, (slot * 0.75 - gap * (per_row - 1)) / per_row)
    group = bar * per_row + gap * (per_row - 1)
    zero = axis.at(0)

    body = [*legend, *_value_grid_horizontal(frame, axis, format_tick, y_title)]
    labels = _Labels()
    for index, s in enumerate(series):
        cls = f"chart-series chart-slot-{_slot(s, index)}"
        marks = []
        for i, (category, value) in enumerate(zip(categories, s.values, strict=True)):
            number = _finite(value)
            if number is None:
                continue
            x = centers[i] - group / 2 + index * (bar + gap)
            y = axis.at(number)
            label, hover = _mark_texts(s, i, category, number, format_value)
            status = s.statuses[i] if s.statuses is not None else None
            label_width = text_width(label, VALUE_SIZE)
            ly = y - 3 if number >= 0 else y + 3 + VALUE_SIZE
            text = ""
            if label_width <= bar + gap + 6 and labels.place(
                x + bar / 2, ly, label_width, VALUE_SIZE
            ):
                text = _text(x + bar / 2, ly, label, cls="chart-value")
            rect = _el(
                "rect", class_="chart-bar", x=x, y=min(y, zero), width=bar, height=abs(zero - y)
            )
            marks.append(_mark("bar", s, category, value, status, hover, rect, text))
        body.append(f'<g class="{cls}">{"".join(marks)}</g>')
    bands = [(c - slot / 2, c + slot / 2) for c in centers]
    body += _target_line(
        frame,
        axis,
        target,
        target_label,
        categories=categories,
        bands=bands,
        format_value=format_value,
    )
    body += _category_axis(frame, categories, centers, slot)
    body += _axis_titles(frame, y_title, x_title)
    return _svg("bar", key, title, frame, body, description=description)


def _horizontal_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    key: str,
    title: str,
    axis_values: list[float],
    legend: list[str],
    legend_height: float,
    format_value,
    format_tick,
    target: Number | Sequence[Number | None] | None,
    target_label: str,
    y_title: str,
    x_title: str,
    description: str,
    width: float,
    height: float,
) -> Chart:
    per_row = max(1, len(series))
    label_room = min(width * 0.32, max(text_width(c, TICK_SIZE) for c in categories) + 4)
    left = PAD + (TITLE_SIZE + 8 if x_title else 0) + label_room + 8
    # The right margin leaves room for the value printed after the longest bar.
    widest = text_width(format_value(axis_values[-1]), VALUE_SIZE) + 6
    right = width - PAD - min(max(widest, 12), width * 0.2)
    top = PAD + legend_height + 4
    bottom = height - PAD - TICK_SIZE - 10 - (TITLE_SIZE + 8 if y_title else 0)
    frame = _Frame(width, height, left, right, top, bottom)
    axis = _Axis(axis_values, frame.left, frame.right)
    row = frame.plot_height / len(categories)
    gap = 2.0
    bar = min(22.0, (row * 0.75 - gap * (per_row - 1)) / per_row)
    group = bar * per_row + gap * (per_row - 1)
    zero = axis.at(0)

    body = list(legend)
    for value in axis_values:
        x = axis.at(value)
        cls = "chart-grid chart-zero" if value == 0 else "chart-grid"
        body.append(
            f'<line class="{cls}"{_attrs(x1=x, x2=x, y1=frame.top, y2=frame.bottom)}/>'
            + _text(
                x,
                frame.bottom + 6 + TICK_SIZE,
                fit(format_tick(value), frame.plot_width / len(axis_values), TICK_SIZE),
                cls="chart-tick",
            )
        )
    body.append(
        f'<line class="chart-axis"{_attrs(x1=zero, x2=zero, y1=frame.top, y2=frame.bottom)}/>'
    )
    for i, category in enumerate(categories):
        cy = frame.top + row * (i + 0.5)
        shown = fit(category, label_room, TICK_SIZE)
        hover = f"<title>{_e(category)}</title>" if shown != category else ""
        body.append(
            f'<g class="chart-category">{hover}'
            + _text(
                frame.left - 8,
                cy,
                shown,
                cls="chart-tick",
                anchor="end",
                dominant_baseline="middle",
            )
            + "</g>"
        )
    for index, s in enumerate(series):
        cls = f"chart-series chart-slot-{_slot(s, index)}"
        marks = []
        for i, (category, value) in enumerate(zip(categories, s.values, strict=True)):
            number = _finite(value)
            if number is None:
                continue
            y = frame.top + row * (i + 0.5) - group / 2 + index * (bar + gap)
            x = axis.at(number)
            label, hover = _mark_texts(s, i, category, number, format_value)
            status = s.statuses[i] if s.statuses is not None else None
            label_width = text_width(label, VALUE_SIZE)
            # After the bar's end; a negative bar without room on its left has it inside.
            cls_value, lx, anchor = "chart-value", x + 4, "start"
            if number < 0 and x - 4 - label_width >= frame.left:
                lx, anchor = x - 4, "end"
            elif number < 0:
                cls_value = "chart-value chart-value-inside"
            text = ""
            if bar >= VALUE_SIZE - 2:
                text = _text(
                    lx, y + bar / 2, label, cls=cls_value, anchor=anchor, dominant_baseline="middle"
                )
            rect = _el(
                "rect", class_="chart-bar", x=min(x, zero), y=y, width=abs(x - zero), height=bar
            )
            marks.append(_mark("bar", s, category, value, status, hover, rect, text))
        body.append(f'<g class="{cls}">{"".join(marks)}</g>')
    bands = [(frame.top + row * i, frame.top + row * (i + 1)) for i in range(len(categories))]
    body += _target_line(
        frame,
        axis,
        target,
        target_label,
        categories=categories,
        bands=bands,
        format_value=format_value,
        horizontal=True,
    )
    if y_title:  # the value axis, under it
        body.append(
            _text(
                (frame.left + frame.right) / 2,
                height - PAD - 2,
                fit(y_title, frame.plot_width, TITLE_SIZE),
                cls="chart-axis-title",
            )
        )
    if x_title:  # the categories, rotated on the left
        cy = (frame.top + frame.bottom) / 2
        body.append(
            _text(
                PAD + TITLE_SIZE,
                cy,
                fit(x_title, frame.plot_height, TITLE_SIZE),
                cls="chart-axis-title",
                transform=f"rotate(-90 {_n(PAD + TITLE_SIZE)} {_n(cy)})",
            )
        )
    return _svg("bar", key, title, frame, body, description=description)
