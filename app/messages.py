"""The API's messages in English and Japanese, and the choice between them by Accept-Language."""

from typing import Any, TypeVar

from app.errors import AppError

LANGUAGES = ("en", "ja")
DEFAULT_LANGUAGE = "en"
KEY_HEADERS = "`Authorization: Bearer <key>` or `X-API-Key: <key>`"

E = TypeVar("E", bound=AppError)

# code -> (English, Japanese); placeholders are filled by str.format.
MESSAGES: dict[str, tuple[str, str]] = {
    "auth.missing": (
        f"No API key was sent. Send your key as {KEY_HEADERS}.",
        f"APIキーが送られていません。{KEY_HEADERS} ヘッダーでキーを送ってください。",
    ),
    "auth.unknown": (
        f"The API key is not valid. Send the key you were given as {KEY_HEADERS}; "
        "the secretariat can issue a new one.",
        f"APIキーが正しくありません。発行されたキーを {KEY_HEADERS} ヘッダーで送ってください。"
        "キーは事務局が発行します。",
    ),
    "auth.revoked": (
        f"This API key was revoked. Ask the secretariat for a new key and send it as {KEY_HEADERS}.",
        f"このAPIキーは無効化されています。事務局から新しいキーを受け取り、{KEY_HEADERS} ヘッダーで送ってください。",
    ),
    "forbidden.role": (
        "A {role} key may not {action}; that needs a {allowed} key.",
        "{role} のキーでは {action} はできません（{allowed} のキーが必要です）。",
    ),
    "forbidden.other_organization": (
        "A member key may only change its own organization ({own}); {target} belongs to another member.",
        "会員のキーで変更できるのは自分の団体（{own}）のデータだけです。{target} は他の会員のものです。",
    ),
    "forbidden.other_key": (
        "A {role} key may only list and revoke the keys of its own {scope}; key {id} is not one of them.",
        "{role} のキーで一覧・無効化できるのは自分の{scope}のキーだけです。キー {id} は対象外です。",
    ),
    "forbidden.feedback_pair": (
        "Feedback is given on pairs with one of your own needs or seeds; neither {need} nor {seed} "
        "belongs to {own}.",
        "フィードバックできるのは自分のニーズまたはシーズを含む組み合わせだけです。"
        "{need} も {seed} も {own} のものではありません。",
    ),
    "not_found.organization": (
        "No organization with id {id!r}; GET /v1/organizations lists them.",
        "ID {id!r} の会員はいません。GET /v1/organizations で一覧できます。",
    ),
    "not_found.need": (
        "No need with id {id!r}; GET /v1/needs lists them.",
        "ID {id!r} のニーズはありません。GET /v1/needs で一覧できます。",
    ),
    "not_found.seed": (
        "No seed with id {id!r}; GET /v1/seeds lists them.",
        "ID {id!r} のシーズはありません。GET /v1/seeds で一覧できます。",
    ),
    "not_found.lab": (
        "No lab with id {id!r}; GET /v1/labs lists them.",
        "ID {id!r} のラボはありません。GET /v1/labs で一覧できます。",
    ),
    "not_found.key": (
        "No API key with id {id}; GET /v1/keys lists them.",
        "ID {id} のAPIキーはありません。GET /v1/keys で一覧できます。",
    ),
    "conflict.id_taken": (
        "The id {id!r} is already used by another {kind}; choose another, or leave id out to get the next free one.",
        "ID {id!r} は別の{kind}で使われています。別のIDにするか、IDを省いて自動で採番してください。",
    ),
    "invalid.prefecture": (
        "prefecture {value!r} is not one of the 47 prefectures (kanji, e.g. 福岡県) nor 'all'.",
        "prefecture {value!r} は47都道府県名（漢字、例: 福岡県）でも 'all' でもありません。",
    ),
    "invalid.organization_required": (
        "organization is required: the id of the member the {kind} belongs to (e.g. ORG-0001).",
        "organization（この{kind}を出す会員のID、例: ORG-0001）を指定してください。",
    ),
    "invalid.same_organization": (
        "The need {need} and the seed {seed} belong to the same member; feedback is for pairs across members.",
        "ニーズ {need} とシーズ {seed} は同じ会員のものです。フィードバックは異なる会員の組み合わせが対象です。",
    ),
    "invalid.key_scope": (
        "A {role} key {rule}.",
        "{role} のキーは {rule}。",
    ),
    "invalid.record": (
        "{field}: {reason}",
        "{field}: {reason}",
    ),
    "invalid.input": (
        "{field}: {reason}",
        "入力が正しくありません（{field}）: {reason}",
    ),
    "invalid.json": (
        "The request body is not valid JSON: {reason}.",
        "リクエスト本文が正しいJSONではありません: {reason}。",
    ),
    "http.not_found": (
        "There is no {path}. The API is described at /docs.",
        "{path} はありません。APIの説明は /docs にあります。",
    ),
    "http.method_not_allowed": (
        "{method} is not allowed on {path}; use {allow}.",
        "{path} に {method} は使えません。使えるのは {allow} です。",
    ),
    "http.too_large": (
        "The request body is larger than {limit} bytes.",
        "リクエスト本文が {limit} バイトを超えています。",
    ),
    "http.nul": (
        "The request URL contains a NUL character.",
        "リクエストURLにNUL文字が含まれています。",
    ),
    "http.internal": (
        "Something went wrong on our side and was logged; please try again later.",
        "サーバー側で問題が起きました（記録済み）。しばらくしてからもう一度お試しください。",
    ),
    "rate.limited": (
        "Too many requests with this key (at most {per_minute} a minute); try again in {retry_after} s.",
        "このキーからのリクエストが多すぎます（1分あたり最大 {per_minute} 件）。"
        "{retry_after} 秒後にもう一度お試しください。",
    ),
    "cors.origin": (
        "The origin {origin} is not registered for any lab; the secretariat can add it to the lab's allowed_origins.",
        "オリジン {origin} はどのラボにも登録されていません。事務局がラボの allowed_origins に追加できます。",
    ),
}


def render(code: str, lang: str, params: dict[str, Any]) -> str:
    """The catalogue message in the language, filled with the parameters."""
    english, japanese = MESSAGES[code]
    return (japanese if lang == "ja" else english).format(**params)


def error(cls: type[E], code: str, *, field: str | None = None, **params: Any) -> E:
    """An error whose message comes from the catalogue: English for the CLI and logs, localized by the API."""
    params = ({"field": field} if field is not None else {}) | params  # messages may name the field too
    return cls(render(code, DEFAULT_LANGUAGE, params), field=field, code=code, params=params)


def negotiate(accept_language: str | None) -> str:
    """The supported language the caller prefers most (RFC 9110 weights), English by default."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for item in (accept_language or "").split(","):
        tag, _, rest = item.strip().partition(";")
        q = 1.0
        for param in rest.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        lang = DEFAULT_LANGUAGE if primary == "*" else primary
        # Strictly greater: of equal weights the earlier one wins, as the header lists preferences in order.
        if lang in LANGUAGES and 0 < q <= 1 and q > best_q:
            best, best_q = lang, q
    return best
