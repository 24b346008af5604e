"""Charts as SVG text, drawn on the server: lines per series, bars, a funnel, a rate vs a target.

Each chart is one `<svg role="img">` with a <title> and a <desc> that reads out the
numbers, so a screen reader gets the data and the page needs no chart library.
Only presentation attributes are used (no style attributes), so a strict CSP holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

PALETTE = ("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777")
WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 48
FONT = 'font-family="system-ui, sans-serif"'


def svg(title: str, desc: str, body: list[str], width: int = WIDTH, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"
        f'<text x="{LEFT}" y="22" font-size="15" font-weight="600" {FONT}>{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def nice_step(value: float) -> float:
    """A round step at or above `value`: 1, 2, 2.5 or 5 × 10ⁿ."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if step * magnitude >= value)


def nice_top(value: float, ticks: int = 4, whole: bool = True) -> float:
    """An axis maximum of `ticks` round steps at or above `value` (whole steps for counts)."""
    step = nice_step(value / ticks)
    if whole:
        step = max(1, math.ceil(step))
    return step * ticks


def number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def y_axis(top: float, plot_h: int, percent: bool = False) -> list[str]:
    parts = []
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        label = f"{value * 100:.0f}%" if percent else number(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e5e7eb"/><text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#6b7280" {FONT}>{label}</text>'
        )
    return parts


def x_labels(days: Sequence[str], x_of) -> list[str]:
    every = max(1, len(days) // 7)
    return [
        f'<text x="{x_of(i):.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" '
        f'text-anchor="middle" fill="#6b7280" {FONT}>{escape(day[5:])}</text>'
        for i, day in enumerate(days)
        if i % every == 0 or i == len(days) - 1
    ]


def legend(names: Sequence[str]) -> list[str]:
    parts, x = [], LEFT
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 18}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 9}" font-size="11" {FONT}>{escape(name)}</text>'
        )
        x += 24 + 8 * len(name) + 6 * sum(1 for c in name if ord(c) > 0x2E7F)
    return parts


def empty_note(text: str, y: float = TOP + 60) -> str:
    return (
        f'<text x="{WIDTH / 2}" y="{y:.1f}" font-size="13" text-anchor="middle" '
        f'fill="#6b7280" {FONT}>{escape(text)}</text>'
    )


def line_chart(
    title: str, days: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], empty: str
) -> str:
    """One line per series over the days (e.g. follows per day, one line per store)."""
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    top = nice_top(max((max(values, default=0) for _, values in series), default=0))

    def x_of(i: int) -> float:
        return LEFT + (plot_w * i / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    body = y_axis(top, plot_h) + x_labels(days, x_of)
    for index, (name, values) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        points = " ".join(
            f"{x_of(i):.1f},{TOP + plot_h - plot_h * v / top:.1f}" for i, v in enumerate(values)
        )
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.5">'
            f"<title>{escape(name)}: {sum(values)}</title></polyline>"
        )
    if not any(any(values) for _, values in series):
        body.append(empty_note(empty))
    body += legend([name for name, _ in series])
    desc = "; ".join(
        f"{name}: " + ", ".join(f"{d} {v}" for d, v in zip(days, values, strict=True) if v)
        for name, values in series
    )
    return svg(title, desc or empty, body)


def bar_chart(title: str, bars: Sequence[tuple[str, int]], empty: str) -> str:
    """Horizontal bars with their values (e.g. redemptions per store)."""
    row, gap = 26, 8
    height = max(HEIGHT // 2, TOP + 16 + len(bars) * (row + gap))
    label_w, plot_w = 150, WIDTH - 150 - RIGHT - 48
    top = nice_top(max((value for _, value in bars), default=0))
    body = []
    for i, (name, value) in enumerate(bars):
        y = TOP + 12 + i * (row + gap)
        w = plot_w * value / top
        body.append(
            f'<text x="{label_w - 8}" y="{y + row * 0.68:.1f}" font-size="12" text-anchor="end" '
            f"{FONT}>{escape(name[:14])}</text>"
            f'<rect x="{label_w}" y="{y}" width="{max(w, 1):.1f}" height="{row}" rx="3" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(name)}: {value}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + row * 0.68:.1f}" font-size="12" '
            f"{FONT}>{value}</text>"
        )
    if not any(value for _, value in bars):
        height += 28
        body.append(empty_note(empty, height - 14))
    desc = "; ".join(f"{name}: {value}" for name, value in bars)
    return svg(title, desc or empty, body, height=height)


def funnel_chart(title: str, stages: Sequence[tuple[str, int]], empty: str) -> str:
    """Centred bars narrowing stage by stage, each with its count and the step's conversion."""
    row, gap = 34, 10
    height = TOP + 16 + max(len(stages), 1) * (row + gap)
    widest = max((value for _, value in stages), default=0)
    middle, plot_w = WIDTH / 2, WIDTH - 320
    body = []
    for i, (name, value) in enumerate(stages):
        y = TOP + 12 + i * (row + gap)
        w = max(plot_w * value / widest, 2) if widest else 2
        before = stages[i - 1][1] if i else 0
        step = f"  ({value / before:.0%})" if before else ""
        body.append(
            f'<text x="{middle - plot_w / 2 - 12:.1f}" y="{y + row * 0.65:.1f}" font-size="13" '
            f'text-anchor="end" {FONT}>{escape(name)}</text>'
            f'<rect x="{middle - w / 2:.1f}" y="{y}" width="{w:.1f}" height="{row}" rx="4" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(name)}: {value}</title></rect>'
            f'<text x="{middle + w / 2 + 8:.1f}" y="{y + row * 0.65:.1f}" font-size="13" '
            f'font-weight="600" {FONT}>{value}{step}</text>'
        )
    if not widest:
        height += 28
        body.append(empty_note(empty, height - 14))
    desc = " → ".join(f"{name} {value}" for name, value in stages) or empty
    return svg(title, desc, body, height=height)


def rate_chart(
    title: str,
    days: Sequence[str],
    rates: Sequence[float | None],
    target: float,
    target_label: str,
    empty: str,
) -> str:
    """A daily rate as bars (green at or above the target, amber below) and the target line."""
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    top = nice_top(max([target * 2, *(r for r in rates if r is not None)]) * 100, whole=False) / 100
    slot = plot_w / max(len(days), 1)

    def x_of(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    body = y_axis(top, plot_h, percent=True) + x_labels(days, x_of)
    for i, rate in enumerate(rates):
        if rate is None:
            continue
        h = plot_h * rate / top
        color = "#16a34a" if rate >= target else "#f59e0b"
        body.append(
            f'<rect x="{x_of(i) - slot * 0.35:.1f}" y="{TOP + plot_h - h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{color}">'
            f"<title>{escape(days[i])}: {rate:.1%}</title></rect>"
        )
    y = TOP + plot_h - plot_h * target / top
    body.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dc2626" '
        f'stroke-width="2" stroke-dasharray="6 4"/><text x="{WIDTH - RIGHT}" y="{y - 6:.1f}" '
        f'font-size="12" text-anchor="end" fill="#dc2626" {FONT}>{escape(target_label)}</text>'
    )
    known = [(d, r) for d, r in zip(days, rates, strict=True) if r is not None]
    if not known:
        body.append(empty_note(empty, TOP + plot_h * 0.2))
    desc = "; ".join(f"{d} {r:.1%}" for d, r in known) or empty
    return svg(title, f"{target_label}. {desc}", body)
