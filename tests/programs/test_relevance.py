"""Relevance comes from what a program is for (its purposes) against what the need asks; one order of fit.

Engine rules on programs written here; then the service, which reads the need's tags and the domain
vocabulary's concepts, on the shipped catalog for members built here (SQLite and PostgreSQL).
"""

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.programs import service
from app.programs.catalog import Program, Purpose
from app.programs.eligibility import Status, SuggestionRequest, suggest_programs
from app.programs.relevance import CONCEPT_PURPOSES, KIND_PURPOSES, read_need
from app.roster.exchange import import_roster
from app.roster.vocab import FORMAT
from matching.vocabulary import KINDS, load_vocabulary
from seed import VOCABULARY
from tests.programs.applicants import MAN, OKU, SUMMER_2018, company
from tests.programs.members import member, need


def program(program_id: str, purposes: list[str], keywords: list[str], **fields: Any) -> Program:
    """A program for SMEs with the given purposes and keywords."""
    document: dict[str, Any] = {
        "id": program_id, "name": program_id, "name_en": program_id, "ministry": "経済産業省",
        "fiscal_year": "FY2018", "kind": "training", "purposes": purposes, "keywords": keywords,
        "eligibility": {"applicant_types": ["sme", "small_business"]},
        "source": {"file": "test", "section": "test"}, "summary_ja": "テスト用の施策です。",
    }
    return Program.model_validate(document | fields)


SECURITY_TRAINING = program("plant-security-drill", ["security"],
                            ["セキュリティ", "演習", "若手", "技術者", "ノウハウ"])
SKILLS_COURSE = program("skills-course", ["training"], ["技能伝承", "研修"])
MAKER = company(capital_jpy=3_000 * MAN, employees=45)


def suggested(catalog: list[Program], need_text: str, **fields: Any) -> list[str]:
    request = SuggestionRequest(applicant=MAKER, need_text=need_text, as_of=SUMMER_2018, **fields)
    return [s.program_id for s in suggest_programs(catalog, request) if s.suggested]


def test_a_training_on_another_subject_is_not_suggested_for_a_skills_transfer_need() -> None:
    catalog = [SECURITY_TRAINING, SKILLS_COURSE]
    skills = "ベテランのノウハウを若手の技術者に伝えたい。技能伝承と人材育成が課題です"
    security = "取引先から工場のサイバーセキュリティ対策を求められ、担当者を育てる研修を探している"

    # 若手・技術者・ノウハウ are the security drill's keywords too, but the need does not ask for security
    assert suggested(catalog, skills) == ["skills-course"]
    assert suggested(catalog, security)[0] == "plant-security-drill"


def test_a_programs_keywords_alone_never_make_it_relevant() -> None:
    request = SuggestionRequest(applicant=MAKER, need_text="若手の技術者にノウハウを残したい", as_of=SUMMER_2018)
    drill = suggest_programs([SECURITY_TRAINING], request)[0]

    assert drill.status is Status.ELIGIBLE
    assert (drill.relevance, drill.matched_keywords, drill.suggested) == (0.0, [], False)


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("夜中に機械が止まっても朝まで誰も気付かない", set()),  # a machine in a problem is no ask for equipment
        ("検査工程に設備を導入したい", {Purpose.EQUIPMENT}),
        ("社員旅行の行き先が決まらない", set()),
        ("公設試と共同研究して試作したい", {Purpose.JOINT_RD}),
        ("創業100年の老舗です", set()),  # 創業 alone is not an ask for startup support
        ("夜のうちに作物が盗まれる。セキュリティ対策として何ができるか", set()),  # theft: no cyber security
        ("工場のパソコンのサイバー対策を点検したい", {Purpose.SECURITY}),
    ],
)
def test_what_a_need_asks_for_in_words(text: str, asks: set[Purpose]) -> None:
    assert set(read_need(text).purposes) == asks


def test_every_concept_named_for_a_purpose_is_in_the_shipped_vocabulary() -> None:
    vocabulary = load_vocabulary(VOCABULARY)

    assert set(CONCEPT_PURPOSES) <= set(vocabulary.concepts)
    assert set(KIND_PURPOSES) <= set(KINDS)


def test_concepts_of_the_vocabulary_ask_by_their_kind_or_by_their_own_purposes() -> None:
    ask = read_need("若手に見て覚えろとしか言えない", {"skill-transfer": "application", "camera": "technology",
                                                   "labor-shortage": "problem", "livestock": "industry"})

    assert ask.purposes == {Purpose.TRAINING: "skill-transfer", Purpose.EQUIPMENT: "camera",
                            Purpose.IT_TOOLS: "camera"}


def test_equally_fitting_programs_are_ranked_by_the_support_they_give() -> None:
    small = program("small-grant", ["equipment"], ["設備"], kind="subsidy",
                    subsidy={"rates": [{"rate": "1/2", "label_ja": "補助率1/2"}], "cap_jpy": 100 * MAN})
    large = program("large-grant", ["equipment"], ["設備"], kind="subsidy",
                    subsidy={"rates": [{"rate": "1/2", "label_ja": "補助率1/2"}], "cap_jpy": 1_000 * MAN})
    unrelated = program("hiring-help", ["hiring"], ["採用"])
    refused = program("large-only", ["equipment"], ["設備"], eligibility={"applicant_types": ["large"]})

    ranked = suggest_programs([unrelated, refused, small, large], SuggestionRequest(
        applicant=MAKER, need_text="設備を導入したい", investment_jpy=800 * MAN, as_of=SUMMER_2018))

    assert [s.program_id for s in ranked] == ["large-grant", "small-grant", "hiring-help", "large-only"]
    assert [s.suggested for s in ranked] == [True, True, False, False]
    assert [s.estimated_support_jpy for s in ranked[:2]] == [400 * MAN, 100 * MAN]


def test_without_a_need_every_program_the_member_may_use_is_suggested() -> None:
    catalog = [SECURITY_TRAINING, SKILLS_COURSE, program("large-only", ["equipment"], ["設備"],
                                                         eligibility={"applicant_types": ["large"]})]
    request = SuggestionRequest(applicant=MAKER, as_of=SUMMER_2018)

    assert [s.program_id for s in suggest_programs(catalog, request) if s.suggested] == [
        "plant-security-drill", "skills-course"]


# --- through the service, on the shipped catalog --------------------------------------------------

ORG = "R-MAKER"
SKILLS_NEEDS = {
    # the need's own words
    "R-N-WORDS": need("R-N-WORDS", "熟練工の技能を若手に伝えたい", "溶接の技能伝承と人材育成が課題です。"),
    # plain words only: the vocabulary reads 見て覚え as skill transfer
    "R-N-PLAIN": need("R-N-PLAIN", "溶接の仕上がりが人によって違う",
                      "何が違うのか説明できる人がおらず、若手には見て覚えろとしか言えていません。"),
    # the words are in the tags
    "R-N-TAGS": need("R-N-TAGS", "ベテランが辞めたら段取りが分からなくなる", "手順を知っているのが2人だけです。")
    | {"tags": ["技能伝承", "人材育成"]},
}


@pytest.fixture
def db_session(session: Session) -> Session:
    """A manufacturer with three skills-transfer needs, and a large company."""
    import_roster(session, {"format": FORMAT, "organizations": [
        member(ORG, "嘉穂溶接工業株式会社", capital_jpy=3_000 * MAN, employees=45, founded_year=1975,
               needs=tuple(SKILLS_NEEDS.values())),
        member("R-BIG", "大手重工株式会社", capital_jpy=10 * OKU, employees=1_000,
               needs=(need("R-N-BIG", "研究開発型のスタートアップと組みたい", "ベンチャーに出資して共同研究したい"),)),
    ]})
    session.flush()
    return session


@pytest.mark.parametrize("need_id", list(SKILLS_NEEDS))
def test_a_skills_transfer_need_gets_training_programs_and_no_security_training(db_session: Session,
                                                                                need_id: str) -> None:
    result = service.suggest(db_session=db_session, org_id=ORG, need_id=need_id, as_of=SUMMER_2018)
    catalog = {p.id: p for p in service.current_catalog(db_session=db_session)}
    shown = service.suggested_programs(result)

    assert "training" in {a["purpose"] for a in result["need"]["asks"]}
    assert any(Purpose.TRAINING in catalog[p["program_id"]].purposes for p in shown)
    for suggestion in shown:
        purposes = set(catalog[suggestion["program_id"]].purposes)
        assert Purpose.SECURITY not in purposes, suggestion["program_id"]
        assert set(suggestion["matched_purposes"]) <= {a["purpose"] for a in result["need"]["asks"]}
    security = [p for p in result["programs"] if catalog[p["program_id"]].purposes == [Purpose.SECURITY]]
    assert security
    assert all(p["relevance"] == 0 and not p["suggested"] for p in security)


def test_a_large_company_is_no_rd_startup_even_for_a_startup_need(db_session: Session) -> None:
    result = service.suggest(db_session=db_session, org_id="R-BIG", need_id="R-N-BIG", as_of=date(2018, 7, 1))
    startup = next(p for p in result["programs"] if p["program_id"] == "rd-startup")

    assert startup["relevance"] > 0
    assert startup["status"] == "ineligible"
    assert not startup["suggested"]
    assert "中小企業の規模を超えるため" in startup["conflicting"][0]["reason_ja"]
