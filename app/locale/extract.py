"""Babel extractors that find the message codes the code and the page templates use.

`pybabel extract -F app/locale/babel.cfg` runs them to write messages.pot, and the catalog check
(app/locale/check.py) runs them to find codes missing from the catalog. The calls that name a code:

- Python: error(cls, "code", …), render("code", …), translate("code", …), template("code", …), phrase("code", …),
  the pages' PageError(status, "code", …) and Throttled(retry_after, "code"), and N_("code") for a code kept in
  a table and looked up later;
- the pages (templates, and Python under app/web/): t("key") names the code `page.key`;
- the e-mails (app/notifications/templates/*.mail): t("key") names the code `mail.key`.
"""

import ast
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from babel.messages.extract import extract_from_dir
from jinja2.ext import babel_extract as jinja_extract

from app.locale import LOCALE_DIR

# function -> the position (from 1) of the code among its positional arguments
CODE_ARGUMENTS = {"error": 2, "render": 1, "translate": 1, "template": 1, "phrase": 1, "N_": 1,
                  "PageError": 2, "Throttled": 2}
PAGE_FUNCTION = "t"
PAGE_PREFIX = "page."
MAIL_PREFIX = "mail."
MAPPING = LOCALE_DIR / "babel.cfg"

Extracted = Iterator[tuple[int, str | None, str, list[str]]]


def _code(messages: Any, position: int) -> str | None:
    parts = messages if isinstance(messages, tuple) else (messages,)
    value = parts[position - 1] if len(parts) >= position else None
    return value if isinstance(value, str) and value else None


def _is_web(fileobj: BinaryIO) -> bool:
    return Path(str(getattr(fileobj, "name", ""))).resolve().parent.name == "web"


def _literal_argument(call: ast.Call, position: int) -> str | None:
    if len(call.args) < position:
        return None
    node = call.args[position - 1]
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value else None


def extract_python(fileobj: BinaryIO, keywords: Collection[str], comment_tags: Collection[str],
                   options: Mapping[str, Any]) -> Extracted:
    """The codes named in a Python file (the keywords given on the command line are not needed).

    Only calls of plain names count: `log.error("…", "…")` is not `error(cls, "code")`.
    """
    pages = _is_web(fileobj)
    tree = ast.parse(fileobj.read(), filename=str(getattr(fileobj, "name", "<python>")))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        name = node.func.id
        if pages and name == PAGE_FUNCTION:
            key = _literal_argument(node, 1)
            code = PAGE_PREFIX + key if key else None
        elif name in CODE_ARGUMENTS:
            code = _literal_argument(node, CODE_ARGUMENTS[name])
        else:
            continue
        if code:
            # funcname None: Babel takes the message as given instead of applying a keyword's argument spec.
            yield node.lineno, None, code, []


def extract_templates(fileobj: BinaryIO, keywords: Collection[str], comment_tags: Collection[str],
                      options: Mapping[str, Any]) -> Extracted:
    """The codes a page template names with t("key"); a template that does not parse is an error."""
    for lineno, _funcname, messages, comments in jinja_extract(fileobj, [PAGE_FUNCTION], list(comment_tags),
                                                               {**options, "silent": "false"}):
        key = _code(messages, 1)
        if key:
            yield lineno, None, PAGE_PREFIX + key, list(comments)


def extract_mail_templates(fileobj: BinaryIO, keywords: Collection[str], comment_tags: Collection[str],
                           options: Mapping[str, Any]) -> Extracted:
    """The codes an e-mail template names with t("key"); a template that does not parse is an error."""
    for lineno, _funcname, messages, comments in jinja_extract(fileobj, [PAGE_FUNCTION], list(comment_tags),
                                                               {**options, "silent": "false"}):
        key = _code(messages, 1)
        if key:
            yield lineno, None, MAIL_PREFIX + key, list(comments)


def used_codes(root: Path) -> dict[str, list[str]]:
    """code -> the places (file:line) that name it, under root (the checkout), as babel.cfg maps the files."""
    from babel.messages.frontend import parse_mapping_cfg

    with MAPPING.open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file, filename=str(MAPPING))
    used: dict[str, list[str]] = {}
    app = root / "app"
    for filename, lineno, code, _comments, _context in extract_from_dir(
            str(app), method_map, options_map, keywords={}, comment_tags=(), strip_comment_tags=True):
        used.setdefault(str(code), []).append(f"app/{filename}:{lineno}")
    return used
