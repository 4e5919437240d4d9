"""Eligibility engine and company size: the worked cases from the source documents, then the rules."""

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from app.programs.catalog import ApplicantType, CatalogError, Program
from app.programs.company_size import SizeClass, applicant_types, assess_size, yen_ja
from app.programs.eligibility import (
    Applicant,
    Status,
    SuggestionRequest,
    evaluate_program,
    load_catalog,
    suggest_programs,
)
from tests.programs.applicants import MAN, OKU, SME_ONLY, SUMMER_2018, codes, company, judge

REQUIRED_IDS = {
    "it-introduction",
    "monozukuri-data-linkage",
    "monozukuri-general",
    "monozukuri-small",
    "connected-industries-tax",
    "bridging-rd",
    "rd-startup",
    "strategic-core-tech",
    "regional-core-market",
    "regional-future-investment-tax",
    "smart-monozukuri-team",
    "industry4-skills",
}
SME_REASON = "資本金10億円・従業員1,000人のため中小企業に該当しません（製造業: 資本金3億円以下または従業員300人以下）"






# --- worked cases -----------------------------------------------------------------------------


def test_mid_sized_manufacturer_gets_half_of_iot_equipment(catalog: list[Program]) -> None:
    maker = company(capital_jpy=2 * OKU, employees=150)
    result = judge(catalog, maker, investment_jpy=800 * MAN, need_text="IoTセンサーを設備導入したい")

    general = result["monozukuri-general"]
    assert general.status is Status.ELIGIBLE
    assert general.rate == Fraction(1, 2)
    assert general.cap_jpy == 1_000 * MAN
    assert general.estimated_support_jpy == 400 * MAN


def test_large_manufacturer_is_refused_every_sme_only_program(catalog: list[Program]) -> None:
    big = company("大手重工株式会社", capital_jpy=10 * OKU, employees=1_000)
    result = judge(catalog, big, investment_jpy=800 * MAN)
    sme_only = [p for p in catalog if set(p.eligibility.applicant_types) <= SME_ONLY]
    assert len(sme_only) >= 8

    for program in sme_only:
        suggestion = result[program.id]
        assert suggestion.status is Status.INELIGIBLE, program.id
        assert suggestion.estimated_support_jpy is None
        reasons = [c.reason_ja for c in suggestion.conflicting if c.code == "applicant_type"]
        assert reasons, program.id
        if ApplicantType.SME in program.eligibility.applicant_types:
            assert SME_REASON in reasons[0], program.id
        else:  # 小規模事業者だけが対象の施策
            assert "従業員1,000人のため小規模事業者に該当しません" in reasons[0], program.id


def test_four_person_farm_is_a_small_business(catalog: list[Program]) -> None:
    farm = company("星ふる高原牧場", industry="A", employees=4)

    assert assess_size(industry="A", capital_jpy=None, employees=4).size is SizeClass.SMALL_BUSINESS
    small = judge(catalog, farm, investment_jpy=300 * MAN)["monozukuri-small"]
    assert small.status is Status.ELIGIBLE
    assert small.rate == Fraction(2, 3)  # 小規模事業者は2/3
    assert small.estimated_support_jpy == 200 * MAN


def test_three_smes_sharing_production_data_get_the_per_member_cap(catalog: list[Program]) -> None:
    lead, *partners = [company(n, capital_jpy=3_000 * MAN, employees=40) for n in ("A精工", "B金属", "C電子")]
    need = "3社で生産データを共有し、受発注と生産管理を一体で行いたい"

    small_plan = judge(catalog, lead, partners=partners, need_text=need, investment_jpy=3_000 * MAN)
    big_plan = judge(catalog, lead, partners=partners, need_text=need, investment_jpy=6_000 * MAN)

    linkage = small_plan["monozukuri-data-linkage"]
    assert linkage.status is Status.ELIGIBLE
    assert linkage.rate == Fraction(2, 3)
    assert linkage.cap_jpy == 3 * 1_000 * MAN + 3 * 200 * MAN  # 1,000万円/者 + 200万円×参加数
    assert linkage.estimated_support_jpy == 2_000 * MAN
    assert {"consortium_size", "activity"} <= codes(linkage.met)
    assert big_plan["monozukuri-data-linkage"].estimated_support_jpy == 3_600 * MAN


def test_data_linkage_needs_a_group_of_smes(catalog: list[Program]) -> None:
    alone = judge(catalog, company(capital_jpy=3_000 * MAN, employees=40), need_text="データを共有")
    big_partner = company("大手重工", capital_jpy=50 * OKU, employees=3_000)
    with_big = judge(catalog, company(capital_jpy=3_000 * MAN, employees=40), partners=[big_partner])

    # alone the partners are not named yet: open, not refused
    assert alone["monozukuri-data-linkage"].status is Status.NEEDS_CONFIRMATION
    assert "consortium_size" in codes(alone["monozukuri-data-linkage"].unconfirmed)
    assert with_big["monozukuri-data-linkage"].status is Status.INELIGIBLE
    assert any("大手重工" in note for note in with_big["monozukuri-data-linkage"].notes)


def test_connected_industries_tax_minimum_investment_and_deadline(catalog: list[Program]) -> None:
    sme = company(
        capital_jpy=3_000 * MAN,
        employees=40,
        certifications=["コネクテッド・インダストリーズ税制の事業計画認定", "登録セキスペによる確認"],
    )
    need = "工場のセンサーデータを取引先の社外データと連携したい"

    too_small = judge(catalog, sme, investment_jpy=3_000 * MAN, need_text=need)["connected-industries-tax"]
    too_late = judge(catalog, sme, investment_jpy=6_000 * MAN, need_text=need, as_of=date(2026, 1, 1))
    in_time = judge(catalog, sme, investment_jpy=6_000 * MAN, need_text=need)["connected-industries-tax"]

    assert too_small.status is Status.INELIGIBLE
    assert codes(too_small.conflicting) == {"min_investment"}
    assert "5,000万円" in too_small.conflicting[0].reason_ja
    late = too_late["connected-industries-tax"]
    assert late.status is Status.INELIGIBLE
    assert codes(late.conflicting) == {"window"}
    assert "2021年3月31日" in late.conflicting[0].reason_ja
    assert in_time.status is Status.ELIGIBLE
    assert in_time.estimated_support_jpy == 180 * MAN  # 税額控除3%


def test_connected_industries_tax_wage_increase_raises_the_credit(catalog: list[Program]) -> None:
    sme = company(capital_jpy=3_000 * MAN, employees=40)
    result = judge(catalog, sme, investment_jpy=1 * OKU, flags={"wage_increase"})["connected-industries-tax"]

    assert result.rate == Fraction(5, 100)
    assert result.estimated_support_jpy == 500 * MAN
    assert result.status is Status.NEEDS_CONFIRMATION  # plan and security check not recorded


def test_joint_rd_with_public_research_institute_is_bridging_rd(catalog: list[Program]) -> None:
    sme = company(capital_jpy=5_000 * MAN, employees=60)
    lab = Applicant(
        id="ORG-LAB",
        name="西肥前工業技術センター",
        roles=["support"],
        support_type="public_research",
        industry="L",
        employees=45,
    )
    need = "公設試と共同研究して検査装置を実用化したい"

    result = judge(catalog, sme, partners=[lab], need_text=need, investment_jpy=3_000 * MAN)["bridging-rd"]
    capped = judge(catalog, sme, partners=[lab], investment_jpy=3 * OKU)["bridging-rd"]

    assert result.status is Status.ELIGIBLE
    assert result.rate == Fraction(2, 3)
    assert result.cap_jpy == 1 * OKU
    assert result.estimated_support_jpy == 2_000 * MAN
    assert "partner" in codes(result.met)
    assert capped.estimated_support_jpy == 1 * OKU


# --- engine rules -----------------------------------------------------------------------------


def test_every_program_is_judged_and_ordered(catalog: list[Program]) -> None:
    request = SuggestionRequest(
        applicant=company(capital_jpy=2 * OKU, employees=150),
        need_text="ロボットとIoTで工程改善したい。専門家に相談したい",
        as_of=SUMMER_2018,
    )
    results = suggest_programs(catalog, request)

    assert {s.program_id for s in results} == {p.id for p in catalog}
    rank = {Status.ELIGIBLE: 0, Status.NEEDS_CONFIRMATION: 1, Status.INELIGIBLE: 2}
    keys = [(not s.suggested, rank[s.status], -s.relevance, -(s.estimated_support_jpy or 0), -(s.cap_jpy or 0))
            for s in results]
    assert keys == sorted(keys)
    suggested = [s for s in results if s.suggested]
    assert suggested == results[:len(suggested)]
    assert all(s.status is not Status.INELIGIBLE and s.relevance > 0 for s in suggested)
    assert not any(s.status is not Status.INELIGIBLE and s.relevance > 0 for s in results[len(suggested):])
    assert results[0].status is Status.ELIGIBLE


def test_missing_certification_needs_confirmation_and_recorded_one_counts(catalog: list[Program]) -> None:
    without = judge(catalog, company(capital_jpy=2 * OKU, employees=150), investment_jpy=1 * OKU)
    holder = company(capital_jpy=2 * OKU, employees=150, certifications=["地域経済牽引事業計画の承認（福岡県）"])
    with_plan = judge(catalog, holder, investment_jpy=1 * OKU)

    assert without["regional-future-investment-tax"].status is Status.NEEDS_CONFIRMATION
    assert "prerequisite" in codes(without["regional-future-investment-tax"].unconfirmed)
    assert with_plan["regional-future-investment-tax"].status is Status.ELIGIBLE
    assert with_plan["regional-future-investment-tax"].estimated_support_jpy == 400 * MAN  # 税額控除4%


def test_management_innovation_plan_raises_general_rate(catalog: list[Program]) -> None:
    holder = company(capital_jpy=2 * OKU, employees=150, certifications=["経営革新計画の承認"])
    general = judge(catalog, holder, investment_jpy=900 * MAN, flags={"uses_expert"})["monozukuri-general"]

    assert general.rate == Fraction(2, 3)
    assert general.cap_jpy == 1_030 * MAN  # 専門家活用で+30万円
    assert general.estimated_support_jpy == 600 * MAN


def test_it_introduction_floor_and_cap(catalog: list[Program]) -> None:
    shop = company("天神雑貨店", industry="I", capital_jpy=1_000 * MAN, employees=8)

    tiny = judge(catalog, shop, investment_jpy=20 * MAN)["it-introduction"]
    large = judge(catalog, shop, investment_jpy=200 * MAN)["it-introduction"]

    assert tiny.status is Status.INELIGIBLE
    assert codes(tiny.conflicting) == {"min_support"}
    assert large.status is Status.ELIGIBLE
    assert large.estimated_support_jpy == 50 * MAN


def test_program_before_its_start_is_ineligible(catalog: list[Program]) -> None:
    satellite = next(p for p in catalog if p.id == "satellite-data")
    request = SuggestionRequest(applicant=company(capital_jpy=2 * OKU, employees=150), as_of=date(2017, 6, 1))

    result = evaluate_program(satellite, request)
    assert result.status is Status.INELIGIBLE
    assert codes(result.conflicting) == {"window"}


def test_individual_member_needs_confirmation_for_company_programs(catalog: list[Program]) -> None:
    person = Applicant(
        id="ORG-13", name="田中 由美", member_type="individual", roles=["sier"], industry="L", employees=1
    )
    result = judge(catalog, person)

    assert result["monozukuri-small"].status is Status.NEEDS_CONFIRMATION
    assert "個人事業主" in result["monozukuri-small"].unconfirmed[0].reason_ja
    assert result["mitou-it-talent"].status is Status.ELIGIBLE


def test_university_is_its_own_applicant_type(catalog: list[Program]) -> None:
    univ = Applicant(id="U", name="九州工科大学", roles=["support"], support_type="university", industry="O")
    result = judge(catalog, univ)

    assert result["monozukuri-general"].status is Status.INELIGIBLE
    assert "大学" in result["monozukuri-general"].conflicting[0].reason_ja


def test_soft_area_and_industry_limits_need_confirmation(catalog: list[Program]) -> None:
    miyazaki_farm = company("日向ファーム", industry="A", employees=10, prefecture="宮崎県")
    team = judge(catalog, miyazaki_farm)["smart-monozukuri-team"]

    assert team.status is Status.NEEDS_CONFIRMATION
    assert codes(team.unconfirmed) == {"industry", "prefecture"}


# --- catalog ----------------------------------------------------------------------------------


def test_catalog_has_the_required_programs_with_sources(catalog: list[Program]) -> None:
    ids = {p.id for p in catalog}
    assert len(catalog) >= 15
    assert REQUIRED_IDS <= ids
    assert all(p.source.file.endswith(".txt") and p.summary_ja for p in catalog)
    ci = next(p for p in catalog if p.id == "connected-industries-tax")
    assert ci.eligibility.min_investment_jpy == 5_000 * MAN
    assert ci.window is not None
    assert ci.window.end == date(2021, 3, 31)


def test_load_catalog_reports_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "programs.yaml"
    bad.write_text(
        "programs:\n  - id: broken-one\n    name: 壊れた施策\n    kind: grant\n    surprise: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as error:
        load_catalog(bad)
    message = str(error.value)
    assert "id=broken-one" in message
    assert "kind" in message
    assert "surprise" in message
    assert "name_en" in message


def test_load_catalog_rejects_bad_yaml_and_duplicates(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("programs: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="invalid YAML"):
        load_catalog(broken)

    source = Path(__file__).resolve().parents[2] / "seed" / "programs.yaml"
    text = source.read_text(encoding="utf-8")
    first = text.index("  - id: it-introduction")
    second = text.index("  - id: monozukuri-data-linkage")
    doubled = tmp_path / "doubled.yaml"
    doubled.write_text(text + text[first:second], encoding="utf-8")
    with pytest.raises(CatalogError, match="duplicate program id 'it-introduction'"):
        load_catalog(doubled)


# --- company size -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("industry", "capital", "employees", "expected"),
    [
        ("E", 2 * OKU, 150, SizeClass.SME),
        ("E", 3 * OKU, 301, SizeClass.SME),  # 資本金が基準内なら従業員が多くても中小企業
        ("E", 4 * OKU, 300, SizeClass.SME),
        ("E", 5 * OKU, 500, SizeClass.MIDSIZE),
        ("E", 10 * OKU, 1_000, SizeClass.MIDSIZE),  # 資本金1～10億円は中堅（両端を含む）
        ("E", 20 * OKU, 1_000, SizeClass.LARGE),
        ("E", None, 100, SizeClass.SME),  # 従業員数だけで決まる
        ("E", 1_000 * MAN, 20, SizeClass.SMALL_BUSINESS),
        ("E", 1_000 * MAN, 21, SizeClass.SME),
        ("D", 2 * OKU, 400, SizeClass.SME),
        ("H", 5 * OKU, 400, SizeClass.MIDSIZE),
        ("A", None, 4, SizeClass.SMALL_BUSINESS),
        ("L", 3_000 * MAN, 200, SizeClass.SME),
        ("L", 1 * OKU, 150, SizeClass.MIDSIZE),
        ("R", 1_000 * MAN, 5, SizeClass.SMALL_BUSINESS),
        ("R", 1_000 * MAN, 6, SizeClass.SME),
        ("P", 8_000 * MAN, 90, SizeClass.SME),
        ("I", 3_000 * MAN, 30, SizeClass.SME),
        ("I", 3 * OKU, 400, SizeClass.MIDSIZE),
    ],
)
def test_size_by_industry(industry: str, capital: int | None, employees: int | None, expected: SizeClass) -> None:
    assert assess_size(industry=industry, capital_jpy=capital, employees=employees).size is expected


def test_services_and_retail_lines_are_lower_than_manufacturing() -> None:
    services = assess_size(industry="L", capital_jpy=8_000 * MAN, employees=150)
    manufacturing = assess_size(industry="E", capital_jpy=8_000 * MAN, employees=150)

    assert services.sme.value is False
    assert "サービス業" in services.sme.reason_ja
    assert "5,000万円" in services.sme.reason_ja
    assert manufacturing.sme.value is True


@pytest.mark.parametrize(
    ("capital", "employees", "missing"),
    [(None, 500, "資本金"), (5 * OKU, None, "従業員数"), (None, None, "資本金・従業員数")],
)
def test_missing_figures_need_confirmation(capital: int | None, employees: int | None, missing: str) -> None:
    size = assess_size(industry="E", capital_jpy=capital, employees=employees)

    assert size.size is SizeClass.NEEDS_CONFIRMATION
    assert size.needs_confirmation
    assert f"{missing}の確認が必要です" in size.sme.reason_ja


def test_wholesale_retail_division_is_judged_as_retail_and_flags_the_difference() -> None:
    same = assess_size(industry="I", capital_jpy=3_000 * MAN, employees=30)
    differs = assess_size(industry="I", capital_jpy=8_000 * MAN, employees=80)
    pinned = assess_size(industry="I", capital_jpy=8_000 * MAN, employees=80, category="wholesale")

    assert same.sme.value is True
    assert "小売業の区分" in same.sme.reason_ja
    assert "卸売業" in same.sme.reason_ja
    assert differs.size is SizeClass.NEEDS_CONFIRMATION
    assert "小売業" in differs.sme.reason_ja
    assert "卸売業" in differs.sme.reason_ja
    assert pinned.size is SizeClass.SME


def test_small_business_line_depends_on_the_category_within_a_division() -> None:
    it_firm = assess_size(industry="G", capital_jpy=1_000 * MAN, employees=10)  # 情報サービス5人 / 通信等20人

    assert it_firm.size is SizeClass.SME
    assert it_firm.small_business.value is None
    assert it_firm.needs_confirmation


def test_applicant_types_for_members_that_are_not_companies() -> None:
    person = Applicant(id="P", name="田中 由美", member_type="individual", roles=["sier"], industry="L", employees=1)
    college = Applicant(id="K", name="有明高専", roles=["support"], support_type="kosen", industry="O")

    person_types = applicant_types(person, SUMMER_2018)
    college_types = applicant_types(college, SUMMER_2018)

    assert person_types[ApplicantType.PERSON].value is True
    assert person_types[ApplicantType.SMALL_BUSINESS].value is None
    assert college_types[ApplicantType.KOSEN].value is True
    assert college_types[ApplicantType.SME].value is False


def test_roster_organization_validates_as_applicant() -> None:
    org = {
        "id": "D-ORG-0002",
        "name": "公益財団法人豊の国産業振興機構",
        "member_type": "corporate",
        "roles": ["support"],
        "support_type": "industry_support",
        "prefecture": "大分県",
        "industry": "R",
        "employees": 48,
        "needs": [],
        "seeds": [],
    }
    applicant = Applicant.model_validate(org)

    types = applicant_types(applicant, SUMMER_2018)
    assert types[ApplicantType.SUPPORT_ORG].value is True
    assert types[ApplicantType.SME].value is None  # 法人形態が分からないので推測しない


@pytest.mark.parametrize(
    ("amount", "text"),
    [(10 * OKU, "10億円"), (5_000 * MAN, "5,000万円"), (150_000_000, "1億5,000万円"), (5_333_333, "533万3,333円")],
)
def test_yen_in_japanese(amount: int, text: str) -> None:
    assert yen_ja(amount) == text
