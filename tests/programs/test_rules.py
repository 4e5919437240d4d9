"""The figures of the source documents on cases beyond the worked ones: size lines, boundaries, caps, windows."""

from datetime import date
from fractions import Fraction

import pytest

from app.programs.catalog import ApplicantType, Program
from app.programs.company_size import SizeClass, assess_profile_size, category_from_text
from app.programs.eligibility import (
    Applicant,
    Status,
    SuggestionRequest,
    suggest_programs,
)
from tests.programs.applicants import MAN, OKU, SME_ONLY, SUMMER_2018, codes, company, judge

# --- company size: the lines of 中小企業基本法 and their boundaries -------------------------------


@pytest.mark.parametrize(
    ("industry", "description", "capital", "employees", "expected"),
    [
        # 製造業・建設業・運輸業その他: 3億円以下または300人以下、小規模20人以下
        ("E", None, 3 * OKU, 1_000, SizeClass.SME),
        ("E", None, 3 * OKU + 1, 300, SizeClass.SME),
        ("E", None, 3 * OKU + 1, 301, SizeClass.MIDSIZE),
        ("D", None, None, 20, SizeClass.SMALL_BUSINESS),
        ("H", None, None, 21, SizeClass.SME),
        # 卸売業: 1億円以下または100人以下、小規模5人以下
        ("I", "食品の卸売業", 1 * OKU, 500, SizeClass.SME),
        ("I", "食品の卸売業", 2 * OKU, 100, SizeClass.SME),
        ("I", "食品の卸売業", 1 * OKU + 1, 101, SizeClass.MIDSIZE),
        ("I", "食品の卸売業", None, 5, SizeClass.SMALL_BUSINESS),
        ("I", "食品の卸売業", None, 6, SizeClass.SME),
        # 小売業: 5,000万円以下または50人以下、小規模5人以下
        ("I", "地域のスーパーを運営", 5_000 * MAN, 200, SizeClass.SME),
        ("I", "地域のスーパーを運営", 8_000 * MAN, 50, SizeClass.SME),
        ("I", "地域のスーパーを運営", 8_000 * MAN, 51, SizeClass.LARGE),  # 中堅は資本金1億円から
        ("I", "地域のスーパーを運営", 1 * OKU, 51, SizeClass.MIDSIZE),
        ("I", "地域のスーパーを運営", None, 5, SizeClass.SMALL_BUSINESS),
        # サービス業: 5,000万円以下または100人以下、小規模5人以下
        ("L", None, 5_000 * MAN, 101, SizeClass.SME),
        ("L", None, 5_000 * MAN + 1, 100, SizeClass.SME),
        ("R", None, 5_000 * MAN + 1, 101, SizeClass.LARGE),
        ("P", None, 2 * OKU, 150, SizeClass.MIDSIZE),
        ("L", None, None, 5, SizeClass.SMALL_BUSINESS),
        ("L", None, None, 6, SizeClass.SME),
        # 情報サービス業はサービス業の線、通信業は製造業その他の線; 書かれていなければ要確認
        ("G", "IoTシステム開発", 5_000 * MAN, 150, SizeClass.SME),
        ("G", "IoTシステム開発", 1 * OKU, 150, SizeClass.MIDSIZE),
        ("G", "地域の電気通信事業", 1 * OKU, 150, SizeClass.SME),
        ("G", None, 1 * OKU, 150, SizeClass.NEEDS_CONFIRMATION),
        # 宿泊業は小規模20人以下、飲食店は小売業の線
        ("M", "温泉旅館", None, 20, SizeClass.SMALL_BUSINESS),
        ("M", "レストラン", None, 6, SizeClass.SME),
        # 中堅企業: 中小企業でなく資本金1～10億円
        ("E", None, 10 * OKU, 1_000, SizeClass.MIDSIZE),
        ("E", None, 10 * OKU + 1, 1_000, SizeClass.LARGE),
        ("E", None, 50 * OKU, 3_000, SizeClass.LARGE),
    ],
)
def test_size_lines_per_category(
    industry: str, description: str | None, capital: int | None, employees: int, expected: SizeClass
) -> None:
    member = company(industry=industry, description=description, capital_jpy=capital, employees=employees)
    assert assess_profile_size(member).size is expected


def test_size_reasons_name_the_line_that_decided() -> None:
    wholesaler = assess_profile_size(company(industry="I", description="食品の卸売業", capital_jpy=8_000 * MAN,
                                             employees=80))
    retailer = assess_profile_size(company(industry="I", description="地域のスーパーを運営",
                                           capital_jpy=8_000 * MAN, employees=80))

    assert "事業内容の「卸」から卸売業の区分: 資本金1億円以下または従業員100人以下" in wholesaler.sme.reason_ja
    assert retailer.sme.value is False
    assert "小売業の区分: 資本金5,000万円以下または従業員50人以下" in retailer.sme.reason_ja
    assert "従業員80人のため小規模事業者に該当しません" in wholesaler.reason_ja


def test_description_settles_the_category_only_when_it_names_one() -> None:
    assert category_from_text("I", "青果の卸売") is not None
    assert category_from_text("I", "卸・小売の両方を営む") is None
    assert category_from_text("I", "九州のIoT企業") is None
    assert category_from_text("E", "部品の卸売") is None  # 製造業は区分が一つだけ
    unsettled = company(industry="I", description="卸・小売の両方を営む", capital_jpy=8_000 * MAN, employees=80)
    assert assess_profile_size(unsettled).size is SizeClass.NEEDS_CONFIRMATION
    stated = company(industry="I", description="地域のスーパー", size_category="wholesale", capital_jpy=8_000 * MAN,
                     employees=80)
    assert assess_profile_size(stated).size is SizeClass.SME  # a stated category wins over the words


@pytest.mark.parametrize(("capital", "employees"), [(None, None), (None, 500), (5 * OKU, None)])
def test_missing_figures_never_become_eligible_for_sme_programs(
    catalog: list[Program], capital: int | None, employees: int | None
) -> None:
    result = judge(catalog, company(capital_jpy=capital, employees=employees), investment_jpy=800 * MAN)

    for program in catalog:
        accepted = set(program.eligibility.applicant_types)
        if accepted <= SME_ONLY and ApplicantType.SME in accepted and program.window is None:
            judged = result[program.id]
            assert judged.status is Status.NEEDS_CONFIRMATION, program.id
            assert "applicant_type" in codes(judged.unconfirmed), program.id
    assert "確認が必要です" in result["monozukuri-general"].unconfirmed[0].reason_ja


def test_missing_employees_leave_the_small_business_rate_open(catalog: list[Program]) -> None:
    sme = company(capital_jpy=1_000 * MAN)  # 中小企業（資本金）だが小規模かは従業員数しだい
    small = judge(catalog, sme, investment_jpy=300 * MAN)["monozukuri-small"]

    assert small.status is Status.ELIGIBLE
    assert small.rate == Fraction(1, 2)
    assert small.estimated_support_jpy == 150 * MAN
    assert any("条件を満たせば補助率2/3" in note for note in small.notes)


# --- rates and caps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("employees", "investment", "rate", "estimate"),
    [
        (20, 300 * MAN, Fraction(2, 3), 200 * MAN),  # 小規模事業者は2/3
        (21, 300 * MAN, Fraction(1, 2), 150 * MAN),  # その他1/2
        (5, 900 * MAN, Fraction(2, 3), 500 * MAN),  # 上限500万円
    ],
)
def test_small_type_rate_depends_on_being_a_small_business(
    catalog: list[Program], employees: int, investment: int, rate: Fraction, estimate: int
) -> None:
    small = judge(catalog, company(capital_jpy=1_000 * MAN, employees=employees),
                  investment_jpy=investment)["monozukuri-small"]

    assert small.rate == rate
    assert small.cap_jpy == 500 * MAN
    assert small.estimated_support_jpy == estimate


def test_general_type_cap_and_expert_addition(catalog: list[Program]) -> None:
    maker = company(capital_jpy=2 * OKU, employees=150)
    plain = judge(catalog, maker, investment_jpy=3_000 * MAN)["monozukuri-general"]
    expert = judge(catalog, maker, investment_jpy=3_000 * MAN, flags={"uses_expert"})["monozukuri-general"]

    assert (plain.cap_jpy, plain.estimated_support_jpy) == (1_000 * MAN, 1_000 * MAN)
    assert (expert.cap_jpy, expert.estimated_support_jpy) == (1_030 * MAN, 1_030 * MAN)
    assert any("専門家を活用する場合" in note for note in plain.notes)


@pytest.mark.parametrize(("members", "cap"), [(2, 2_400 * MAN), (5, 6_000 * MAN), (10, 12_000 * MAN)])
def test_data_linkage_cap_grows_with_the_consortium(catalog: list[Program], members: int, cap: int) -> None:
    lead, *partners = [company(f"連携{i}社", capital_jpy=3_000 * MAN, employees=40) for i in range(members)]
    linkage = judge(catalog, lead, partners=partners, need_text="受発注データを共有したい",
                    investment_jpy=2 * cap)["monozukuri-data-linkage"]

    assert linkage.status is Status.ELIGIBLE
    assert linkage.cap_jpy == cap  # 1,000万円/者 + 200万円×参加数
    assert linkage.estimated_support_jpy == cap


def test_data_linkage_consortium_of_more_than_ten_is_refused(catalog: list[Program]) -> None:
    lead, *partners = [company(f"連携{i}社", capital_jpy=3_000 * MAN, employees=40) for i in range(11)]
    linkage = judge(catalog, lead, partners=partners, need_text="受発注データを共有したい")["monozukuri-data-linkage"]

    assert linkage.status is Status.INELIGIBLE
    assert codes(linkage.conflicting) == {"consortium_size"}
    assert "上限（10者）を超えます" in linkage.conflicting[0].reason_ja


def test_data_linkage_group_with_a_member_of_unknown_size_needs_confirmation(catalog: list[Program]) -> None:
    lead = company("A精工", capital_jpy=3_000 * MAN, employees=40)
    unknown = company("B金属")  # 資本金も従業員数も未登録
    linkage = judge(catalog, lead, partners=[unknown], need_text="生産データを共有したい",
                    investment_jpy=3_000 * MAN)["monozukuri-data-linkage"]

    assert linkage.status is Status.NEEDS_CONFIRMATION
    assert "consortium_member" in codes(linkage.unconfirmed)
    assert linkage.cap_jpy == 2_400 * MAN


def test_bridging_rd_planned_with_a_public_institute_named_in_the_need(catalog: list[Program]) -> None:
    sme = company(capital_jpy=5_000 * MAN, employees=60)
    bridging = judge(catalog, sme, need_text="公設試と共同研究して新しい検査装置を実用化したい",
                     investment_jpy=6_000 * MAN)["bridging-rd"]
    unnamed = judge(catalog, sme, need_text="検査装置を実用化したい")["bridging-rd"]

    assert bridging.status is Status.ELIGIBLE
    assert (bridging.rate, bridging.cap_jpy, bridging.estimated_support_jpy) == (Fraction(2, 3), 1 * OKU, 4_000 * MAN)
    assert "partner" in codes(bridging.met)
    assert unnamed.status is Status.NEEDS_CONFIRMATION
    assert "partner" in codes(unnamed.unconfirmed)


def test_bridging_rd_takes_midsize_but_not_large_firms(catalog: list[Program]) -> None:
    lab = Applicant(id="LAB", name="工業技術センター", roles=["support"], support_type="public_research", industry="L")
    midsize = judge(catalog, company(capital_jpy=5 * OKU, employees=500), partners=[lab])["bridging-rd"]
    large = judge(catalog, company(capital_jpy=50 * OKU, employees=3_000), partners=[lab])["bridging-rd"]

    assert midsize.status is Status.ELIGIBLE
    assert any("中堅企業" in c.reason_ja for c in midsize.met if c.code == "applicant_type")
    assert large.status is Status.INELIGIBLE
    assert "applicant_type" in codes(large.conflicting)


# --- minimum investment and windows -------------------------------------------------------------


@pytest.mark.parametrize(
    ("investment", "status"),
    [(4_999 * MAN, Status.INELIGIBLE), (5_000 * MAN, Status.ELIGIBLE)],
)
def test_connected_industries_tax_minimum_is_inclusive(catalog: list[Program], investment: int, status: Status) -> None:
    holder = company(capital_jpy=3_000 * MAN, employees=40,
                     certifications=["コネクテッド・インダストリーズ税制の計画認定", "登録セキスペの確認"])
    need = "社外データと連携したい"
    tax = judge(catalog, holder, investment_jpy=investment, need_text=need)["connected-industries-tax"]

    assert tax.status is status
    assert tax.estimated_support_jpy == (150 * MAN if status is Status.ELIGIBLE else None)


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (date(2021, 3, 31), Status.ELIGIBLE),
        (date(2021, 4, 1), Status.INELIGIBLE),
        (date(2026, 1, 1), Status.INELIGIBLE),
    ],
)
def test_connected_industries_tax_ends_with_fiscal_2020(catalog: list[Program], as_of: date, status: Status) -> None:
    holder = company(capital_jpy=3_000 * MAN, employees=40,
                     certifications=["コネクテッド・インダストリーズ税制の計画認定", "登録セキスペの確認"])
    tax = judge(catalog, holder, investment_jpy=1 * OKU, need_text="社外データと連携したい",
                as_of=as_of)["connected-industries-tax"]

    assert tax.status is status
    if status is Status.INELIGIBLE:
        assert codes(tax.conflicting) == {"window"}
        assert "2021年3月31日" in tax.conflicting[0].reason_ja


def test_large_firms_may_use_the_tax_programs(catalog: list[Program]) -> None:
    big = company("大手重工", capital_jpy=50 * OKU, employees=3_000,
                  certifications=["地域経済牽引事業計画の承認"])
    tax = judge(catalog, big, investment_jpy=10 * OKU)["regional-future-investment-tax"]

    assert tax.status is Status.ELIGIBLE
    assert tax.estimated_support_jpy == 4 * 10 * OKU // 100  # 機械・装置等の税額控除4%


@pytest.mark.parametrize(
    ("as_of", "status"),
    [(date(2019, 6, 1), Status.ELIGIBLE), (date(2020, 4, 1), Status.INELIGIBLE)],
)
def test_rd_startup_runs_fiscal_2017_to_2019(catalog: list[Program], as_of: date, status: Status) -> None:
    startup = company("博多ラボ株式会社", capital_jpy=1_000 * MAN, employees=5, founded_year=2018,
                      certifications=["認定VCからの出資"])
    judged = judge(catalog, startup, as_of=as_of)["rd-startup"]

    assert judged.status is status
    if status is Status.INELIGIBLE:
        assert codes(judged.conflicting) == {"window"}


def test_a_company_founded_after_the_judging_day_is_no_startup_yet(catalog: list[Program]) -> None:
    startup = company("博多ラボ株式会社", capital_jpy=1_000 * MAN, employees=5, founded_year=2018,
                      certifications=["認定VCからの出資"])
    judged = judge(catalog, startup, as_of=date(2017, 6, 1))["rd-startup"]

    assert judged.status is Status.INELIGIBLE
    assert any("まだ設立されていません" in c.reason_ja for c in judged.conflicting)


def test_a_large_company_is_told_so_in_plain_words(catalog: list[Program]) -> None:
    big = company("大手重工株式会社", capital_jpy=50 * OKU, employees=3_000,
                  certifications=["地域経済牽引事業計画の承認"])
    tax = judge(catalog, big, investment_jpy=10 * OKU)["regional-future-investment-tax"]

    assert any(c.reason_ja.startswith("中小企業にも中堅企業にも当たらないため大企業です") for c in tax.met)


def test_default_as_of_is_today_for_windowed_programs(catalog: list[Program]) -> None:
    today = date.today()
    result = judge(catalog, company(capital_jpy=2 * OKU, employees=150), as_of=today)

    for program in catalog:
        if program.window and program.window.end and program.window.end < today:
            assert result[program.id].status is Status.INELIGIBLE, program.id
            assert "window" in codes(result[program.id].conflicting)


# --- ranking ----------------------------------------------------------------------------------


def test_relevance_to_the_need_ranks_the_eligible_programs(catalog: list[Program]) -> None:
    maker = company(capital_jpy=2 * OKU, employees=150)
    it_need = [s.program_id for s in suggest_programs(catalog, SuggestionRequest(
        applicant=maker, need_text="会計と在庫管理のITツールを入れたい", as_of=SUMMER_2018))]
    kaizen_need = [s.program_id for s in suggest_programs(catalog, SuggestionRequest(
        applicant=maker, need_text="現場のカイゼンとロボット導入を専門家に相談したい", as_of=SUMMER_2018))]

    assert it_need[0] == "it-introduction"
    assert kaizen_need[0] == "smart-monozukuri-team"
