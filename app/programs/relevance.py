"""What a need asks for, and how relevant a program is to it: pure functions of the need's words and concepts.

A program is relevant only when the need asks for one of the program's purposes (what the program is for, in
the catalog). A need asks for a purpose in words (PURPOSE_TERMS) or through the domain vocabulary's concepts
it mentions (CONCEPT_PURPOSES, and by kind: naming a technology or an application of one asks to introduce
it). Keywords of the program only rank the relevant programs among themselves: a shared everyday word (若手,
技術者) never makes a security training relevant to a skills-transfer need.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from app.programs.catalog import Program, Purpose

PURPOSE_JA: dict[Purpose, str] = {
    Purpose.IT_TOOLS: "ITツールの導入",
    Purpose.EQUIPMENT: "設備投資",
    Purpose.DATA_LINKAGE: "データの共有・活用",
    Purpose.JOINT_RD: "共同研究・試作開発",
    Purpose.STARTUP: "起業・創業",
    Purpose.EXPERT_ADVICE: "専門家の助言",
    Purpose.TRAINING: "人材育成",
    Purpose.FINANCING: "資金調達",
    Purpose.REGIONAL_INVESTMENT: "地域経済を牽引する投資",
    Purpose.SECURITY: "情報セキュリティ",
    Purpose.HIRING: "人材確保",
    Purpose.MARKET_EXPANSION: "販路開拓",
    Purpose.DEMONSTRATION: "実証",
    Purpose.SUCCESSION: "事業承継",
}

# Phrases of asking for a purpose, not words that turn up in any description of a problem: 「機械が止まる」
# does not ask for equipment, 「設備を導入したい」 does.
PURPOSE_TERMS: dict[Purpose, tuple[str, ...]] = {
    Purpose.IT_TOOLS: ("ITツール", "IT導入", "会計ソフト", "会計システム", "POS", "決済", "在庫管理", "顧客管理",
                       "業務効率化", "クラウド", "ソフトウェア", "アプリ", "システム導入", "システムを導入"),
    Purpose.EQUIPMENT: ("設備投資", "設備導入", "設備を導入", "設備を入れ", "設備更新", "設備の更新", "機械を導入",
                        "機械を入れ", "装置を導入", "装置の導入", "ロボット", "センサー", "工作機械", "生産ライン",
                        "IoT機器", "自動化"),
    Purpose.DATA_LINKAGE: ("データ共有", "データを共有", "データ連携", "データを連携", "データ活用", "データ利活用",
                           "社外データ", "企業間", "情報共有", "共有したい"),
    Purpose.JOINT_RD: ("共同研究", "研究開発", "試作", "実用化", "技術開発", "大学と", "公設試", "高専と", "産学連携"),
    Purpose.STARTUP: ("起業", "創業期", "創業間もない", "スタートアップ", "ベンチャー", "出資"),
    Purpose.EXPERT_ADVICE: ("専門家", "助言", "アドバイス", "コンサル", "伴走", "カイゼン", "相談したい", "相談できる",
                            "相談に乗", "指導"),
    Purpose.TRAINING: ("人材育成", "研修", "教育", "講座", "スキル", "学び直し", "技能", "技術伝承", "技術の伝承",
                       "育成"),
    Purpose.FINANCING: ("融資", "資金", "借入", "運転資金"),
    Purpose.REGIONAL_INVESTMENT: ("地域経済", "地域未来投資", "牽引", "地域の中核"),
    # information security: 「防犯・盗難のセキュリティ対策」 is no ask for the cyber-security programs
    Purpose.SECURITY: ("サイバー", "情報セキュリティ", "セキュリティ診断", "セキュリティ教育", "セキュリティ研修",
                       "セキュリティ人材", "情報漏えい", "情報漏洩", "不正アクセス", "ウイルス", "ランサム", "脆弱性"),
    Purpose.HIRING: ("人材確保", "採用したい", "採用活動", "求人", "人が集まらない", "人を雇"),
    Purpose.MARKET_EXPANSION: ("販路", "海外展開", "海外市場", "輸出", "市場開拓", "新市場", "新規顧客", "販売先"),
    Purpose.DEMONSTRATION: ("実証", "検証", "実験", "試験導入", "トライアル"),
    Purpose.SUCCESSION: ("事業承継", "後継者", "事業引継ぎ"),
}

# Introducing a technology, or an application of one, is an investment in equipment or IT tools.
_INTRODUCE = (Purpose.EQUIPMENT, Purpose.IT_TOOLS)
KIND_PURPOSES: dict[str, tuple[Purpose, ...]] = {"technology": _INTRODUCE, "application": _INTRODUCE}
# Concepts of the domain vocabulary (seed/vocabulary.yaml) that ask for something else; these replace the
# purposes of their kind. Problems (人手不足, 高齢化) and industries ask for nothing by themselves.
CONCEPT_PURPOSES: dict[str, tuple[Purpose, ...]] = {
    "skill-transfer": (Purpose.TRAINING,),
    "programming-education": (Purpose.TRAINING,),
    "training": (Purpose.TRAINING,),
    "it-talent-shortage": (Purpose.TRAINING,),
    "security-training": (Purpose.SECURITY, Purpose.TRAINING),
    "cybersecurity": (Purpose.SECURITY,),
    "ot-security": (Purpose.SECURITY,),
    "data-utilization": (Purpose.DATA_LINKAGE, Purpose.IT_TOOLS),
    "information-sharing": (Purpose.DATA_LINKAGE, Purpose.IT_TOOLS),
    "ecommerce": (Purpose.MARKET_EXPANSION, Purpose.IT_TOOLS),
    "digital-marketing": (Purpose.MARKET_EXPANSION, Purpose.IT_TOOLS),
    "tourism-marketing": (Purpose.MARKET_EXPANSION,),
    "prototyping": (Purpose.JOINT_RD, Purpose.EQUIPMENT),
    "iot-device-development": (Purpose.JOINT_RD, Purpose.EQUIPMENT),
    "joint-research": (Purpose.JOINT_RD,),
    "research-institutions": (Purpose.JOINT_RD,),
    "startup-support": (Purpose.STARTUP,),
    "equity-investment": (Purpose.STARTUP, Purpose.FINANCING),
    "expert-dispatch": (Purpose.EXPERT_ADVICE,),
    "consulting": (Purpose.EXPERT_ADVICE,),
    "application-support": (Purpose.EXPERT_ADVICE,),
    "where-to-start": (Purpose.EXPERT_ADVICE,),
    "loan": (Purpose.FINANCING,),
    "funding-need": (Purpose.FINANCING,),
    "capital-investment": (Purpose.EQUIPMENT,),
    "poc-trial": (Purpose.DEMONSTRATION,),
    "test-field": (Purpose.DEMONSTRATION,),
    "demo-lab": (Purpose.DEMONSTRATION,),
    "regional-revitalization": (Purpose.REGIONAL_INVESTMENT,),
}


@dataclass(frozen=True)
class NeedAsk:
    """A need as relevance reads it: its normalized text and the purposes it asks for, each with what said so."""

    text: str
    purposes: Mapping[Purpose, str]


def read_need(text: str | None, concepts: Mapping[str, str] | None = None) -> NeedAsk:
    """What the need asks for, from its words and the vocabulary concepts (id → kind) found in it."""
    return _read_need(text or "", tuple(sorted((concepts or {}).items())))


@lru_cache(maxsize=1024)
def _read_need(text: str, concepts: tuple[tuple[str, str], ...]) -> NeedAsk:
    # a need is read once for all its matched pairs
    norm = normalize(text)
    asked: dict[Purpose, str] = {}
    for purpose, terms in _purpose_forms():
        found = next((term for term, form in terms if form in norm), None)
        if found:
            asked[purpose] = found
    for concept_id, kind in concepts:
        for purpose in CONCEPT_PURPOSES.get(concept_id, KIND_PURPOSES.get(kind, ())):
            asked.setdefault(purpose, concept_id)
    return NeedAsk(norm, MappingProxyType(asked))  # shared by the cache, so read-only


def relevance(program: Program, ask: NeedAsk) -> tuple[float, list[str], list[Purpose]]:
    """Score 0..1: zero unless the need asks for one of the program's purposes; then purposes (0.5) and keywords (1)."""
    purposes = [p for p in program.purposes if p in ask.purposes]
    if not purposes:
        return 0.0, [], []
    keywords = [k for k, form in _keyword_forms(tuple(program.keywords)) if form in ask.text]
    raw = len(keywords) + 0.5 * len(purposes)
    return round(raw / (raw + 2), 3), keywords, purposes


@lru_cache(maxsize=1)
def _purpose_forms() -> tuple[tuple[Purpose, tuple[tuple[str, str], ...]], ...]:
    return tuple((p, tuple((t, normalize(t)) for t in terms)) for p, terms in PURPOSE_TERMS.items())


@lru_cache(maxsize=1024)
def _keyword_forms(keywords: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """A program's keywords in normalized form, computed once per catalog entry."""
    return tuple((k, normalize(k)) for k in keywords)


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """NFKC, lower case, no spaces: ＩｏＴ and iot, 全角 and 半角 compare equal (memoized: keywords repeat)."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())
