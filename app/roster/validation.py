"""Checks of a roster in the exchange format; every problem is reported with its location."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import StringConstraints

from app.roster.vocab import FORMAT, INDUSTRIES, MEMBER_TYPES, PREFECTURES, ROLES, SUPPORT_TYPES
from app.schemas import ExternalId

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://[^\s]+$")
# Column sizes of the database, so a long value is reported here rather than failing the write.
MAX_TEXT = {"name": 200, "name_en": 200, "city": 100, "title": 300, "website": 500}
MAX_CONTACT = {"name": 200, "email": 320}
MAX_ID = 64


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
        out.append(Problem(where, key, f"must be a non-negative integer, got {value!r}"))


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
            out.append(Problem(where, "roles", f"unknown role {role!r} (allowed: {', '.join(ROLES)})"))
    if len(set(map(str, roles))) != len(roles):
        out.append(Problem(where, "roles", "lists a role twice"))
    support_type = org.get("support_type")
    if "support" in roles and support_type not in SUPPORT_TYPES:
        allowed = ", ".join(SUPPORT_TYPES)
        out.append(Problem(where, "support_type", f"is required for the support role: one of {allowed}"))
    elif "support" not in roles and support_type is not None:
        out.append(Problem(where, "support_type", "is set but roles has no 'support'"))
    if org.get("prefecture") not in PREFECTURES:
        out.append(Problem(where, "prefecture", f"{org.get('prefecture')!r} is not one of the 47 prefectures (kanji)"))
    if org.get("industry") not in INDUSTRIES:
        out.append(Problem(where, "industry", f"unknown JSIC major division {org.get('industry')!r} (A..T)"))
    for key in ("capital_jpy", "employees"):
        _check_count(where, org, key, out)
    year = org.get("founded_year")
    if year is not None and (not _is_int(year) or not 1600 <= year <= 2100):
        out.append(Problem(where, "founded_year", f"must be a year such as 1987, got {year!r}"))
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
        out.append(Problem(where, "contact.email", f"{email!r} is not a valid e-mail address"))
    phone = contact.get("phone")
    if isinstance(phone, str) and not re.fullmatch(r"[0-9+()\- ]{6,20}", phone):
        out.append(Problem(where, "contact.phone", f"{phone!r} is not a phone number"))


def _check_posting(where: str, rec: dict[str, Any], kind: str, out: list[Problem]) -> None:
    _check_str(where, rec, "title", True, out)
    _check_str(where, rec, "description", True, out)
    _check_str_list(where, rec, "tags", out)
    if kind == "needs":
        budget = rec.get("budget_jpy")
        if budget is not None and (not _is_int(budget) or budget <= 0):
            out.append(Problem(where, "budget_jpy", f"must be a positive integer, got {budget!r}"))
    else:
        _check_str_list(where, rec, "industries_served", out)
        for letter in rec.get("industries_served") or []:
            if isinstance(letter, str) and letter not in INDUSTRIES:
                out.append(Problem(where, "industries_served", f"unknown JSIC major division {letter!r} (A..T)"))
        _check_str_list(where, rec, "service_area", out)
        for prefecture in rec.get("service_area") or []:
            if isinstance(prefecture, str) and prefecture not in PREFECTURES:
                out.append(Problem(where, "service_area", f"unknown prefecture {prefecture!r}; write one of the 47 "
                                                          "prefectures in kanji, like 福岡県"))


def _check_id(where: str, rec: dict[str, Any], field: str, seen: dict[str, str], out: list[Problem]) -> str | None:
    """The record's id, or None when it is missing or unusable (the location then falls back to its position)."""
    value = rec.get("id")
    if not isinstance(value, str) or not value.strip():
        out.append(Problem(where, field, "id is required (a non-empty string)"))
        return None
    usable = _check_id_text(where, field, value, out)
    if value in seen:
        out.append(Problem(where, field, f"duplicate id {value!r}, already used by {seen[value]}"))
    else:
        seen[value] = where
    return value if usable else None


def _check_id_text(where: str, field: str, value: str, out: list[Problem]) -> bool:
    if len(value) > MAX_ID:
        out.append(Problem(where, field, f"id is longer than {MAX_ID} characters"))
        return False
    if not ID.fullmatch(value):
        out.append(Problem(where, field, f"id {value!r} may hold only letters, digits, '-', '_' and '.', "
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


def validate_roster(data: Any) -> list[Problem]:
    """Every problem in a roster document; an empty list means it can be imported."""
    out: list[Problem] = []
    if not isinstance(data, dict):
        return [Problem("file", "format", "the file must hold a JSON object")]
    if data.get("format") != FORMAT:
        out.append(Problem("file", "format", f"must be {FORMAT!r}, got {data.get('format')!r}"))
    org_ids: dict[str, str] = {}
    posting_ids: dict[str, dict[str, str]] = {"needs": {}, "seeds": {}}
    for i, org in _records(data.get("organizations"), "file", "organizations", out):
        oid = _check_id(f"organizations[{i}]", org, "id", org_ids, out)
        where = oid or f"organizations[{i}]"
        _check_org_fields(where, org, out)
        for kind in ("needs", "seeds"):
            for j, rec in _records(org.get(kind), where, kind, out):
                pid = _check_id(f"{where} / {kind}[{j}]", rec, "id", posting_ids[kind], out)
                _check_posting(f"{where} / {pid or f'{kind}[{j}]'}", rec, kind, out)
    if "organizations" not in data:
        out.append(Problem("file", "organizations", "is required"))
    return out
