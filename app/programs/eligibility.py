"""Which support programs fit a member (or a group of members), and why: a pure function of its inputs.

Every program gets a status: ``ineligible`` when a condition is known to fail, ``needs_confirmation``
when something could not be checked from the profile (a plan not recorded, a missing capital
figure, a partner not yet named), else ``eligible``. Reasons are Japanese sentences for members.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.programs.catalog import (
    ApplicantType,
    CatalogError,
    Flag,
    Kind,
    Program,
    Purpose,
    Rate,
    When,
    load_catalog,
)
from app.programs.company_size import (
    STARTUP_MAX_YEARS,
    TYPE_LABELS_JA,
    Judgement,
    applicant_types,
    best_judgement,
    yen_ja,
)
from app.programs.relevance import NeedAsk, normalize, read_need, relevance
from app.roster.vocab import INDUSTRIES, MEMBER_TYPES, ROLES, SUPPORT_TYPES

__all__ = [
    "Applicant",
    "CatalogError",
    "Condition",
    "ProgramSuggestion",
    "Status",
    "SuggestionRequest",
    "evaluate_program",
    "load_catalog",
    "normalize",
    "rank_key",
    "suggest_programs",
    "suggest_with_partners",
]


class Applicant(BaseModel):
    """A member as the engine sees it; a roster organization dict validates into it directly."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    member_type: str = "corporate"
    roles: list[str] = []
    support_type: str | None = None
    industry: str | None = None  # JSIC major division letter
    capital_jpy: int | None = Field(default=None, ge=0)
    employees: int | None = Field(default=None, ge=0)
    founded_year: int | None = None
    prefecture: str | None = None
    certifications: list[str] = []
    # Pins the 中小企業基本法 category when the JSIC letter mixes several (e.g. "wholesale" for I).
    size_category: str | None = None
    description: str | None = None  # its words can settle the category too (卸売 / 小売 within I)

    @field_validator("member_type")
    @classmethod
    def _member_type(cls, value: str) -> str:
        return _one_of(value, MEMBER_TYPES, "member_type")

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        return [_one_of(role, ROLES, "role") for role in value]

    @field_validator("support_type")
    @classmethod
    def _support_type(cls, value: str | None) -> str | None:
        return None if value is None else _one_of(value, SUPPORT_TYPES, "support_type")

    @field_validator("industry")
    @classmethod
    def _industry(cls, value: str | None) -> str | None:
        return None if value is None else _one_of(value.strip().upper(), tuple(INDUSTRIES), "industry")

    @field_validator("size_category")
    @classmethod
    def _size_category(cls, value: str | None) -> str | None:
        categories = ("manufacturing_other", "wholesale", "retail", "services", "lodging_entertainment")
        return None if value is None else _one_of(value, categories, "size_category")


def _one_of(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}: one of {', '.join(allowed)}")
    return value


class SuggestionRequest(BaseModel):
    """One member (the applicant, who leads) and the partners it would apply with."""

    model_config = ConfigDict(frozen=True)

    applicant: Applicant
    partners: list[Applicant] = []
    need_text: str | None = None
    # domain-vocabulary concepts found in the need's text (id → kind), which say what the need asks for too
    need_concepts: dict[str, str] = {}
    investment_jpy: int | None = Field(default=None, ge=0)  # the whole group's total for group programs
    as_of: date
    flags: frozenset[Flag] = frozenset()


class Status(StrEnum):
    ELIGIBLE = "eligible"
    NEEDS_CONFIRMATION = "needs_confirmation"
    INELIGIBLE = "ineligible"


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    reason_ja: str


class ProgramSuggestion(BaseModel):
    program_id: str
    name: str
    kind: Kind
    status: Status
    met: list[Condition]
    unconfirmed: list[Condition]
    conflicting: list[Condition]
    estimated_support_jpy: int | None  # subsidy (rate × investment, capped) or tax credit; None if unknown
    rate: Fraction | None  # the subsidy rate or tax-credit rate the estimate used
    rate_ja: str | None  # the same for people: 補助率2/3, 税額控除3%
    cap_jpy: int | None  # effective cap, cap additions included
    relevance: float  # 0..1 from the need text: zero unless the need asks for one of the program's purposes
    matched_keywords: list[str]
    matched_purposes: list[Purpose]
    # what the service suggests: not ineligible, and relevant to the need when there is one
    suggested: bool
    to_prepare: list[str]  # application steps that never block a suggestion
    notes: list[str]


_STATUS_ORDER = {Status.ELIGIBLE: 0, Status.NEEDS_CONFIRMATION: 1, Status.INELIGIBLE: 2}


def suggest_programs(catalog: Sequence[Program], request: SuggestionRequest) -> list[ProgramSuggestion]:
    """Judge every program and rank them by fit (rank_key): the suggested ones first."""
    return suggest_with_partners(catalog, request, [request.partners])[0]


def suggest_with_partners(
    catalog: Sequence[Program], request: SuggestionRequest, partner_groups: Sequence[Sequence[Applicant]]
) -> list[list[ProgramSuggestion]]:
    """suggest_programs for the request once per group of partners (in place of request.partners).

    A program without consortium or partner conditions is judged the same whoever the partners are, so it is
    judged once (a need's matched pairs share most of the work).
    """
    alone = _Context.of(request.model_copy(update={"partners": []}))
    shared = {p.id: _evaluate(p, alone) for p in catalog if not _depends_on_partners(p)}
    ranked = []
    for partners in partner_groups:
        context = alone.with_partners(partners)
        judged = [shared[p.id] if p.id in shared else _evaluate(p, context) for p in catalog]
        # sorted() is stable, so programs that fit equally keep the catalog's order
        ranked.append(sorted(judged, key=rank_key))
    return ranked


def _depends_on_partners(program: Program) -> bool:
    return program.eligibility.consortium is not None or program.eligibility.partners is not None


def rank_key(suggestion: ProgramSuggestion) -> tuple[bool, int, float, int, int]:
    """The one order of fit: suggested first, then by status, relevance to the need, support amount (or cap)."""
    return (not suggestion.suggested, _STATUS_ORDER[suggestion.status], -suggestion.relevance,
            -(suggestion.estimated_support_jpy or 0), -(suggestion.cap_jpy or 0))


def evaluate_program(program: Program, request: SuggestionRequest) -> ProgramSuggestion:
    """Judge one program for the request."""
    return _evaluate(program, _Context.of(request))


@dataclass(frozen=True)
class _Context:
    request: SuggestionRequest
    group: list[tuple[Applicant, dict[ApplicantType, Judgement]]]  # applicant first, then partners
    ask: NeedAsk
    # the applicant's verdicts under a program's own founding line for startups, computed once per line
    startup_lines: dict[int, dict[ApplicantType, Judgement]] = field(default_factory=dict)

    @classmethod
    def of(cls, request: SuggestionRequest) -> _Context:
        members = [request.applicant, *request.partners]
        group = [(m, applicant_types(m, request.as_of)) for m in members]
        return cls(request, group, read_need(request.need_text, request.need_concepts))

    def with_partners(self, partners: Sequence[Applicant]) -> _Context:
        """The same applicant and need with these partners (the applicant's verdicts reused)."""
        request = self.request.model_copy(update={"partners": list(partners)})
        group = [self.group[0], *((m, applicant_types(m, request.as_of)) for m in partners)]
        return _Context(request, group, self.ask, self.startup_lines)

    @property
    def need(self) -> str:
        """The need's text, normalized."""
        return self.ask.text

    @property
    def verdicts(self) -> dict[ApplicantType, Judgement]:
        return self.group[0][1]

    def verdicts_for(self, program: Program) -> dict[ApplicantType, Judgement]:
        """The applicant's types as this program sees them: its own startup line if it states one."""
        years = program.eligibility.founded_within_years
        if years is None or years == STARTUP_MAX_YEARS:
            return self.verdicts
        if years not in self.startup_lines:
            self.startup_lines[years] = applicant_types(self.request.applicant, self.request.as_of,
                                                        startup_max_years=years)
        return self.startup_lines[years]


@dataclass
class _Findings:
    met: list[Condition] = field(default_factory=list)
    unconfirmed: list[Condition] = field(default_factory=list)
    conflicting: list[Condition] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, value: bool | None, code: str, reason_ja: str) -> None:
        bucket = self.met if value else self.unconfirmed if value is None else self.conflicting
        bucket.append(Condition(code=code, reason_ja=reason_ja))

    @property
    def status(self) -> Status:
        if self.conflicting:
            return Status.INELIGIBLE
        return Status.NEEDS_CONFIRMATION if self.unconfirmed else Status.ELIGIBLE


def _evaluate(program: Program, ctx: _Context) -> ProgramSuggestion:
    out = _Findings()
    for check in _CHECKS:
        check(program, ctx, out)
    estimate = _estimate(program, ctx, out)
    score, keywords, purposes = relevance(program, ctx.ask)
    status = out.status
    return ProgramSuggestion(
        program_id=program.id,
        name=program.name,
        kind=program.kind,
        status=status,
        met=out.met,
        unconfirmed=out.unconfirmed,
        conflicting=out.conflicting,
        estimated_support_jpy=None if status is Status.INELIGIBLE else estimate.amount,
        rate=estimate.rate,
        rate_ja=None if estimate.rate is None else _rate_ja(estimate.rate, percent=program.tax is not None),
        cap_jpy=estimate.cap,
        relevance=score,
        matched_keywords=keywords,
        matched_purposes=purposes,
        suggested=status is not Status.INELIGIBLE and (score > 0 or not ctx.need),
        to_prepare=list(program.eligibility.application_requirements),
        notes=[*out.notes, *program.notes_ja],
    )


# --- conditions -------------------------------------------------------------------------------


def _check_window(program: Program, ctx: _Context, out: _Findings) -> None:
    window, as_of = program.window, ctx.request.as_of
    if window is None:
        return
    if window.start and as_of < window.start:
        out.add(False, "window", f"{date_ja(window.start)}からの制度のため、{date_ja(as_of)}時点では利用できません")
    elif window.end and as_of > window.end:
        out.add(False, "window", f"期限（{date_ja(window.end)}）を過ぎています（判定日: {date_ja(as_of)}）")
    else:
        until = f"{date_ja(window.end)}まで" if window.end else "期限の記載なし"
        out.add(True, "window", f"判定日{date_ja(as_of)}は実施期間内です（{until}）")


def _check_applicant_type(program: Program, ctx: _Context, out: _Findings) -> None:
    verdict = best_judgement(ctx.verdicts_for(program), program.eligibility.applicant_types)
    accepted = "・".join(TYPE_LABELS_JA[t] for t in program.eligibility.applicant_types)
    reason = verdict.reason_ja if verdict.value else f"{verdict.reason_ja}。この施策の対象は{accepted}です"
    out.add(verdict.value, "applicant_type", reason)


def _check_industry(program: Program, ctx: _Context, out: _Findings) -> None:
    rule, industry = program.eligibility.industries, ctx.request.applicant.industry
    if rule is None:
        return
    if industry in rule.codes:
        out.add(True, "industry", f"業種（{INDUSTRIES[industry]}）が主な対象（{rule.label_ja}）に当たります")
        return
    name = INDUSTRIES.get(industry or "", "未登録")
    out.add(None, "industry", f"主な対象は{rule.label_ja}です。業種（{name}）で利用できるか確認が必要です")


def _check_prefecture(program: Program, ctx: _Context, out: _Findings) -> None:
    rule, prefecture = program.eligibility.prefectures, ctx.request.applicant.prefecture
    if rule is None:
        return
    if prefecture in rule.codes:
        out.add(True, "prefecture", f"所在地（{prefecture}）に実施拠点があります（{rule.label_ja}）")
        return
    where = prefecture or "所在地未登録"
    reason = f"{where}には資料上の実施拠点がありません（{rule.label_ja}）。利用できるか確認が必要です"
    out.add(None, "prefecture", reason)


def _check_prerequisites(program: Program, ctx: _Context, out: _Findings) -> None:
    for requirement in program.eligibility.prerequisites:
        found = held(ctx.request.applicant.certifications, requirement.any_of)
        if found:
            out.add(True, "prerequisite", f"「{found}」が登録されています（{requirement.label_ja}）")
        else:
            out.add(None, "prerequisite", f"{requirement.label_ja}が必要です。登録された認定・計画に見当たりません")


def _check_consortium(program: Program, ctx: _Context, out: _Findings) -> None:
    rule = program.eligibility.consortium
    if rule is None:
        return
    certain, possible, excluded = _group_members(program, ctx)
    for member, reason in excluded:
        out.notes.append(f"{member.name}は連携体の補助対象者に数えていません: {reason}")
    for member, reason in possible:
        out.add(None, "consortium_member", f"{member.name}が連携体の対象者に当たるか確認が必要です: {reason}")
    count = len(certain) + len(possible)
    names = "、".join(m.name for m in [*certain, *(p for p, _ in possible)])
    if len(ctx.group) == 1 and count == 1:
        # a member asking alone has not named its partners yet: the group is open, not refused
        reason = f"{rule.label_ja}が必要です。一緒に申請する会員が指定されていないため、連携先の確認が必要です"
        out.add(None, "consortium_size", reason)
    elif count < rule.min_members:
        out.add(False, "consortium_size", f"{rule.label_ja}が必要です。対象となり得る参加者は{count}者です")
    elif rule.max_members and len(certain) > rule.max_members:
        reason = f"参加者が{len(certain)}者で、{rule.label_ja}の上限（{rule.max_members}者）を超えます"
        out.add(False, "consortium_size", reason)
    elif rule.max_members and count > rule.max_members:
        reason = (f"参加候補が{count}者で、{rule.label_ja}の上限（{rule.max_members}者）を超えます。"
                  "参加者の絞り込みが必要です")
        out.add(None, "consortium_size", reason)
    else:
        value = True if len(certain) >= rule.min_members else None
        out.add(value, "consortium_size", f"{names}の{count}者で{rule.label_ja}を組めます")


def _group_members(
    program: Program, ctx: _Context
) -> tuple[list[Applicant], list[tuple[Applicant, str]], list[tuple[Applicant, str]]]:
    """Split the group into sure members, members to confirm and members who cannot take part."""
    assert program.eligibility.consortium is not None
    accepted = program.eligibility.consortium.member_types
    certain: list[Applicant] = []
    possible: list[tuple[Applicant, str]] = []
    excluded: list[tuple[Applicant, str]] = []
    for member, verdicts in ctx.group:
        verdict = best_judgement(verdicts, accepted)
        if verdict.value:
            certain.append(member)
        else:
            (possible if verdict.value is None else excluded).append((member, verdict.reason_ja))
    return certain, possible, excluded


def _check_partners(program: Program, ctx: _Context, out: _Findings) -> None:
    rule = program.eligibility.partners
    if rule is None:
        return
    group = ctx.group if rule.include_applicant else ctx.group[1:]
    verdicts = [(member, best_judgement(v, rule.types)) for member, v in group]
    found = [(m, j) for m, j in verdicts if j.value]
    if found:
        member, _ = found[0]
        out.add(True, "partner", f"{member.name}が連携先に含まれます（{rule.label_ja}）")
        return
    planned = next((t for t in rule.terms if normalize(t) in ctx.need), None)
    if planned:
        out.add(True, "partner", f"相談内容の「{planned}」から、{rule.label_ja}を計画していると判断しました")
        return
    unsure = [m.name for m, j in verdicts if j.value is None]
    detail = f"{'、'.join(unsure)}が該当するか" if unsure else "該当する連携先が登録されていないため、連携先"
    out.add(None, "partner", f"{rule.label_ja}が要件です。{detail}の確認が必要です")


def _check_activity(program: Program, ctx: _Context, out: _Findings) -> None:
    rule = program.eligibility.activity
    if rule is None:
        return
    if not ctx.need:
        out.add(None, "activity", f"{rule.label_ja}が要件です。相談内容が未入力のため確認が必要です")
        return
    found = [t for t in rule.terms if normalize(t) in ctx.need]
    if found:
        out.add(True, "activity", f"相談内容の「{found[0]}」から、{rule.label_ja}に当たると判断しました")
    else:
        out.add(None, "activity", f"{rule.label_ja}が要件です。相談内容からは読み取れないため確認が必要です")


def _check_min_investment(program: Program, ctx: _Context, out: _Findings) -> None:
    minimum, investment = program.eligibility.min_investment_jpy, ctx.request.investment_jpy
    if minimum is None:
        return
    if investment is None:
        out.add(None, "min_investment", f"投資額が{yen_ja(minimum)}以上であることが要件です。投資額が未入力です")
    elif investment < minimum:
        out.add(False, "min_investment", f"投資額{yen_ja(investment)}は最低投資額{yen_ja(minimum)}に届きません")
    else:
        out.add(True, "min_investment", f"投資額{yen_ja(investment)}は最低投資額{yen_ja(minimum)}以上です")


_CHECKS = (
    _check_window,
    _check_applicant_type,
    _check_industry,
    _check_prefecture,
    _check_prerequisites,
    _check_consortium,
    _check_partners,
    _check_activity,
    _check_min_investment,
)


# --- estimate ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Estimate:
    amount: int | None = None
    rate: Fraction | None = None
    cap: int | None = None


def _estimate(program: Program, ctx: _Context, out: _Findings) -> _Estimate:
    if program.subsidy is not None:
        return _estimate_subsidy(program, ctx, out)
    if program.tax is not None:
        return _estimate_tax(program, ctx, out)
    return _Estimate()


def _estimate_subsidy(program: Program, ctx: _Context, out: _Findings) -> _Estimate:
    subsidy = program.subsidy
    assert subsidy is not None
    members = _member_count(program, ctx)
    cap = None if subsidy.cap_jpy is None else subsidy.cap_jpy * (members if subsidy.cap_per_member else 1)
    for addition in subsidy.cap_additions:
        if addition.flag is not None and addition.flag not in ctx.request.flags:
            out.notes.append(f"{addition.label_ja}は上限に{yen_ja(addition.amount_jpy)}加算されます")
            continue
        if cap is not None:
            cap += addition.amount_jpy * (members if addition.per_member else 1)
    if subsidy.rate_note_ja:
        out.notes.append(subsidy.rate_note_ja)
    chosen = _pick_rate(subsidy.rates, ctx, out, percent=False)
    investment = ctx.request.investment_jpy
    if chosen is None or investment is None:
        return _Estimate(None, chosen.rate if chosen else None, cap)
    raw = math.floor(chosen.rate * investment)
    if subsidy.min_support_jpy is not None and raw < subsidy.min_support_jpy:
        needed = math.ceil(subsidy.min_support_jpy / chosen.rate)
        out.add(
            False,
            "min_support",
            f"補助額{yen_ja(raw)}は下限{yen_ja(subsidy.min_support_jpy)}に届きません"
            f"（補助率{chosen.rate}では投資額{yen_ja(needed)}以上が必要）",
        )
    return _Estimate(raw if cap is None else min(raw, cap), chosen.rate, cap)


def _estimate_tax(program: Program, ctx: _Context, out: _Findings) -> _Estimate:
    tax = program.tax
    assert tax is not None
    if tax.note_ja:
        out.notes.append(tax.note_ja)
    chosen = _pick_rate(tax.credit_rates, ctx, out, percent=True)
    investment = ctx.request.investment_jpy
    if chosen is None:
        return _Estimate()
    amount = None if investment is None else math.floor(chosen.rate * investment)
    return _Estimate(amount, chosen.rate, None)


def _member_count(program: Program, ctx: _Context) -> int:
    rule = program.eligibility.consortium
    if rule is None:
        return 1
    certain, possible, _ = _group_members(program, ctx)
    count = max(len(certain) + len(possible), 1)
    return min(count, rule.max_members) if rule.max_members else count


def _pick_rate(rates: Sequence[Rate], ctx: _Context, out: _Findings, *, percent: bool) -> Rate | None:
    """The highest rate whose conditions hold; better rates that might apply become notes."""
    for rate in sorted(rates, key=lambda r: r.rate, reverse=True):
        holds = _when_holds(rate.when, ctx)
        if holds:
            if rate.when and rate.when.note_ja:
                out.notes.append(f"{_rate_ja(rate.rate, percent)}を適用: {rate.when.note_ja}")
            return rate
        if holds is None:
            out.notes.append(f"条件を満たせば{_rate_ja(rate.rate, percent)}: {rate.label_ja}")
    return None


def _when_holds(when: When | None, ctx: _Context) -> bool | None:
    if when is None:
        return True
    parts: list[bool | None] = []
    if when.applicant_types:
        parts.append(best_judgement(ctx.verdicts, when.applicant_types).value)
    if when.certifications_any:
        parts.append(True if held(ctx.request.applicant.certifications, when.certifications_any) else None)
    if when.flags:
        # a choice not stated yet could still be made, so it is open rather than false
        parts.append(True if set(when.flags) <= ctx.request.flags else None)
    if False in parts:
        return False
    return None if None in parts else True


def _rate_ja(rate: Fraction, percent: bool) -> str:
    if percent:
        return f"税額控除{float(rate * 100):g}%"
    return f"補助率{rate}"


# --- helpers ----------------------------------------------------------------------------------


def held(certifications: Sequence[str], names: Sequence[str]) -> str | None:
    """The recorded certification that contains one of the names, if any."""
    recorded = [(c, normalize(c)) for c in certifications]
    for name in names:
        wanted = normalize(name)
        for original, norm in recorded:
            if wanted in norm:
                return original
    return None


def date_ja(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
