"""Support programs: the catalog in the database with its history, YAML import/export, and suggestions."""

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.commit_signals import CommitSignal
from app.config import get_settings
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.messages import choices, error, phrase, validation_reasons
from app.programs.catalog import DEFAULT_CATALOG_PATH, CatalogError, Flag, Program, load_catalog, parse_catalog
from app.programs.company_size import TYPE_LABELS_JA, applicant_types, company_size, yen_ja
from app.programs.eligibility import (
    Applicant,
    ProgramSuggestion,
    Status,
    SuggestionRequest,
    suggest_programs,
    suggest_with_partners,
)
from app.programs.models import ProgramRecord, ProgramRevision
from app.programs.relevance import PURPOSE_JA, NeedAsk, read_need, relevance
from app.roster.models import Need, Organization
from matching.vocabulary import Vocabulary, load_vocabulary
from seed import VOCABULARY

SEED_ACTOR = "seed"
STATUS_JA = {
    Status.ELIGIBLE: "対象になる見込み",
    Status.NEEDS_CONFIRMATION: "要確認",
    Status.INELIGIBLE: "対象外",
}
_PAIR_CODES = {"partner", "consortium_size"}  # conditions the seed's member helps to meet
_EXPORT_HEADER = (
    "# Support-program catalog exported from iotmatch; `iotmatch programs import` reads it back.\n"
    "# Schema: app/programs/catalog.py (Program). Rates are fractions such as \"2/3\"; amounts are yen.\n"
)


# --- the catalog in the database -----------------------------------------------------------------


# Catalog edits made in this process are seen at once; those of another process (an import from the command
# line, another server) at the next periodic check, as the roster's, without a query on every request.
CATALOG_CHANGES = CommitSignal("catalog", (ProgramRecord, ProgramRevision))


@dataclass(frozen=True)
class _CachedCatalog:
    version: tuple[Any, ...]
    programs: tuple[Program, ...]
    signal: int | None  # CATALOG_CHANGES.version() when read; None when read with uncommitted changes
    checked_at: float


_CACHE: dict[str, _CachedCatalog] = {}


def ensure_catalog(*, db_session: Session) -> int:
    """Seed the programs table from seed/programs.yaml when it is empty; returns how many programs were added."""
    if db_session.scalar(select(func.count()).select_from(ProgramRecord)):
        return 0
    programs = load_catalog(DEFAULT_CATALOG_PATH)
    now = utcnow()
    rows = [{"id": p.id, "document": _document(p), "retired_at": None, "updated_at": now} for p in programs]
    added = _insert_new(db_session, rows)
    for row in rows:
        if row["id"] in added:
            db_session.add(ProgramRevision(program_id=row["id"], revision=1, document=row["document"],
                                           changed_by=SEED_ACTOR, changed_at=now, action="create"))
    db_session.flush()
    return len(added)


def _insert_new(db_session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows whose id is free; concurrent first requests may seed at once, so skip ids taken meanwhile."""
    dialect = db_session.get_bind().dialect.name
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(ProgramRecord).values(rows).on_conflict_do_nothing(index_elements=["id"])
    elif dialect == "sqlite":
        statement = sqlite.insert(ProgramRecord).values(rows).on_conflict_do_nothing(index_elements=["id"])
    else:
        db_session.add_all(ProgramRecord(**row) for row in rows)
        db_session.flush()
        return {row["id"] for row in rows}
    return set(db_session.scalars(statement.returning(ProgramRecord.id)))


def _catalog_version(db_session: Session) -> tuple[Any, ...]:
    """Changes with every catalog change: program count, newest updated_at and revision count."""
    row = db_session.execute(select(
        select(func.count()).select_from(ProgramRecord).scalar_subquery(),
        select(func.max(ProgramRecord.updated_at)).scalar_subquery(),
        select(func.count()).select_from(ProgramRevision).scalar_subquery(),
    )).one()
    return tuple(row)


def current_catalog(*, db_session: Session, recheck_seconds: float | None = None) -> tuple[Program, ...]:
    """The active programs in id order, parsed once per catalog change and kept in memory.

    A change committed in this process is seen at once; one made by another process within recheck_seconds
    (default: IOTMATCH_INDEX_POLL_SECONDS). A session that has flushed a change to the catalog and not committed
    yet sees its own change, and nobody else does.
    """
    if recheck_seconds is None:
        recheck_seconds = get_settings().index_poll_seconds
    slot = str(db_session.get_bind().engine.url)
    cached = _CACHE.get(slot)
    signal, now, pending = CATALOG_CHANGES.version(), time.monotonic(), CATALOG_CHANGES.pending(db_session)
    if (not pending and cached is not None and cached.signal == signal
            and now - cached.checked_at < recheck_seconds):
        return cached.programs
    version = _catalog_version(db_session)
    if not version[0]:
        ensure_catalog(db_session=db_session)
        version = _catalog_version(db_session)
    if cached is not None and cached.version == version:
        programs = cached.programs
    else:
        records = db_session.scalars(
            select(ProgramRecord).where(ProgramRecord.retired_at.is_(None)).order_by(ProgramRecord.id)
        )
        programs = tuple(parse_catalog({"programs": [r.document for r in records]}, origin="programs table"))
    # Read with changes of this session's own (seeding an empty catalog is one): kept for a session that finds
    # the same version, never handed out without looking.
    unseen = CATALOG_CHANGES.pending(db_session)
    _CACHE[slot] = _CachedCatalog(version, programs, None if unseen else signal, now)
    return programs


def _document(program: Program) -> dict[str, Any]:
    """The stored form of a program: JSON types, only the keys the author wrote."""
    return program.model_dump(mode="json", exclude_unset=True)


def validate_program(*, program_in: Any) -> Program:
    """The document as a catalog Program; InvalidInput lists every problem."""
    if not isinstance(program_in, Mapping):
        raise error(InvalidInput, "invalid.program_object")
    try:
        return Program.model_validate(dict(program_in))
    except ValidationError as exc:
        program_id = program_in.get("id")
        label = (phrase("invalid.program_label", id=program_id) if program_id
                 else phrase("invalid.program_label_unnamed"))
        problems = exc.errors()
        first = ".".join(str(p) for p in problems[0]["loc"]) or None
        raise error(InvalidInput, "invalid.program", field=first, label=label, count=len(problems),
                    problems=validation_reasons(problems)) from exc


def list_programs(*, db_session: Session, include_retired: bool = False) -> list[ProgramRecord]:
    """Programs in id order, active only unless include_retired."""
    ensure_catalog(db_session=db_session)
    query = select(ProgramRecord).order_by(ProgramRecord.id)
    if not include_retired:
        query = query.where(ProgramRecord.retired_at.is_(None))
    return list(db_session.scalars(query))


def get_program(*, db_session: Session, program_id: str, for_update: bool = False) -> ProgramRecord:
    """One program, retired ones included, or NotFound."""
    ensure_catalog(db_session=db_session)
    record = db_session.get(ProgramRecord, program_id, with_for_update=for_update)
    if record is None:
        raise error(NotFound, "not_found.program", id=program_id)
    return record


def program_history(*, db_session: Session, program_id: str) -> list[ProgramRevision]:
    """Every revision of a program, oldest first."""
    get_program(db_session=db_session, program_id=program_id)
    return list(db_session.scalars(
        select(ProgramRevision).where(ProgramRevision.program_id == program_id).order_by(ProgramRevision.revision)
    ))


def latest_revision(*, db_session: Session, program_id: str) -> int:
    """The newest revision number of a program (0 when it has none)."""
    query = select(func.max(ProgramRevision.revision)).where(ProgramRevision.program_id == program_id)
    return db_session.scalar(query) or 0


def latest_revisions(*, db_session: Session) -> dict[str, int]:
    """The newest revision number of every program."""
    query = select(ProgramRevision.program_id, func.max(ProgramRevision.revision)).group_by(ProgramRevision.program_id)
    return {program_id: revision for program_id, revision in db_session.execute(query)}


def _record_revision(db_session: Session, record: ProgramRecord, action: str, changed_by: str) -> None:
    actor = " ".join(changed_by.split())[:200]
    if not actor:
        raise error(InvalidInput, "invalid.changed_by")
    revision = latest_revision(db_session=db_session, program_id=record.id) + 1
    db_session.add(ProgramRevision(program_id=record.id, revision=revision, document=record.document,
                                   changed_by=actor, changed_at=utcnow(), action=action))


def create_program(*, db_session: Session, program_in: Any, changed_by: str) -> ProgramRecord:
    """Add a program (or bring a retired one back with a new document); Conflict if the id is in use."""
    program = validate_program(program_in=program_in)
    ensure_catalog(db_session=db_session)
    record = db_session.get(ProgramRecord, program.id, with_for_update=True)
    if record is not None and record.retired_at is None:
        raise error(Conflict, "conflict.program_exists", field="id", id=program.id)
    if record is None:
        record = ProgramRecord(id=program.id, document=_document(program), updated_at=utcnow())
        db_session.add(record)
    else:
        record.document = _document(program)
        record.retired_at = None
    try:
        db_session.flush()
    except IntegrityError as exc:  # created by a concurrent request
        raise error(Conflict, "conflict.program_created", id=program.id) from exc
    _record_revision(db_session, record, "create", changed_by)
    db_session.flush()
    return record


def update_program(*, db_session: Session, program_id: str, program_in: Any, changed_by: str) -> ProgramRecord:
    """Replace a program's document; an unchanged document adds no revision."""
    record = get_program(db_session=db_session, program_id=program_id, for_update=True)
    if isinstance(program_in, Mapping):
        body_id = program_in.get("id", program_id)
        if body_id != program_id:
            raise error(InvalidInput, "invalid.program_rename", field="id", body_id=body_id, id=program_id)
        program_in = {"id": program_id, **program_in}
    program = validate_program(program_in=program_in)
    if record.retired_at is not None:
        raise error(Conflict, "conflict.program_retired", id=program_id)
    document = _document(program)
    if document != record.document:
        record.document = document
        db_session.flush()
        _record_revision(db_session, record, "update", changed_by)
        db_session.flush()
    return record


def retire_program(*, db_session: Session, program_id: str, changed_by: str) -> ProgramRecord:
    """Take a program out of suggestions and listings, keeping its history; retiring twice changes nothing."""
    record = get_program(db_session=db_session, program_id=program_id, for_update=True)
    if record.retired_at is None:
        record.retired_at = utcnow()
        db_session.flush()
        _record_revision(db_session, record, "retire", changed_by)
        db_session.flush()
    return record


def import_catalog(
    *, db_session: Session, catalog_in: Any, changed_by: str, retire_missing: bool = False, origin: str = "catalog"
) -> dict[str, list[str]]:
    """Create or update every program of a catalog document ({programs: [...]}); nothing changes if any is invalid.

    Programs the document does not list are kept, or retired with retire_missing.
    """
    try:
        programs = parse_catalog(catalog_in, origin=origin)
    except CatalogError as exc:
        raise error(InvalidInput, "invalid.catalog", error=str(exc)) from exc
    ensure_catalog(db_session=db_session)
    existing = {r.id: r for r in db_session.scalars(select(ProgramRecord))}
    report: dict[str, list[str]] = {"created": [], "restored": [], "updated": [], "unchanged": [], "retired": []}
    for program in programs:
        record = existing.get(program.id)
        if record is None or record.retired_at is not None:
            report["restored" if record else "created"].append(program.id)
            create_program(db_session=db_session, program_in=_document(program), changed_by=changed_by)
            continue
        before = latest_revision(db_session=db_session, program_id=program.id)
        update_program(db_session=db_session, program_id=program.id, program_in=_document(program),
                       changed_by=changed_by)
        changed = latest_revision(db_session=db_session, program_id=program.id) != before
        report["updated" if changed else "unchanged"].append(program.id)
    if retire_missing:
        listed = {p.id for p in programs}
        for program_id, record in sorted(existing.items()):
            if program_id not in listed and record.retired_at is None:
                retire_program(db_session=db_session, program_id=program_id, changed_by=changed_by)
                report["retired"].append(program_id)
    return report


def import_catalog_yaml(
    *, db_session: Session, yaml_text: str, changed_by: str, retire_missing: bool = False, origin: str = "catalog"
) -> dict[str, list[str]]:
    """import_catalog for YAML text (the format of seed/programs.yaml)."""
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as exc:
        raise error(InvalidInput, "invalid.yaml", origin=origin, error=str(exc)) from exc
    return import_catalog(db_session=db_session, catalog_in=data, changed_by=changed_by,
                          retire_missing=retire_missing, origin=origin)


def export_catalog(*, db_session: Session) -> dict[str, Any]:
    """The active programs as a catalog document ({programs: [...]}, id order)."""
    return {"programs": [r.document for r in list_programs(db_session=db_session)]}


def export_catalog_yaml(*, db_session: Session) -> str:
    """export_catalog as YAML that import_catalog_yaml reads back unchanged."""
    body = yaml.safe_dump(export_catalog(db_session=db_session), allow_unicode=True, sort_keys=False, width=120)
    return _EXPORT_HEADER + body


def program_record(record: ProgramRecord, *, revision: int | None = None) -> dict[str, Any]:
    """A stored program for the API: id, headline fields, state and the whole document."""
    document = record.document
    return {
        "id": record.id,
        "name": document.get("name"),
        "kind": document.get("kind"),
        "ministry": document.get("ministry"),
        "summary_ja": document.get("summary_ja"),
        "retired_at": record.retired_at,
        "updated_at": record.updated_at,
        "revision": revision,
        "document": document,
    }


def revision_record(revision: ProgramRevision) -> dict[str, Any]:
    """One revision for the API."""
    return {"revision": revision.revision, "action": revision.action, "changed_by": revision.changed_by,
            "changed_at": revision.changed_at, "document": revision.document}


# --- suggestions ---------------------------------------------------------------------------------


def applicant_of(org: Organization) -> Applicant:
    """A roster member as the eligibility engine sees it (size_category may come from the record's extra keys)."""
    extra = {k: v for k, v in (org.extra or {}).items() if k in Applicant.model_fields}
    values = extra | {
        "id": org.external_id,
        "name": org.name,
        "member_type": org.member_type,
        "roles": list(org.roles or []),
        "support_type": org.support_type,
        "industry": org.industry,
        "capital_jpy": org.capital_jpy,
        "employees": org.employees,
        "founded_year": org.founded_year,
        "prefecture": org.prefecture,
        "certifications": list(org.certifications or []),
        "description": org.description,
    }
    try:
        return Applicant.model_validate(values)
    except ValidationError as exc:
        raise error(InvalidInput, "invalid.member_data", id=org.external_id,
                    problems=validation_reasons(exc.errors())) from exc


def get_organization(*, db_session: Session, org_id: str, field: str = "organization") -> Organization:
    """A member by its roster id, or NotFound naming the request field that held the id."""
    org = db_session.scalar(select(Organization).where(Organization.external_id == org_id))
    if org is None:
        raise error(NotFound, "not_found.member", field=field, id=org_id)
    return org


def _get_need(db_session: Session, need_id: str, org: Organization) -> Need:
    need = db_session.scalar(select(Need).where(Need.external_id == need_id))
    if need is None:
        raise error(NotFound, "not_found.need", field="need", id=need_id)
    if need.organization_id != org.id:
        raise error(InvalidInput, "invalid.need_owner", field="need", need=need_id, own=org.external_id)
    return need


def _flags(flags: Iterable[str]) -> frozenset[Flag]:
    allowed = [f.value for f in Flag]
    chosen = list(flags)
    for flag in chosen:
        if flag not in allowed:
            raise error(InvalidInput, "invalid.flags", field="flags", value=flag, allowed=choices(allowed))
    return frozenset(Flag(f) for f in chosen)


def member_record(applicant: Applicant, as_of: date) -> dict[str, Any]:
    """A member with the applicant types it is (value true) or may be (null), each with its reason."""
    verdicts = applicant_types(applicant, as_of)
    size = company_size(applicant)
    return {
        "id": applicant.id,
        "name": applicant.name,
        "size": None if size is None else size.size.value,
        "size_ja": None if size is None else size.label_ja,
        "size_reason_ja": None if size is None else size.reason_ja,
        "applicant_types": [
            {"type": kind.value, "label_ja": TYPE_LABELS_JA[kind], "value": judgement.value,
             "reason_ja": judgement.reason_ja}
            for kind, judgement in verdicts.items() if judgement.value is not False
        ],
    }


def suggestion_record(suggestion: ProgramSuggestion, program: Program) -> dict[str, Any]:
    """One judged program as plain JSON data, with Japanese labels and the program's summary."""
    data = suggestion.model_dump(mode="json")
    amount, cap = suggestion.estimated_support_jpy, suggestion.cap_jpy
    data.update(
        status_ja=STATUS_JA[suggestion.status],
        estimated_support_ja=None if amount is None else yen_ja(amount),
        cap_ja=None if cap is None else yen_ja(cap),
        ministry=program.ministry,
        summary_ja=program.summary_ja,
    )
    return data


def need_text(need: Need) -> str:
    """Title, description and tags: the words that say what a need asks for (as the matching engine reads them)."""
    return "\n".join([need.title, need.description, " ".join(need.tags or [])])


def need_concepts(text: str | None) -> dict[str, str]:
    """The domain-vocabulary concepts a need's text mentions, id → kind (the configured vocabulary)."""
    if not text:
        return {}
    return dict(_concepts(get_settings().vocabulary_path or VOCABULARY, text))


@lru_cache(maxsize=4)
def _vocabulary(path: Path) -> Vocabulary:
    return load_vocabulary(path)


@lru_cache(maxsize=2048)
def _concepts(path: Path, text: str) -> tuple[tuple[str, str], ...]:
    # a need's pairs share its text, so it is tagged once
    vocabulary = _vocabulary(path)
    return tuple(sorted((cid, vocabulary.kind(cid)) for cid in vocabulary.tag(text).ids))


def suggest(
    *,
    db_session: Session,
    org_id: str,
    need_id: str | None = None,
    partner_ids: Sequence[str] = (),
    investment_jpy: int | None = None,
    as_of: date | None = None,
    flags: Iterable[str] = (),
) -> dict[str, Any]:
    """Judge every active program for a member (with partners and one of its needs), ranked by fit; plain data.

    This is the one ranking the API, the CLI and the member's page show: the suggested programs (not
    ineligible and, with a need, relevant to it) first, then the rest, each part by status, relevance and
    support amount (eligibility.rank_key). Without investment_jpy the need's budget is used when it has one.
    """
    org = get_organization(db_session=db_session, org_id=org_id)
    need = _get_need(db_session, need_id, org) if need_id else None
    if org_id in partner_ids:
        raise error(InvalidInput, "invalid.partner_self", field="partners", id=org_id)
    partners = [get_organization(db_session=db_session, org_id=p, field="partners") for p in dict.fromkeys(partner_ids)]
    if investment_jpy is not None and investment_jpy < 0:
        raise error(InvalidInput, "invalid.investment", field="investment_jpy")
    source = "request" if investment_jpy is not None else None
    if investment_jpy is None and need is not None and need.budget_jpy is not None:
        investment_jpy, source = need.budget_jpy, "need_budget"
    day = as_of or date.today()
    text = need_text(need) if need else None
    request = SuggestionRequest(
        applicant=applicant_of(org),
        partners=[applicant_of(p) for p in partners],
        need_text=text,
        need_concepts=need_concepts(text),
        investment_jpy=investment_jpy,
        as_of=day,
        flags=_flags(flags),
    )
    catalog = current_catalog(db_session=db_session)
    by_id = {p.id: p for p in catalog}
    programs = [suggestion_record(s, by_id[s.program_id]) for s in suggest_programs(catalog, request)]
    return {
        "organization": member_record(request.applicant, day),
        "need": None if need is None else {"id": need.external_id, "title": need.title,
                                           "asks": asks_record(read_need(text, request.need_concepts))},
        "partners": [member_record(p, day) for p in request.partners],
        "investment_jpy": investment_jpy,
        "investment_source": source,
        "as_of": day.isoformat(),
        "flags": sorted(f.value for f in request.flags),
        "counts": {status.value: sum(p["status"] == status.value for p in programs) for status in Status},
        "suggested": sum(p["suggested"] for p in programs),
        "programs": programs,
    }


def asks_record(ask: NeedAsk) -> list[dict[str, str]]:
    """What a need asks for, each purpose with the words (or the vocabulary concept, by its label) that said so."""
    vocabulary = _vocabulary(get_settings().vocabulary_path or VOCABULARY)
    return [{"purpose": purpose.value, "purpose_ja": PURPOSE_JA[purpose],
             "because": vocabulary.label(why) if why in vocabulary.concepts else why}
            for purpose, why in ask.purposes.items()]


def suggested_programs(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The programs of a suggest() result that are suggested, in rank order (what the pages list)."""
    return [p for p in result["programs"] if p["suggested"]]


def top_for_pair(
    *,
    db_session: Session,
    need_org: Organization | Applicant | str,
    seed_org: Organization | Applicant | str,
    need_text: str | None,
    limit: int = 3,
    investment_jpy: int | None = None,
    as_of: date | None = None,
    catalog: Sequence[Program] | None = None,
) -> list[dict[str, Any]]:
    """The first suggested programs for a matched pair, the seed's member as partner, in suggest()'s order.

    Members are Organization rows, Applicants or roster ids; need_text is the need's need_text(). Each says
    whether the partner helps to qualify (joint R&D, consortia).
    """
    return top_for_pairs(db_session=db_session, need_org=need_org, seed_orgs=[seed_org], need_text=need_text,
                         limit=limit, investment_jpy=investment_jpy, as_of=as_of, catalog=catalog)[0]


def top_for_pairs(
    *,
    db_session: Session,
    need_org: Organization | Applicant | str,
    seed_orgs: Sequence[Organization | Applicant | str],
    need_text: str | None,
    limit: int = 3,
    investment_jpy: int | None = None,
    as_of: date | None = None,
    catalog: Sequence[Program] | None = None,
) -> list[list[dict[str, Any]]]:
    """top_for_pair for one need and each of several seeds' members, judging once what partners cannot change."""
    applicant = _as_applicant(db_session, need_org)
    groups: list[list[Applicant]] = []
    for seed_org in seed_orgs:
        partner = _as_applicant(db_session, seed_org)
        groups.append([] if partner.id == applicant.id else [partner])
    request = SuggestionRequest(applicant=applicant, need_text=need_text, need_concepts=need_concepts(need_text),
                                investment_jpy=investment_jpy, as_of=as_of or date.today())
    programs = catalog if catalog is not None else current_catalog(db_session=db_session)
    if need_text:
        # Only programs relevant to the need can be suggested, so only they are judged.
        programs = relevant_programs(programs, need_text)
    tops = []
    for partners, ranked in zip(groups, suggest_with_partners(programs, request, groups), strict=True):
        top = [s for s in ranked if s.suggested][:limit]
        tops.append([_pair_record(s, bool(partners) and any(c.code in _PAIR_CODES for c in s.met + s.unconfirmed))
                     for s in top])
    return tops


def relevant_programs(catalog: Sequence[Program], need_text: str) -> list[Program]:
    """The programs for which the need asks (one of their purposes)."""
    ask = read_need(need_text, need_concepts(need_text))
    return [program for program in catalog if relevance(program, ask)[0] > 0]


def _as_applicant(db_session: Session, member: Organization | Applicant | str) -> Applicant:
    if isinstance(member, Applicant):
        return member
    org = member if isinstance(member, Organization) else get_organization(db_session=db_session, org_id=member)
    return applicant_of(org)


def _pair_record(suggestion: ProgramSuggestion, uses_partner: bool) -> dict[str, Any]:
    amount = suggestion.estimated_support_jpy
    return {
        "program_id": suggestion.program_id,
        "name": suggestion.name,
        "kind": suggestion.kind.value,
        "status": suggestion.status.value,
        "status_ja": STATUS_JA[suggestion.status],
        "uses_partner": uses_partner,
        "rate_ja": suggestion.rate_ja,
        "cap_jpy": suggestion.cap_jpy,
        "estimated_support_jpy": amount,
        "estimated_support_ja": None if amount is None else yen_ja(amount),
        "relevance": suggestion.relevance,
        "met": [c.model_dump() for c in suggestion.met],
        "unconfirmed": [c.model_dump() for c in suggestion.unconfirmed],
    }
