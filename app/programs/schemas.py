"""Request and response shapes of the support-program endpoints."""

from datetime import date
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from app.programs.catalog import Flag, Kind
from app.programs.eligibility import Status
from app.schemas import Text, UtcDateTime

EXAMPLE_PROGRAM: dict[str, Any] = {
    "id": "kyushu-iot-demo-grant",
    "name": "九州IoT実証補助金",
    "name_en": "Kyushu IoT demonstration grant",
    "ministry": "九州経済産業局",
    "fiscal_year": "FY2018",
    "kind": "subsidy",
    "purposes": ["demonstration", "data_linkage"],
    "keywords": ["実証", "IoT", "センサー"],
    "eligibility": {"applicant_types": ["sme", "small_business"]},
    "subsidy": {"rates": [{"rate": "1/2", "label_ja": "補助率1/2"}], "cap_jpy": 5000000},
    "window": {"start": "2018-04-01", "end": "2019-03-31"},
    "source": {"file": "kyushu-2018.pdf", "section": "IoT実証"},
    "summary_ja": "中小企業がIoTの実証を行う費用の半分を、上限500万円まで補助します。",
}


class SuggestionIn(BaseModel):
    """A member, optionally one of its needs and the members it would apply with."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"organization": "ORG-0101", "need": "N-0101", "partners": ["ORG-0033"], "investment_jpy": 8_000_000}
    ]})

    # The CLI's option names (org, investment) are accepted too, so a request can be written either way.
    organization: Text = Field(
        min_length=1, max_length=64, validation_alias=AliasChoices("organization", "org", "organization_id"),
        description="申請する会員のID（主たる申請者）",
    )
    need: Text | None = Field(
        default=None, max_length=64, validation_alias=AliasChoices("need", "need_id"),
        description="その会員の課題（ニーズ）のID。タイトルと説明文から関連度と取組内容の要件を判定します",
    )
    partners: list[Text] = Field(
        default=[], max_length=20, validation_alias=AliasChoices("partners", "partner_ids"),
        description="一緒に申請する（連携する）会員のID",
    )
    investment_jpy: int | None = Field(
        default=None, ge=0, validation_alias=AliasChoices("investment_jpy", "investment"),
        description="投資額（円、連携体なら全体の合計）。省略時はニーズの予算を使います",
    )
    as_of: date | None = Field(default=None, description="判定日（公募期間・適用期限の判定に使用）。省略時は今日")
    flags: list[Flag] = Field(
        default=[],
        description="補助率や上限が変わる申請者の選択: uses_expert（専門家活用）、wage_increase（賃上げ）、"
        "sme_partners_invest（中小企業の連携先も投資）",
    )


class ConditionRead(BaseModel):
    code: str = Field(description="条件の種類: window, applicant_type, industry, prefecture, prerequisite, "
                                  "consortium_size, consortium_member, partner, activity, min_investment, min_support")
    reason_ja: str = Field(description="判定の理由（日本語）")


class ApplicantTypeRead(BaseModel):
    type: str
    label_ja: str
    value: bool | None = Field(description="true: 該当, null: 要確認")
    reason_ja: str


class MemberRead(BaseModel):
    id: str
    name: str
    size: Literal["small_business", "sme", "midsize", "large", "needs_confirmation"] | None = Field(
        description="企業規模（中小企業基本法の基準と資本金1～10億円の中堅企業）。企業でない会員は null"
    )
    size_ja: str | None = Field(description="小規模事業者・中小企業・中堅企業・大企業・要確認")
    size_reason_ja: str | None = Field(description="規模の判定理由")
    applicant_types: list[ApplicantTypeRead] = Field(description="該当する（または要確認の）申請者区分と理由")


class NeedAskRead(BaseModel):
    purpose: str = Field(description="施策の目的の区分（catalog の purposes と同じ値）")
    purpose_ja: str
    because: str = Field(description="そう読み取った課題の言葉、または用語集の概念名")


class NeedRef(BaseModel):
    id: str
    title: str
    asks: list[NeedAskRead] = Field(
        description="課題が求めていること（タイトル・説明・タグから）。関連度はこれと施策の目的で決まります")


class ProgramSuggestionRead(BaseModel):
    """One program judged for the request."""

    program_id: str
    name: str
    kind: Kind
    status: Status = Field(
        description="eligible（対象になる見込み）, needs_confirmation（要確認）, ineligible（対象外）"
    )
    status_ja: str
    met: list[ConditionRead] = Field(description="満たしている条件")
    unconfirmed: list[ConditionRead] = Field(description="登録情報からは確認できない条件")
    conflicting: list[ConditionRead] = Field(description="満たしていない条件")
    estimated_support_jpy: int | None = Field(description="補助額または税額控除の見込み（円）。算出できなければ null")
    estimated_support_ja: str | None
    rate: str | None = Field(description="見込みに使った補助率・控除率（分数表記、例: 2/3）")
    rate_ja: str | None
    cap_jpy: int | None = Field(description="上限額（加算を含む）")
    cap_ja: str | None
    relevance: float = Field(description="課題との関連度 0〜1。課題が施策の目的のどれかを求めていなければ 0")
    matched_keywords: list[str]
    matched_purposes: list[str] = Field(description="課題が求めている、この施策の目的")
    suggested: bool = Field(description="提案する施策か: 対象外でなく、課題があればそれに関連するもの。"
                                        "マイページ・CLI はこの施策をこの順に示します")
    to_prepare: list[str] = Field(description="申請時に準備すること（判定には影響しません）")
    notes: list[str]
    ministry: str
    summary_ja: str


class SuggestionRead(BaseModel):
    organization: MemberRead
    need: NeedRef | None
    partners: list[MemberRead]
    investment_jpy: int | None
    investment_source: Literal["request", "need_budget"] | None = Field(
        description="投資額の出どころ: 指定値（request）かニーズの予算（need_budget）"
    )
    as_of: date
    flags: list[str]
    counts: dict[str, int] = Field(description="判定ごとの件数")
    suggested: int = Field(description="提案する施策（suggested）の件数")
    programs: list[ProgramSuggestionRead] = Field(
        description="すべての施策を合う順に: 提案する施策が先、それぞれ判定（対象になる見込み・要確認・対象外）、"
        "課題との関連度、支援見込額（なければ上限額）の順")


class ProgramRead(BaseModel):
    """A program of the catalog with its whole document (the format of seed/programs.yaml)."""

    id: str
    name: str
    kind: Kind
    ministry: str
    summary_ja: str
    retired_at: UtcDateTime | None = Field(description="廃止（提案対象から外した）日時")
    updated_at: UtcDateTime
    revision: int | None = Field(description="最新の版番号")
    document: dict[str, Any]


class ProgramList(BaseModel):
    programs: list[ProgramRead]


class RevisionRead(BaseModel):
    revision: int
    action: Literal["create", "update", "retire"]
    changed_by: str
    changed_at: UtcDateTime
    document: dict[str, Any] = Field(description="この変更の後の文書")


class ProgramHistory(BaseModel):
    program: str
    revisions: list[RevisionRead] = Field(description="古い順")
