"""A small community behind the API: four members (two with contact data), two labs, a key per role.

`client` runs the app without the matching engine (fast); `matching_client` shares one loaded encoder
across the session and gives each test a fresh engine synced from its database.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.config import Settings
from app.labs import service as lab_service
from app.main import create_app
from app.matches.engine import MatchingEngine
from app.roster.exchange import import_roster
from app.roster.vocab import FORMAT
from embeddings.encoder import SentenceTransformerEncoder
from matching.vocabulary import Vocabulary, load_vocabulary
from seed import LABS, VOCABULARY
from tests.conftest import _empty_tables as empty_tables

CONTACT_A = {"name": "博多 花子", "email": "hanako@hakata-sensor.example.jp", "phone": "092-111-2222"}
CONTACT_B = {"name": "佐賀 一郎", "email": "ichiro@saga-kiki.example.jp", "phone": "0952-33-4444"}
FUKUOKA_ORIGIN = "https://iot-lab.fukuoka-pref.example.jp"
SAGA_ORIGIN = "https://iot-lab.saga-pref.example.jp"
ROLES = ("secretariat", "member", "other_member", "lab", "anonymous")


def _member(org_id: str, name: str, prefecture: str, industry: str, roles: list[str], need: dict[str, Any],
            seed: dict[str, Any], contact: dict[str, str] | None = None) -> dict[str, Any]:
    record = {"id": org_id, "name": name, "member_type": "corporate", "roles": roles, "support_type": None,
              "prefecture": prefecture, "industry": industry, "description": f"{name}は九州の会員企業です。",
              "needs": [need], "seeds": [seed]}
    return record | ({"contact": contact} if contact else {})


ROSTER: dict[str, Any] = {"format": FORMAT, "organizations": [
    _member("ORG-A", "博多センサー工業株式会社", "福岡県", "E", ["user"],
            {"id": "N-A1", "title": "工場設備の稼働監視", "budget_jpy": 5_000_000,
             "description": "古い工作機械の稼働状況をセンサーで集めて見える化したい"},
            {"id": "S-A1", "title": "金属部品の精密加工",
             "description": "試作から量産まで金属部品の精密加工を請け負います"},
            CONTACT_A),
    _member("ORG-B", "佐賀機器システム株式会社", "佐賀県", "G", ["vendor_sys"],
            {"id": "N-B1", "title": "営業日報の電子化",
             "description": "紙の営業日報をタブレットで入力できるようにしたい"},
            {"id": "S-B1", "title": "工場向けIoT稼働監視パッケージ",
             "description": "既存の工作機械に後付けセンサーを取り付け、稼働状況をクラウドで見える化します",
             "tags": ["稼働監視", "見える化"]},
            CONTACT_B),
    _member("ORG-C", "糸島スマート農園", "福岡県", "A", ["user"],
            {"id": "N-C1", "title": "ハウスの温度管理", "description": "ビニールハウスの温度と湿度を遠隔で見守りたい"},
            {"id": "S-C1", "title": "設備稼働データの分析サービス",
             "description": "センサーで集めた工場設備の稼働データを分析して停止の原因を見つけます"}),
    _member("ORG-D", "北九州ネットワーク株式会社", "福岡県", "G", ["sier"],
            {"id": "N-D1", "title": "社内サーバーの更新", "description": "老朽化した社内サーバーをクラウドへ移したい"},
            {"id": "S-D1", "title": "LPWA無線センサーネットワーク構築",
             "description": "工場や農場に無線センサーネットワークを構築し、稼働や環境のデータを集めます"}),
]}


@dataclass
class World:
    """Keys (tokens by role) and ids the tests use."""

    tokens: dict[str, str]
    key_ids: dict[str, int]

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        """Request headers for the role's key (none for anonymous)."""
        token = self.tokens.get(role)
        return ({"Authorization": f"Bearer {token}"} if token else {}) | extra


def make_world(session: Session) -> World:
    """Labs, the roster and one key per role, committed."""
    labs = [lab for lab in json.loads(LABS.read_text(encoding="utf-8"))["labs"]
            if lab["id"] in ("lab-fukuoka-pref", "lab-saga-pref")]
    lab_service.upsert_labs(db_session=session, labs_in=labs)
    import_roster(session, ROSTER)
    bindings = {"secretariat": {}, "member": {"organization": "ORG-A"}, "other_member": {"organization": "ORG-B"},
                "lab": {"lab": "lab-fukuoka-pref"}, "other_lab": {"lab": "lab-saga-pref"}}
    tokens, key_ids = {}, {}
    for name, binding in bindings.items():
        role = name.removeprefix("other_")
        key, token = auth_service.create_key(db_session=session, role=role, name=name, **binding)
        tokens[name], key_ids[name] = token, key.id
    session.commit()
    return World(tokens, key_ids)


def rebuild_world(session: Session) -> World:
    """The community anew, after a test changed it."""
    session.rollback()
    session.expunge_all()
    empty_tables(session.get_bind())  # type: ignore[arg-type]
    return make_world(session)


@pytest.fixture
def world(session: Session) -> World:
    """The community on empty tables."""
    return make_world(session)


@pytest.fixture
def api_settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings on the test database; no rate limit unless a test sets one."""
    return Settings(database_url=database_url, data_dir=tmp_path / "var", rate_limit_per_minute=0,
                    auth_failures_per_minute=0, anonymous_searches_per_minute=0)


@pytest.fixture
def client(api_settings: Settings, world: World) -> Iterator[TestClient]:
    """The app without the matching engine: matching routes answer 503."""
    with TestClient(create_app(api_settings, load_matching=False)) as test_client:
        yield test_client



@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    """The shipped domain vocabulary, loaded once."""
    return load_vocabulary(VOCABULARY)


@pytest.fixture
def matching_client(api_settings: Settings, world: World, encoder: SentenceTransformerEncoder,
                    vocabulary: Vocabulary) -> Iterator[TestClient]:
    """The whole app with a fresh engine on the shared encoder; it syncs from the database on first use."""
    engine = MatchingEngine(api_settings, encoder, vocabulary)
    with TestClient(create_app(api_settings, engine)) as test_client:
        yield test_client
