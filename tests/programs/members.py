"""Members for the support-program worked cases, in the roster exchange format, and result helpers."""

from typing import Any

from app.roster.vocab import FORMAT

OKU, MAN = 100_000_000, 10_000
SUMMER_2018 = "2018-07-01"
SME_REASON = "資本金10億円・従業員1,000人のため中小企業に該当しません（製造業: 資本金3億円以下または従業員300人以下）"


def member(org_id: str, name: str, *, industry: str = "E", roles: tuple[str, ...] = ("user",),
           needs: tuple[dict[str, Any], ...] = (), **fields: Any) -> dict[str, Any]:
    """A member record; companies in 福岡県 unless said otherwise."""
    record = {"id": org_id, "name": name, "member_type": "corporate", "roles": list(roles), "support_type": None,
              "prefecture": "福岡県", "industry": industry, "description": f"{name}の紹介。",
              "needs": list(needs), "seeds": []}
    return record | fields


def need(need_id: str, title: str, description: str, budget_jpy: int | None = None) -> dict[str, Any]:
    """A need record."""
    record: dict[str, Any] = {"id": need_id, "title": title, "description": description}
    if budget_jpy is not None:
        record["budget_jpy"] = budget_jpy
    return record


ROSTER: dict[str, Any] = {
    "format": FORMAT,
    "organizations": [
        member("ORG-MFG", "九州精工株式会社", capital_jpy=2 * OKU, employees=150, needs=(
            need("N-MFG", "IoTセンサーの設備導入", "生産ラインにIoTセンサーを設備導入して稼働を見える化したい",
                 800 * MAN),
        )),
        member("ORG-BIG", "大手重工株式会社", capital_jpy=10 * OKU, employees=1_000),
        member("ORG-FARM", "星ふる高原牧場", industry="A", prefecture="熊本県", employees=4, needs=(
            need("N-FARM", "牛舎の見守り", "牛舎に温湿度センサーを入れて夜間の見回りを減らしたい", 300 * MAN),
        )),
        member("ORG-A", "A精工株式会社", capital_jpy=3_000 * MAN, employees=40, needs=(
            need("N-A", "3社の生産データ共有", "3社で生産データを共有し、受発注と生産管理を一体で行いたい"),
        )),
        member("ORG-B", "B金属株式会社", capital_jpy=3_000 * MAN, employees=40),
        member("ORG-C", "C電子株式会社", capital_jpy=3_000 * MAN, employees=40),
        member("ORG-CI", "筑後データ工業株式会社", capital_jpy=3_000 * MAN, employees=40,
               certifications=["コネクテッド・インダストリーズ税制の事業計画認定", "登録セキスペによる確認"],
               needs=(need("N-CI", "社外データとの連携", "工場のセンサーデータを取引先の社外データと連携したい"),)),
        member("ORG-LAB", "西肥前工業技術センター", industry="L", roles=("support",), support_type="public_research",
               prefecture="佐賀県", employees=45),
        member("ORG-RD", "有明検査機株式会社", capital_jpy=5_000 * MAN, employees=60, needs=(
            need("N-RD", "検査装置の実用化", "公設試と共同研究して検査装置を実用化したい"),
        )),
    ],
}


def by_program(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The judged programs of a suggestion result by program id."""
    return {p["program_id"]: p for p in result["programs"]}


def codes(conditions: list[dict[str, Any]]) -> set[str]:
    """The condition codes of a met/unconfirmed/conflicting list."""
    return {c["code"] for c in conditions}
