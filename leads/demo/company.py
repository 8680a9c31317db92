"""The demo company: teams, a user per role, accounts and a year of synthetic leads.

``demo_seed(*, leads, seed, now)`` builds everything ``make run`` shows: a
marketing team, two SDR teams (China and international) and an AE team, each
with a manager; a user for every role sharing one demo password; Chinese and
international accounts; and leads received over the last 365 days with their
activities and their event log (created, stage changes, assignments, touches,
qualification) walking the funnel in plausible proportions.

Synthetic by construction, and labelled so:

- every lead has ``source_system = "demo"`` (``DEMO_SOURCE_SYSTEM``);
- every company domain is under the reserved ``.example`` TLD (RFC 2606), so
  no demo address belongs to a real company; free-mail leads use the real
  providers (qq.com, 163.com, gmail.com, ...) because the free-mail rules must
  see them, with generated local parts; phone numbers are random (UK and US
  numbers come from the ranges reserved for drama);
- person and company names are drawn from generic name pools.

The generator is deterministic: one ``random.Random(seed)`` drives everything
(and ``now``, when given, fixes the time axis). Rows are produced as tuples and
written with PostgreSQL ``COPY`` (psycopg 3), or ``bulk_create`` elsewhere, so
100,000 leads with their activities and events take well under two minutes.

The event log obeys the same invariants the app relies on: per lead the
events are in time order and never in the future, every stage change starts
from the stage the previous one ended in and is allowed by product.md's
lifecycle table, and ``lead.stage`` / ``stage_changed_at`` / ``owner`` agree
with the last stage event and the last assignment.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import random
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.db.models import Count, signals
from django.utils import timezone
from rest_framework.authtoken.models import Token

from leads import hooks
from leads.consent import ConsentWrite, consent_changes_write
from leads.demo.history import (
    INTAKE_SYSTEM,
    OPPORTUNITY_COLUMNS,
    QUALIFICATION_COLUMNS,
    RETURN_COLUMNS,
    TOUCH_COLUMNS,
    Ids,
    Org,
    Rows,
    Stop,
    Story,
)
from leads.intake.normalize import normalize_company, normalize_email, normalize_phone
from leads.intake.services import delivery_seconds
from leads.models import (
    DEMO_SOURCE_SYSTEM,
    Account,
    Activity,
    ConsentChange,
    Job,
    Lead,
    LeadEvent,
    LeadReturn,
    Opportunity,
    Qualification,
    RoutingRule,
    Stage,
    Touch,
)
from leads.people import roles
from leads.people.models import Team
from leads.people.names import person_name
from leads.queue.routing import route_lead, routing_paused
from leads.scoring.predictive_services import predictive_refresh_run
from leads.scoring.rescore import rescore_job_run, rescore_job_start
from leads.scoring.selectors import scoring_model_published
from leads.scoring.services import ensure_default_model

DEMO_PASSWORD = "smarketing-demo"
DEMO_EMAIL_DOMAIN = "demo-company.example"
SCORING_SYSTEM = "scoring model v1"  # as leads.scoring.rescore names version 1

# --- the people ---------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    team: str | None = None
    manages: str | None = None
    is_staff: bool = False


TEAM_MARKETING = "Marketing"
TEAM_SDR_EAST = "SDR East (China)"
TEAM_SDR_WEST = "SDR West (International)"
TEAM_AE = "Account Executives"

# (name, kind, distribution mode, qualification framework): China's SDRs get leads by
# round-robin, the international SDRs claim them from their pool, the AEs by round-robin.
DEMO_TEAMS: tuple[tuple[str, str, str, str], ...] = (
    (TEAM_MARKETING, Team.Kind.MARKETING, Team.Mode.POOL, Team.Framework.BANT),
    (TEAM_SDR_EAST, Team.Kind.SDR, Team.Mode.ROUND_ROBIN, Team.Framework.BANT),
    (TEAM_SDR_WEST, Team.Kind.SDR, Team.Mode.POOL, Team.Framework.MEDDIC),
    (TEAM_AE, Team.Kind.AE, Team.Mode.ROUND_ROBIN, Team.Framework.BANT),
)
# The MQL routing rules: a lead goes to the SDR team of its language (region).
DEMO_RULES: tuple[tuple[str, str, dict, str], ...] = (
    ("China: Chinese-speaking leads", "cn", {"language": ["zh-hans"]}, TEAM_SDR_EAST),
    ("International: English-speaking leads", "intl", {"language": ["en"]}, TEAM_SDR_WEST),
)

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("marketing", "晓梅", "林", roles.MARKETING, TEAM_MARKETING),
    DemoUser("marketing.emma", "Emma", "Clarke", roles.MARKETING, TEAM_MARKETING),
    DemoUser("sdr.east1", "伟", "王", roles.SDR, TEAM_SDR_EAST),
    DemoUser("sdr.east2", "静", "李", roles.SDR, TEAM_SDR_EAST),
    DemoUser("sdr.east3", "磊", "张", roles.SDR, TEAM_SDR_EAST),
    DemoUser("sdr.east4", "婷婷", "刘", roles.SDR, TEAM_SDR_EAST),
    DemoUser("sdr.west1", "Jack", "Turner", roles.SDR, TEAM_SDR_WEST),
    DemoUser("sdr.west2", "Priya", "Nair", roles.SDR, TEAM_SDR_WEST),
    DemoUser("sdr.west3", "Lukas", "Becker", roles.SDR, TEAM_SDR_WEST),
    DemoUser("ae1", "浩", "陈", roles.AE, TEAM_AE),
    DemoUser("ae2", "Olivia", "Grant", roles.AE, TEAM_AE),
    DemoUser("ae3", "俊杰", "黄", roles.AE, TEAM_AE),
    DemoUser("ae4", "Daniel", "Moreau", roles.AE, TEAM_AE),
    DemoUser("manager.east", "健", "周", roles.SALES_MANAGER, manages=TEAM_SDR_EAST),
    DemoUser("manager.west", "Laura", "Bennett", roles.SALES_MANAGER, manages=TEAM_SDR_WEST),
    DemoUser("manager.ae", "明", "赵", roles.SALES_MANAGER, manages=TEAM_AE),
    DemoUser("director", "芳", "王", roles.DIRECTOR),
    DemoUser("admin", "Ada", "Admin", roles.ADMIN, is_staff=True),
    DemoUser("integration", "Marketing", "Automation", roles.INTEGRATION),
)
DEMO_USERNAMES = tuple(u.username for u in DEMO_USERS)


# --- pools -----------------------------------------------------------------------

CN_SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("高", "gao"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"),
    ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("潘", "pan"), ("袁", "yuan"),
    ("蔡", "cai"), ("蒋", "jiang"), ("余", "yu"), ("杜", "du"),
)  # fmt: skip
CN_GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀兰", "xiulan"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("晓明", "xiaoming"), ("建华", "jianhua"),
    ("志强", "zhiqiang"), ("海燕", "haiyan"), ("婷婷", "tingting"), ("宇航", "yuhang"),
    ("子涵", "zihan"), ("欣怡", "xinyi"), ("浩然", "haoran"), ("思远", "siyuan"),
    ("雨欣", "yuxin"), ("佳怡", "jiayi"), ("俊杰", "junjie"), ("文博", "wenbo"),
    ("梓萱", "zixuan"), ("一鸣", "yiming"), ("晨阳", "chenyang"), ("诗涵", "shihan"),
    ("国庆", "guoqing"), ("红梅", "hongmei"),
)  # fmt: skip
EN_FIRST = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Daniel", "Karen", "Matthew", "Emily", "Anthony", "Olivia", "Mark", "Sophie", "Paul", "Emma",
    "Andrew", "Hannah", "Lukas", "Anna", "Jonas", "Lea", "Pierre", "Camille", "Luca", "Giulia",
    "Hiroshi", "Yuki", "Priya", "Arjun", "Ahmed", "Fatima", "Lars", "Ingrid", "Carlos", "Lucia",
    "Daan", "Sanne", "Noah", "Mia", "Ethan", "Chloe", "Ravi", "Mei", "Kenji", "Aiko",
)  # fmt: skip
EN_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
    "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Green", "Baker", "Adams", "Nelson",
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Laurent", "Bernard", "Rossi",
    "Bianchi", "Tanaka", "Suzuki", "Sato", "Tan", "Lim", "Ng", "Patel", "Sharma", "Khan",
    "Jensen", "Nielsen", "Garcia", "Lopez", "de Vries", "Jansen", "O'Brien", "Murphy", "Kowalski",
)  # fmt: skip

CN_CITIES = (
    ("北京", "beijing", "North China"), ("上海", "shanghai", "East China"),
    ("深圳", "shenzhen", "South China"), ("广州", "guangzhou", "South China"),
    ("杭州", "hangzhou", "East China"), ("苏州", "suzhou", "East China"),
    ("南京", "nanjing", "East China"), ("成都", "chengdu", "Southwest China"),
    ("重庆", "chongqing", "Southwest China"), ("武汉", "wuhan", "Central China"),
    ("西安", "xian", "Northwest China"), ("天津", "tianjin", "North China"),
    ("宁波", "ningbo", "East China"), ("青岛", "qingdao", "East China"),
    ("厦门", "xiamen", "East China"), ("长沙", "changsha", "Central China"),
    ("合肥", "hefei", "East China"), ("东莞", "dongguan", "South China"),
    ("佛山", "foshan", "South China"), ("无锡", "wuxi", "East China"),
)  # fmt: skip
CN_BRANDS = (
    ("云帆", "yunfan"), ("华信", "huaxin"), ("启明", "qiming"), ("天成", "tiancheng"),
    ("博远", "boyuan"), ("星河", "xinghe"), ("瑞丰", "ruifeng"), ("金石", "jinshi"),
    ("恒通", "hengtong"), ("万象", "wanxiang"), ("蓝海", "lanhai"), ("智汇", "zhihui"),
    ("鼎盛", "dingsheng"), ("新锐", "xinrui"), ("卓越", "zhuoyue"), ("海纳", "haina"),
    ("长青", "changqing"), ("联创", "lianchuang"), ("安达", "anda"), ("宏图", "hongtu"),
    ("睿智", "ruizhi"), ("腾达", "tengda"), ("众合", "zhonghe"), ("凯源", "kaiyuan"),
    ("弘毅", "hongyi"), ("嘉禾", "jiahe"), ("明德", "mingde"), ("远航", "yuanhang"),
    ("锦程", "jincheng"), ("同创", "tongchuang"), ("汇达", "huida"), ("九州", "jiuzhou"),
    ("北辰", "beichen"), ("南山", "nanshan"), ("青松", "qingsong"), ("翔宇", "xiangyu"),
    ("思源", "siyuan"), ("晨曦", "chenxi"), ("泰和", "taihe"), ("百川", "baichuan"),
)  # fmt: skip
# (Chinese industry word, industry, domain word)
CN_INDUSTRIES = (
    ("科技", "Software", "tech"), ("信息技术", "Software", "it"),
    ("智能制造", "Manufacturing", "mfg"), ("精密机械", "Manufacturing", "machinery"),
    ("医疗器械", "Healthcare", "medical"), ("生物医药", "Healthcare", "bio"),
    ("物流", "Logistics", "logistics"), ("新能源", "Energy", "energy"),
    ("汽车零部件", "Automotive", "auto"), ("电子", "Electronics", "electronics"),
    ("教育科技", "Education", "edu"), ("金融服务", "Financial services", "fin"),
    ("零售", "Retail", "retail"), ("化工", "Chemicals", "chem"),
    ("咨询", "Professional services", "consulting"),
)  # fmt: skip
INTL_PREFIXES = (
    "Northwind", "Bluefield", "Clearwater", "Silverline", "Brightpath", "Ironbridge", "Redwood",
    "Summitview", "Harborlight", "Meridian", "Crestview", "Oakridge", "Stonegate", "Lakeside",
    "Evergreen", "Falconer", "Granite", "Horizon", "Keystone", "Lighthouse", "Maplewood", "Nordvik",
    "Pinnacle", "Quantix", "Riverbend", "Sterling", "Tidewater", "Vantage", "Westbrook", "Zenith",
    "Apexon", "Beaconfield", "Cobalt", "Deltaline", "Ember", "Fjordline", "Alder", "Copperleaf",
    "Juniper", "Kestrel",
)  # fmt: skip
# (name word, industry, domain word)
INTL_INDUSTRIES = (
    ("Analytics", "Software", "analytics"), ("Systems", "Software", "systems"),
    ("Robotics", "Manufacturing", "robotics"), ("Manufacturing", "Manufacturing", "mfg"),
    ("Logistics", "Logistics", "logistics"), ("Health", "Healthcare", "health"),
    ("Biotech", "Healthcare", "bio"), ("Energy", "Energy", "energy"),
    ("Retail Group", "Retail", "retail"), ("Capital", "Financial services", "capital"),
    ("Consulting", "Professional services", "consulting"),
    ("Components", "Automotive", "components"), ("Learning", "Education", "learning"),
    ("Labs", "Software", "labs"), ("Materials", "Chemicals", "materials"),
)  # fmt: skip
# country, region, legal suffix, UTC offset (hours), weight
INTL_COUNTRIES = (
    ("US", "North America", "Inc.", -5, 30), ("CA", "North America", "Ltd.", -5, 5),
    ("GB", "Europe", "Ltd", 0, 12), ("DE", "Europe", "GmbH", 1, 12), ("FR", "Europe", "SAS", 1, 6),
    ("NL", "Europe", "B.V.", 1, 5), ("SG", "APAC", "Pte. Ltd.", 8, 12),
    ("JP", "APAC", "K.K.", 9, 8), ("AU", "APAC", "Pty Ltd", 10, 6), ("HK", "APAC", "Limited", 8, 4),
)  # fmt: skip

TITLES = {
    "en": {
        "executive": ("CEO", "CTO", "COO", "Chief Marketing Officer", "Chief Revenue Officer"),
        "vp": ("VP Marketing", "VP Sales", "VP Engineering", "VP Operations"),
        "director": ("Director of Marketing", "IT Director", "Head of Digital", "Plant Director"),
        "manager": ("Marketing Manager", "IT Manager", "Procurement Manager", "Product Manager"),
        "individual": ("Marketing Specialist", "Engineer", "Data Analyst", "Buyer"),
    },
    "zh": {
        "executive": ("总经理", "首席执行官", "首席技术官", "董事长"),
        "vp": ("副总裁", "销售副总裁", "技术副总裁"),
        "director": ("市场总监", "IT总监", "运营总监", "数字化负责人"),
        "manager": ("市场经理", "采购经理", "IT经理", "产品经理"),
        "individual": ("市场专员", "工程师", "数据分析师", "采购专员"),
    },
}
SENIORITY_WEIGHTS = (("executive", 6), ("vp", 6), ("director", 18), ("manager", 35))
SENIORITY_WEIGHTS += (("individual", 25), ("unknown", 10))

CHANNELS = ("website", "content", "event", "wechat", "referral", "outbound", "paid", "partner")
# China: fewer inbound leads, more outbound, referrals, events and WeChat (product.md).
CHANNEL_WEIGHTS = {
    "cn": (12, 8, 18, 20, 14, 20, 5, 3),
    "intl": (28, 18, 10, 0, 10, 20, 10, 4),
}
# Share of each channel's inquiries the scoring model makes MQL (before the fit factor).
MQL_RATE = {
    "website": 0.33,
    "content": 0.22,
    "event": 0.32,
    "wechat": 0.24,
    "referral": 0.48,
    "outbound": 0.30,
    "paid": 0.20,
    "partner": 0.38,
}
CAMPAIGNS = {
    "website": ("Website demo request", "Pricing page form", "Contact us form"),
    "content": ("White paper: B2B lead scoring", "Guide: marketing-sales SLA", "ROI calculator"),
    "event": {
        "cn": ("上海智能制造峰会", "深圳数字化转型论坛", "北京CIO年会"),
        "intl": ("Revenue Ops Summit", "Industry 4.0 Forum Berlin", "Singapore Tech Week booth"),
    },
    "wechat": ("公众号文章: 市场与销售协同", "视频号直播: 线索评分", "小程序试用"),
    "referral": ("Customer referral programme",),
    "outbound": ("Outbound: target accounts",),
    "paid": {
        "cn": ("百度搜索推广", "微信朋友圈广告"),
        "intl": ("LinkedIn ads", "Google search ads"),
    },
    "partner": ("Partner: channel resellers",),
}
CONVERSION_ACTIVITY = {
    "website": (("form_submit", 4), ("demo_request", 3), ("trial_signup", 1), ("pricing_page", 2)),
    "content": (("content_download", 1),),
    "event": (("event_registration", 1),),
    "wechat": (("wechat_article_read", 4), ("mini_program_visit", 2), ("live_stream", 2)),
    "referral": (("form_submit", 1),),
    "outbound": (("email_open", 1),),
    "paid": (("form_submit", 3), ("web_visit", 2)),
    "partner": (("form_submit", 1),),
}
ENGAGEMENT_ACTIVITY = {
    "cn": (
        ("web_visit", 10), ("pricing_page", 3), ("content_download", 3), ("email_open", 2),
        ("email_click", 1), ("webinar", 2), ("wechat_article_read", 10),
        ("mini_program_visit", 4), ("live_stream", 3), ("event_attended", 1),
    ),
    "intl": (
        ("web_visit", 12), ("pricing_page", 4), ("content_download", 4), ("email_open", 8),
        ("email_click", 4), ("webinar", 3), ("event_attended", 1), ("demo_request", 1),
    ),
}  # fmt: skip
TOUCH_OUTCOMES = {  # Touch.Channel → plausible Touch.Outcome values
    "call": ("connected", "no_answer", "no_answer", "left_message"),
    "wechat": ("replied", "no_answer", "no_answer"),
    "email": ("replied", "no_answer", "no_answer", "no_answer"),
    "meeting": ("connected", "meeting_booked"),
}
WEB_PAGES = ("/", "/product", "/pricing", "/customers", "/blog/lead-scoring", "/docs")
LOST_REASONS = ("price", "competitor", "no_decision", "timing", "no_budget")
CN_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "186", "187",
    "188", "189", "198", "199",
)  # fmt: skip
CN_FREE_MAIL = (("qq.com", 6), ("163.com", 3), ("126.com", 1))
INTL_FREE_MAIL = (("gmail.com", 6), ("outlook.com", 3), ("yahoo.com", 1))


# --- result ------------------------------------------------------------------------


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=dict)
    stages: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    skipped: bool = False
    password: str = DEMO_PASSWORD


class DemoDataExists(Exception):
    """Demo leads are already there: pass ``reset=True`` (or use ``if_empty``)."""


# --- services ------------------------------------------------------------------------


def demo_reset() -> dict[str, int]:
    """Delete the demo leads (with their activities and events) and the demo accounts.

    Demo users and teams stay (events of real leads may name them); ``demo_seed``
    brings them back to their demo state.
    """
    demo_leads = Lead.objects.filter(source_system=DEMO_SOURCE_SYSTEM)
    # an opportunity protects its lead (on_delete=PROTECT): the demo's go first
    Opportunity.objects.filter(lead__source_system=DEMO_SOURCE_SYSTEM).delete()
    account_ids = set(
        demo_leads.exclude(account=None).values_list("account_id", flat=True).distinct()
    )
    if _only_demo_leads_here():
        deleted = {
            "activities": Activity.objects.count(),
            "lead events": LeadEvent.objects.count(),
            "leads": Lead.objects.count(),
        }
        _truncate(Activity, LeadEvent, Lead)
    else:
        deleted = {
            "activities": Activity.objects.filter(lead__source_system=DEMO_SOURCE_SYSTEM).delete()[
                0
            ],
            "lead events": LeadEvent.objects.filter(
                lead__source_system=DEMO_SOURCE_SYSTEM
            ).delete()[0],
        }
        deleted["leads"] = _delete_leads(demo_leads)
    orphans = Account.objects.filter(domain__endswith=".example", leads=None)
    ids = sorted(account_ids)
    deleted["accounts"] = 0
    for start in range(0, len(ids), 5000):
        deleted["accounts"] += orphans.filter(pk__in=ids[start : start + 5000]).delete()[0]
    return deleted


def _only_demo_leads_here() -> bool:
    """True on PostgreSQL when every lead is a demo lead and only our own tables point at leads."""
    if connection.vendor != "postgresql":
        return False
    dependents = {r.related_model for r in Lead._meta.related_objects}
    if dependents != {Activity, LeadEvent} or any(
        m._meta.related_objects for m in (Activity, LeadEvent)
    ):
        return False
    return not Lead.objects.exclude(source_system=DEMO_SOURCE_SYSTEM).exists()


def _analyze(*models_) -> None:
    """PostgreSQL: fresh statistics after the bulk load ("Populating a Database"), so
    the scoring and ``check_integrity`` that follow get plans for the real row counts."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _truncate(*models_) -> None:
    """TRUNCATE (without CASCADE: PostgreSQL refuses if another table still points here)."""
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)
    with connection.cursor() as cursor:
        # Rows written earlier in this transaction leave deferred checks pending,
        # which TRUNCATE refuses to run past: fire them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {tables}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextlib.contextmanager
def _foreign_keys_dropped(*models_):
    """On PostgreSQL, drop the tables' foreign keys for a bulk load and add them back after.

    PostgreSQL's "Populating a Database" advice: checking a new foreign key
    is one join over the table, where keeping it during the load costs one
    trigger per row (some 900,000 for 100,000 demo leads, the slowest part of
    the seed). Must run inside the caller's transaction, so a failure rolls the
    drop back too; the keys come back with their exact names and definitions.
    """
    if connection.vendor != "postgresql":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("Drop foreign keys only inside a transaction.")
    tables = [m._meta.db_table for m in models_]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])"
            " ORDER BY conrelid::regclass::text, conname",
            [tables],
        )
        keys = cursor.fetchall()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks on these tables
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _delete_leads(queryset) -> int:
    """Delete leads set-based: each relation in one statement, then the leads in one.

    Django's collector loads every lead to delete it in batches (16 s for 100,000
    leads here). Relations that need more than CASCADE / SET_NULL, and delete
    signals, fall back to the collector.
    """
    if signals.pre_delete.has_listeners(Lead) or signals.post_delete.has_listeners(Lead):
        return queryset.delete()[0]
    relations = [r for r in Lead._meta.related_objects if r.one_to_many or r.one_to_one]
    protected = [r for r in relations if r.on_delete is models.PROTECT]
    if any(  # a protected row still there: the collector raises ProtectedError
        r.related_model._base_manager.filter(**{f"{r.field.name}__in": queryset}).exists()
        for r in protected
    ):
        return queryset.delete()[0]
    relations = [r for r in relations if r.on_delete is not models.PROTECT]
    if any(r.on_delete not in (models.CASCADE, models.SET_NULL) for r in relations) or any(
        r.many_to_many for r in Lead._meta.related_objects
    ):
        return queryset.delete()[0]
    for rel in relations:
        related = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": queryset})
        if rel.on_delete is models.CASCADE:
            related.delete()
        else:
            related.update(**{rel.field.name: None})
    return queryset._raw_delete(queryset.db)


def demo_seed(
    *,
    leads: int,
    seed: int = 2024,
    now: datetime | None = None,
    if_empty: bool = False,
    reset: bool = False,
) -> SeedResult:
    """Build the demo company with ``leads`` leads; see the module docs."""
    started = time.monotonic()
    if if_empty and Lead.objects.exists():
        return SeedResult(skipped=True)
    now = now or timezone.now()
    with transaction.atomic():
        if reset:
            demo_reset()
        elif Lead.objects.filter(source_system=DEMO_SOURCE_SYSTEM).exists():
            raise DemoDataExists
        people = _seed_people()
        generator = _Generator(rng=random.Random(seed), now=now, people=people)
        accounts = generator.accounts(count=_account_count(leads))
        account_ids = _save_accounts(accounts, now=now)
        lead_ids = _reserve_ids(Lead, leads)
        batch = generator.leads(ids=lead_ids, account_ids=account_ids)
        _drop_taken_identities(batch)
        history = batch.history
        with _foreign_keys_dropped(*HISTORY_MODELS):
            _write(Lead, LEAD_COLUMNS, batch.leads, json_index=None)
            _write(Activity, ACTIVITY_COLUMNS, batch.activities, json_index=2)
            _write(LeadEvent, EVENT_COLUMNS, history.events, json_index=7)
            _write(ConsentChange, CONSENT_COLUMNS, batch.consents, json_index=None)
            _write(Touch, TOUCH_COLUMNS, history.touches, json_index=None)
            _write(LeadReturn, RETURN_COLUMNS, history.returns, json_index=None)
            _write(Opportunity, OPPORTUNITY_COLUMNS, history.opportunities, json_index=None)
            _write(Qualification, QUALIFICATION_COLUMNS, history.qualifications, json_index=2)
        _analyze(*HISTORY_MODELS)
        opt_out_events = _opt_out(batch.opted_out, now=now)
    scoring = _score_demo(people, now=now)
    with transaction.atomic(), hooks.inline(now=now):  # the demo opens with its SLA clocks
        hooks.on_events_written(lead_ids)
    for seeded in hooks.DEMO_SEEDED:  # the SLA's frozen months
        seeded(now=now)
    counts = {
        "teams": Team.objects.filter(name__in=[team[0] for team in DEMO_TEAMS]).count(),
        "users": get_user_model().objects.filter(username__in=DEMO_USERNAMES).count(),
        "accounts": len(accounts),
        "leads": len(batch.leads),
        "activities": len(batch.activities),
        # the seed's events, the opt-outs' + scoring's (a score_change per changed score,
        # an MQL event each)
        "lead events": len(history.events)
        + opt_out_events
        + scoring.get("routed", 0)
        + scoring.get("changed", 0)
        + scoring.get("became_mql", 0),
        "touches": len(history.touches),
        "returns": len(history.returns),
        "opportunities": len(history.opportunities),
        "opt-outs": len(batch.opted_out),
        "leads scored": scoring.get("scored", 0),
        "leads made MQL by the model": scoring.get("became_mql", 0),
    }
    stages: dict[str, int] = scoring.get("stages") or {}  # after scoring moved some
    if not stages:
        for row in batch.leads:
            stages[row[LEAD_STAGE]] = stages.get(row[LEAD_STAGE], 0) + 1
    return SeedResult(counts=counts, stages=stages, elapsed=time.monotonic() - started)


def _opt_out(lead_ids: list[int], *, now: datetime) -> int:
    """The demo's people who opted out, through the service real opt-outs use
    (``leads.consent``, as intake does): ``do_not_contact`` set, a consent change and a
    ``consent`` event each, and an open lead (mql, sal, sql) moved to nurture, the
    system as actor. Returns the number of events written."""
    if not lead_ids:
        return 0
    Lead.objects.filter(pk__in=lead_ids).update(do_not_contact=True)
    values = Lead.objects.filter(pk__in=lead_ids).values_list("pk", "consent_source", "consent_at")
    moved = consent_changes_write(
        writes=[
            ConsentWrite(
                lead_id=pk,
                kind=ConsentChange.Kind.OPT_OUT,
                do_not_contact=True,
                consent_source=source,
                consent_at=at,
            )
            for pk, source, at in values
        ],
        actor_user_id=None,
        actor_system=INTAKE_SYSTEM,
        via=ConsentChange.Via.DEMO,
        now=now,
    )
    return len(lead_ids) + len(moved)


def _score_demo(people: _People, *, now: datetime) -> dict:
    """Publish the default scoring model when none exists (version 1, by the demo
    marketing manager) and re-score every open lead with the published model, here
    and now (not through the worker): the demo opens with real scores. Leads the
    model makes MQLs move today, with their events, as they would in production."""
    author = get_user_model().objects.filter(pk__in=people.marketing[:1]).first()
    created = ensure_default_model(user=author, enqueue=False)
    if created is not None:
        job = created[1]
    else:
        version = scoring_model_published()
        if version is None:
            return {}
        with transaction.atomic():
            job = rescore_job_start(version=version, user=author, reason="demo", enqueue=False)
    with routing_paused():  # routed below, at ``now`` (the MQL seam routes at the clock's now)
        job = rescore_job_run(job_id=job.pk, now=now)
    routed = _route_new_mqls(job.result.get("became_mql", 0), now=now)
    stages = dict(
        Lead.objects.filter(source_system=DEMO_SOURCE_SYSTEM)
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    _refresh_predictive(author)
    return {**job.result, "stages": stages, "routed": routed}


def _route_new_mqls(expected: int, *, now: datetime) -> int:
    """Route the leads the model just made MQLs, through routing itself (its rules,
    round-robin and pools) at ``now``, as the MQL seam would have. Returns the number
    of assignment events written."""
    if not expected:
        return 0
    waiting = Lead.objects.filter(
        source_system=DEMO_SOURCE_SYSTEM,
        stage=Stage.MQL,
        mql_at=now,
        owner=None,
        team=None,
        do_not_contact=False,
    ).order_by("mql_at", "pk")
    routed = 0
    with transaction.atomic(), hooks.batch():
        for lead in waiting:
            route_lead(lead=lead, applies_to="mql", reason="mql", now=now)
            routed += 1
    return routed


def _refresh_predictive(author) -> None:
    """Train the predictive score on the demo's closed leads and predict the open ones,
    here and now, so the demo opens with probabilities (nightly refreshes follow)."""
    job = Job.objects.create(kind=Job.Kind.PREDICTIVE, state=Job.State.PENDING, created_by=author)
    predictive_refresh_run(job_id=job.pk)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    full_name: str
    team: str
    password: str
    token: str = ""


def demo_logins() -> list[DemoLogin]:
    """The demo users that exist, in role order, with the password they log in with.

    A user whose password was changed since seeding shows "(changed)"; the
    integration user has no password and shows its API token instead.
    """
    users = {
        u.username: u
        for u in get_user_model()
        .objects.filter(username__in=DEMO_USERNAMES)
        .prefetch_related("teams", "managed_teams")
    }
    demo_hash = next(
        (u.password for u in users.values() if u.has_usable_password()),
        None,
    )
    if demo_hash and not check_password(DEMO_PASSWORD, demo_hash):
        demo_hash = None
    tokens = dict(
        Token.objects.filter(user__username__in=DEMO_USERNAMES).values_list("user__username", "key")
    )
    logins = []
    order = list(roles.ROLES)
    for spec in sorted(DEMO_USERS, key=lambda s: order.index(s.role)):
        user = users.get(spec.username)
        if user is None:
            continue
        teams = [t.name for t in user.teams.all()] + [t.name for t in user.managed_teams.all()]
        if not user.has_usable_password():
            password = ""
        elif demo_hash and user.password == demo_hash:
            password = DEMO_PASSWORD
        else:
            password = "(changed)"
        logins.append(
            DemoLogin(
                role=spec.role,
                username=spec.username,
                full_name=_display_name(user),
                team=", ".join(teams),
                password=password,
                token=tokens.get(spec.username, ""),
            )
        )
    return logins


def _display_name(user) -> str:
    return person_name(user)


# --- people and accounts in the database ----------------------------------------------


@dataclass
class _People:
    by_username: dict[str, int]
    marketing: list[int]
    org: Org  # the sales teams as routing sees them


def _seed_people() -> _People:
    """Create or restore the demo teams and users (one password hash for all: it is slow)."""
    user_model = get_user_model()
    teams = {}
    for name, kind, mode, framework in DEMO_TEAMS:
        team, _ = Team.objects.update_or_create(
            name=name,
            defaults={"kind": kind, "mode": mode, "framework": framework, "required_criteria": []},
        )
        teams[name] = team
    groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLES)}
    hashed = make_password(DEMO_PASSWORD)
    ids: dict[str, int] = {}
    for spec in DEMO_USERS:
        user, _ = user_model.objects.update_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@{DEMO_EMAIL_DOMAIN}",
                "is_staff": spec.is_staff,
                "is_active": True,
                "password": hashed if spec.role != roles.INTEGRATION else make_password(None),
            },
        )
        user.groups.set([groups[spec.role]])
        if spec.team:
            teams[spec.team].members.add(user)
        if spec.manages:
            teams[spec.manages].manager = user
            teams[spec.manages].save(update_fields=["manager", "updated_at"])
        if spec.role == roles.INTEGRATION:
            Token.objects.get_or_create(user=user)
        ids[spec.username] = user.pk

    def members(team: str) -> list[int]:
        return sorted(ids[s.username] for s in DEMO_USERS if s.team == team)

    rules = {}
    for order, (name, region, conditions, team) in enumerate(DEMO_RULES, start=1):
        rule, _ = RoutingRule.objects.update_or_create(
            name=name,
            defaults={
                "order": order * 10,
                "active": True,
                "applies_to": "mql",
                "conditions": conditions,
                "team": teams[team],
                "user": None,
            },
        )
        rules[region] = (team, rule.pk, rule.name)
    sales = [n for n, kind, *_ in DEMO_TEAMS if kind != Team.Kind.MARKETING]
    org = Org(
        team_ids={name: team.pk for name, team in teams.items()},
        members={name: members(name) for name in sales},
        modes={name: teams[name].mode for name in sales},
        frameworks={name: teams[name].framework for name in sales},
        rules=rules,
        ae_team=TEAM_AE,
    )
    return _People(
        by_username=ids,
        marketing=[ids[s.username] for s in DEMO_USERS if s.role == roles.MARKETING],
        org=org,
    )


def _account_count(leads: int) -> int:
    return max(12, min(15000, leads // 8))


def _save_accounts(accounts: list[dict], *, now: datetime) -> list[int]:
    """Insert the accounts, reusing any row that already holds a demo domain."""
    domains = [a["domain"] for a in accounts]
    existing: dict[str, int] = {}
    for start in range(0, len(domains), 5000):
        existing.update(
            Account.objects.filter(domain__in=domains[start : start + 5000]).values_list(
                "domain", "pk"
            )
        )
    new = [a for a in accounts if a["domain"] not in existing]
    ids = _reserve_ids(Account, len(new))
    rows = []
    for pk, a in zip(ids, new, strict=True):
        existing[a["domain"]] = pk
        rows.append((pk, *(a[c] for c in ACCOUNT_COLUMNS[1:-2]), now, now))
    _write(Account, ACCOUNT_COLUMNS, rows, json_index=None)
    return [existing[d] for d in domains]


def _reserve_ids(model, count: int) -> list[int]:
    """Primary keys for ``count`` new rows, so children can point at them before the insert."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


# Everything a demo lead's history writes (their foreign keys are dropped for the load).
HISTORY_MODELS = (
    Lead, Activity, LeadEvent, ConsentChange, Touch, LeadReturn, Opportunity, Qualification,
)  # fmt: skip

# --- writing rows ---------------------------------------------------------------------

ACCOUNT_COLUMNS = (
    "id", "name", "name_normalised", "domain", "employees", "annual_revenue", "industry",
    "region", "country", "created_at", "updated_at",
)  # fmt: skip
LEAD_COLUMNS = (
    "id", "name", "email", "email_normalised", "phone", "title", "seniority", "wechat_id",
    "language", "company_name", "account_id", "source_channel", "campaign", "source_system",
    "external_id", "created_at_source", "received_at", "stage", "stage_changed_at", "owner_id",
    "do_not_contact", "consent_source", "consent_at", "created_at", "updated_at",
    "team_id", "assigned_at", "mql_at", "already_customer", "delivery_seconds",
)  # fmt: skip
LEAD_EMAIL_NORM, LEAD_PHONE, LEAD_STAGE = 3, 4, 17
ACTIVITY_COLUMNS = ("lead_id", "type", "properties", "source", "occurred_at", "created_at")
EVENT_COLUMNS = (
    "lead_id", "kind", "from_stage", "to_stage", "actor_user_id", "actor_system", "reason",
    "data", "at",
)  # fmt: skip
CONSENT_COLUMNS = (
    "lead_id", "kind", "do_not_contact", "consent_source", "consent_at", "via",
    "actor_user_id", "actor_system", "reason", "at", "created_at",
)  # fmt: skip


def _write(model, columns: tuple[str, ...], rows: list[tuple], *, json_index: int | None) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        dumps = json.dumps
        with connection.cursor() as cursor:
            raw = cursor.connection  # psycopg 3
            with raw.cursor() as pg, pg.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                write_row = copy.write_row
                if json_index is None:
                    for row in rows:
                        write_row(row)
                else:
                    j = json_index
                    for row in rows:
                        write_row((*row[:j], dumps(row[j], ensure_ascii=False), *row[j + 1 :]))
        return
    # Elsewhere (SQLite): one executemany of adapted values; Django's bulk_create
    # spends most of its time preparing values field by field.
    ops = connection.ops
    fields = {f.column: f for f in model._meta.concrete_fields}
    adapters = []
    for column in columns:
        internal = fields[column].get_internal_type()
        if internal == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        elif internal == "DateField":
            adapters.append(ops.adapt_datefield_value)
        elif internal == "DecimalField":
            adapters.append(str)
        elif internal == "JSONField":
            adapters.append(lambda value: json.dumps(value, ensure_ascii=False))
        else:
            adapters.append(None)
    adapted = [(i, a) for i, a in enumerate(adapters) if a is not None]
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            params = []
            for row in rows[start : start + 5000]:
                values = list(row)
                for i, adapt in adapted:
                    if values[i] is not None:
                        values[i] = adapt(values[i])
                params.append(values)
            cursor.executemany(sql, params)


def _drop_taken_identities(batch: _Batch) -> None:
    """Leave out generated leads whose email or phone-only identity a real lead already has."""
    emails = [r[LEAD_EMAIL_NORM] for r in batch.leads if r[LEAD_EMAIL_NORM]]
    phones = [r[LEAD_PHONE] for r in batch.leads if not r[LEAD_EMAIL_NORM] and r[LEAD_PHONE]]
    taken_emails: set[str] = set()
    taken_phones: set[str] = set()
    for start in range(0, len(emails), 5000):
        taken_emails.update(
            Lead.objects.filter(email_normalised__in=emails[start : start + 5000]).values_list(
                "email_normalised", flat=True
            )
        )
    for start in range(0, len(phones), 5000):
        taken_phones.update(
            Lead.objects.filter(
                email_normalised=None, phone__in=phones[start : start + 5000]
            ).values_list("phone", flat=True)
        )
    if not taken_emails and not taken_phones:
        return
    dropped = {
        r[0]
        for r in batch.leads
        if r[LEAD_EMAIL_NORM] in taken_emails
        or (not r[LEAD_EMAIL_NORM] and r[LEAD_PHONE] in taken_phones)
    }
    batch.leads = [r for r in batch.leads if r[0] not in dropped]
    batch.activities = [r for r in batch.activities if r[0] not in dropped]
    history = batch.history
    history.events = [r for r in history.events if r[0] not in dropped]
    history.touches = [r for r in history.touches if r[1] not in dropped]
    history.returns = [r for r in history.returns if r[1] not in dropped]
    history.opportunities = [r for r in history.opportunities if r[1] not in dropped]
    history.qualifications = [r for r in history.qualifications if r[0] not in dropped]
    batch.consents = [r for r in batch.consents if r[0] not in dropped]
    batch.opted_out = [pk for pk in batch.opted_out if pk not in dropped]


# --- the generator ------------------------------------------------------------------------


def _ascii(text: str) -> str:
    text = text.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _cum(weighted) -> tuple[tuple, list[float]]:
    weighted = tuple(weighted)
    values = tuple(v for v, _ in weighted)
    return values, list(itertools.accumulate(w for _, w in weighted))


@dataclass
class _Batch:
    leads: list[tuple]
    activities: list[tuple]
    history: Rows  # events, touches, returns, opportunities, qualifications
    consents: list[tuple] = field(default_factory=list)  # the consent history's first rows
    opted_out: list[int] = field(default_factory=list)  # leads whose person opts out


INTENT_TYPES = ("demo_request", "pricing_page", "pricing_page", "trial_signup", "webinar")
INTENT_BY_OUTCOME = {"won": 0.35, "opportunity": 0.25, "sql": 0.2, "lost": 0.1}


UTC_OFFSETS = {"CN": 8, **{c[0]: c[3] for c in INTL_COUNTRIES}}
HOUR = 3600.0
DAY = 86400.0


class _Generator:
    def __init__(self, *, rng: random.Random, now: datetime, people: _People):
        self.rng = rng
        self.win_rate = 0.28  # per lead, set before its story (see _lead)
        self.now = now
        self.people = people
        self.ids = {
            "touch": Ids(Touch),
            "return": Ids(LeadReturn),
            "opportunity": Ids(Opportunity),
        }
        self.min_touches = hooks.min_attempts()
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.accounts_by_region: dict[str, list[int]] = {"cn": [], "intl": []}
        self.account_rows: list[dict] = []
        self.channels = {r: _cum(zip(CHANNELS, w, strict=True)) for r, w in CHANNEL_WEIGHTS.items()}
        self.seniority = _cum(SENIORITY_WEIGHTS)
        self.countries = _cum((c, c[4]) for c in INTL_COUNTRIES)
        self.free_mail = {"cn": _cum(CN_FREE_MAIL), "intl": _cum(INTL_FREE_MAIL)}
        self.conversion = {ch: _cum(w) for ch, w in CONVERSION_ACTIVITY.items()}
        self.engagement = {r: _cum(w) for r, w in ENGAGEMENT_ACTIVITY.items()}

    def pick(self, cum: tuple[tuple, list[float]]):
        values, weights = cum
        return values[bisect.bisect_right(weights, self.rng.random() * weights[-1])]

    # --- accounts ---------------------------------------------------------------------

    def accounts(self, *, count: int) -> list[dict]:
        rng = self.rng
        seen: set[str] = set()
        rows = []
        for index in range(count):
            region = "cn" if rng.random() < 0.6 else "intl"
            employees = int(min(80000, max(5, rng.lognormvariate(5.0, 1.5))))
            per_head = rng.uniform(40_000, 250_000) * (0.5 if region == "cn" else 1.0)
            revenue = Decimal(int(employees * per_head / 1000) * 1000)
            if region == "cn":
                city, city_py, area = rng.choice(CN_CITIES)
                brand, brand_py = rng.choice(CN_BRANDS)
                word, industry, slug = rng.choice(CN_INDUSTRIES)
                legal = "股份有限公司" if employees > 1000 and rng.random() < 0.5 else "有限公司"
                name = f"{city}{brand}{word}{legal}"
                domain = f"{brand_py}{slug}.example"
                if domain in seen:
                    domain = f"{brand_py}-{city_py}.example"
                country = "CN"
            else:
                prefix = rng.choice(INTL_PREFIXES)
                word, industry, slug = rng.choice(INTL_INDUSTRIES)
                country, area, legal, _, _ = self.pick(self.countries)
                name = f"{prefix} {word} {legal}"
                domain = f"{prefix.lower()}-{slug}.example"
                if domain in seen:
                    domain = f"{prefix.lower()}-{slug}-{country.lower()}.example"
            if domain in seen:
                domain = domain.replace(".example", f"{index}.example")
            seen.add(domain)
            rows.append(
                {
                    "name": name,
                    "name_normalised": normalize_company(name),
                    "domain": domain,
                    "employees": employees,
                    "annual_revenue": revenue,
                    "industry": industry,
                    "region": area,
                    "country": country,
                }
            )
        self.account_rows = rows
        return rows

    # --- leads ---------------------------------------------------------------------------

    def leads(self, *, ids: list[int], account_ids: list[int]) -> _Batch:
        rng = self.rng
        by_region: dict[str, list[int]] = {"cn": [], "intl": []}
        for position, row in enumerate(self.account_rows):
            by_region["cn" if row["country"] == "CN" else "intl"].append(position)
        # A few accounts hold many leads, most only one or two (Zipf-like).
        zipf = {
            r: (tuple(p), list(itertools.accumulate(1 / (k + 1) ** 0.9 for k in range(len(p)))))
            for r, p in by_region.items()
        }
        batch = _Batch(leads=[], activities=[], history=Rows(), consents=[], opted_out=[])
        for number, lead_id in enumerate(ids, start=1):
            region = "cn" if rng.random() < 0.6 else "intl"
            self._lead(lead_id, number, region, zipf[region], account_ids, batch)
        return batch

    def _received_at(self, region: str, utc_offset: int) -> datetime:
        rng = self.rng
        while True:
            days = rng.random() * 365
            # Growth over the year: a recent day gets up to 1.8x an old one.
            if rng.random() * 1.8 > 1.0 + 0.8 * (365 - days) / 365:
                continue
            local_hour = rng.gauss(13.5, 3.2) if rng.random() < 0.85 else rng.uniform(0, 24)
            local_hour = min(max(local_hour, 0.0), 23.99)
            local_day = (self.now + timedelta(hours=utc_offset)).date() - timedelta(days=int(days))
            if local_day.weekday() >= 5 and rng.random() < 0.7:
                continue
            at = datetime(local_day.year, local_day.month, local_day.day, tzinfo=UTC) + timedelta(
                hours=local_hour - utc_offset, seconds=rng.randint(0, 59)
            )
            if at < self.now - timedelta(minutes=5):
                return at

    def _lead(self, lead_id, number, region, zipf, account_ids, batch: _Batch) -> None:
        rng = self.rng
        # Who: account, person, contact details.
        # China: phone-only and WeChat-only leads are normal; elsewhere email rules.
        contact = rng.random()
        if region == "cn":
            kind = "company" if contact < 0.45 else "free" if contact < 0.70 else "phone"
            if contact >= 0.92:
                kind = "wechat"
        else:
            kind = "company" if contact < 0.77 else "free" if contact < 0.96 else "phone"
        account_pos = None
        positions, weights = zipf
        if kind == "company" and positions:
            account_pos = positions[bisect.bisect_right(weights, rng.random() * weights[-1])]
        elif kind == "company":
            kind = "free"
        account = self.account_rows[account_pos] if account_pos is not None else None
        if account:
            country = account["country"]
        else:
            country = "CN" if region == "cn" else self.pick(self.countries)[0]
        utc_offset = UTC_OFFSETS[country]

        name, email_local, free_local = self._person(region)
        email = ""
        if kind == "company":
            email = self._unique_email(email_local, account["domain"])
        elif kind == "free":
            email = self._unique_email(free_local, self.pick(self.free_mail[region]))
        phone = ""
        if kind == "phone" or (
            kind != "wechat" and rng.random() < (0.7 if region == "cn" else 0.35)
        ):
            # Without an email the phone is the lead's identity: it must be unique.
            phone = self._phone(country, unique=not email)
        wechat = ""
        if region == "cn" and (kind == "wechat" or rng.random() < 0.4):
            wechat = f"wxid_{rng.getrandbits(40):010x}"
        seniority = self.pick(self.seniority)
        title = (
            rng.choice(TITLES["zh" if region == "cn" else "en"][seniority])
            if seniority != "unknown"
            else ""
        )
        company_name = account["name"] if account else ""
        if not account and rng.random() < 0.5:
            company_name = self._free_company_name(region)

        channel = self.pick(self.channels[region])
        received = self._received_at(region, utc_offset)
        delivery = rng.lognormvariate(5.8, 1.6)  # seconds: median ~5 min, ~3 % over 2 h
        created_at_source = received - timedelta(seconds=max(5, min(delivery, 2 * DAY)))
        campaign = self._campaign(channel, region, received)
        consent = channel not in ("outbound", "referral")

        # What happens to it.
        fit = 1.0
        if account:
            fit = 1.25 if (account["employees"] or 0) > 50 else 0.6
        elif kind != "company":
            fit = 0.8
        story = Story(
            lead_id=lead_id,
            start=received,
            now=self.now,
            rows=batch.history,
            ids=self.ids,
            org=self.people.org,
            rng=rng,
            lead={
                "region": region,
                "source_channel": channel,
                "campaign": campaign,
                "company_name": company_name,
                "name": name,
            },
            min_touches=self.min_touches,
        )
        story.created(data={"channel": channel, "synthetic": True})
        conversion = self.pick(self.conversion[channel])
        # Deals are won more often by companies of the right size that asked for a
        # demo or a trial: the pattern the scoring and the predictive score should see.
        self.win_rate = min(
            0.6, 0.28 * fit * (1.4 if conversion in ("demo_request", "trial_signup") else 0.9)
        )
        with contextlib.suppress(Stop):  # the rest of its story lies in the future
            self._story(story, region, channel, conversion, fit)
        story.finish()

        # Behaviour before the lead moved on (scoring saw these).
        self._activities(
            lead_id, region, channel, conversion, created_at_source, received, story, batch
        )
        email_normalised = normalize_email(email) or None
        # About 2 % of people opt out; it is applied after the seed by the service real
        # opt-outs go through (``_opt_out``), so the lead leaves sales as it would. A
        # person in a live deal is left alone (product.md moves only mql, sal and sql).
        if rng.random() < 0.02 and story.stage != Stage.OPPORTUNITY:
            batch.opted_out.append(lead_id)
        if consent:  # as intake records a new lead's consent
            batch.consents.append(
                (
                    lead_id, ConsentChange.Kind.RECORDED.value, False, "web form",
                    created_at_source, ConsentChange.Via.DEMO.value, None, INTAKE_SYSTEM, "",
                    received, received,
                )
            )  # fmt: skip
        batch.leads.append(
            (
                lead_id, name, email, email_normalised, phone or None, title, seniority, wechat,
                "zh-hans" if region == "cn" else "en", company_name,
                account_ids[account_pos] if account_pos is not None else None,
                channel, campaign, DEMO_SOURCE_SYSTEM, f"demo-{number:07d}", created_at_source,
                received, story.stage, story.stage_at, story.owner,
                False, "web form" if consent else "",
                created_at_source if consent else None, received, story.stage_at,
                story.team, story.assigned_at, story.mql_at, story.already_customer,
                delivery_seconds(created_at_source, received),
            )
        )  # fmt: skip

    def _person(self, region: str) -> tuple[str, str, str]:
        rng = self.rng
        if region == "cn":
            surname, s_py = rng.choice(CN_SURNAMES)
            given, g_py = rng.choice(CN_GIVEN)
            name = f"{surname}{given}"
            local = rng.choice(
                (f"{g_py}.{s_py}", f"{s_py}{g_py}", f"{s_py}.{g_py}", f"{g_py}{s_py}")
            )
            if rng.random() < 0.6:
                free = str(rng.randint(10_000_000, 3_999_999_999))
            else:
                free = f"{s_py}{g_py}{rng.randint(1, 9999)}"
            return name, local, free
        first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
        f, la = _ascii(first), _ascii(last)
        local = rng.choice((f"{f}.{la}", f"{f[0]}{la}", f"{f}"))
        return f"{first} {last}", local, f"{f}.{la}{rng.randint(1, 99)}"

    def _unique_email(self, local: str, domain: str) -> str:
        email = f"{local}@{domain}"
        while email in self.emails:
            email = f"{local}{self.rng.randint(2, 999)}@{domain}"
        self.emails.add(email)
        return email

    def _phone(self, country: str, *, unique: bool) -> str:
        rng = self.rng
        for _ in range(20):
            if country == "CN":
                raw = f"+86 {rng.choice(CN_MOBILE_PREFIXES)} {rng.randint(0, 99_999_999):08d}"
            elif country in ("US", "CA"):
                area = rng.choice((212, 415, 312, 617, 416, 604))
                raw = f"+1 {area} 555 01{rng.randint(0, 99):02d}"
            elif country == "GB":
                raw = f"+44 20 7946 0{rng.randint(0, 999):03d}"
            else:
                code = {"DE": 49, "FR": 33, "NL": 31, "SG": 65, "JP": 81, "AU": 61, "HK": 852}
                digits = 8 if country in ("SG", "HK") else 9
                raw = f"+{code[country]} {rng.randint(10 ** (digits - 1) * 2, 10**digits - 1)}"
            try:
                phone = normalize_phone(raw)
            except ValueError:
                continue
            if not unique or phone not in self.phones:
                self.phones.add(phone)
                return phone
        return ""

    def _free_company_name(self, region: str) -> str:
        rng = self.rng
        if region == "cn":
            city, brand = rng.choice(CN_CITIES)[0], rng.choice(CN_BRANDS)[0]
            return f"{city}{brand}{rng.choice(CN_INDUSTRIES)[0]}有限公司"
        return f"{rng.choice(INTL_PREFIXES)} {rng.choice(INTL_INDUSTRIES)[0]}"

    def _campaign(self, channel: str, region: str, received: datetime) -> str:
        names = CAMPAIGNS[channel]
        if isinstance(names, dict):
            names = names[region]
        return f"{received.year}Q{(received.month - 1) // 3 + 1} {self.rng.choice(names)}"

    # --- the funnel ----------------------------------------------------------------------
    # Each step is one of the product's services, as ``leads.demo.history.Story`` writes it.

    def _story(self, s: Story, region: str, channel: str, conversion: str, fit: float) -> None:
        rng = self.rng
        marketing = rng.choice(self.people.marketing)
        if rng.random() >= MQL_RATE[channel] * fit:
            r = rng.random()
            if r < 0.14:
                s.wait(rng.uniform(3, 60) * DAY)
                reason = rng.choice(("bad_timing", "not_icp"))
                s.marketing_move("nurture", by=marketing, reason=reason)
                self._maybe_recycle(s, region, depth=0)
            elif r < 0.20:
                s.wait(rng.uniform(1, 20) * DAY)
                s.marketing_move("disqualified", by=marketing, reason="not_icp")
            elif r < 0.21:
                s.wait(rng.uniform(1, 10) * DAY)
                s.marketing_move("excluded", by=marketing, reason="competitor")
            return
        if conversion in ("demo_request", "trial_signup"):
            s.wait(rng.uniform(60, 1800))
        else:
            s.wait(rng.lognormvariate(11.5, 1.1))  # median ~1.1 days of interest building up
        score = rng.randint(60, 98)
        grade = "A" if fit > 1 else "B"
        s.score_to_mql(actor=SCORING_SYSTEM, total=score, grade=grade)
        self._work_mql(s, region, depth=0)

    def _maybe_recycle(self, s: Story, region: str, *, depth: int) -> None:
        if depth > 0 or self.rng.random() >= 0.08:
            return
        s.wait(self.rng.uniform(30, 150) * DAY)
        s.score_to_mql(actor=SCORING_SYSTEM, total=self.rng.randint(60, 90), grade="B")
        self._work_mql(s, region, depth=depth + 1)

    def _work_mql(self, s: Story, region: str, *, depth: int) -> None:
        """Routed (round-robin or into the pool, then claimed); the SDR accepts,
        returns or drops it."""
        rng = self.rng
        if s.owner is None:  # a pool: an SDR claims it
            s.wait(rng.lognormvariate(7.6, 1.2))  # median ~30 min
            sdr = s.claim()
        else:
            sdr = s.owner
        r = rng.random()
        if depth and 0.60 <= r < 0.70:
            r = rng.random() * 0.60  # a corrected or recycled lead is not returned again
        if r < 0.60:
            s.wait(rng.lognormvariate(7.6, 1.1))  # accepted: median ~30 min, ~1 in 8 over 2 h
            s.accept(sdr)
            self._work_sal(s, region, sdr, depth=depth)
        elif r < 0.70:
            s.wait(rng.uniform(1, 40) * HOUR)
            self._touch(s, region, sdr)
            s.wait(rng.uniform(0.5, 30) * HOUR)
            self._return(s, region, sdr, depth=depth)
        elif r < 0.82:
            self._touches(s, region, sdr, rng.randint(1, 3))
            s.give_back(sdr, "bad_timing", "nurture")
            self._maybe_recycle(s, region, depth=depth)
        elif r < 0.90:
            self._touches(s, region, sdr, rng.randint(1, 2))
            s.give_back(sdr, "not_icp", "disqualified")
        elif r < 0.93:
            s.wait(rng.uniform(1, 30) * HOUR)
            s.give_back(sdr, "already_customer", "customer_success")
        elif r < 0.95:
            s.wait(rng.uniform(1, 30) * HOUR)
            s.give_back(sdr, "competitor", "excluded")
        else:  # left waiting; after a while the SDR hands it back to nurture
            s.wait(rng.uniform(10, 45) * DAY)
            s.give_back(sdr, "bad_timing", "nurture")

    def _return(self, s: Story, region: str, sdr: int, *, depth: int) -> None:
        """Wrong information: back to marketing, who fixes and re-sends it, parks it,
        drops it, or has not got to it yet (the returns inbox)."""
        rng = self.rng
        marketing = rng.choice(self.people.marketing)
        s.give_back(sdr, "wrong_information", "returned")
        s.wait(rng.uniform(2, 72) * HOUR)
        r = rng.random()
        if r < 0.5 and depth == 0:
            s.resend(marketing)
            self._work_mql(s, region, depth=depth + 1)
        elif r < 0.7:
            s.marketing_move("nurture", by=marketing, reason="bad_timing")
        elif r < 0.9:
            s.marketing_move("disqualified", by=marketing, reason="not_icp")

    def _touch(self, s: Story, region: str, user: int) -> None:
        rng = self.rng
        # China: phone first, then WeChat; elsewhere phone and email (product.md).
        channels = ("call", "call", "wechat", "wechat") if region == "cn" else None
        channel = rng.choice(channels or ("call", "email", "email", "call"))
        if rng.random() < 0.08:
            channel = "meeting"
        s.touch(user, channel, rng.choice(TOUCH_OUTCOMES[channel]))

    def _touches(self, s: Story, region: str, user: int, count: int) -> None:
        for _ in range(count):
            s.wait(self.rng.lognormvariate(10.0, 1.0))  # median ~6 h between attempts
            self._touch(s, region, user)

    def _work_sal(self, s: Story, region: str, sdr: int, *, depth: int) -> None:
        rng = self.rng
        r = rng.random()
        if r < 0.40:
            self._touches(s, region, sdr, rng.randint(2, 8))
            self._to_sql(s, region, sdr)
        elif r < 0.60:
            self._touches(s, region, sdr, rng.randint(6, 9))
            s.give_back(sdr, "bad_timing", "nurture")
            self._maybe_recycle(s, region, depth=depth)
        elif r < 0.80:
            if rng.random() < 0.5:
                self._touches(s, region, sdr, rng.randint(1, 3))
                s.give_back(sdr, "not_icp", "disqualified")
            else:
                self._touches(s, region, sdr, rng.randint(6, 9))
                s.disqualify(sdr, "no_response")
        elif r < 0.85:
            self._touches(s, region, sdr, 1)
            if depth == 0:
                self._return(s, region, sdr, depth=depth)
            else:
                s.give_back(sdr, "bad_timing", "nurture")
        elif r < 0.87:
            self._touches(s, region, sdr, 1)
            s.give_back(sdr, "already_customer", "customer_success")
        else:  # worked for weeks, then given up (still being worked while it is recent)
            self._touches(s, region, sdr, rng.randint(1, 5))
            s.wait(rng.uniform(30, 120) * DAY)
            s.give_back(sdr, "bad_timing", "nurture")

    def _to_sql(self, s: Story, region: str, sdr: int) -> None:
        rng = self.rng
        s.wait(rng.uniform(1, 48) * HOUR)
        framework = s.qualify(sdr)
        s.wait(rng.uniform(5, 600))
        s.convert(sdr, framework)  # routed to an AE at once
        ae = s.owner
        s.wait(rng.lognormvariate(11.0, 1.0))  # median ~17 h for the AE to decide
        r = rng.random()
        if r < 0.70:
            amount = int(rng.lognormvariate(10.3, 0.7) / 100) * 100
            currency = "CNY" if region == "cn" else "USD"
            if currency == "CNY":
                amount *= 7
            close = (s.t + timedelta(days=rng.randint(30, 120))).date()
            s.sql_accept(ae, amount=amount, currency=currency, close=close)
            self._work_opportunity(s, region, ae)
        elif r < 0.90:
            if rng.random() < 0.5:
                s.sql_reject(ae, reason="bad_timing", to="nurture")
            else:
                s.sql_reject(ae, reason="not_icp", to="disqualified")
        else:  # the AE takes longer, then sends it back to nurture
            s.wait(rng.uniform(5, 30) * DAY)
            s.sql_reject(ae, reason="bad_timing", to="nurture")

    def _work_opportunity(self, s: Story, region: str, ae: int) -> None:
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            s.wait(rng.uniform(2, 20) * DAY)
            s.touch(ae, "meeting", "connected")
        for stage in ("validation", "negotiation"):
            if rng.random() < 0.6:
                s.wait(rng.uniform(3, 30) * DAY)
                s.opportunity_forward(ae, stage)
        s.wait(rng.uniform(5, 90) * DAY)
        r = rng.random()
        if r < self.win_rate:
            s.opportunity_close(ae, "won")
        elif r < self.win_rate + 0.6:
            s.opportunity_close(ae, "lost", lost_reason=rng.choice(LOST_REASONS))
            if rng.random() < 0.15:
                s.wait(rng.uniform(30, 90) * DAY)
                marketing = rng.choice(self.people.marketing)
                s.marketing_move("nurture", by=marketing, reason="recycled")

    # --- behaviour ------------------------------------------------------------------------

    def _activities(
        self, lead_id, region, channel, conversion, created_at_source, received, story, batch
    ) -> None:
        """Behaviour the scoring model saw: all of it before the lead's first MQL."""
        rng = self.rng
        now = self.now
        rows = batch.activities
        first = created_at_source if channel != "outbound" else received + timedelta(hours=2)
        if story.first_mql_at is not None:
            count = rng.randint(5, 15)
            end = story.first_mql_at - timedelta(seconds=1)
            begin = min(first, end) - timedelta(days=10)
        else:
            count = rng.randint(1, 4)
            end = min(now, first + timedelta(days=60))
            if story.stage != Stage.INQUIRY:  # marketing parked or dropped it
                end = min(end, story.stage_at)
            begin = min(first, end)
        if first <= end:
            properties = self._properties(conversion, channel)
            rows.append((lead_id, conversion, properties, DEMO_SOURCE_SYSTEM, first, first))
            count -= 1
        span = max(0.0, (end - begin).total_seconds())
        times = sorted(begin + timedelta(seconds=rng.random() * span) for _ in range(count))
        engagement = self.engagement[region]
        # Buying intent shows in behaviour: leads that went on to win (or got far)
        # requested demos and read pricing more often — the signal the calibration
        # and the predictive score are meant to find.
        intent = INTENT_BY_OUTCOME.get(story.stage, 0.0)
        for at in times:
            kind = rng.choice(INTENT_TYPES) if rng.random() < intent else self.pick(engagement)
            rows.append(
                (lead_id, kind, self._properties(kind, channel), DEMO_SOURCE_SYSTEM, at, at)
            )

    def _properties(self, kind: str, channel: str) -> dict:
        if kind in ("web_visit", "pricing_page"):
            return {"url": "/pricing" if kind == "pricing_page" else self.rng.choice(WEB_PAGES)}
        if kind in ("email_open", "email_click"):
            return {"email": "newsletter" if channel != "outbound" else "outbound sequence"}
        return {}
