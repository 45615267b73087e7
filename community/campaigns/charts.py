"""Server-side SVG for the dashboard: no JavaScript, no CDN, readable without styles."""
from __future__ import annotations

from markupsafe import Markup, escape

from community.dates import format_date

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 220, 44, 12, 12, 28


def pledges_chart(days, target: int, title: str, target_label: str = "") -> Markup:
    """Active pledges at each day's end (line) over new (green) and cancelled (red) pledges per day (bars).

    ``days``: reports.Day items; ``target_label`` is shown when the target is above the scale.
    Returns an <svg> element; every text in it is escaped.
    """
    if not days:
        return Markup("")
    top = max(max(d.active for d in days), max(d.new for d in days), 1)
    top = top * 11 // 10 + 1
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    step = plot_w / len(days)

    def y(v: float) -> float:
        return PAD_T + plot_h - plot_h * v / top

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" class="w-100" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{PAD_L}" y1="{y(0):.1f}" x2="{W - PAD_R}" y2="{y(0):.1f}" stroke="#999"/>',
             f'<text x="{PAD_L - 4}" y="{y(top) + 10:.1f}" font-size="11" text-anchor="end">{top}</text>',
             f'<text x="{PAD_L - 4}" y="{y(0):.1f}" font-size="11" text-anchor="end">0</text>']
    bar = max(step / 2 - 1, 1)
    points = []
    for i, d in enumerate(days):
        x = PAD_L + i * step
        tip = escape(f"{format_date(d.day)}: +{d.new} / -{d.cancelled} / {d.active}")
        if d.new:
            parts.append(f'<rect x="{x:.1f}" y="{y(d.new):.1f}" width="{bar:.1f}" height="{y(0) - y(d.new):.1f}" '
                         f'fill="#198754" opacity=".6"><title>{tip}</title></rect>')
        if d.cancelled:
            parts.append(f'<rect x="{x + bar:.1f}" y="{y(d.cancelled):.1f}" width="{bar:.1f}" '
                         f'height="{y(0) - y(d.cancelled):.1f}" fill="#dc3545" opacity=".6">'
                         f'<title>{tip}</title></rect>')
        points.append(f"{x + step / 2:.1f},{y(d.active):.1f}")
    parts.append(f'<polyline fill="none" stroke="#0d6efd" stroke-width="2" points="{" ".join(points)}"/>')
    if target <= top:
        parts.append(f'<line x1="{PAD_L}" y1="{y(target):.1f}" x2="{W - PAD_R}" y2="{y(target):.1f}" '
                     f'stroke="#fd7e14" stroke-dasharray="4 3"/>')
    else:  # far above the scale: name it rather than flatten the curve
        parts.append(f'<text x="{W - PAD_R}" y="{PAD_T + 10}" font-size="11" text-anchor="end" fill="#fd7e14">'
                     f'{escape(target_label)}</text>')
    parts.append(f'<text x="{PAD_L}" y="{H - 8}" font-size="11">{escape(format_date(days[0].day))}</text>')
    parts.append(f'<text x="{W - PAD_R}" y="{H - 8}" font-size="11" text-anchor="end">'
                 f'{escape(format_date(days[-1].day))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
