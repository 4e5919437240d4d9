"""Import and export of the roster exchange format, losslessly and atomically."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.roster import ids
from app.roster.models import Need, Organization, Seed
from app.roster.validation import RosterInvalid, validate_roster
from app.roster.vocab import FORMAT

# Keys in the order the format lists them; export writes them in this order.
ORG_KEYS = (
    "id", "name", "name_en", "member_type", "roles", "support_type", "prefecture", "city", "industry",
    "capital_jpy", "employees", "founded_year", "description", "website", "contact", "certifications",
    "needs", "seeds",
)
ORG_REQUIRED = ("id", "name", "member_type", "roles", "support_type", "prefecture", "industry", "description",
                "needs", "seeds")
ORG_COLUMNS = ("name", "name_en", "member_type", "roles", "support_type", "prefecture", "city", "industry",
               "capital_jpy", "employees", "founded_year", "description", "website", "certifications")
CONTACT_KEYS = ("name", "email", "phone")
NEED_KEYS = ("id", "title", "description", "budget_jpy", "tags")
SEED_KEYS = ("id", "title", "description", "tags", "industries_served", "service_area")
POSTING_REQUIRED = ("id", "title", "description")
# Per kind: the keys the format knows, and those stored in columns of their own.
POSTING_FIELDS = {
    "needs": (NEED_KEYS, ("title", "description", "budget_jpy", "tags")),
    "seeds": (SEED_KEYS, ("title", "description", "tags", "industries_served", "service_area")),
}
PostingT = TypeVar("PostingT", Need, Seed)


@dataclass
class ImportReport:
    """What an import changed, and which members the file no longer lists."""

    created: dict[str, int] = field(default_factory=lambda: {"organizations": 0, "needs": 0, "seeds": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"organizations": 0, "needs": 0, "seeds": 0})
    unchanged: dict[str, int] = field(default_factory=lambda: {"organizations": 0, "needs": 0, "seeds": 0})
    missing: dict[str, list[str]] = field(default_factory=lambda: {"organizations": [], "needs": [], "seeds": []})
    removed: dict[str, list[str]] = field(default_factory=lambda: {"organizations": [], "needs": [], "seeds": []})

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {k: getattr(self, k) for k in ("created", "updated", "unchanged", "missing", "removed")}


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; True if any value changed.

    Which keys the source spelled out (source_keys) is kept up to date but is no change of the data: a
    spreadsheet cannot tell an absent value from an empty one, and re-importing one is no update.
    """
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = changed or key != "source_keys"
    return changed


def _blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _from_sheet(obj: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The values of a spreadsheet row for a stored record, given what a spreadsheet cannot say.

    An empty cell stands for an absent, null, empty or blank value alike, so it keeps the stored one of those;
    keys the format does not define have no column, so the stored ones stay; and which keys the source spelled
    out stays as it was unless the row changes the record.
    """
    merged = {k: v for k, v in values.items() if k not in ("source_keys", "extra")}
    kept = set()
    for key, value in values.items():
        if key in merged and value is None and _blank(getattr(obj, key)):
            merged[key] = getattr(obj, key)
            kept.add(key)
    merged["extra"] = obj.extra
    if obj.source_keys is not None and any(getattr(obj, k) != v for k, v in merged.items()):
        merged["source_keys"] = values["source_keys"] + [
            k for k in obj.source_keys if k not in values["source_keys"] and k.replace(".", "_") in kept]
    return merged


def _org_values(rec: dict[str, Any]) -> dict[str, Any]:
    contact = rec.get("contact") or {}
    keys = [k for k in rec if k in ORG_KEYS] + [f"contact.{k}" for k in contact if k in CONTACT_KEYS]
    extra = {k: v for k, v in rec.items() if k not in ORG_KEYS}
    extra_contact = {k: v for k, v in contact.items() if k not in CONTACT_KEYS} if isinstance(contact, dict) else {}
    if extra_contact:
        extra["contact"] = extra_contact
    values = {k: rec.get(k) for k in ORG_COLUMNS}
    values.update(
        contact_name=contact.get("name"), contact_email=contact.get("email"), contact_phone=contact.get("phone"),
        source_keys=keys, extra=extra or None,
    )
    return values


def _posting_values(rec: dict[str, Any], known: tuple[str, ...], columns: tuple[str, ...]) -> dict[str, Any]:
    values = {k: rec.get(k) for k in columns}
    values["source_keys"] = [k for k in rec if k in known]
    values["extra"] = {k: v for k, v in rec.items() if k not in known} or None
    return values


@dataclass
class _Run:
    """One import: what it changes, the postings the database has, the posting ids the file lists."""

    report: ImportReport
    prune: bool
    from_sheet: bool
    existing: dict[str, dict[str, Any]]
    in_file: dict[str, set[str]]


def _upsert_postings(
    run: _Run, org: Organization, model: type[PostingT], current: list[PostingT], recs: list[dict[str, Any]],
    kind: str,
) -> None:
    """Upsert one organization's needs or seeds in file order; those the file no longer lists go only with prune.

    One the file lists under another organization stays here until that organization takes it over (removing
    it first would delete it as an orphan).
    """
    known, columns = POSTING_FIELDS[kind]
    report = run.report
    ids = {r["id"] for r in recs}
    keep: list[PostingT] = []
    for position, rec in enumerate(recs):
        values = _posting_values(rec, known, columns)
        values["position"] = position
        obj = run.existing[kind].get(rec["id"])
        if obj is not None and run.from_sheet:
            values = _from_sheet(obj, values)
        if obj is None:
            obj = model(external_id=rec["id"], **values)
            report.created[kind] += 1
        elif _assign(obj, values) or obj.organization_id != org.id:
            report.updated[kind] += 1
        else:
            report.unchanged[kind] += 1
        keep.append(obj)
    for obj in current:
        if obj.external_id in ids:
            continue
        if obj.external_id in run.in_file[kind]:
            keep.append(obj)
            continue
        report.missing[kind].append(obj.external_id)
        if run.prune:
            report.removed[kind].append(obj.external_id)
        else:
            keep.append(obj)
    current[:] = keep


def import_roster(
    session: Session, data: Any, *, prune: bool = False, progress: Callable[[Iterable[Any]], Iterable[Any]] = iter,
    from_sheet: bool = False,
) -> ImportReport:
    """Upsert every record by external id; raises RosterInvalid (changing nothing) if any record is invalid.

    Members absent from the file are reported, and removed only with prune. The whole roster is loaded once
    and written in one flush, so a large file costs a few queries, not several per member. from_sheet: the
    document was read from a spreadsheet, so an empty cell does not change a stored empty value and keys the
    format does not define are kept (see _from_sheet); re-importing an export then changes nothing.
    """
    problems = validate_roster(data)
    if problems:
        raise RosterInvalid(problems)
    orgs = {o.external_id: o for o in session.scalars(
        select(Organization).options(selectinload(Organization.needs), selectinload(Organization.seeds)))}
    run = _Run(
        report=ImportReport(), prune=prune, from_sheet=from_sheet,
        existing={"needs": {p.external_id: p for o in orgs.values() for p in o.needs},
                  "seeds": {p.external_id: p for o in orgs.values() for p in o.seeds}},
        in_file={kind: {p["id"] for rec in data["organizations"] for p in rec.get(kind) or []}
                 for kind in ("needs", "seeds")},
    )
    report = run.report
    listed: set[str] = set()
    for rec in progress(data["organizations"]):
        listed.add(rec["id"])
        values = _org_values(rec)
        org = orgs.get(rec["id"])
        if org is not None and from_sheet:
            values = _from_sheet(org, values)
        if org is None:
            org = Organization(external_id=rec["id"], **values)
            session.add(org)
            report.created["organizations"] += 1
        elif _assign(org, values):
            report.updated["organizations"] += 1
        else:
            report.unchanged["organizations"] += 1
        _upsert_postings(run, org, Need, org.needs, rec.get("needs") or [], "needs")
        _upsert_postings(run, org, Seed, org.seeds, rec.get("seeds") or [], "seeds")
    for external_id, org in orgs.items():
        if external_id not in listed:
            report.missing["organizations"].append(external_id)
            if prune:
                report.removed["organizations"].append(external_id)
                session.delete(org)
    session.flush()
    # The file's ids are taken now: later numbered ids start past them, even once these are deleted.
    ids.note_used(session, [rec["id"] for rec in data["organizations"]] + [
        p["id"] for kind in ("needs", "seeds") for rec in data["organizations"] for p in rec.get(kind) or []])
    return report


def _emit(keys: tuple[str, ...], required: tuple[str, ...], source: list[str] | None,
          values: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
    """Write the keys the source had (or required and non-empty ones for records made in the service)."""
    out: dict[str, Any] = {}
    for key in keys:
        present = key in source if source is not None else (key in required or values.get(key) is not None)
        if present:
            out[key] = values.get(key)
    if extra:
        out.update({k: v for k, v in extra.items() if k not in out})
    return out


def organization_record(org: Organization) -> dict[str, Any]:
    """One organization in the exchange format, with its needs and seeds."""
    source = org.source_keys
    extra = dict(org.extra or {})
    contact_extra = extra.pop("contact", None) or {}
    contact_values = {"name": org.contact_name, "email": org.contact_email, "phone": org.contact_phone}
    contact_source = [k.split(".", 1)[1] for k in source if k.startswith("contact.")] if source is not None else None
    contact = _emit(CONTACT_KEYS, (), contact_source, contact_values, contact_extra)
    values = {k: getattr(org, k) for k in ORG_COLUMNS}
    values["id"] = org.external_id
    values["contact"] = contact if (contact or (source is not None and "contact" in source)) else None
    values["needs"] = [need_record(n) for n in org.needs]
    values["seeds"] = [seed_record(s) for s in org.seeds]
    return _emit(ORG_KEYS, ORG_REQUIRED, source, values, extra)


def need_record(need: Need) -> dict[str, Any]:
    """One need in the exchange format."""
    values = {"id": need.external_id, "title": need.title, "description": need.description,
              "budget_jpy": need.budget_jpy, "tags": need.tags}
    return _emit(NEED_KEYS, POSTING_REQUIRED, need.source_keys, values, need.extra)


def seed_record(seed: Seed) -> dict[str, Any]:
    """One seed in the exchange format."""
    values = {"id": seed.external_id, "title": seed.title, "description": seed.description,
              "tags": seed.tags, "industries_served": seed.industries_served, "service_area": seed.service_area}
    return _emit(SEED_KEYS, POSTING_REQUIRED, seed.source_keys, values, seed.extra)


def export_roster(session: Session) -> dict[str, Any]:
    """The whole roster in the exchange format, members in id order."""
    orgs = session.scalars(
        select(Organization)
        .options(selectinload(Organization.needs), selectinload(Organization.seeds))
        .order_by(Organization.external_id)
    )
    return {"format": FORMAT, "organizations": [organization_record(o) for o in orgs]}
