"""Checks of a roster in the exchange format; every problem is reported with its location."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import StringConstraints

from app.messages import reason_ja
from app.roster.vocab import FORMAT, INDUSTRIES, MEMBER_TYPES, PREFECTURES, ROLES, SUPPORT_TYPES
from app.schemas import ExternalId

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://[^\s]+$")
# Column sizes of the database, so a long value is reported here rather than failing the write.
MAX_TEXT = {"name": 200, "name_en": 200, "city": 100, "title": 300, "website": 500}
MAX_CONTACT = {"name": 200, "email": 320}
MAX_ID = 64
# Largest values the database columns hold (BIGINT for yen, INTEGER for head counts).
MAX_INT = {"capital_jpy": 2**63 - 1, "budget_jpy": 2**63 - 1, "employees": 2**31 - 1}
# Text neither database can store: NUL, and lone surrogates (JSON's "\\ud800" escapes), which are no UTF-8.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
SHEET_ROW = re.compile(r"\b(organizations|needs|seeds) row (\d+)")
# Where a record is when its id cannot name it: (organization index, kind, posting index) -> location.
Labeler = Callable[[int, str | None, int | None], str]


def _pattern_of(constrained: Any) -> re.Pattern[str]:
    """The pattern of a constrained string type."""
    for meta in get_args(constrained)[1:]:
        if isinstance(meta, StringConstraints) and meta.pattern is not None:
            return re.compile(meta.pattern)
    raise TypeError(f"{constrained} has no pattern")


# The API's own id pattern, so every imported id can be put in a URL path and created through the API alike.
ID = _pattern_of(ExternalId)


@dataclass(frozen=True)
class Problem:
    """One invalid value: where it is, which field, and what to fix."""

    location: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location} / {self.field}: {self.reason}"

    def text(self, lang: str) -> str:
        """The problem in the language: sheet rows and the reason in Japanese for ja (where it is known)."""
        if lang != "ja":
            return str(self)
        location = SHEET_ROW.sub(r"\1 シート \2 行目", self.location)
        return f"{location} / {self.field}: {reason_ja(self.reason) or self.reason}"


class RosterInvalid(Exception):
    """A roster with problems; nothing was changed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the roster")
        self.problems = problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_str(where: str, rec: dict[str, Any], key: str, required: bool, out: list[Problem]) -> None:
    value = rec.get(key)
    if value is None:
        if required:
            out.append(Problem(where, key, "is required"))
        return
    if not isinstance(value, str) or (required and not value.strip()):
        out.append(Problem(where, key, "must be a non-empty string"))
    elif key in MAX_TEXT and len(value) > MAX_TEXT[key]:
        out.append(Problem(where, key, f"is longer than {MAX_TEXT[key]} characters"))


def _check_count(where: str, rec: dict[str, Any], key: str, out: list[Problem]) -> None:
    value = rec.get(key)
    if value is not None and (not _is_int(value) or value < 0):
        out.append(Problem(where, key, f"must be a non-negative integer, got {_shown(value)}"))
    elif value is not None and value > MAX_INT[key]:
        out.append(Problem(where, key, f"must be at most {MAX_INT[key]}"))


def _shown(value: Any) -> str:
    """A value as a message quotes it, cut short: a bad cell may hold a whole page."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_storable(where: str, rec: dict[str, Any], out: list[Problem]) -> None:
    """Text anywhere in the record (keys the format does not define too) that no database can store."""
    # ids are checked against the id rule, which admits neither
    stack: list[tuple[str, Any]] = [(k, v) for k, v in rec.items() if k not in ("id", "needs", "seeds")]
    reported: set[str] = set()
    while stack:
        key, value = stack.pop()
        top = key.split(".", 1)[0]
        if isinstance(value, dict):
            stack.extend((f"{key}.{k}", v) for k, v in value.items())
            stack.extend((f"{key}.{k}", k) for k in value if isinstance(k, str))
        elif isinstance(value, list):
            stack.extend((key, v) for v in value)
        elif isinstance(value, str) and top not in reported:
            found = UNSTORABLE.search(value)
            if found:
                reported.add(top)
                reason = "must not contain NUL characters" if found.group() == "\x00" else "must be valid Unicode text"
                out.append(Problem(where, key, reason))


def _check_str_list(where: str, rec: dict[str, Any], key: str, out: list[Problem]) -> None:
    value = rec.get(key)
    if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        out.append(Problem(where, key, "must be a list of strings"))


def _check_org_fields(where: str, org: dict[str, Any], out: list[Problem]) -> None:
    for key in ("name", "description"):
        _check_str(where, org, key, True, out)
    for key in ("name_en", "city", "website"):
        _check_str(where, org, key, False, out)
    if org.get("member_type") not in MEMBER_TYPES:
        out.append(Problem(where, "member_type", f"must be one of {', '.join(MEMBER_TYPES)}"))
    roles = org.get("roles")
    if not isinstance(roles, list) or not roles:
        out.append(Problem(where, "roles", "must be a non-empty list"))
        roles = []
    for role in roles:
        if role not in ROLES:
            out.append(Problem(where, "roles", f"unknown role {_shown(role)} (allowed: {', '.join(ROLES)})"))
    if len(set(map(str, roles))) != len(roles):
        out.append(Problem(where, "roles", "lists a role twice"))
    support_type = org.get("support_type")
    if "support" in roles and support_type not in SUPPORT_TYPES:
        allowed = ", ".join(SUPPORT_TYPES)
        out.append(Problem(where, "support_type", f"is required for the support role: one of {allowed}"))
    elif "support" not in roles and support_type is not None:
        out.append(Problem(where, "support_type", "is set but roles has no 'support'"))
    if org.get("prefecture") not in PREFECTURES:
        out.append(Problem(where, "prefecture",
                           f"{_shown(org.get('prefecture'))} is not one of the 47 prefectures (kanji)"))
    if org.get("industry") not in INDUSTRIES:
        out.append(Problem(where, "industry", f"unknown JSIC major division {_shown(org.get('industry'))} (A..T)"))
    for key in ("capital_jpy", "employees"):
        _check_count(where, org, key, out)
    year = org.get("founded_year")
    if year is not None and (not _is_int(year) or not 1600 <= year <= 2100):
        out.append(Problem(where, "founded_year", f"must be a year such as 1987, got {_shown(year)}"))
    website = org.get("website")
    if isinstance(website, str) and not URL.match(website):
        out.append(Problem(where, "website", "must start with http:// or https://"))
    _check_str_list(where, org, "certifications", out)
    _check_contact(where, org.get("contact"), out)


def _check_contact(where: str, contact: Any, out: list[Problem]) -> None:
    if contact is None:
        return
    if not isinstance(contact, dict):
        out.append(Problem(where, "contact", "must be an object with name, email, phone"))
        return
    for key in ("name", "email", "phone"):
        value = contact.get(key)
        if value is not None and not isinstance(value, str):
            out.append(Problem(where, f"contact.{key}", "must be a string"))
        elif isinstance(value, str) and len(value) > MAX_CONTACT.get(key, len(value)):
            out.append(Problem(where, f"contact.{key}", f"is longer than {MAX_CONTACT[key]} characters"))
    email = contact.get("email")
    if isinstance(email, str) and not EMAIL.match(email):
        out.append(Problem(where, "contact.email", f"{_shown(email)} is not a valid e-mail address"))
    phone = contact.get("phone")
    if isinstance(phone, str) and not re.fullmatch(r"[0-9+()\- ]{6,20}", phone):
        out.append(Problem(where, "contact.phone", f"{_shown(phone)} is not a phone number"))


def _check_posting(where: str, rec: dict[str, Any], kind: str, out: list[Problem]) -> None:
    _check_str(where, rec, "title", True, out)
    _check_str(where, rec, "description", True, out)
    _check_str_list(where, rec, "tags", out)
    if kind == "needs":
        budget = rec.get("budget_jpy")
        if budget is not None and (not _is_int(budget) or budget <= 0):
            out.append(Problem(where, "budget_jpy", f"must be a positive integer, got {_shown(budget)}"))
        elif budget is not None and budget > MAX_INT["budget_jpy"]:
            out.append(Problem(where, "budget_jpy", f"must be at most {MAX_INT['budget_jpy']}"))
    else:
        _check_str_list(where, rec, "industries_served", out)
        for letter in rec.get("industries_served") or []:
            if isinstance(letter, str) and letter not in INDUSTRIES:
                out.append(Problem(where, "industries_served", f"unknown JSIC major division {_shown(letter)} (A..T)"))
        _check_str_list(where, rec, "service_area", out)
        for prefecture in rec.get("service_area") or []:
            if isinstance(prefecture, str) and prefecture not in PREFECTURES:
                out.append(Problem(where, "service_area", f"unknown prefecture {_shown(prefecture)}; write one of "
                                                          "the 47 prefectures in kanji, like 福岡県"))


def _check_id(where: str, rec: dict[str, Any], field: str, seen: dict[str, str], out: list[Problem]) -> str | None:
    """The record's id, or None when it is missing or unusable (the location then falls back to its position)."""
    value = rec.get("id")
    if not isinstance(value, str) or not value.strip():
        out.append(Problem(where, field, "id is required (a non-empty string)"))
        return None
    usable = _check_id_text(where, field, value, out)
    if value in seen:
        out.append(Problem(where, field, f"duplicate id {_shown(value)}, already used by {seen[value]}"))
    else:
        seen[value] = where
    return value if usable else None


def _check_id_text(where: str, field: str, value: str, out: list[Problem]) -> bool:
    if len(value) > MAX_ID:
        out.append(Problem(where, field, f"id is longer than {MAX_ID} characters"))
        return False
    if not ID.fullmatch(value):
        out.append(Problem(where, field, f"id {_shown(value)} may hold only letters, digits, '-', '_' and '.', "
                                         "starting with a letter or digit (like ORG-0001); no spaces, '/', '?', "
                                         "'#', '%' or full-width symbols, so the API can address it"))
        return False
    return True


def _records(value: Any, where: str, key: str, out: list[Problem]) -> Iterable[tuple[int, dict[str, Any]]]:
    if value is None:
        return []
    if not isinstance(value, list):
        out.append(Problem(where, key, "must be a list"))
        return []
    good = []
    for i, rec in enumerate(value):
        if isinstance(rec, dict):
            good.append((i, rec))
        else:
            out.append(Problem(where, f"{key}[{i}]", "must be an object"))
    return good


def _json_label(i: int, kind: str | None, j: int | None) -> str:
    return f"organizations[{i}]" if kind is None else f"{kind}[{j}]"


def validate_roster(data: Any, *, label: Labeler = _json_label) -> list[Problem]:
    """Every problem in a roster document; an empty list means it can be imported.

    A record is located by its id, or where the id cannot say by label: its position in the JSON lists by
    default, a spreadsheet's row for documents read from one.
    """
    out: list[Problem] = []
    if not isinstance(data, dict):
        return [Problem("file", "format", "the file must hold a JSON object")]
    if data.get("format") != FORMAT:
        out.append(Problem("file", "format", f"must be {FORMAT!r}, got {_shown(data.get('format'))}"))
    org_ids: dict[str, str] = {}
    posting_ids: dict[str, dict[str, str]] = {"needs": {}, "seeds": {}}
    for i, org in _records(data.get("organizations"), "file", "organizations", out):
        position = label(i, None, None)
        oid = _check_id(position, org, "id", org_ids, out)
        where = oid or position
        _check_org_fields(where, org, out)
        _check_storable(where, org, out)
        for kind in ("needs", "seeds"):
            for j, rec in _records(org.get(kind), where, kind, out):
                at = label(i, kind, j)
                pid = _check_id(f"{where} / {at}", rec, "id", posting_ids[kind], out)
                _check_posting(f"{where} / {pid or at}", rec, kind, out)
                _check_storable(f"{where} / {pid or at}", rec, out)
    if "organizations" not in data:
        out.append(Problem("file", "organizations", "is required"))
    return out
