"""Colours of the stylesheet that carry text: WCAG 2.1 contrast of at least 4.5:1 for normal text."""

import re
from pathlib import Path

import pytest

from app.web.charts import heatmap

CSS = (Path(__file__).resolve().parents[2] / "app" / "web" / "static" / "app.css").read_text(encoding="utf-8")


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _rule(selector: str) -> str:
    found = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert found, selector
    return found.group(1)


def test_the_header_lines_on_blue_are_readable() -> None:
    background = re.search(r"background:\s*(#[0-9a-fA-F]{6})", _rule("header.site"))
    assert background is not None
    assert contrast("#ffffff", background.group(1)) >= 4.5
    # The 「…としてログイン中」 line is white too: a faded one (opacity) fell to 4.07:1.
    assert "opacity" not in _rule("header.site .who")


def test_the_contrast_formula_matches_known_pairs() -> None:
    assert round(contrast("#ffffff", "#000000"), 1) == 21.0
    assert round(contrast("#ffffff", "#1f6feb"), 2) == 4.63


@pytest.mark.parametrize("top", [1, 2, 3, 7, 20, 101])
def test_every_heat_map_number_stands_out_from_its_cell(top: int) -> None:
    """axe-core cannot judge text drawn in SVG, so the heat map's cells are checked here: each count, whatever
    the largest count, keeps 4.5:1 against the cell's shade."""
    counts = {("r", str(v)): v for v in range(1, top + 1)}
    svg = str(heatmap(["r"], [c for _, c in counts], counts, row_labels={"r": "r"},
                      column_labels={c: c for _, c in counts}, title="t"))
    cells = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"/><text [^>]*fill="(#[0-9a-f]{6})">(\d+)</text>', svg)
    assert len(cells) == top
    worst = min((contrast(text, shade), int(n)) for shade, text, n in cells)
    assert worst[0] >= 4.5, f"count {worst[1]} of {top}: {worst[0]:.2f}:1"
