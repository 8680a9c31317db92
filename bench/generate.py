"""Synthetic intake rows for the benchmark: what marketing automation would push.

Deterministic (seeded). A realistic mix for a China-first B2B company: most
leads have a work email (their company's domain), some a free-mail address,
some only a phone; half carry a CRM external id; phones come in the formats
people type.
"""

from __future__ import annotations

import datetime as dt
import random

CHANNELS = ("website", "content", "event", "wechat", "referral", "outbound", "paid", "partner")
SENIORITIES = ("executive", "vp", "director", "manager", "individual", "unknown")
FREE_MAIL = ("qq.com", "163.com", "126.com", "gmail.com", "outlook.com")
INDUSTRIES = ("Software", "Manufacturing", "Retail", "Finance", "Logistics", "Healthcare")
REGIONS = (("East China", "CN"), ("South China", "CN"), ("North China", "CN"), ("APAC", "SG"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英")
TITLES = ("CEO", "CTO", "IT Director", "Marketing Manager", "Engineer", "Purchasing Manager")


def lead_rows(count: int, *, seed: int = 2025) -> list[dict]:
    """``count`` intake rows, each a unique identity."""
    rng = random.Random(seed)
    companies = max(1, count // 5)
    base = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows = []
    for n in range(count):
        company = rng.randrange(companies)
        region, country = REGIONS[company % len(REGIONS)]
        row = {
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "title": rng.choice(TITLES),
            "seniority": rng.choice(SENIORITIES),
            "company": f"示例{company}科技有限公司",
            "employees": 10 + company % 5000,
            "annual_revenue": f"{(company % 900 + 1) * 100000}.00",
            "industry": INDUSTRIES[company % len(INDUSTRIES)],
            "region": region,
            "country": country,
            "source_channel": rng.choice(CHANNELS),
            "campaign": f"2025-Q{n % 4 + 1} campaign {n % 37}",
            "created_at_source": (base + dt.timedelta(minutes=n)).isoformat(),
        }
        kind = rng.random()
        if kind < 0.7:
            row["email"] = f"user{n}@company{company}.example.cn"
        elif kind < 0.9:
            row["email"] = f"user{n}@{rng.choice(FREE_MAIL)}"
        if kind >= 0.9 or rng.random() < 0.6:
            mobile = 13_000_000_000 + n
            row["phone"] = rng.choice(
                (f"+86 {mobile}", f"{mobile}", f"+86-{mobile // 10**8}-{mobile % 10**8:08d}")
            )
        if rng.random() < 0.5:
            row["external_id"] = f"crm-{n}"
        if rng.random() < 0.3:
            row["wechat_id"] = f"wx_{n}"
        if rng.random() < 0.2:
            row["do_not_contact"] = False
            row["consent_source"] = "web form"
            row["consent_at"] = row["created_at_source"]
        rows.append(row)
    return rows
