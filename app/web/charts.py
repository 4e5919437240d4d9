"""Charts drawn on the server as inline SVG: no script, readable by screen readers through their title."""

from collections.abc import Sequence

from markupsafe import Markup, escape

CELL_W, CELL_H = 44, 28
LEFT, TOP = 150, 96


DARK_TEXT, LIGHT_TEXT = "#1f2328", "#ffffff"


def _dark(value: int, top: int) -> bool:
    """Whether the cell is dark enough to carry white text."""
    return value > top / 2


def _shade(value: int, top: int) -> str:
    """White for zero, deepening blue up to the largest count. The ramp skips the mid blues, where neither dark
    nor white text reaches 4.5:1: the lower half keeps dark text, the upper half starts dark enough for white."""
    if value <= 0 or top <= 0:
        return "#f6f8fa"
    share = value / top
    if _dark(value, top):
        share = 0.8 + (share - 0.5) * 0.4
    light, dark = (219, 234, 254), (29, 78, 216)
    r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(light, dark, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(rows: Sequence[str], columns: Sequence[str], counts: dict[tuple[str, str], int], *,
            row_labels: dict[str, str], column_labels: dict[str, str], title: str) -> Markup:
    """A rows × columns grid whose cells are shaded by count and show the number."""
    top = max(counts.values(), default=0)
    width, height = LEFT + CELL_W * len(columns) + 8, TOP + CELL_H * len(rows) + 8
    summary = "; ".join(f"{row_labels[r]} × {column_labels[c]}: {counts[(r, c)]}"
                        for r in rows for c in columns if counts.get((r, c)))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-labelledby="heatmap-title heatmap-desc" class="chart">',
           f'<title id="heatmap-title">{escape(title)}</title><desc id="heatmap-desc">{escape(summary)}</desc>']
    for j, column in enumerate(columns):
        x = LEFT + CELL_W * j + CELL_W / 2
        out.append(f'<text x="{x}" y="{TOP - 8}" transform="rotate(-50 {x} {TOP - 8})" font-size="11" '
                   f'fill="#333">{escape(column_labels[column])}</text>')
    for i, row in enumerate(rows):
        y = TOP + CELL_H * i
        out.append(f'<text x="{LEFT - 8}" y="{y + CELL_H * 0.65}" text-anchor="end" font-size="12" '
                   f'fill="#333">{escape(row_labels[row])}</text>')
        for j, column in enumerate(columns):
            value = counts.get((row, column), 0)
            x = LEFT + CELL_W * j
            out.append(f'<rect x="{x}" y="{y}" width="{CELL_W - 2}" height="{CELL_H - 2}" rx="3" '
                       f'fill="{_shade(value, top)}"/>')
            if value:
                colour = LIGHT_TEXT if _dark(value, top) else DARK_TEXT
                out.append(f'<text x="{x + (CELL_W - 2) / 2}" y="{y + CELL_H * 0.62}" text-anchor="middle" '
                           f'font-size="12" fill="{colour}">{value}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def bars(items: Sequence[tuple[str, int]], *, title: str) -> Markup:
    """Horizontal bars for labelled counts."""
    top = max((v for _, v in items), default=0) or 1
    row_h, left, bar_w = 24, 170, 240
    height = row_h * len(items) + 8
    # Scales down with the screen (up to its natural width), so a phone sees every bar and number.
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + bar_w + 40} {height}" '
           f'width="100%" style="max-width:{left + bar_w + 40}px" role="img" aria-label="{escape(title)}" '
           f'class="chart fit">']
    for i, (label, value) in enumerate(items):
        y = i * row_h + 4
        w = round(bar_w * value / top)
        out.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12" fill="#333">'
                   f'{escape(label)}</text><rect x="{left}" y="{y + 3}" width="{w}" height="{row_h - 8}" rx="2" '
                   f'fill="#2563eb"/><text x="{left + w + 6}" y="{y + 15}" font-size="12" fill="#333">{value}</text>')
    out.append("</svg>")
    return Markup("".join(out))
