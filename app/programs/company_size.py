"""Company size per 中小企業基本法 from a member profile, and the applicant types a member can claim.

Only the JSIC major division is known, so where a division mixes size categories (I: 卸売/小売,
G, K, M, N) we judge by a default category and answer None (要確認) whenever another category
of the same division would change the answer. Missing capital or employees never becomes a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from app.programs.catalog import ApplicantType
from app.roster.vocab import INDUSTRIES

OKU = 100_000_000
MAN = 10_000
MIDSIZE_CAPITAL = (1 * OKU, 10 * OKU)  # 中堅企業 as the 地域未来投資 material uses it: 資本金1～10億円
# The founding stage for programs that accept startups without stating a line of their own (years since
# founding, inclusive); a program states its own with eligibility.founded_within_years.
STARTUP_MAX_YEARS = 10


@dataclass(frozen=True)
class SizeRule:
    """One size category of 中小企業基本法 (小規模 by employees only)."""

    key: str
    name_ja: str
    capital_max_jpy: int
    employees_max: int
    small_employees_max: int

    @property
    def criteria_ja(self) -> str:
        return f"資本金{yen_ja(self.capital_max_jpy)}以下または従業員{self.employees_max:,}人以下"


MANUFACTURING_OTHER = SizeRule("manufacturing_other", "製造業その他", 3 * OKU, 300, 20)
WHOLESALE = SizeRule("wholesale", "卸売業", 1 * OKU, 100, 5)
RETAIL = SizeRule("retail", "小売業", 5_000 * MAN, 50, 5)
SERVICES = SizeRule("services", "サービス業", 5_000 * MAN, 100, 5)
# 宿泊業・娯楽業 are services, but a government ordinance sets their 小規模 line at 20 employees.
LODGING_ENTERTAINMENT = SizeRule("lodging_entertainment", "宿泊業・娯楽業", 5_000 * MAN, 100, 20)
SIZE_RULES = {r.key: r for r in (MANUFACTURING_OTHER, WHOLESALE, RETAIL, SERVICES, LODGING_ENTERTAINMENT)}

# First rule is the default; the others are categories the same division also contains.
_DIVISION_RULES: dict[str, tuple[SizeRule, ...]] = {
    "G": (SERVICES, MANUFACTURING_OTHER),  # 情報サービス・放送はサービス業、通信・出版等はその他
    "I": (RETAIL, WHOLESALE),
    "K": (MANUFACTURING_OTHER, SERVICES),  # 不動産業はその他、物品賃貸業・駐車場業はサービス業
    "L": (SERVICES,),
    "M": (RETAIL, LODGING_ENTERTAINMENT),  # 飲食店は小売業、宿泊業はサービス業
    "N": (SERVICES, LODGING_ENTERTAINMENT, MANUFACTURING_OTHER),  # 娯楽業は小規模20人、旅行業はその他
    "O": (SERVICES,),
    "P": (SERVICES,),
    "Q": (SERVICES,),
    "R": (SERVICES,),
    "T": (MANUFACTURING_OTHER, WHOLESALE, RETAIL, SERVICES),
}
_UNKNOWN_INDUSTRY = (MANUFACTURING_OTHER, WHOLESALE, RETAIL, SERVICES)

# Words of a member's name or description that place it in one category of a mixed division. A
# category is taken only when the words of exactly one category appear (卸・小売 stays open).
_CATEGORY_TERMS: dict[str, dict[str, tuple[str, ...]]] = {
    "I": {
        "wholesale": ("卸", "問屋", "商社"),
        "retail": ("小売", "販売店", "スーパー", "コンビニ", "ドラッグストア", "百貨店", "通信販売", "ネットショップ",
                   "直売"),
    },
    "M": {
        "retail": ("飲食", "レストラン", "食堂", "カフェ", "居酒屋", "料理店", "喫茶"),
        "lodging_entertainment": ("宿泊", "旅館", "ホテル", "民宿", "ゲストハウス"),
    },
    "G": {
        "services": ("ソフトウェア", "システム開発", "情報処理", "情報サービス", "アプリ開発", "受託開発", "Web制作"),
        "manufacturing_other": ("通信業", "通信事業", "電気通信", "出版", "新聞"),
    },
    "K": {
        "services": ("リース", "レンタル", "物品賃貸"),
        "manufacturing_other": ("不動産",),
    },
    "N": {
        "services": ("理容", "美容", "クリーニング", "冠婚葬祭", "エステ"),
        "lodging_entertainment": ("娯楽", "映画館", "劇場", "ボウリング", "フィットネス", "遊園地", "ゲームセンター"),
    },
}


@dataclass(frozen=True)
class CategoryHint:
    """A size category read from the member's own words, and the word it was read from."""

    category: str
    term: str


def category_from_text(industry: str | None, text: str | None) -> CategoryHint | None:
    """The 中小企業基本法 category a name/description settles within a mixed JSIC division, if any."""
    terms = _CATEGORY_TERMS.get(industry or "")
    if not terms or not text:
        return None
    found = {key: next((t for t in words if t in text), None) for key, words in terms.items()}
    hits = [(key, term) for key, term in found.items() if term]
    if len(hits) != 1:
        return None
    return CategoryHint(*hits[0])


def yen_ja(amount: int) -> str:
    """10億円, 5,000万円, 1億5,000万円, 533万3,333円."""
    oku, rest = divmod(amount, OKU)
    head = f"{oku:,}億" if oku else ""
    man, yen = divmod(rest, MAN)
    body = (f"{man:,}万" if man else "") + (f"{yen:,}" if yen else "")
    return (head + body or "0") + "円"


@dataclass(frozen=True)
class Judgement:
    """True / False / None (要確認) with the Japanese reason."""

    value: bool | None
    reason_ja: str


class SizeClass(StrEnum):
    SMALL_BUSINESS = "small_business"
    SME = "sme"
    MIDSIZE = "midsize"
    LARGE = "large"
    NEEDS_CONFIRMATION = "needs_confirmation"


_SIZE_LABELS = {
    SizeClass.SMALL_BUSINESS: "小規模事業者",
    SizeClass.SME: "中小企業",
    SizeClass.MIDSIZE: "中堅企業",
    SizeClass.LARGE: "大企業",
    SizeClass.NEEDS_CONFIRMATION: "要確認",
}


@dataclass(frozen=True)
class SizeAssessment:
    sme: Judgement
    small_business: Judgement
    midsize: Judgement
    large: Judgement
    rule: SizeRule  # the category the reasons were stated in

    @property
    def size(self) -> SizeClass:
        """Best-known class; SME with unknown 小規模 stays SME (needs_confirmation tells the rest)."""
        if self.sme.value is None:
            return SizeClass.NEEDS_CONFIRMATION
        if self.sme.value:
            return SizeClass.SMALL_BUSINESS if self.small_business.value else SizeClass.SME
        return SizeClass.MIDSIZE if self.midsize.value else SizeClass.LARGE

    @property
    def label_ja(self) -> str:
        return _SIZE_LABELS[self.size]

    @property
    def reason_ja(self) -> str:
        """Why the class is what it is: the SME judgement, then the one that split it further."""
        if self.sme.value is None:
            return self.sme.reason_ja
        second = self.small_business if self.sme.value else self.midsize
        return f"{self.sme.reason_ja}。{second.reason_ja}"

    @property
    def needs_confirmation(self) -> bool:
        if self.sme.value is None:
            return True
        return self.small_business.value is None if self.sme.value else self.midsize.value is None


def division_rules(industry: str | None, category: str | None = None) -> tuple[SizeRule, ...]:
    """Candidate size categories for a JSIC division; a stated category pins one."""
    if category is not None:
        return (SIZE_RULES[category],)
    if industry is None or industry not in INDUSTRIES:
        return _UNKNOWN_INDUSTRY
    return _DIVISION_RULES.get(industry, (MANUFACTURING_OTHER,))


def assess_size(
    *,
    industry: str | None,
    capital_jpy: int | None,
    employees: int | None,
    category: str | None = None,
    hint: CategoryHint | None = None,
) -> SizeAssessment:
    """Classify a company as 小規模事業者 / 中小企業 / 中堅企業 / 大企業, or say what is missing.

    A stated category wins over a hint read from the member's description.
    """
    if category is not None:
        hint = None
    rules = division_rules(industry, hint.category if hint else category)
    facts = _facts(capital_jpy, employees)
    basis = _Basis(industry, rules, pinned=hint or category is not None)
    sme = basis.combine(
        [_sme_under(r, capital_jpy, employees, facts, basis.label(r)) for r in rules], "中小企業", _sme_line
    )
    small = basis.combine([_small_under(r, employees, basis.label(r)) for r in rules], "小規模事業者", _small_line)
    midsize = _midsize(sme, capital_jpy)
    return SizeAssessment(sme, small, midsize, _large(sme, midsize), rules[0])


def _facts(capital: int | None, employees: int | None) -> str:
    cap = f"資本金{yen_ja(capital)}" if capital is not None else "資本金未登録"
    emp = f"従業員{employees:,}人" if employees is not None else "従業員数未登録"
    return f"{cap}・{emp}"


def _sme_under(rule: SizeRule, capital: int | None, employees: int | None, facts: str, label: str) -> Judgement:
    cap_ok = None if capital is None else capital <= rule.capital_max_jpy
    emp_ok = None if employees is None else employees <= rule.employees_max
    basis = f"（{label}: {rule.criteria_ja}）"
    if cap_ok or emp_ok:  # one known value inside the line settles the OR
        return Judgement(True, f"{facts}のため中小企業に該当します{basis}")
    if cap_ok is False and emp_ok is False:
        return Judgement(False, f"{facts}のため中小企業に該当しません{basis}")
    missing = "・".join(n for n, v in (("資本金", capital), ("従業員数", employees)) if v is None)
    return Judgement(None, f"{facts}のため中小企業に当たるか判断できません{basis}。{missing}の確認が必要です")


def _sme_line(rule: SizeRule) -> str:
    return rule.criteria_ja


def _small_line(rule: SizeRule) -> str:
    return f"従業員{rule.small_employees_max}人以下"


def _small_under(rule: SizeRule, employees: int | None, label: str) -> Judgement:
    basis = f"（{label}: {_small_line(rule)}）"
    if employees is None:
        return Judgement(None, f"従業員数が未登録のため小規模事業者に当たるか判断できません{basis}")
    verb = "該当します" if employees <= rule.small_employees_max else "該当しません"
    return Judgement(employees <= rule.small_employees_max, f"従業員{employees:,}人のため小規模事業者に{verb}{basis}")


def _midsize(sme: Judgement, capital: int | None) -> Judgement:
    low, high = MIDSIZE_CAPITAL
    band = f"中堅企業（資本金{yen_ja(low)}～{yen_ja(high)}で中小企業でない企業）"
    if sme.value is True:
        return Judgement(False, f"中小企業に該当するため{band}には当たりません")
    if capital is None:
        return Judgement(None, f"資本金が未登録のため{band}に当たるか判断できません")
    in_band = low <= capital <= high
    if not in_band:
        return Judgement(False, f"資本金{yen_ja(capital)}のため{band}に当たりません")
    if sme.value is None:
        return Judgement(None, f"資本金{yen_ja(capital)}ですが、中小企業でないかが未確定のため{band}か判断できません")
    return Judgement(True, f"資本金{yen_ja(capital)}で中小企業に該当しないため{band}に当たります")


def _large(sme: Judgement, midsize: Judgement) -> Judgement:
    if sme.value is True or midsize.value is True:
        return Judgement(False, "中小企業または中堅企業に当たるため大企業ではありません")
    if sme.value is None or midsize.value is None:
        return Judgement(None, "中小企業・中堅企業に当たるか未確定のため、大企業か判断できません")
    return Judgement(True, f"中小企業にも中堅企業にも当たらないため大企業です（{sme.reason_ja}。{midsize.reason_ja}）")


class _Basis:
    """States which category a judgement used, and merges the candidate categories of a division."""

    def __init__(self, industry: str | None, rules: Sequence[SizeRule], *, pinned: CategoryHint | bool) -> None:
        self.industry = industry
        self.rules = rules
        self.pinned = pinned

    def label(self, rule: SizeRule) -> str:
        if isinstance(self.pinned, CategoryHint):
            return f"事業内容の「{self.pinned.term}」から{rule.name_ja}の区分"
        if self.pinned:
            return f"登録された区分: {rule.name_ja}"
        if self.industry == "E":
            return "製造業"
        name = INDUSTRIES.get(self.industry or "", "業種未登録")
        return f"{name}は{rule.name_ja}の区分"

    def combine(self, judgements: list[Judgement], what: str, line: Callable[[SizeRule], str]) -> Judgement:
        first = judgements[0]
        if len(judgements) == 1:
            return first
        others = "・".join(r.name_ja for r in self.rules[1:])
        if all(j.value == first.value for j in judgements) and first.value is not None:
            return Judgement(first.value, f"{first.reason_ja}。{others}の区分でも同じ結論です")
        if first.value is None:
            return Judgement(None, f"{first.reason_ja}。業種によっては{others}の区分になります")
        rule, other = next((r, j) for r, j in zip(self.rules, judgements, strict=True) if j.value != first.value)
        verdict = {True: "該当する", False: "該当しない", None: "判断できない"}[other.value]
        return Judgement(
            None,
            f"{first.reason_ja}。ただし{rule.name_ja}の区分（{line(rule)}）では{what}に{verdict}ため、"
            "大分類だけでは決まりません。業種の確認が必要です",
        )


class ApplicantProfile(Protocol):
    """The member fields classification needs (Applicant and roster rows both fit)."""

    @property
    def member_type(self) -> str: ...
    @property
    def roles(self) -> Sequence[str]: ...
    @property
    def support_type(self) -> str | None: ...
    @property
    def industry(self) -> str | None: ...
    @property
    def capital_jpy(self) -> int | None: ...
    @property
    def employees(self) -> int | None: ...
    @property
    def founded_year(self) -> int | None: ...
    @property
    def size_category(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str | None: ...


TYPE_LABELS_JA = {
    ApplicantType.SME: "中小企業",
    ApplicantType.SMALL_BUSINESS: "小規模事業者",
    ApplicantType.MIDSIZE: "中堅企業",
    ApplicantType.LARGE: "大企業",
    ApplicantType.STARTUP: "スタートアップ",
    ApplicantType.PERSON: "個人",
    ApplicantType.SOLE_PROPRIETOR: "個人事業主",
    ApplicantType.UNIVERSITY: "大学",
    ApplicantType.KOSEN: "高専",
    ApplicantType.PUBLIC_RESEARCH: "公設試・公的研究機関",
    ApplicantType.SUPPORT_ORG: "支援機関（民間団体等）",
    ApplicantType.GOVERNMENT: "国・自治体",
}
_COMPANY_TYPES = (ApplicantType.SME, ApplicantType.SMALL_BUSINESS, ApplicantType.MIDSIZE, ApplicantType.LARGE)
_BODY_TYPES = {
    "university": ApplicantType.UNIVERSITY,
    "kosen": ApplicantType.KOSEN,
    "public_research": ApplicantType.PUBLIC_RESEARCH,
    "government": ApplicantType.GOVERNMENT,
}
_SUPPORT_ORG_TYPES = {"industry_support", "association", "iot_lab", "smart_mfg_team"}


def company_size(profile: ApplicantProfile) -> SizeAssessment | None:
    """The size class of a company member; None for universities, support bodies and individuals."""
    if _body_type(profile) is not None or profile.member_type == "individual":
        return None
    return assess_profile_size(profile)


def applicant_types(
    profile: ApplicantProfile, as_of: date, *, startup_max_years: int = STARTUP_MAX_YEARS
) -> dict[ApplicantType, Judgement]:
    """Every applicant type with True / False / None (要確認) and the reason, for one member.

    A startup is a company founded at most startup_max_years before the judging day.
    """
    body = _body_type(profile)
    if body is not None:
        label = TYPE_LABELS_JA[body]
        verdicts = {t: Judgement(False, f"{label}のため{TYPE_LABELS_JA[t]}に当たりません") for t in ApplicantType}
        if body is ApplicantType.SUPPORT_ORG:
            # 財団・社団・会社のどれかが分からないので、会社向けの区分は否定せず確認に回す
            unsure = f"{label}として登録されています。会社として申請できる法人形態か確認が必要です"
            verdicts.update({t: Judgement(None, unsure) for t in _COMPANY_TYPES})
        verdicts[body] = Judgement(True, f"{label}として登録されています")
        return verdicts
    if profile.member_type == "individual":
        return _individual_types(profile)
    return _company_types(profile, as_of, startup_max_years)


def _body_type(profile: ApplicantProfile) -> ApplicantType | None:
    support = profile.support_type
    if support in ("university", "kosen", "public_research"):
        return _BODY_TYPES[support]
    only_support = set(profile.roles) <= {"support"}
    if only_support and support == "government":
        return ApplicantType.GOVERNMENT
    if only_support and support in _SUPPORT_ORG_TYPES and profile.member_type != "individual":
        return ApplicantType.SUPPORT_ORG
    return None


def assess_profile_size(profile: ApplicantProfile) -> SizeAssessment:
    """assess_size for a member, the category taken from the profile or else from its own words."""
    text = " ".join(part for part in (profile.name, profile.description) if part)
    return assess_size(
        industry=profile.industry,
        capital_jpy=profile.capital_jpy,
        employees=profile.employees,
        category=profile.size_category,
        hint=None if profile.size_category else category_from_text(profile.industry, text),
    )


def _company_types(profile: ApplicantProfile, as_of: date, startup_max_years: int) -> dict[ApplicantType, Judgement]:
    size = assess_profile_size(profile)
    facts = _facts(profile.capital_jpy, profile.employees)
    verdicts = {t: Judgement(False, f"企業のため{TYPE_LABELS_JA[t]}に当たりません") for t in ApplicantType}
    verdicts.update(
        {
            ApplicantType.SME: size.sme,
            ApplicantType.SMALL_BUSINESS: size.small_business,
            ApplicantType.MIDSIZE: size.midsize,
            ApplicantType.LARGE: size.large,
            ApplicantType.STARTUP: _startup(profile.founded_year, as_of, startup_max_years, size.sme, facts),
        }
    )
    return verdicts


def _startup(founded_year: int | None, as_of: date, max_years: int, sme: Judgement, facts: str) -> Judgement:
    """Founding-stage startup: the founded year decides; a company beyond the SME lines is past that stage anyway.

    Only an unknown founded year leaves it open (要確認).
    """
    stage = f"創業期のスタートアップ（設立{max_years}年以内）"
    if founded_year is not None:
        age = as_of.year - founded_year
        if age < 0:
            return Judgement(False, f"{founded_year}年設立のため、判定日（{as_of.year}年）にはまだ設立されていません")
        if age > max_years:
            return Judgement(False, f"{founded_year}年設立（創業{age}年）のため、{stage}に当たりません")
    if sme.value is False:
        return Judgement(False, f"{facts}で中小企業の規模を超えるため、{stage}に当たりません")
    if founded_year is None:
        return Judgement(None, f"設立年が未登録のため、{stage}に当たるか確認が必要です")
    return Judgement(True, f"{founded_year}年設立（創業{as_of.year - founded_year}年）のため、{stage}に当たります")


def _individual_types(profile: ApplicantProfile) -> dict[ApplicantType, Judgement]:
    verdicts = {t: Judgement(False, f"個人会員のため{TYPE_LABELS_JA[t]}に当たりません") for t in ApplicantType}
    verdicts[ApplicantType.PERSON] = Judgement(True, "個人会員です")
    verdicts[ApplicantType.SOLE_PROPRIETOR] = Judgement(
        None, "個人会員のため、個人事業主として事業を営んでいるか確認が必要です"
    )
    verdicts[ApplicantType.STARTUP] = Judgement(
        None, "個人会員のため、起業前（または創業期）の研究開発型スタートアップとして申請できるか確認が必要です"
    )
    # 個人事業主なら中小企業・小規模事業者の扱いになり得るが、推測はせず要確認にする
    size = assess_size(industry=profile.industry, capital_jpy=None, employees=profile.employees)
    small = size.small_business
    hint = f"（{small.reason_ja}）" if small.value is not None else ""
    for kind in (ApplicantType.SME, ApplicantType.SMALL_BUSINESS):
        verdicts[kind] = Judgement(
            None, f"個人会員です。個人事業主であれば{TYPE_LABELS_JA[kind]}として扱えるため確認が必要です{hint}"
        )
    return verdicts


def best_judgement(verdicts: dict[ApplicantType, Judgement], accepted: Sequence[ApplicantType]) -> Judgement:
    """Whether a member is any of the accepted types: a True wins, then a None, else all reasons."""
    for wanted in (True, None):
        for kind in accepted:
            if verdicts[kind].value is wanted:
                return verdicts[kind]
    # 小規模事業者は中小企業の一部なので、両方が対象なら中小企業の理由だけで足りる
    shown = [t for t in accepted if not (t is ApplicantType.SMALL_BUSINESS and ApplicantType.SME in accepted)]
    reasons = list(dict.fromkeys(verdicts[t].reason_ja for t in shown))
    return Judgement(False, "。".join(reasons))
