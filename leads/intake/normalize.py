"""Normalisation of intake values. Pure: no Django import.

Emails, domains, phones (E.164) and company names arrive typed by people in
forms, spreadsheets and CRMs: full-width characters (ＡＢＣ＠ｘ．ｃｏｍ), stray
and non-breaking spaces, mixed case. Everything that takes part in matching a
lead goes through here first.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

# Free-mail providers never create or match an account (product.md, "Identity
# of a lead"). The admin-editable list lives in the database (DomainListEntry);
# this is its seed.
DEFAULT_FREE_MAIL_DOMAINS = frozenset(
    {
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "139.com",
        "189.cn",
        "aliyun.com",
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "aol.com",
        "gmx.com",
        "mail.com",
    }
)

_SPACES = re.compile(r"\s+")
_EMAIL = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_COMPANY_SUFFIXES = re.compile(
    r"(,?\s+(inc|inc\.|ltd|ltd\.|llc|co\.?,? ltd\.?|corp\.?|corporation|gmbh|limited|plc|s\.a\.))+$"
)
_CN_COMPANY_SUFFIXES = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团)$")


def clean_text(value: str | None) -> str:
    """NFKC-fold (full-width → ASCII), collapse whitespace, strip."""
    if value is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()


def normalize_email(value: str | None) -> str:
    """Lower-cased, folded email, or "" when empty. Raises ValueError when malformed."""
    email = clean_text(value).replace(" ", "").lower()
    if not email:
        return ""
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValueError("Enter a valid email address.")
    return email


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[1] if "@" in email else ""


def normalize_domain(value: str | None) -> str:
    """A bare host name: no scheme, path, port, ``www.`` or trailing dot."""
    domain = clean_text(value).lower().replace(" ", "")
    if not domain:
        return ""
    domain = re.sub(r"^[a-z][a-z0-9+.-]*://", "", domain)
    domain = domain.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].rstrip(".")
    if "@" in domain:
        domain = email_domain(domain)
    if domain.startswith("www."):
        domain = domain[4:]
    return domain


def normalize_phone(value: str | None, default_region: str = "CN") -> str:
    """E.164 (``+8613800138000``), or "" when empty. Raises ValueError when invalid."""
    raw = clean_text(value)
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise ValueError("Enter a valid phone number.") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("Enter a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_company(value: str | None) -> str:
    """Key for comparing company names: folded, lower-cased, legal suffix dropped."""
    name = clean_text(value).lower()
    name = _CN_COMPANY_SUFFIXES.sub("", name)
    name = _COMPANY_SUFFIXES.sub("", name)
    return name.strip(" ,.")


def is_free_mail(domain: str, free_mail_domains: frozenset[str] | set[str]) -> bool:
    return domain in free_mail_domains
