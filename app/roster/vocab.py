"""Closed vocabularies of the exchange format (kyushu-iot-community/v1)."""

FORMAT = "kyushu-iot-community/v1"
QRELS_FORMAT = "kyushu-iot-community/qrels-v1"

MEMBER_TYPES = ("corporate", "individual")
ROLES = ("vendor_hw", "vendor_sys", "sier", "user", "support")
SUPPORT_TYPES = (
    "university",
    "kosen",
    "public_research",
    "industry_support",
    "financial",
    "government",
    "iot_lab",
    "smart_mfg_team",
    "association",
)
ROLE_LABELS_JA = {
    "vendor_hw": "ハードウエアベンダー",
    "vendor_sys": "システムベンダー",
    "sier": "システムインテグレーター",
    "user": "ユーザー企業",
    "support": "支援機関",
}
INDUSTRIES = {
    "A": "農業・林業",
    "B": "漁業",
    "C": "鉱業",
    "D": "建設業",
    "E": "製造業",
    "F": "電気・ガス・熱供給・水道業",
    "G": "情報通信業",
    "H": "運輸業・郵便業",
    "I": "卸売業・小売業",
    "J": "金融業・保険業",
    "K": "不動産業・物品賃貸業",
    "L": "学術研究・専門・技術サービス業",
    "M": "宿泊業・飲食サービス業",
    "N": "生活関連サービス業・娯楽業",
    "O": "教育・学習支援業",
    "P": "医療・福祉",
    "Q": "複合サービス事業",
    "R": "サービス業（他に分類されないもの）",
    "S": "公務",
    "T": "分類不能の産業",
}
PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県 "
    "新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県 "
    "奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 "
    "熊本県 大分県 宮崎県 鹿児島県 沖縄県"
).split()
KYUSHU = ("福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県")
