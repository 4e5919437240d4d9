"""The API's messages in English and Japanese, and the choice between them by Accept-Language."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    "auth.scheme": (
        f"The Authorization header holds no API key. Send your key as {KEY_HEADERS}.",
        f"Authorization ヘッダーにAPIキーがありません。{KEY_HEADERS} ヘッダーでキーを送ってください。",
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
        "{role} のキーで一覧・無効化できるのは、そのキーの{scope}のキーだけです。キー {id} は対象外です。",
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
    "not_found.member": (
        "No member with id {id!r}; GET /v1/organizations lists them.",
        "ID {id!r} の会員はいません。GET /v1/organizations で一覧できます。",
    ),
    "not_found.program": (
        "No support program with id {id!r}; GET /v1/programs lists them.",
        "ID {id!r} の支援施策はありません。GET /v1/programs で一覧できます。",
    ),
    "conflict.id_taken": (
        "The id {id!r} is already used by another {kind}; choose another, or leave id out to get the next free one.",
        "ID {id!r} は別の{kind}で使われています。別のIDにするか、IDを省いて自動で採番してください。",
    ),
    "conflict.program_exists": (
        "Program {id!r} already exists; PUT /v1/programs/{id} changes it.",
        "施策 {id!r} はすでにあります。変更は PUT /v1/programs/{id} で行ってください。",
    ),
    "conflict.program_created": (
        "Program {id!r} was created at the same time by another request.",
        "施策 {id!r} は別のリクエストで同時に登録されました。",
    ),
    "conflict.program_retired": (
        "Program {id!r} is retired; POST /v1/programs with its document restores it.",
        "施策 {id!r} は廃止されています。その文書を POST /v1/programs に送ると復活します。",
    ),
    "invalid.origin": (
        "{origin!r} is not a web origin: give scheme://host[:port] as browsers send it, e.g. "
        "https://iot-lab.example.jp (no path, no trailing slash).",
        "{origin!r} はオリジンではありません。ブラウザが送る形 scheme://host[:port]（例: https://iot-lab.example.jp、"
        "パスや末尾の / なし）で指定してください。",
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
        "role が {role} のキーは{rule}。",
    ),
    "invalid.role": (
        "role must be one of {allowed}",
        "role は {allowed} のいずれかにしてください。",
    ),
    "invalid.status": (
        "status must be one of {allowed}",
        "status は {allowed} のいずれかにしてください。",
    ),
    "invalid.program_object": (
        "A program must be an object with the fields of seed/programs.yaml.",
        "施策は seed/programs.yaml の1件と同じ項目を持つオブジェクトにしてください。",
    ),
    "invalid.program": (
        "{label} has {count} problem(s): {problems}",
        "{label}に {count} 件の問題があります: {problems}",
    ),
    "invalid.program_rename": (
        "The document's id {body_id!r} differs from {id!r}; ids cannot be renamed "
        "(create the new id and retire the old one).",
        "文書のID {body_id!r} が {id!r} と違います。IDは変更できません（新しいIDで登録し、古いIDを廃止してください）。",
    ),
    "invalid.changed_by": (
        "changed_by must name who made the change (an API key name, 'cli', ...).",
        "changed_by には変更した人（APIキーの名前や 'cli' など）を指定してください。",
    ),
    "invalid.catalog": (
        "{error}",
        "施策カタログに問題があります: {error}",
    ),
    "invalid.yaml": (
        "{origin}: invalid YAML: {error}",
        "{origin}: YAMLとして読めません: {error}",
    ),
    "invalid.member_data": (
        "Member {id!r} cannot be judged: {problems}",
        "会員 {id!r} の登録内容では判定できません: {problems}",
    ),
    "invalid.need_owner": (
        "Need {need!r} belongs to another member, not {own!r}.",
        "ニーズ {need!r} は {own!r} ではなく他の会員のものです。",
    ),
    "invalid.flags": (
        "{value!r} is not a valid Flag; flags are {allowed}",
        "flags の値 {value!r} は使えません。使えるのは {allowed} です。",
    ),
    "invalid.partner_self": (
        "{id!r} is the applicant; list only the other members as partners.",
        "{id!r} は申請者です。partners には他の会員だけを挙げてください。",
    ),
    "invalid.investment": (
        "investment_jpy must not be negative.",
        "investment_jpy は0以上にしてください。",
    ),
    "invalid.record": (
        "{field}: {reason}",
        "入力が正しくありません（{field}）: {reason}",
    ),
    "invalid.input": (
        "{field}: {reason}",
        "入力が正しくありません（{field}）: {reason}",
    ),
    "invalid.json": (
        "The request body is not valid JSON: {reason}.",
        "リクエスト本文が正しいJSONではありません（{position} 文字目付近）。",
    ),
    "index.loading": (
        "The matching index is still loading; try again in a few seconds.",
        "マッチングの索引を読み込み中です。数秒後にもう一度お試しください。",
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
    "http.body_encoding": (
        "The request body is not UTF-8 text; send JSON encoded as UTF-8.",
        "リクエスト本文がUTF-8ではありません。JSONはUTF-8で送ってください。",
    ),
    "http.body_unreadable": (
        "The request body could not be read as JSON (a number longer than 4300 digits, for example); "
        "check it and send it again.",
        "リクエスト本文をJSONとして読めませんでした（4300桁を超える数値など）。内容を確かめて送り直してください。",
    ),
    "http.error": (
        "{detail}",
        "リクエストを処理できませんでした（HTTP {status}）。",
    ),
    "http.nul": (
        "The request URL contains a NUL character.",
        "リクエストURLにNUL文字が含まれています。",
    ),
    "http.nul_text": (
        "A text contains a NUL character, which cannot be stored; remove it and send the request again.",
        "テキストにNUL文字が含まれていて保存できません。取り除いてから送り直してください。",
    ),
    "http.database_unavailable": (
        "The database cannot be reached just now; nothing was changed. Please try again in a moment.",
        "データベースに一時的に接続できません（変更は行われていません）。少し待ってからもう一度お試しください。",
    ),
    "http.body_timeout": (
        "The request body did not arrive within {seconds} s; send it again.",
        "リクエスト本文が {seconds} 秒以内に届きませんでした。送り直してください。",
    ),
    "http.internal": (
        "Something went wrong on our side and was logged; please try again later.",
        "サーバー側で問題が起きました（記録済み）。しばらくしてからもう一度お試しください。",
    ),
    "auth.throttled": (
        "Too many failed authentications from your address (at most {per_minute} a minute); try again in "
        "{retry_after} s with the key the secretariat gave you.",
        "このアドレスからの認証の失敗が多すぎます（1分あたり最大 {per_minute} 回）。{retry_after} 秒後に、"
        "事務局から受け取ったキーでもう一度お試しください。",
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
    # Events (商談会) and themes, in the secretariat's words: イベント, 参加者, 商談, 時間枠, テーブル, 希望, 成果.
    "not_found.event": (
        "No event {id!r}; `GET /v1/events` lists them.",
        "イベント {id!r} はありません。GET /v1/events で一覧できます。",
    ),
    "not_found.event_member": (
        "No member {id!r}.",
        "会員 {id!r} はいません。",
    ),
    "not_found.event_participant": (
        "{org} does not take part in {event}; add it as a participant first.",
        "{org} は {event} の参加者ではありません。先に参加者として登録してください。",
    ),
    "not_found.event_request_target": (
        "{target} does not take part in {event}; requests name other participants.",
        "{target} は {event} の参加者ではありません。希望の相手には、このイベントの他の参加者を指定してください。",
    ),
    "not_found.event_request": (
        "{requester} has no request about {target} in {event}.",
        "{event} には {requester} から {target} への希望はありません。",
    ),
    "not_found.event_meeting": (
        "{event} has no meeting {meeting}; the schedule lists the meeting ids.",
        "{event} に商談 {meeting} はありません。商談のIDはスケジュールに載っています。",
    ),
    "conflict.event_exists": (
        "An event {id!r} already exists; choose another code or edit it.",
        "イベント {id!r} はすでにあります。別のコードにするか、そのイベントを変更してください。",
    ),
    "conflict.event_registration_closed": (
        "Registration for {event} closed at {closes}; ask the secretariat to change participants or requests.",
        "{event} の参加申込は {closes} に締め切られました。参加者や希望の変更は事務局にご連絡ください。",
    ),
    "conflict.event_participant_exists": (
        "{org} already takes part in {event}; change it with PATCH /v1/events/{event}/participants/{org} instead.",
        "{org} はすでに {event} の参加者です。変更は PATCH /v1/events/{event}/participants/{org} で行ってください。",
    ),
    "conflict.event_tables_held": (
        "{event} already has meeting outcomes: its number of tables ({tables}) can no longer change. "
        "Name, date and venue can still be edited.",
        "{event} には商談の成果が記録されているため、テーブル数（{tables}）はもう変更できません。"
        "名称・日付・会場は変更できます。",
    ),
    "conflict.event_slots_held": (
        "{event} already has meeting outcomes: its meeting slots (codes, times, lengths) can no longer change; "
        "only breaks and labels can.",
        "{event} には商談の成果が記録されているため、商談の時間枠（コード・時刻・長さ）はもう変更できません。"
        "変更できるのは休憩とラベルだけです。",
    ),
    "conflict.event_participant_meetings_held": (
        "{event} already has meeting outcomes, and {org} had {count} meeting(s) in {slots}: its available slots "
        "must include them and max_meetings be at least {count}.",
        "{event} には商談の成果が記録されており、{org} は時間枠 {slots} で {count} 件の商談をしました。"
        "参加できる時間枠にはこれらを含め、max_meetings（商談数の上限）は {count} 以上にしてください。",
    ),
    "conflict.event_participant_held": (
        "{event} already has meeting outcomes, and {org} had meetings there: it can no longer be withdrawn.",
        "{event} には商談の成果が記録されており、{org} はそこで商談をしました。参加はもう取り消せません。",
    ),
    "conflict.event_pair_held": (
        "{event} already has meeting outcomes, and {requester} and {target} had a meeting there: {refused}.",
        "{event} には商談の成果が記録されており、{requester} と {target} はそこで商談をしました。{refused}。",
    ),
    "conflict.event_schedule_held": (
        "{event} already has meeting outcomes; it cannot be scheduled again.",
        "{event} には商談の成果が記録されているため、スケジュールはもう作り直せません。",
    ),
    "conflict.event_not_scheduled": (
        "{event} has no schedule yet; run the scheduler first.",
        "{event} にはまだスケジュールがありません。公開する前にスケジュールを作成してください。",
    ),
    "invalid.event_slot_count": (
        "give at least one meeting slot",
        "count（商談の時間枠の数）は1以上にしてください。",
    ),
    "invalid.event_slots_past_midnight": (
        "the slots run past midnight; start earlier or use fewer slots",
        "時間枠が午前0時を越えます。開始を早めるか、時間枠を減らしてください。",
    ),
    "invalid.event_slot_kind": (
        "a slot's kind is meeting or break",
        "時間枠の kind は meeting（商談）または break（休憩）にしてください。",
    ),
    "invalid.event_slot_minutes": (
        "a meeting slot lasts 15, 20 or 30 minutes, not {minutes}",
        "商談の時間枠の長さは15分・20分・30分のいずれかにしてください（{minutes} 分は使えません）。",
    ),
    "invalid.event_break_minutes": (
        "a break lasts between 1 and 1440 minutes",
        "休憩の長さは1〜1440分にしてください。",
    ),
    "invalid.event_slot_codes": (
        "slot codes must be unique within an event",
        "時間枠のコードはイベントの中で重ならないようにしてください。",
    ),
    "invalid.event_slot_past_midnight": (
        "slot {slot} ends after midnight ({start} + {minutes} min); every slot must end by 24:00 of the event's day",
        "時間枠 {slot} は午前0時を過ぎて終わります（{start} から {minutes} 分）。"
        "時間枠はすべてイベント当日の24:00までに終わるようにしてください。",
    ),
    "invalid.event_slot_overlap": (
        "slot {slot} ends at {end}, after {next} starts ({next_start})",
        "時間枠 {slot} は {end} に終わり、次の時間枠 {next} の開始（{next_start}）と重なっています。",
    ),
    "invalid.event_meeting_slots": (
        "an event needs at least one meeting slot",
        "イベントには商談の時間枠が1つ以上必要です。",
    ),
    "invalid.event_tables": (
        "an event needs at least one table",
        "イベントにはテーブルが1つ以上必要です。",
    ),
    "invalid.event_empty": (
        "{field} cannot be empty",
        "{field} は空にできません。",
    ),
    "invalid.event_unknown_slots": (
        "unknown meeting slot(s) {unknown}; this event's are {slots}",
        "商談の時間枠 {unknown} はこのイベントにありません。このイベントの時間枠は {slots} です。",
    ),
    "invalid.event_max_meetings_negative": (
        "max_meetings cannot be negative",
        "max_meetings（商談数の上限）は0以上にしてください。",
    ),
    "invalid.event_max_meetings": (
        "max_meetings must be 0 or more",
        "max_meetings（商談数の上限）は0以上にしてください。",
    ),
    "invalid.event_request_kind": (
        "kind must be one of {allowed}",
        "希望の種類（kind）は {allowed} のいずれかにしてください。",
    ),
    "invalid.event_request_self": (
        "a member cannot make a request about itself",
        "自分自身への希望は出せません。希望の相手には他の参加者を指定してください。",
    ),
    "invalid.event_time_limit": (
        "time_limit_s must be between 0.5 and {limit:g}",
        "time_limit_s（スケジュール作成の制限時間）は0.5〜{limit:g} 秒にしてください。",
    ),
    "invalid.event_outcome": (
        "outcome must be one of {allowed}",
        "outcome（商談の成果）は {allowed} のいずれかにしてください。",
    ),
    "invalid.event_member_required": (
        "give {field} (a member id such as ORG-0001)",
        "{field}（会員ID、例: ORG-0001）を指定してください。",
    ),
    "invalid.event_export_view": (
        "view must be list, participant or table",
        "view は list、participant、table のいずれかにしてください。",
    ),
    "invalid.event_export_format": (
        "format must be one of {allowed}",
        "format は {allowed} のいずれかにしてください。",
    ),
    "invalid.event_changeover": (
        "changeover_minutes must be between 0 and {max}",
        "changeover_minutes（商談の間の移動時間）は0〜{max}分にしてください。",
    ),
    "invalid.event_lunch_and_break": (
        "slot {after} already has a break after it; put lunch after another slot",
        "時間枠 {after} の後にはすでに休憩があります。昼食は別の時間枠の後にしてください。",
    ),
    "invalid.event_break_after": (
        "a break or lunch follows one of the meeting slots 1 to {last}, not {after}",
        "休憩・昼食は商談の時間枠 1〜{last} のいずれかの後に入れてください（{after} は使えません）。",
    ),
    "invalid.event_min_value": (
        "min_value must be between 0 and {max:g}",
        "min_value（推薦する商談の最低評価値）は0〜{max:g}にしてください。",
    ),
    "invalid.event_no_plan": (
        "{event}'s slots were given one by one, so there is no plan to change; send the whole plan (start, count, "
        "minutes, changeover_minutes, lunch, breaks)",
        "{event} の時間枠は一つずつ指定されたため、変更できる計画がありません。計画全体（start・count・minutes・"
        "changeover_minutes・lunch・breaks）を指定してください。",
    ),
    "invalid.event_move_nothing": (
        "give the slot or the table to move the meeting to",
        "移動先の時間枠かテーブルを指定してください。",
    ),
    "invalid.event_meeting_self": (
        "a meeting needs two different participants",
        "商談には異なる2者の参加者を指定してください。",
    ),
    "invalid.event_table": (
        "table {table} does not exist; this event has tables 1 to {tables}",
        "テーブル {table} はありません。このイベントのテーブルは 1〜{tables} です。",
    ),
    "conflict.event_meetings_held": (
        "{event} already has meeting outcomes: its meetings can no longer be changed.",
        "{event} には商談の成果が記録されているため、商談はもう変更できません。",
    ),
    "conflict.event_pair_scheduled": (
        "{a} and {b} already meet in {slot} (meeting {meeting}); move that meeting instead "
        "(PATCH /v1/events/{event}/meetings/{meeting}).",
        "{a} と {b} はすでに時間枠 {slot} で商談します（商談 {meeting}）。その商談を移動してください"
        "（PATCH /v1/events/{event}/meetings/{meeting}）。",
    ),
    "conflict.event_meeting_max": (
        "{org} already has {max} meeting(s), its maximum; raise its max_meetings first "
        "(PATCH /v1/events/{event}/participants/{org}).",
        "{org} の商談はすでに上限の {max} 件です。先に max_meetings を増やしてください"
        "（PATCH /v1/events/{event}/participants/{org}）。",
    ),
    "conflict.event_meeting_unavailable": (
        "{org} is not available in {slot}; change its available slots first "
        "(PATCH /v1/events/{event}/participants/{org}).",
        "{org} は時間枠 {slot} に参加できません。先に参加できる時間枠を変更してください"
        "（PATCH /v1/events/{event}/participants/{org}）。",
    ),
    "conflict.event_meeting_busy": (
        "{org} already has meeting {meeting} in {slot}; move or remove that one first.",
        "{org} は時間枠 {slot} にすでに商談 {meeting} があります。先にその商談を移動するか外してください。",
    ),
    "conflict.event_meeting_do_not_meet": (
        "{requester} asked not to meet ({a}, {b}); withdraw that do_not_meet request first "
        "(DELETE /v1/events/{event}/requests/{requester}/…).",
        "{requester} が商談を希望していません（{a}、{b}）。先にその do_not_meet の希望を取り消してください"
        "（DELETE /v1/events/{event}/requests/{requester}/…）。",
    ),
    "conflict.event_slot_full": (
        "every table ({tables}) in {slot} is taken; choose another slot or free a table first.",
        "時間枠 {slot} のテーブル（{tables} 卓）はすべて埋まっています。"
        "別の時間枠を選ぶか、先にテーブルを空けてください。",
    ),
    "conflict.event_table_taken": (
        "table {table} in {slot} is taken by meeting {meeting}; choose another table, or leave it out for the "
        "lowest free one.",
        "時間枠 {slot} のテーブル {table} は商談 {meeting} が使っています。別のテーブルを選ぶか、指定を省いて"
        "空いているテーブルにしてください。",
    ),
    "not_found.event_request_id": (
        "{event} has no request {id}; GET /v1/events/{event}/requests lists them.",
        "{event} に希望 {id} はありません。GET /v1/events/{event}/requests で一覧できます。",
    ),
    "invalid.theme_count": (
        "themes must be between 1 and 50",
        "themes（テーマの数）は1〜50にしてください。",
    ),
    # Roster files (iotmatch import / export).
    "roster.no_such_file": (
        "{path} does not exist",
        "{path} はありません。",
    ),
    "roster.unreadable": (
        "{path} cannot be read ({reason}): check that you may read it",
        "{path} を読めません（{reason}）。読み取りの権限を確かめてください。",
    ),
    "roster.cannot_write": (
        "{path} cannot be written ({reason}): check that its folder exists and you may write there",
        "{path} に書き出せません（{reason}）。フォルダーがあり、書き込みの権限があるか確かめてください。",
    ),
    "roster.unknown_kind": (
        "{name}: use a .json or .xlsx file, or a folder with organizations.csv, needs.csv and seeds.csv",
        "{name}: .json か .xlsx のファイル、または organizations.csv・needs.csv・seeds.csv を入れたフォルダーを"
        "指定してください。",
    ),
    "roster.unknown_output": (
        "{name}: write a .json or .xlsx file, or a folder (a name without a suffix) for organizations.csv, "
        "needs.csv and seeds.csv",
        "{name}: 書き出し先は .json か .xlsx のファイル、または CSV（organizations.csv・needs.csv・seeds.csv）を"
        "入れるフォルダー（拡張子のない名前）にしてください。",
    ),
    "roster.json_not_utf8": (
        "{name} is not UTF-8 text (an invalid byte at offset {position}): save it as UTF-8 and import again",
        "{name} は UTF-8 のテキストではありません（{position} バイト目が不正）。"
        "UTF-8 で保存し直して取り込んでください。",
    ),
    "roster.json_invalid": (
        "{name} is not valid JSON (line {line}, column {column}): {reason}",
        "{name} は正しいJSONではありません（{line} 行 {column} 文字目）: {reason}",
    ),
    "roster.json_too_deep": (
        "{name} nests lists and objects more than {limit} levels deep; a roster needs six. Check that it is the "
        "roster file",
        "{name} は配列やオブジェクトの入れ子が {limit} 段を超えています（名簿は6段です）。"
        "名簿のファイルか確かめてください。",
    ),
    "roster.json_number": (
        "{name} holds a number too long to read ({reason})",
        "{name} に桁数が多すぎて読めない数値があります（{reason}）。",
    ),
    "roster.xlsx_unreadable": (
        "{name} cannot be read as an Excel workbook (.xlsx): it is damaged, password-protected, or another "
        "kind of file under an .xlsx name. Open it in Excel and save it as \"Excel ブック (*.xlsx)\", or save "
        "its sheets as CSV UTF-8 files in a folder and import the folder",
        "{name} を Excel ブック（.xlsx）として読めません。壊れている、パスワードで保護されている、または別の形式の"
        "ファイルに .xlsx の名前が付いています。Excel で開いて「Excel ブック (*.xlsx)」として保存し直すか、各シートを"
        "CSV UTF-8 でフォルダーに保存してそのフォルダーを取り込んでください。",
    ),
    "roster.xlsx_cell_too_long": (
        "{where} is longer than {limit} characters, the most an Excel cell holds ({count} such value(s)), so no "
        "workbook was written: export as JSON or as CSV files",
        "{where} が Excel のセルに入る {limit} 文字を超えています（該当 {count} 件）。ブックは書き出していません。"
        "JSON か CSV で書き出してください。",
    ),
    "roster.changed_underneath": (
        "The roster changed while this import ran (another import or edit of the same members at the same "
        "time), so nothing was imported. Run the command again.",
        "取り込みの最中に名簿が変わりました（同じ会員を同時に取り込んだか編集した操作があります）。"
        "何も取り込んでいません。もう一度実行してください。",
    ),
    "cli.problem": ("error: {problem}", "エラー: {problem}"),
    "cli.nothing_imported": (
        "{count} problem(s); nothing was imported.",
        "問題が {count} 件あります。何も取り込んでいません。",
    ),
    "cli.import_counts": (
        "{kind}: {created} created, {updated} updated, {unchanged} unchanged",
        "{kind}: 新規 {created} 件、更新 {updated} 件、変更なし {unchanged} 件",
    ),
    "cli.import_missing": (
        "  {count} not in the file (kept; use --prune to remove): {ids}",
        "  ファイルにないもの {count} 件（残しています。削除するには --prune）: {ids}",
    ),
    "cli.import_removed": ("  {count} removed: {ids}", "  削除 {count} 件: {ids}"),
    "cli.import_dry_run": (
        "dry run: the file is valid; nothing was written. It would change:",
        "試行（--dry-run）: ファイルに問題はありません。何も書き込んでいません。取り込むと次のとおり変わります:",
    ),
    "cli.import_progress": ("importing", "取り込み中"),
    "cli.export_wrote": (
        "wrote {count} organizations to {path}",
        "{count} 会員を {path} に書き出しました。",
    ),
}


# The CLI's English for messages that name an API call: the command that does the same instead.
CLI_MESSAGES: dict[str, str] = {
    "not_found.event": "No event {id!r}; `iotmatch events list` lists them.",
    "not_found.event_meeting": "{event} has no meeting {meeting}; `iotmatch events meetings {event}` lists them.",
    "not_found.event_request_id": "{event} has no request {id}; `iotmatch events requests {event}` lists them.",
    "conflict.event_participant_exists": (
        "{org} already takes part in {event}; change it with `iotmatch events edit-participant {event} {org}`."),
    "conflict.event_not_scheduled": "{event} has no schedule yet; run `iotmatch events schedule {event}` first.",
    "conflict.event_pair_scheduled": (
        "{a} and {b} already meet in {slot} (meeting {meeting}); "
        "move it with `iotmatch events move {event} {meeting}`."),
    "conflict.event_meeting_max": (
        "{org} already has {max} meeting(s), its maximum; raise it with "
        "`iotmatch events edit-participant {event} {org} --max-meetings N` first."),
    "conflict.event_meeting_unavailable": (
        "{org} is not available in {slot}; change that with `iotmatch events edit-participant {event} {org} --slots …` "
        "first."),
    "conflict.event_meeting_do_not_meet": (
        "{requester} asked not to meet ({a}, {b}); withdraw that request with "
        "`iotmatch events requests {event} --withdraw ID` first."),
    "invalid.event_no_plan": (
        "{event}'s slots were given one by one, so there is no plan to change; give --start and --slots "
        "(with --minutes, --changeover, --lunch, --break) to replace them."),
}


# Words interpolated into messages (the kind of record, the scope of a key), as Japanese readers know them.
TERMS_JA = {"organization": "会員", "member": "会員", "need": "ニーズ", "seed": "シーズ", "lab": "ラボ"}
TERM_PARAMS = frozenset({"kind", "scope"})

# pydantic error type -> Japanese reason; placeholders are the error's ctx. Other types keep pydantic's English.
VALIDATION_JA: dict[str, str] = {
    "missing": "必須です",
    "int_parsing": "整数にしてください",
    "int_type": "整数にしてください",
    "int_from_float": "整数にしてください（小数部があります）",
    "int_parsing_size": "整数の桁数が多すぎます",
    "float_parsing": "数値にしてください",
    "float_type": "数値にしてください",
    "decimal_parsing": "数値にしてください",
    "finite_number": "有限の数値にしてください",
    "string_type": "文字列にしてください",
    "string_unicode": "正しいUnicodeの文字列にしてください",
    "string_too_short": "{min_length} 文字以上にしてください",
    "string_too_long": "{max_length} 文字以内にしてください",
    "string_pattern_mismatch": "形式が正しくありません（パターン {pattern}）",
    "greater_than": "{gt} より大きい値にしてください",
    "greater_than_equal": "{ge} 以上にしてください",
    "less_than": "{lt} より小さい値にしてください",
    "less_than_equal": "{le} 以下にしてください",
    "multiple_of": "{multiple_of} の倍数にしてください",
    "literal_error": "{expected} のいずれかにしてください",
    "enum": "{expected} のいずれかにしてください",
    "bool_parsing": "真偽値（true または false）にしてください",
    "bool_type": "真偽値（true または false）にしてください",
    "date_parsing": "日付（例: 2026-04-01）にしてください",
    "date_type": "日付（例: 2026-04-01）にしてください",
    "date_from_datetime_parsing": "日付（例: 2026-04-01）にしてください",
    "date_from_datetime_inexact": "時刻のない日付（例: 2026-04-01）にしてください",
    "datetime_parsing": "日時（ISO 8601、例: 2026-04-01T09:00:00+09:00）にしてください",
    "datetime_type": "日時（ISO 8601、例: 2026-04-01T09:00:00+09:00）にしてください",
    "datetime_from_date_parsing": "日時（ISO 8601、例: 2026-04-01T09:00:00+09:00）にしてください",
    "json_invalid": "正しいJSONではありません",
    "json_type": "JSONの文字列にしてください",
    "list_type": "配列にしてください",
    "tuple_type": "配列にしてください",
    "set_type": "配列にしてください",
    "dict_type": "オブジェクトにしてください",
    "model_type": "オブジェクトにしてください",
    "model_attributes_type": "オブジェクトにしてください",
    "extra_forbidden": "この項目は使えません",
    "too_short": "{min_length} {unit}以上にしてください（{actual_length} {unit}です）",
    "too_long": "{max_length} {unit}以下にしてください（{actual_length} {unit}あります）",
    "url_parsing": "正しいURLにしてください",
    "url_type": "URLの文字列にしてください",
    "url_scheme": "URLは {expected_schemes} のいずれかで始めてください",
    "url_too_long": "URLは {max_length} 文字以内にしてください",
    "uuid_parsing": "正しいUUIDにしてください",
    "none_required": "null にしてください",
}

# The service's own reasons (validators' ValueErrors, roster and catalog checks) -> Japanese, by full match.
REASONS_JA: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), japanese) for pattern, japanese in (
    (r"must not contain NUL characters", "NUL文字は使えません"),
    (r"must be valid Unicode text", "正しいUnicodeの文字列にしてください"),
    (r"must not be blank", "空白だけにはできません"),
    (r"is required and cannot be null", "必須です（null にはできません）"),
    (r"is required", "必須です"),
    (r"lists a value twice", "同じ値が2回含まれています"),
    (r"lists a role twice", "同じ役割が2回含まれています"),
    (r"(?P<value>.+) is not one of the 47 prefectures \(kanji(, e\.g\. 福岡県)?\)",
     "{value} は47都道府県名（漢字、例: 福岡県）ではありません"),
    (r"must be a non-empty string", "空でない文字列にしてください"),
    (r"is longer than (?P<limit>\d+) characters", "{limit} 文字以内にしてください"),
    (r"must be a non-negative integer, got (?P<value>.+)", "0以上の整数にしてください（{value} です）"),
    (r"must be a positive integer, got (?P<value>.+)", "正の整数にしてください（{value} です）"),
    (r"must be a list of strings", "文字列の配列にしてください"),
    (r"must be a non-empty list", "空でない配列にしてください"),
    (r"must be a list", "配列にしてください"),
    (r"must be a string", "文字列にしてください"),
    (r"must be an object", "オブジェクトにしてください"),
    (r"must be one of (?P<allowed>.+)", "{allowed} のいずれかにしてください"),
    (r"unknown role (?P<value>.+) \(allowed: (?P<allowed>.+)\)", "{value} は使えない役割です（使えるのは {allowed}）"),
    (r"is required for the support role: one of (?P<allowed>.+)",
     "roles に support があるときは必須です（{allowed} のいずれか）"),
    (r"is set but roles has no 'support'", "roles に 'support' がないときは指定できません"),
    (r"unknown JSIC major division (?P<value>.+) \(A\.\.T\)",
     "{value} は日本標準産業分類の大分類（A〜T）ではありません"),
    (r"must be a year such as 1987, got (?P<value>.+)", "西暦の年（例: 1987）にしてください（{value} です）"),
    (r"must start with http:// or https://", "http:// または https:// で始めてください"),
    (r"must be an object with name, email, phone", "name・email・phone を持つオブジェクトにしてください"),
    (r"(?P<value>.+) is not a valid e-mail address", "{value} は正しいメールアドレスではありません"),
    (r"(?P<value>.+) is not a phone number", "{value} は電話番号ではありません"),
    (r"must be a fraction in \(0, 1\], got (?P<value>.+)", "0より大きく1以下の割合にしてください（{value} です）"),
    (r"start (?P<start>\S+) is after end (?P<end>\S+)", "開始日 {start} が終了日 {end} より後です"),
    (r"a tax block needs kind: tax", "tax ブロックには kind: tax が必要です"),
    (r"a subsidy block needs kind: subsidy or commissioned",
     "subsidy ブロックには kind: subsidy または commissioned が必要です"),
    (r"per-member caps need eligibility\.consortium", "会員ごとの上限には eligibility.consortium が必要です"),
    (r"cap_additions need cap_jpy", "cap_additions には cap_jpy が必要です"),
    (r"a subsidy without rates must say why in rate_note_ja",
     "補助率のない補助金は rate_note_ja に理由を書いてください"),
    (r"unknown (?P<what>\S+) (?P<value>.+): one of (?P<allowed>.+)",
     "{what} の値 {value} は使えません（{allowed} のいずれか）"),
    (r"id is required \(a non-empty string\)", "ID は必須です（空でない文字列）"),
    (r"id is longer than (?P<limit>\d+) characters", "ID は {limit} 文字以内にしてください"),
    (r"id (?P<value>.+) may hold only letters, digits, '-', '_' and '\.', starting with a letter or digit "
     r"\(like ORG-0001\); no spaces, '/', '\?', '#', '%' or full-width symbols, so the API can address it",
     "ID {value} に使えるのは文字・数字と「-」「_」「.」だけで、先頭は文字か数字です（例: ORG-0001）。"
     "API で指定できるよう、空白・「/」「?」「#」「%」・全角の記号は使えません"),
    (r"duplicate id (?P<value>.+), already used by (?P<where>.+)", "ID {value} が重複しています（{where} で使用済み）"),
    (r"the file must hold a JSON object", "ファイルの中身は JSON のオブジェクトにしてください"),
    (r"must be (?P<expected>'[^']*'), got (?P<value>.+)", "{expected} にしてください（{value} です）"),
    (r"must be at most (?P<limit>\d+)", "{limit} 以下にしてください"),
    (r"sheet is missing", "シートがありません"),
    (r"file is missing", "ファイルがありません"),
    (r"missing column\(s\): (?P<columns>.+)", "見出しの行に列 {columns} がありません"),
    (r"names no organization in the organizations sheet", "organizations シートにない会員の ID です"),
    (r"is neither UTF-8 nor Shift_JIS \(CP932\) text: .*",
     "UTF-8 でも Shift_JIS（CP932）でもありません。Excel で「CSV UTF-8 (コンマ区切り) (*.csv)」として保存し直して"
     "取り込んでください"),
    (r"cannot be read \((?P<reason>.+)\): check that you may read it",
     "読めません（{reason}）。読み取りの権限を確かめてください"),
    (r"is not a readable CSV file \(line (?P<line>\d+): (?P<reason>.+)\): .*",
     "CSV として読めません（{line} 行目: {reason}）。Excel で「CSV UTF-8 (コンマ区切り) (*.csv)」として保存し直して"
     "ください"),
    (r"has more than (?P<limit>[\d,]+) rows: .*",
     "{limit} 行を超えています（1 シート {limit} 行まで）。データより下の空の行を削除するか、ファイルを分けてください"),
    (r"has a value in column (?P<column>[A-Z]+) \(row (?P<row>\d+)\): a roster sheet uses at most "
     r"(?P<limit>\d+) columns; delete the cells beyond column (?P<last>[A-Z]+)",
     "{column} 列（{row} 行目）に値があります。名簿のシートは {limit} 列までです。"
     "{last} 列より右のセルを削除してください"),
    (r"give either slots or plan, not both", "slots と plan はどちらか一方だけを指定してください"),
    (r"give the time slots: slots \(a list\) or plan \(start, count, minutes, breaks\)",
     "時間枠を slots（一覧）または plan（開始・枠数・長さ・休憩）で指定してください"),
))


@dataclass(frozen=True)
class Phrase:
    """A message parameter worded per language: a term, a list of choices, validation reasons."""

    en: str
    ja: str

    def text(self, lang: str) -> str:
        """The wording in the language."""
        return self.ja if lang == "ja" else self.en

    def __str__(self) -> str:  # English wherever it is shown outside the API (CLI, logs)
        return self.en


def either(words: Sequence[str]) -> Phrase:
    """`a or b` / `a または b`."""
    return Phrase(" or ".join(words), " または ".join(words))


def choices(words: Sequence[str]) -> Phrase:
    """`a, b, c` / `a、b、c`."""
    return Phrase(", ".join(words), "、".join(words))


def reason_ja(reason: str) -> str | None:
    """The Japanese for one of the service's English reasons, or None when it has none."""
    for pattern, japanese in REASONS_JA:
        found = pattern.fullmatch(reason)
        if found:
            return japanese.format(**found.groupdict())
    return None


def reason(text: str) -> Phrase:
    """A reason of the service in both languages (English where no translation is known)."""
    return Phrase(text, reason_ja(text) or text)


def _expected_ja(expected: str) -> str:
    # pydantic lists choices as "'a', 'b' or 'c'".
    return "、".join(part for chunk in expected.rsplit(" or ", 1) for part in chunk.split(", "))


def validation_reason(problem: Mapping[str, Any], lang: str) -> str:
    """A pydantic error's reason: pydantic's English for en and for types without a translation."""
    english = str(problem.get("msg") or "invalid value")
    if lang != "ja":
        return english
    kind = str(problem.get("type", ""))
    ctx = dict(problem.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        return reason_ja(str(ctx.get("error", ""))) or english
    template = VALIDATION_JA.get(kind)
    if template is None:
        return english
    values = {k: _expected_ja(str(v)) if k.startswith("expected") else v for k, v in ctx.items()}
    # Length errors count characters of text and items of anything else; pydantic says "items" for both.
    values["unit"] = "文字" if isinstance(problem.get("input"), str) else "件"
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a ctx unlike the one the template expects
        return english


def location(problem: Mapping[str, Any]) -> str:
    """A pydantic error's location as a dotted path."""
    return ".".join(str(part) for part in problem.get("loc", ()))


def validation_reasons(problems: Sequence[Mapping[str, Any]]) -> Phrase:
    """`where: reason; …` for pydantic errors, in both languages."""
    def listed(lang: str, whole: str) -> str:
        return "; ".join(f"{location(p) or whole}: {validation_reason(p, lang)}" for p in problems)

    return Phrase(listed("en", "(document)"), listed("ja", "（全体）"))


def _localized(name: str, value: Any, lang: str) -> Any:
    if isinstance(value, Phrase):
        return value.text(lang)
    if lang == "ja" and name in TERM_PARAMS and isinstance(value, str):
        return TERMS_JA.get(value, value)
    return value


def render(code: str, lang: str, params: Mapping[str, Any]) -> str:
    """The catalogue message in the language, filled with the parameters."""
    english, japanese = MESSAGES[code]
    values = {name: _localized(name, value, lang) for name, value in params.items()}
    return (japanese if lang == "ja" else english).format(**values)


def error(cls: type[E], code: str, *, field: str | None = None, **params: Any) -> E:
    """An error whose message comes from the catalogue: English for the CLI and logs, localized by the API."""
    params = ({"field": field} if field is not None else {}) | params  # messages may name the field too
    return cls(render(code, DEFAULT_LANGUAGE, params), field=field, code=code, params=params)


def cli_text(exc: AppError) -> str:
    """The error's message for the command line: its CLI wording when the API's names an API call."""
    template = CLI_MESSAGES.get(exc.code or "")
    if template is None:
        return exc.message
    return template.format(**{name: _localized(name, value, DEFAULT_LANGUAGE) for name, value in exc.params.items()})


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
