"""Each kind of personal data is redacted; ordinary numbers and text are left alone."""
import pytest

from community.shopper.redact import redact

STAFF = ["王小明", "Li Lei"]


@pytest.mark.parametrize("text, kind", [
    ("销售电话 13812345678 回电", "phone"),
    ("call +86 138-1234-5678 please", "phone"),
    ("手机 139 1234 5678", "phone"),
    ("门店座机 021-62345678 转 808", "phone"),
    ("座机(0871)6123456", "phone"),
    ("身份证 110105199003071234", "id_number"),
    ("身份证号11010519900307123X。", "id_number"),
    ("车牌 沪A12345 停在门口", "plate"),
    ("plate 粤B·D12345", "plate"),
    ("新能源车牌京AF12345", "plate"),
    ("车架号 LZ9AB2C34D5678901 已登记", "vin"),
    ("vin lz9ab2c34d5678901", "vin"),
    ("顾问王小明态度冷淡", "staff"),
    ("adviser li lei was late", "staff"),
])
def test_each_kind_is_redacted(text, kind):
    out = redact(text, STAFF)
    assert f"[{kind}]" in out
    for secret in ("13812345678", "1234-5678", "1234 5678", "62345678", "6123456", "110105199003071234",
                   "11010519900307123X", "A12345", "D12345", "AF12345", "5678901", "王小明", "li lei"):
        assert secret.lower() not in out.lower()


def test_labels_can_be_given():
    assert redact("打 13812345678", labels={"phone": "〔电话〕"}) == "打 〔电话〕"


def test_ordinary_text_is_left_alone():
    text = "等了 15 分钟，报价 259800 元，2024 款 001，订单号 20241130 都正常。"
    assert redact(text, STAFF) == text
    assert redact("", STAFF) == "" and redact(None) == ""


def test_short_staff_names_do_not_blank_out_text():
    assert redact("王先生来了", ["王"]) == "王先生来了"


@pytest.mark.parametrize(("text", "expected"), [
    ("电话１３８００１３８０００，谢谢", "电话[phone]，谢谢"),  # full-width digits; the full-width comma kept
    ("call 138.0013.8000 now", "call [phone] now"),
    ("王 小明 态度冷淡", "[staff] 态度冷淡"),
    ("mail wangxm@store.example ok", "mail [email] ok"),
    ("加微信：abc_12345", "加微信[wechat]"),
    ("id wxid_abc123", "id [wechat]"),
    ("WeChat: zhang_san88", "WeChat[wechat]"),
])
def test_disguised_formats_are_redacted_and_the_rest_kept_as_written(text, expected):
    assert redact(text, ["王小明"]) == expected
