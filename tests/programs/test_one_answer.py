"""The member's page, the API and the CLI give one answer: the same programs in the same order for a need."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.auth import service as auth_service
from app.cli import cli
from app.config import Settings
from app.db import make_session_factory, session_scope
from app.main import create_app
from app.matches.engine import MatchingEngine
from app.roster.exchange import import_roster
from app.roster.vocab import FORMAT
from embeddings.encoder import SentenceTransformerEncoder
from matching.vocabulary import load_vocabulary
from seed import VOCABULARY
from tests.programs.members import MAN, member, need

MAKER = "T-MAKER"
NEEDS = {
    "T-N-SKILL": need("T-N-SKILL", "ベテランの段取りのコツが若手に伝わらない",
                      "段取り替えのコツが60代の職人2人に頼りきりで、若手に教える時間がとれない。"),
    "T-N-EQUIP": need("T-N-EQUIP", "検査工程に画像センサーを設備導入したい",
                      "目視検査をやめて、外観検査装置とセンサーを設備導入したい。", 600 * MAN),
    "T-N-PARTY": need("T-N-PARTY", "忘年会の幹事がなかなか決まらない", "毎年、忘年会の幹事を誰がやるかで揉める。"),
}
NEEDS["T-N-SKILL"]["tags"] = ["技能伝承", "人材育成"]
ROSTER: dict[str, Any] = {"format": FORMAT, "organizations": [
    member(MAKER, "筑豊精密工業株式会社", capital_jpy=3_000 * MAN, employees=45, founded_year=1980,
           needs=tuple(NEEDS.values())),
    member("T-LAB", "筑後工業技術センター", industry="L", roles=("support",), support_type="public_research",
           employees=40) | {"seeds": [{"id": "T-S-LAB", "title": "画像による外観検査の共同研究",
                                       "description": "公設試として、外観検査の画像処理を企業と共同研究します。"}]},
    member("T-VENDOR", "遠賀センサー株式会社", industry="E", roles=("vendor_hw",), capital_jpy=1_000 * MAN,
           employees=12) | {"seeds": [{"id": "T-S-CAM", "title": "カメラとAIの外観検査装置",
                                       "description": "カメラとAIで傷や欠けを見つける検査装置を導入します。"}]},
]}
runner = CliRunner()


@dataclass
class Surfaces:
    page: TestClient
    api_headers: dict[str, str]


@pytest.fixture
def surfaces(cli_env: dict[str, str], database_url: str, engine: Engine, tmp_path: Path,
             encoder: SentenceTransformerEncoder) -> Iterator[Surfaces]:
    """The roster above on the test database, the member signed in on the pages, its API key, and the CLI's env."""
    with session_scope(make_session_factory(engine)) as session:
        import_roster(session, ROSTER)
        token = auth_service.create_key(db_session=session, role="member", organization=MAKER)[1]
    settings = Settings(database_url=database_url, data_dir=tmp_path / "var", rate_limit_per_minute=0)
    matching = MatchingEngine(settings, encoder, load_vocabulary(VOCABULARY))
    with TestClient(create_app(settings, matching)) as client:
        signin = client.get("/signin").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', signin)
        assert csrf
        response = client.post("/signin", data={"api_key": token, "csrf": csrf.group(1)}, follow_redirects=False)
        assert response.status_code == 303, response.text
        yield Surfaces(client, {"Authorization": f"Bearer {token}"})


class _NeedPrograms(HTMLParser):
    """The program ids my page lists under each need (its own list, not the per-partner ones), in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.need: str | None = None
        self.in_list = False
        self.found: dict[str, list[str]] = {}
        self.empty: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        classes = (attr.get("class") or "").split()
        if tag == "article" and (attr.get("aria-labelledby") or "").startswith("need-"):
            self.need = (attr["aria-labelledby"] or "")[len("need-"):]
            self.found[self.need] = []
        elif tag == "details" and "need-programs" in classes:
            self.in_list = True
        elif tag == "li" and self.in_list and self.need and attr.get("data-program"):
            self.found[self.need].append(attr["data-program"] or "")
        elif tag == "p" and "no-programs" in classes and self.need:
            self.empty.add(self.need)

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.in_list = False


def page_lists(client: TestClient) -> _NeedPrograms:
    response = client.get("/me")
    assert response.status_code == 200, response.text
    parser = _NeedPrograms()
    parser.feed(response.text)
    return parser


def api_list(surfaces: Surfaces, need_id: str) -> list[str]:
    response = surfaces.page.post("/v1/programs/suggestions", json={"organization": MAKER, "need": need_id},
                                  headers=surfaces.api_headers)
    assert response.status_code == 200, response.text
    return [p["program_id"] for p in response.json()["programs"] if p["suggested"]]


def cli_lists(need_id: str) -> tuple[list[str], list[str]]:
    """The suggested ids of `programs suggest --json`, and the numbered list of the text report."""
    as_json = runner.invoke(cli, ["programs", "suggest", "--org", MAKER, "--need", need_id, "--json"])
    assert as_json.exit_code == 0, as_json.output
    text = runner.invoke(cli, ["programs", "suggest", "--org", MAKER, "--need", need_id])
    assert text.exit_code == 0, text.output
    numbered = re.findall(r"^  \d+\. (\S+)  ", text.output, flags=re.MULTILINE)
    return [p["program_id"] for p in json.loads(as_json.output)["programs"] if p["suggested"]], numbered


def test_page_api_and_cli_list_the_same_programs_in_the_same_order(surfaces: Surfaces) -> None:
    page = page_lists(surfaces.page)

    for need_id in NEEDS:
        api = api_list(surfaces, need_id)
        cli_json, cli_text = cli_lists(need_id)
        assert page.found[need_id] == api == cli_json == cli_text, need_id
        assert (need_id in page.empty) == (not api), need_id
    # the lists are long enough for their order to matter, and a need that asks for nothing gets none
    assert len(page.found["T-N-SKILL"]) >= 2
    assert len(page.found["T-N-EQUIP"]) >= 2
    assert page.found["T-N-PARTY"] == []


def test_the_page_shows_what_the_need_member_can_use_not_every_program(surfaces: Surfaces) -> None:
    response = surfaces.page.post("/v1/programs/suggestions", json={"organization": MAKER, "need": "T-N-EQUIP"},
                                  headers=surfaces.api_headers)
    programs = response.json()["programs"]
    shown = page_lists(surfaces.page).found["T-N-EQUIP"]

    refused = {p["program_id"] for p in programs if p["status"] == "ineligible"}
    unrelated = {p["program_id"] for p in programs if p["relevance"] == 0}
    assert refused
    assert unrelated
    assert not set(shown) & (refused | unrelated)
