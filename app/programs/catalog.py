"""Support-program catalog: the schema of seed/programs.yaml and its loader (pure, no I/O beyond the file)."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

DEFAULT_CATALOG_PATH = Path(__file__).resolve().parents[2] / "seed" / "programs.yaml"


class Kind(StrEnum):
    SUBSIDY = "subsidy"
    TAX = "tax"
    EXPERT_DISPATCH = "expert_dispatch"
    TRAINING = "training"
    LOAN = "loan"
    COMMISSIONED = "commissioned"  # 委託事業: the state pays for work it commissions
    CERTIFICATION = "certification"


class Purpose(StrEnum):
    IT_TOOLS = "it_tools"
    EQUIPMENT = "equipment"
    DATA_LINKAGE = "data_linkage"
    JOINT_RD = "joint_rd"
    STARTUP = "startup"
    EXPERT_ADVICE = "expert_advice"
    TRAINING = "training"
    FINANCING = "financing"
    REGIONAL_INVESTMENT = "regional_investment"
    SECURITY = "security"
    HIRING = "hiring"
    MARKET_EXPANSION = "market_expansion"
    DEMONSTRATION = "demonstration"
    SUCCESSION = "succession"


class ApplicantType(StrEnum):
    SME = "sme"  # 中小企業者（中小企業基本法）
    SMALL_BUSINESS = "small_business"  # 小規模事業者
    MIDSIZE = "midsize"  # 中堅企業: 資本金1～10億円で中小企業でない
    LARGE = "large"
    STARTUP = "startup"
    PERSON = "person"  # 個人（未踏・セキュリティ・キャンプなど人が対象の事業）
    SOLE_PROPRIETOR = "sole_proprietor"  # 個人事業主
    UNIVERSITY = "university"
    KOSEN = "kosen"
    PUBLIC_RESEARCH = "public_research"  # 公設試・産総研などの公的研究機関
    SUPPORT_ORG = "support_org"  # 産業支援機関・工業会・IoT推進ラボ等の民間団体
    GOVERNMENT = "government"


class Flag(StrEnum):
    """Choices the requester states, which change rates or caps."""

    USES_EXPERT = "uses_expert"
    WAGE_INCREASE = "wage_increase"
    SME_PARTNERS_INVEST = "sme_partners_invest"


class CatalogError(ValueError):
    """The catalog file cannot be read or does not fit the schema; the message lists every problem."""


def _to_fraction(value: Any) -> Any:
    # Rates are written "2/3"; a float such as 0.3 would carry binary noise, so go through its text.
    if isinstance(value, float):
        return Fraction(str(value))
    if isinstance(value, str):
        return Fraction(value.strip())
    return value


def _join_folded(value: str) -> str:
    # A folded YAML scalar (>-) joins its lines with a space, which Japanese text must not have.
    return re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", value.strip())


def _check_ratio(value: Fraction) -> Fraction:
    if not 0 < value <= 1:
        raise ValueError(f"must be a fraction in (0, 1], got {value}")
    return value


Ratio = Annotated[Fraction, BeforeValidator(_to_fraction), AfterValidator(_check_ratio)]
Yen = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    # Unknown keys are typos in the YAML: refuse them instead of silently ignoring a condition.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Budget(_Strict):
    text: str
    amount_jpy: Yen | None = None
    part_of: str | None = None  # 内数: amount_jpy is the umbrella program's total


class Window(_Strict):
    start: date | None = None
    end: date | None = None
    note_ja: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class Source(_Strict):
    file: str
    section: str
    page: int | None = None


class Requirement(_Strict):
    """A plan or certification the applicant must already hold; any_of are names that count."""

    label_ja: str
    any_of: list[str] = Field(min_length=1)


class TermRequirement(_Strict):
    """Something the applicant must plan to do, recognised from the need text by any of the terms."""

    label_ja: str
    terms: list[str] = Field(min_length=1)


class CodeRequirement(_Strict):
    """A soft restriction (industries, prefectures): outside it the program needs confirmation."""

    label_ja: str
    codes: list[str] = Field(min_length=1)


class Consortium(_Strict):
    label_ja: str
    min_members: int = Field(default=2, ge=2)
    max_members: int | None = Field(default=None, ge=2)
    member_types: list[ApplicantType] = Field(min_length=1)


class PartnerRequirement(_Strict):
    """A partner of one of the types among the group, or a plan with one stated in the need (terms)."""

    label_ja: str
    types: list[ApplicantType] = Field(min_length=1)
    include_applicant: bool = False
    terms: list[str] = []


class When(_Strict):
    """Every listed part must hold (within a list, any one entry)."""

    applicant_types: list[ApplicantType] = []
    certifications_any: list[str] = []
    flags: list[Flag] = []
    note_ja: str | None = None


class Rate(_Strict):
    rate: Ratio
    label_ja: str
    when: When | None = None


class CapAddition(_Strict):
    amount_jpy: int = Field(gt=0)
    label_ja: str
    per_member: bool = False
    flag: Flag | None = None


class Subsidy(_Strict):
    rates: list[Rate] = []
    rate_note_ja: str | None = None  # why rates is empty, when the documents give none
    cap_jpy: Yen | None = None
    cap_per_member: bool = False
    cap_additions: list[CapAddition] = []
    min_support_jpy: Yen | None = None


class TaxBenefit(_Strict):
    special_depreciation: Ratio | None = None
    credit_rates: list[Rate] = []
    note_ja: str | None = None


class Eligibility(_Strict):
    applicant_types: list[ApplicantType] = Field(min_length=1)
    # For startup applicants: at most this many years since founding (by founded year), as the program
    # states; without it the service's founding-stage line applies (company_size.STARTUP_MAX_YEARS).
    founded_within_years: int | None = Field(default=None, ge=0)
    industries: CodeRequirement | None = None
    prefectures: CodeRequirement | None = None
    prerequisites: list[Requirement] = []
    application_requirements: list[str] = []  # prepared while applying; never blocks a suggestion
    consortium: Consortium | None = None
    partners: PartnerRequirement | None = None
    activity: TermRequirement | None = None
    min_investment_jpy: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _founding_line_for_startups(self) -> Eligibility:
        if self.founded_within_years is not None and ApplicantType.STARTUP not in self.applicant_types:
            raise ValueError("founded_within_years needs startup among applicant_types")
        return self


class Program(_Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str
    name_en: str
    ministry: str
    office: str | None = None
    implementing_body: str | None = None
    fiscal_year: str
    budget: Budget | None = None
    kind: Kind
    purposes: list[Purpose] = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    eligibility: Eligibility
    subsidy: Subsidy | None = None
    tax: TaxBenefit | None = None
    window: Window | None = None
    source: Source
    see_also: list[Source] = []
    summary_ja: Annotated[str, AfterValidator(_join_folded)]
    notes_ja: list[str] = []

    @model_validator(mode="after")
    def _consistent(self) -> Program:
        if self.tax is not None and self.kind is not Kind.TAX:
            raise ValueError("a tax block needs kind: tax")
        if self.subsidy is not None and self.kind not in (Kind.SUBSIDY, Kind.COMMISSIONED):
            raise ValueError("a subsidy block needs kind: subsidy or commissioned")
        subsidy = self.subsidy
        if subsidy is None:
            return self
        per_member = subsidy.cap_per_member or any(a.per_member for a in subsidy.cap_additions)
        if per_member and self.eligibility.consortium is None:
            raise ValueError("per-member caps need eligibility.consortium")
        if subsidy.cap_additions and subsidy.cap_jpy is None:
            raise ValueError("cap_additions need cap_jpy")
        if not subsidy.rates and not subsidy.rate_note_ja:
            raise ValueError("a subsidy without rates must say why in rate_note_ja")
        return self


def parse_catalog(data: Any, *, origin: str = "catalog") -> list[Program]:
    """Validate already-parsed YAML/JSON data; raises CatalogError listing every problem."""
    entries = data.get("programs") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CatalogError(f"{origin}: expected a mapping with a 'programs' list")
    programs: list[Program] = []
    problems: list[str] = []
    for index, entry in enumerate(entries):
        label = f"programs[{index}]"
        if isinstance(entry, dict) and entry.get("id"):
            label += f" (id={entry['id']})"
        try:
            programs.append(Program.model_validate(entry))
        except ValidationError as exc:
            problems += [f"{label}: {_location(err['loc'])}: {err['msg']}" for err in exc.errors()]
    seen: set[str] = set()
    for program in programs:
        if program.id in seen:
            problems.append(f"duplicate program id {program.id!r}")
        seen.add(program.id)
    if problems:
        raise CatalogError(f"{origin}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return programs


def load_catalog(path: str | Path = DEFAULT_CATALOG_PATH) -> list[Program]:
    """Read and validate the program catalog YAML."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: invalid YAML: {exc}") from exc
    return parse_catalog(data, origin=str(path))


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(entry)"
