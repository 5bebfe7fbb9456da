"""Bar charts as SVG geometry, computed on the server (no JavaScript chart library). Pure: no Flask.

``bar_chart`` lays out grouped bars and returns every rectangle and label
with its coordinates; ``templates/coordinator/_bar_chart.svg.html`` writes
them out. For right-to-left pages the whole chart is mirrored: the first
category sits at the right, the value axis on the right, and labels keep
``text-anchor="end"`` while the ``<svg>`` carries ``direction="rtl"``, which
makes "end" the left side of the text, so axis labels still point away from
the plot.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Colour-blind-safe palette (Okabe-Ito), one per series.
PALETTE = ("#0072B2", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#56B4E9")


@dataclass(frozen=True)
class Bar:
    """One rectangle, with the words a screen reader or a hovering mouse gets."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


@dataclass(frozen=True)
class Text:
    """A label at (x, y) with its anchor (start|middle|end, read in the chart's direction)."""

    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Line:
    """A grid or axis line."""

    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Swatch:
    """A legend entry: a coloured square and its series name."""

    x: float
    y: float
    colour: str
    text: Text


@dataclass(frozen=True)
class Chart:
    """Everything the SVG template draws."""

    width: int
    height: int
    rtl: bool
    bars: list[Bar]
    x_labels: list[Text]
    y_labels: list[Text]
    grid: list[Line]
    axis: Line
    legend: list[Swatch]


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... that is at least ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)  # pragma: no cover


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    rtl: bool = False,
    width: int = 720,
    height: int = 280,
    bar_label: str = "{series} · {category}: {value}",
    max_x_labels: int = 14,
) -> Chart:
    """Grouped bars: one group per category, one bar per series (``(name, values)``), scaled to the largest value.

    ``bar_label`` formats each bar's text (``{series}``, ``{category}``,
    ``{value}``). At most ``max_x_labels`` category labels are written (every
    n-th one), so long ranges stay legible.
    """
    legend_height = 24 if len(series) > 1 else 0
    start, end, top, bottom = 44, 12, 12 + legend_height, 34  # margins (start = value axis side)
    plot_width, plot_height = width - start - end, height - top - bottom
    largest = max((value for _name, values in series for value in values), default=0)
    scale_max = nice_ceiling(largest)
    tick_step = max(1, nice_ceiling(scale_max / 5))
    count = max(len(categories), 1)
    group = plot_width / count
    gap = min(group * 0.2, 12)
    bar_width = (group - gap) / max(len(series), 1)

    def x(ltr_x: float, span: float = 0) -> float:
        """A left-to-right x mirrored for RTL (``span``: the width of the thing placed there)."""
        return round(width - ltr_x - span if rtl else ltr_x, 2)

    bars = []
    for index, (name, values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        for position, value in enumerate(values):
            bar_height = plot_height * value / scale_max
            left = start + position * group + gap / 2 + index * bar_width
            bars.append(Bar(
                x=x(left, bar_width), y=round(top + plot_height - bar_height, 2), width=round(bar_width, 2),
                height=round(bar_height, 2), colour=colour,
                label=bar_label.format(series=name, category=categories[position], value=value),
            ))
    every = max(1, math.ceil(len(categories) / max_x_labels))
    x_labels = [
        Text(x(start + position * group + group / 2), height - bottom + 16, category)
        for position, category in enumerate(categories)
        if position % every == 0
    ]
    y_labels, grid = [], []
    for tick in range(0, scale_max + 1, tick_step):
        y = round(top + plot_height - plot_height * tick / scale_max, 2)
        y_labels.append(Text(x(start - 6), y + 4, str(tick), anchor="end"))
        grid.append(Line(x(start), y, x(width - end), y))
    axis = Line(x(start), top + plot_height, x(width - end), top + plot_height)
    legend = []
    cursor = start
    for index, (name, _values) in enumerate(series if len(series) > 1 else ()):
        colour = PALETTE[index % len(PALETTE)]
        legend.append(Swatch(x(cursor, 10), 8, colour, Text(x(cursor + 14), 17, name, anchor="start")))
        cursor += 24 + 8 * len(name)
    return Chart(width, height, rtl, bars, x_labels, y_labels, grid, axis, legend)
