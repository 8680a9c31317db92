import pytest

from leads.intake import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("  ada@example.com\u00a0", "ada@example.com"),
        ("ＡＤＡ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ada@example.com"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_email(raw, expected):
    assert normalize.normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["not-an-email", "a@b", "a@@b.com", "a b@c"])
def test_normalize_email_refuses_malformed(raw):
    with pytest.raises(ValueError, match="valid email"):
        normalize.normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),
        ("+1 (415) 555-0123", "+14155550123"),
        ("", ""),
    ],
)
def test_normalize_phone_to_e164(raw, expected):
    assert normalize.normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12", "call me", "+86 1"])
def test_normalize_phone_refuses_impossible_numbers(raw):
    with pytest.raises(ValueError, match="valid phone"):
        normalize.normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Example.com/about", "example.com"),
        ("EXAMPLE.com.", "example.com"),
        ("ada@example.com", "example.com"),
        ("example.com:8080", "example.com"),
    ],
)
def test_normalize_domain(raw, expected):
    assert normalize.normalize_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme Inc.", "acme"),
        ("  ACME   Ltd ", "acme"),
        ("上海示例科技有限公司", "上海示例科技"),
        ("Ｆｏｏ Corp", "foo"),
    ],
)
def test_normalize_company(raw, expected):
    assert normalize.normalize_company(raw) == expected


def test_free_mail_is_checked_against_the_given_list():
    assert normalize.is_free_mail("qq.com", normalize.DEFAULT_FREE_MAIL_DOMAINS)
    assert not normalize.is_free_mail("acme.com", normalize.DEFAULT_FREE_MAIL_DOMAINS)
