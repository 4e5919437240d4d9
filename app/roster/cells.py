"""One value in a spreadsheet cell and back: formula-safe text, lists of items, workbook cells.

Every spreadsheet the service writes (roster CSV and workbooks, event exports) goes through these, so a
member's text never runs as a formula in the secretariat's Excel (OWASP "CSV injection"), and every
format that holds a list in one cell (spreadsheets, the web form's tag field) spells it the same way.
"""

import re
from collections.abc import Iterable, Sequence
from typing import Any

# Spreadsheets read a cell that starts with one of these as a formula (or strip the character and do).
FORMULA_START = frozenset("=+-@\t\r")
QUOTE = "'"

# List items are separated by any of these; `\` before a separator, a `\` or an edge blank keeps it in the item.
LIST_SEPARATORS = frozenset(";；,，、\n")
LIST_SEPARATOR = ";"
ESCAPE = "\\"

# Workbook text is XML: it holds neither C0 control characters (save tab and line feed) nor a carriage return
# that survives parsing. OOXML writes those as _xHHHH_, and a literal "_xHHHH_" as "_x005F_xHHHH_" (Excel does).
_XLSX_ESCAPED = re.compile(r"[\x00-\x08\x0b-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")
_XLSX_UNESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def csv_text(value: str) -> str:
    """The text as a CSV cell: a leading `'` when it would start a formula, or when it starts with `'` that the
    reader would otherwise take for one the writer added, so every text reads back as it was."""
    if value[:1] in FORMULA_START or (value[:1] == QUOTE and value[1:2] in FORMULA_START | {QUOTE}):
        return QUOTE + value
    return value


def from_csv_text(cell: str) -> str:
    """The text a CSV cell stands for: one leading `'` is dropped where csv_text puts one (before a formula
    character or another `'`); any other `'` is the text's own."""
    if cell[:1] == QUOTE and cell[1:2] in FORMULA_START | {QUOTE}:
        return cell[1:]
    return cell


def csv_cell(value: Any) -> Any:
    """A value for csv.writer: text made formula-safe, numbers and empty cells as they are."""
    return csv_text(value) if isinstance(value, str) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A row for csv.writer, every text cell formula-safe."""
    return [csv_cell(v) for v in values]


def encode_list(items: Sequence[str], separator: str = LIST_SEPARATOR) -> str:
    """Items in one cell or text field, separated by `;` (the web form shows `、`); separators, `\\` and blanks
    at an item's edges are escaped with `\\`, so decode_list gives every item back (empty items are dropped)."""
    if separator not in LIST_SEPARATORS:
        raise ValueError(f"{separator!r} is not a list separator")
    return separator.join(_encode_item(item) for item in items if item)


def _encode_item(item: str) -> str:
    lead = len(item) - len(item.lstrip())
    trail = len(item.rstrip())
    out = []
    for i, ch in enumerate(item):
        special = ch == ESCAPE or ch in LIST_SEPARATORS or (ch.isspace() and (i < lead or i >= trail))
        out.append(ESCAPE + ch if special else ch)
    return "".join(out)


def decode_list(text: str) -> list[str]:
    """The items of a cell or text field: split at `;` `；` `,` `，` `、` or a line break, blanks around items
    dropped, `\\x` read as the character x. Empty items are left out."""
    items: list[str] = []
    chars: list[str] = []
    kept: list[bool] = []  # per character: escaped, so not stripped as an edge blank

    def close() -> None:
        start, end = 0, len(chars)
        while start < end and chars[start].isspace() and not kept[start]:
            start += 1
        while end > start and chars[end - 1].isspace() and not kept[end - 1]:
            end -= 1
        if end > start:
            items.append("".join(chars[start:end]))
        chars.clear()
        kept.clear()

    escaped = False
    for ch in text:
        if escaped:
            chars.append(ch)
            kept.append(True)
            escaped = False
        elif ch == ESCAPE:
            escaped = True
        elif ch in LIST_SEPARATORS:
            close()
        else:
            chars.append(ch)
            kept.append(False)
    if escaped:  # a `\` at the very end stands for itself
        chars.append(ESCAPE)
        kept.append(True)
    close()
    return items


def xlsx_text(value: str) -> str:
    """Text as stored in a workbook cell: control characters and carriage returns as OOXML escapes."""
    return _XLSX_ESCAPED.sub(lambda m: "_x005F_" if m.group() == "_" else f"_x{ord(m.group()):04X}_", value)


def from_xlsx_text(value: str) -> str:
    """The text a workbook cell stands for (OOXML escapes resolved, as Excel reads them)."""
    return _XLSX_UNESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value) if "_x" in value else value


def append_xlsx_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl sheet with every text stored as text: openpyxl would store text starting
    with `=` as a formula; a text cell with Excel's quote prefix stays text even when someone edits it."""
    values = list(values)
    sheet.append([xlsx_text(v) if isinstance(v, str) else v for v in values])
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if isinstance(value, str) and value[:1] in FORMULA_START:
            cell.data_type = "s"
            cell.quotePrefix = True
