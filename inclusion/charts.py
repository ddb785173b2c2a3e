"""Accessible charts as server-rendered SVG (no JavaScript).

Each chart is ``role="img"`` with ``aria-labelledby`` pointing to its ``<title>`` (a short
name) and ``<desc>`` (a text summary of what it shows); the page puts the data table beside
it.  Every label is escaped.
"""

from __future__ import annotations

import math
import re

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH = 640
BAR = 18
GAP = 6
LEFT = 260  # room for a bar label of LABEL_CHARS characters at 11px
LABEL_CHARS = 36
RIGHT = 60


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _tick(value: float, step: float) -> str:
    """A tick label: as many decimal places as the step needs ("20%", "2.5%")."""
    places = 0
    while places < 3 and abs(round(100 * step, places) - 100 * step) > 1e-9:
        places += 1
    return f"{100 * value:.{places}f}%"


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    """A bar label cut to ``limit`` characters, keeping a trailing "(code)" whole so that
    a shortened practice name still says which practice it is (the table has it all)."""
    if len(label) <= limit:
        return label
    match = re.fullmatch(r"(.*\S)\s+(\([^()]{1,12}\))", label)
    if match and len(match.group(2)) + 3 < limit:
        name, code = match.groups()
        return name[:limit - len(code) - 2].rstrip() + "\u2026 " + code
    return label[:limit - 1] + "\u2026"


def nice_step(high: float) -> float:
    """A round tick interval (1, 2 or 5 x 10^k) giving about five ticks up to ``high``."""
    raw = max(high, 1e-9) / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def bar_chart(chart_id: str, title: str, summary: str, rows: list[dict],
              reference: float | None = None, reference_label: str = "ICS rate"):
    """Horizontal bars of ``rate`` with 95% CI whiskers (``lower``/``upper``), one per
    row (``label``), and a dashed line at ``reference``."""
    rows = [r for r in rows if _finite(r.get("rate"))]
    top = 28
    height = top + len(rows) * (BAR + GAP) + 30
    values = [float(r.get("upper") if _finite(r.get("upper")) else r["rate"]) for r in rows]
    if reference is not None and _finite(reference):
        values.append(float(reference))
    high = max(values, default=1.0) or 1.0
    step = nice_step(high)
    scale_max = step * max(1, math.ceil(high / step + 0.3))  # room for the value labels
    if high <= 1.0:
        # every value is a share: the axis stops at 100% (a nice step for a high of at most
        # 1 divides 1, so 100% is a tick); the labels go in the right margin
        scale_max = min(scale_max, 1.0)
    plot = WIDTH - LEFT - RIGHT

    def x(value: float) -> float:
        return LEFT + plot * max(0.0, float(value)) / scale_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="inclusion-chart" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" style="max-width:{WIDTH}px">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    for k in range(0, int(round(scale_max / step)) + 1):
        tick = k * step
        parts.append(f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" '
                     f'y2="{height - 26}" stroke="#d8dde0" stroke-width="1"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{height - 10}" font-size="11" '
                     f'text-anchor="middle" fill="#212b32">{_tick(tick, step)}</text>')
    for i, row in enumerate(rows):
        y = top + i * (BAR + GAP)
        rate = float(row["rate"])
        label = str(row.get("label", ""))
        parts.append(f'<text x="{LEFT - 8}" y="{y + BAR - 5}" font-size="11" '
                     f'text-anchor="end" fill="#212b32">{escape(_short(label))}</text>')
        parts.append(f'<rect x="{LEFT}" y="{y}" width="{max(x(rate) - LEFT, 1):.1f}" '
                     f'height="{BAR}" fill="#005eb8"/>')
        if _finite(row.get("lower")) and _finite(row.get("upper")):
            lo, up = x(float(row["lower"])), x(float(row["upper"]))
            mid = y + BAR / 2
            parts.append(f'<path d="M{lo:.1f} {mid - 5}v10M{lo:.1f} {mid}H{up:.1f}'
                         f'M{up:.1f} {mid - 5}v10" stroke="#212b32" stroke-width="1.5" '
                         f'fill="none"/>')
        parts.append(f'<text x="{x(max(rate, float(row.get("upper") or rate))) + 6:.1f}" '
                     f'y="{y + BAR - 5}" font-size="11" fill="#212b32">{_pct(rate)}</text>')
    if reference is not None and _finite(reference):
        rx = x(float(reference))
        parts.append(f'<line x1="{rx:.1f}" y1="{top - 8}" x2="{rx:.1f}" y2="{height - 26}" '
                     f'stroke="#d5281b" stroke-width="2" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{rx:.1f}" y="{top - 12}" font-size="11" text-anchor="middle" '
                     f'fill="#d5281b">{escape(reference_label)} {_pct(float(reference))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped or numeric


def line_chart(chart_id: str, title: str, summary: str, rows: list[dict]):
    """The rate by month (``label``, ``rate``, ``lower``, ``upper``) as a line with a
    shaded 95% CI band."""
    rows = [r for r in rows if _finite(r.get("rate"))]
    height, top, bottom, left, right = 260, 20, 40, 60, 20
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    highs = [float(r["upper"]) if _finite(r.get("upper")) else float(r["rate"]) for r in rows]
    lows = [float(r["lower"]) if _finite(r.get("lower")) else float(r["rate"]) for r in rows]
    high, low = max(highs, default=1.0), min(lows, default=0.0)
    step = nice_step(max(high - low, 0.01) * 5 / 4)  # about four intervals
    y_min = max(0.0, math.floor(low / step + 1e-9) * step)
    y_max = math.ceil(high / step - 1e-9) * step
    if high <= 1.0:
        y_max = min(y_max, 1.0)  # shares: never above 100%
    if y_max <= y_min:
        y_max = y_min + step
    ticks = int(round((y_max - y_min) / step))
    n = max(len(rows) - 1, 1)

    def px(i):
        return left + plot_w * i / n

    def py(v):
        return top + plot_h * (1 - (float(v) - y_min) / (y_max - y_min))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="inclusion-chart" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" style="max-width:{WIDTH}px">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    for k in range(0, ticks + 1):
        v = y_min + k * step
        parts.append(f'<line x1="{left}" y1="{py(v):.1f}" x2="{WIDTH - right}" y2="{py(v):.1f}" '
                     f'stroke="#d8dde0"/>')
        parts.append(f'<text x="{left - 6}" y="{py(v) + 4:.1f}" font-size="11" '
                     f'text-anchor="end" fill="#212b32">{_tick(v, step)}</text>')
    if rows:
        band = [f"{px(i):.1f},{py(lows[i]):.1f}" for i in range(len(rows))]
        band += [f"{px(i):.1f},{py(highs[i]):.1f}" for i in reversed(range(len(rows)))]
        parts.append(f'<polygon points="{" ".join(band)}" fill="#005eb8" fill-opacity="0.2"/>')
        line = " ".join(f"{px(i):.1f},{py(r['rate']):.1f}" for i, r in enumerate(rows))
        parts.append(f'<polyline points="{line}" fill="none" stroke="#005eb8" '
                     f'stroke-width="2"/>')
        last = len(rows) - 1
        for i in sorted({0, len(rows) // 2, last}):
            # the first label starts at its point and the last ends at its point, so
            # neither runs past the edge of the chart ("Oct 202" was clipped)
            anchor = "start" if i == 0 and last else "end" if i == last and last else "middle"
            parts.append(f'<text x="{px(i):.1f}" y="{height - 14}" font-size="11" '
                         f'text-anchor="{anchor}" fill="#212b32">'
                         f'{escape(str(rows[i].get("label", "")))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped or numeric
