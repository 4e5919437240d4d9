"""Colours of the stylesheet that carry text: WCAG 2.1 contrast of at least 4.5:1 for normal text."""

import re
from pathlib import Path

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
