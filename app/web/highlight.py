"""Mark the words a result shares with the query."""

import re
from collections.abc import Iterable

from markupsafe import Markup, escape


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """The text, escaped, with every occurrence of the terms wrapped in <mark> (longest term first)."""
    words = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    parts: list[str] = []
    last = 0
    for found in pattern.finditer(text):
        parts.append(str(escape(text[last:found.start()])))
        parts.append(f"<mark>{escape(found.group(0))}</mark>")
        last = found.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))
