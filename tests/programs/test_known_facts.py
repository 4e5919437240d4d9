"""Known facts decide a condition: 要確認 only when a fact that would decide it is missing from the profile.

The startup rule is checked on a program written for the test (a founding line of its own) and on the shipped
研究開発型スタートアップ支援事業, for members built here.
"""

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.programs import service
from app.roster.exchange import import_roster
from app.roster.vocab import FORMAT
from tests.programs.members import MAN, OKU, by_program, member

SUMMER_2018 = date(2018, 7, 1)
STAGE = "創業期のスタートアップ（設立5年以内）"
YOUNG_FIRM_GRANT: dict[str, Any] = {
    "id": "young-firm-grant",
    "name": "創業5年以内の企業の試作補助",
    "name_en": "Prototype grant for firms at most five years old",
    "ministry": "九州経済産業局",
    "fiscal_year": "FY2018",
    "kind": "subsidy",
    "purposes": ["startup"],
    "keywords": ["試作"],
    "eligibility": {"applicant_types": ["startup"], "founded_within_years": 5},
    "subsidy": {"rates": [{"rate": "1/2", "label_ja": "補助率1/2"}], "cap_jpy": 300 * MAN},
    "source": {"file": "test", "section": "test"},
    "summary_ja": "設立5年以内の企業の試作費用の半分を補助します。",
}
MEMBERS = [
    member("F-OLD", "老舗精工株式会社", capital_jpy=2_000 * MAN, employees=38, founded_year=1972),
    member("F-YOUNG", "新星センサー株式会社", capital_jpy=900 * MAN, employees=6, founded_year=2016),
    member("F-EDGE", "五年目技研株式会社", capital_jpy=900 * MAN, employees=6, founded_year=2013),
    member("F-PAST", "六年目技研株式会社", capital_jpy=900 * MAN, employees=6, founded_year=2012),
    member("F-UNKNOWN", "設立年未登録工業株式会社", capital_jpy=900 * MAN, employees=6),
    member("F-LARGE", "大手重工株式会社", capital_jpy=10 * OKU, employees=1_000),
    member("F-LARGE-NEW", "大手重工の新会社株式会社", capital_jpy=10 * OKU, employees=1_000, founded_year=2017),
]


@pytest.fixture
def db_session(session: Session) -> Session:
    """The members above and the young-firm grant beside the shipped catalog."""
    import_roster(session, {"format": FORMAT, "organizations": MEMBERS})
    service.create_program(db_session=session, program_in=YOUNG_FIRM_GRANT, changed_by="test")
    session.flush()
    return session


def judged(db_session: Session, org_id: str, program_id: str) -> dict[str, Any]:
    result = service.suggest(db_session=db_session, org_id=org_id, as_of=SUMMER_2018)
    return by_program(result)[program_id]


def reasons(program: dict[str, Any], bucket: str) -> str:
    return " ".join(c["reason_ja"] for c in program[bucket])


@pytest.mark.parametrize(
    ("org_id", "status", "bucket", "reason"),
    [
        ("F-OLD", "ineligible", "conflicting", f"1972年設立（創業46年）のため、{STAGE}に当たりません"),
        ("F-YOUNG", "eligible", "met", f"2016年設立（創業2年）のため、{STAGE}に当たります"),
        ("F-EDGE", "eligible", "met", "2013年設立（創業5年）"),  # the program's line is inclusive
        ("F-PAST", "ineligible", "conflicting", "2012年設立（創業6年）"),
        ("F-UNKNOWN", "needs_confirmation", "unconfirmed", "設立年が未登録のため"),
        ("F-LARGE", "ineligible", "conflicting", "資本金10億円・従業員1,000人で中小企業の規模を超えるため"),
        ("F-LARGE-NEW", "ineligible", "conflicting", "中小企業の規模を超えるため"),
    ],
)
def test_the_founded_year_and_the_size_decide_a_startup_program(db_session: Session, org_id: str, status: str,
                                                                bucket: str, reason: str) -> None:
    grant = judged(db_session, org_id, "young-firm-grant")

    assert grant["status"] == status
    assert reason in reasons(grant, bucket)


def test_the_shipped_rd_startup_program_follows_the_same_rule(db_session: Session) -> None:
    old = judged(db_session, "F-OLD", "rd-startup")
    large = judged(db_session, "F-LARGE", "rd-startup")
    young = judged(db_session, "F-YOUNG", "rd-startup")
    unknown = judged(db_session, "F-UNKNOWN", "rd-startup")

    assert old["status"] == "ineligible"
    assert "1972年設立" in reasons(old, "conflicting")
    assert large["status"] == "ineligible"
    assert "中小企業の規模を超える" in reasons(large, "conflicting")
    assert "applicant_type" in {c["code"] for c in young["met"]}
    assert young["status"] == "needs_confirmation"  # only the VC investment is left to confirm
    assert {c["code"] for c in young["unconfirmed"]} == {"prerequisite"}
    assert {c["code"] for c in unknown["unconfirmed"]} == {"applicant_type", "prerequisite"}


def test_the_member_summary_lists_startup_only_when_it_is_true_or_open(db_session: Session) -> None:
    def startup(org_id: str) -> list[Any]:
        org = service.suggest(db_session=db_session, org_id=org_id, as_of=SUMMER_2018)["organization"]
        return [t["value"] for t in org["applicant_types"] if t["type"] == "startup"]

    assert startup("F-OLD") == []
    assert startup("F-LARGE") == []
    assert startup("F-YOUNG") == [True]
    assert startup("F-UNKNOWN") == [None]


def test_a_founding_line_is_refused_on_a_program_that_takes_no_startups(db_session: Session) -> None:
    wrong = YOUNG_FIRM_GRANT | {"id": "sme-grant-with-a-line",
                                "eligibility": {"applicant_types": ["sme"], "founded_within_years": 5}}
    with pytest.raises(InvalidInput, match="founded_within_years needs startup among applicant_types"):
        service.create_program(db_session=db_session, program_in=wrong, changed_by="test")
