"""The pages' language (Japanese by default, English on request) and their interface strings."""

from fastapi import Request

LANGUAGES = ("ja", "en")
DEFAULT = "ja"
COOKIE = "lang"

# key -> (Japanese, English)
STRINGS: dict[str, tuple[str, str]] = {
    "site": ("九州IoTコミュニティ ビジネスマッチング", "Kyushu IoT Community Business Matching"),
    "skip": ("本文へ移動", "Skip to content"),
    "nav": ("メインメニュー", "Main menu"),
    "search": ("さがす", "Search"),
    "my_page": ("マイページ", "My page"),
    "dashboard": ("事務局ダッシュボード", "Secretariat dashboard"),
    "sign_in": ("ログイン", "Sign in"),
    "sign_out": ("ログアウト", "Sign out"),
    "language": ("English", "日本語"),
    "search_title": ("困りごと・技術をさがす", "Find help and technology"),
    "search_lead": ("困っていることや探している技術を文章で入力してください。",
                    "Describe what troubles you or the technology you need."),
    "query": ("検索する文章", "What are you looking for?"),
    "query_ph": ("例: 設備の故障を事前に知りたい", "e.g. I want to know before equipment breaks down"),
    "target": ("さがす対象", "Look in"),
    "target_seeds": ("シーズ（技術・サービス）", "Seeds (technology, services)"),
    "target_needs": ("ニーズ（課題）", "Needs (problems)"),
    "prefecture": ("県", "Prefecture"),
    "role": ("役割", "Role"),
    "industry": ("業種", "Industry"),
    "any": ("すべて", "Any"),
    "submit_search": ("検索", "Search"),
    "results": ("検索結果", "Results"),
    "results_count": ("{n}件", "{n} found"),
    "no_results": ("条件に合うものは見つかりませんでした。文章や条件を変えてお試しください。",
                   "Nothing matched. Try other words or fewer filters."),
    "reason": ("理由", "Why"),
    "member": ("会員", "Member"),
    "details": ("詳しく見る", "Details"),
    "seed": ("シーズ", "Seed"),
    "need": ("ニーズ", "Need"),
    "tags": ("タグ", "Tags"),
    "budget": ("予算", "Budget"),
    "industries_served": ("対応できる業種", "Industries served"),
    "why_this": ("「{q}」に合う理由", "Why it fits “{q}”"),
    "feedback_title": ("この組み合わせへの反応を記録", "Record your response to this pair"),
    "feedback_need": ("どのニーズについて", "For which of your needs"),
    "feedback_seed": ("どのシーズについて", "For which of your seeds"),
    "feedback_saved": ("「{status}」を記録しました。", "Recorded “{status}”."),
    "current_status": ("現在の記録: {status}", "Current: {status}"),
    "sign_in_to_respond": ("反応を記録するにはログインしてください。", "Sign in to record your response."),
    "api_key": ("APIキー", "API key"),
    "api_key_help": ("事務局から受け取ったキー（iotm_ で始まる文字列）を入力してください。",
                     "The key the secretariat gave you (it starts with iotm_)."),
    "signed_in_as": ("{who} としてログイン中", "Signed in as {who}"),
    "signed_out": ("ログアウトしました。", "You have signed out."),
    "my_needs": ("わたしのニーズ", "My needs"),
    "my_seeds": ("わたしのシーズ", "My seeds"),
    "matches_for_need": ("このニーズに応えられるシーズ", "Seeds that answer this need"),
    "matches_for_seed": ("このシーズが役立ちそうなニーズ", "Needs this seed can serve"),
    "programs": ("使えそうな支援制度", "Support programs that may apply"),
    "no_programs": ("該当しそうな支援制度は見つかりませんでした。", "No support program seems to apply."),
    "estimated": ("支援見込額", "Estimated support"),
    "cap": ("上限額", "Up to"),
    "no_matches": ("まだ候補がありません。", "No candidates yet."),
    "add_need": ("ニーズを追加", "Add a need"),
    "add_seed": ("シーズを追加", "Add a seed"),
    "edit": ("編集", "Edit"),
    "edit_need": ("ニーズを編集", "Edit need"),
    "edit_seed": ("シーズを編集", "Edit seed"),
    "title": ("タイトル", "Title"),
    "description": ("内容", "Description"),
    "tags_help": ("読点（、）またはカンマで区切って入力", "Separate with commas"),
    "budget_help": ("円、数字のみ（任意）", "Yen, digits only (optional)"),
    "served_help": ("対応できる業種を選んでください（複数可）", "Choose the industries you serve"),
    "service_area": ("提供できる地域", "Service area"),
    "service_area_help": ("提供できる都道府県を選んでください。選ばなければ全国どこでも提供できるものとして扱います。",
                          "Choose the prefectures where you offer this. Leave all unticked if it is available "
                          "anywhere."),
    "other_prefectures": ("九州以外の都道府県", "Prefectures outside Kyushu"),
    "save": ("保存", "Save"),
    "cancel": ("戻る", "Back"),
    "saved": ("保存しました。", "Saved."),
    "form_errors": ("入力を確認してください。", "Please check your input."),
    "profile": ("会員プロフィール", "Member profile"),
    "location": ("所在地", "Location"),
    "employees": ("従業員数", "Employees"),
    "founded": ("設立", "Founded"),
    "website": ("ウェブサイト", "Website"),
    "certifications": ("認証・資格", "Certifications"),
    "contact": ("連絡先（事務局と本人にのみ表示）", "Contact (shown to the secretariat and the member only)"),
    "member_type": ("会員種別", "Member type"),
    "corporate": ("団体会員", "Corporate member"),
    "individual": ("個人会員", "Individual member"),
    "none_yet": ("まだありません。", "None yet."),
    "members_by_role": ("役割別の会員数", "Members by role"),
    "members_by_prefecture": ("県別の会員数", "Members by prefecture"),
    "totals": ("全体", "Totals"),
    "members": ("会員", "Members"),
    "needs": ("ニーズ", "Needs"),
    "seeds": ("シーズ", "Seeds"),
    "suggested": ("提案したマッチング", "Matches suggested"),
    "feedback_received": ("受け取ったフィードバック", "Feedback received"),
    "recent_feedback": ("最近のフィードバック", "Recent feedback"),
    "unmet_chart": ("未解決のニーズ（県 × 業種）", "Unmet needs (prefecture × industry)"),
    "unmet_help": ("面談・成約に至っていないニーズの数です。色が濃いほど多くなります。",
                   "Needs not yet met or closed; darker means more."),
    "when": ("日時", "When"),
    "by": ("記録した会員", "By"),
    "status": ("状況", "Status"),
    "secretariat": ("事務局", "Secretariat"),
    "events": ("マッチングイベント", "Matching events"),
    "embed_title": ("{lab} 会員さがし", "{lab}: find members"),
    "region": ("地域", "Region"),
    "all_kyushu": ("すべての地域", "All regions"),
    "fields": ("分野", "Fields"),
    "lab_fields": ("ラボの重点分野", "The lab's focus fields"),
    "all_fields": ("すべての分野", "All fields"),
    "powered_by": ("九州IoTコミュニティ", "Kyushu IoT Community"),
    "error_title": ("エラー", "Error"),
    "back_home": ("検索ページへ戻る", "Back to search"),
}
STATUS_LABELS = {
    "interested": ("興味あり", "Interested"),
    "not_relevant": ("関係なし", "Not relevant"),
    "contacted": ("連絡した", "Contacted"),
    "met": ("面談した", "Met"),
    "deal": ("成約", "Deal"),
}
ROLE_LABELS = {
    "vendor_hw": ("ハードウエアベンダー", "Hardware vendor"),
    "vendor_sys": ("システムベンダー", "System vendor"),
    "sier": ("システムインテグレーター", "System integrator"),
    "user": ("ユーザー企業", "User company"),
    "support": ("支援機関", "Support organization"),
}


def pick(request: Request) -> str:
    """The language asked for by ?lang=, else the lang cookie, else Japanese."""
    for value in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if value in LANGUAGES:
            return value
    return DEFAULT


class Translator:
    """Interface strings in one language; templates call it as t("key", n=3)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._index = LANGUAGES.index(lang)

    def __call__(self, key: str, **params: object) -> str:
        text = STRINGS[key][self._index]
        return text.format(**params) if params else text

    def status(self, status: str) -> str:
        """A feedback status's label."""
        return STATUS_LABELS[status][self._index]

    def role(self, role: str) -> str:
        """A member role's label."""
        return ROLE_LABELS[role][self._index]


INDUSTRY_EN = {
    "A": "Agriculture, forestry", "B": "Fisheries", "C": "Mining", "D": "Construction", "E": "Manufacturing",
    "F": "Electricity, gas, heat, water", "G": "Information and communications", "H": "Transport, postal",
    "I": "Wholesale, retail", "J": "Finance, insurance", "K": "Real estate, leasing",
    "L": "Scientific research, professional services", "M": "Accommodation, food services",
    "N": "Living-related services, amusement", "O": "Education", "P": "Medical, health care, welfare",
    "Q": "Compound services", "R": "Other services", "S": "Government", "T": "Unclassifiable",
}
