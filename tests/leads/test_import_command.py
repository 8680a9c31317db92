"""manage.py import_leads: the browser's import from the shell."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from leads.models import Lead, LeadEvent

pytestmark = pytest.mark.django_db

CSV_TEXT = (
    "姓名,邮箱,电话,公司,来源,活动,创建时间\n"
    "张伟,zhang.wei@acme.cn,13800138000,艾克米科技,官网,春季展会,2025/3/5 14:30\n"
    "坏行,not-an-email,,艾克米科技,官网,春季展会,2025/3/5 15:00\n"
    "李娜,,13900139000,艾克米科技,微信,春季展会,2025-03-06 09:00\n"
)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_leads", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_a_gbk_csv_prints_counts_and_writes_the_rejected_rows_beside_it(
    tmp_path, marketer, settings
):
    settings.TIME_ZONE = "Asia/Shanghai"
    path = tmp_path / "expo.csv"
    path.write_bytes(CSV_TEXT.encode("gbk"))

    out, _err = run(path, "--user", "mia", "--chunk-size", "2")

    assert "created 2, updated 0, rejected 1" in out
    assert "times without a zone are read in Asia/Shanghai" in out
    report = tmp_path / "expo.rejected.csv"
    assert f"rejected rows: {report}" in out
    rows = list(csv.reader(io.StringIO(report.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:3] == ["row", "reason", "姓名"]
    assert rows[1][:4] == ["3", "email: Enter a valid email address.", "坏行", "not-an-email"]
    assert len(rows) == 2
    zhang = Lead.objects.get(email_normalised="zhang.wei@acme.cn")
    assert (zhang.name, zhang.source_channel, zhang.campaign) == ("张伟", "website", "春季展会")
    assert zhang.created_at_source == dt.datetime(
        2025, 3, 5, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    li = Lead.objects.get(phone="+8613900139000")
    assert li.source_channel == "wechat"
    assert set(LeadEvent.objects.values_list("actor_user__username", flat=True)) == {"mia"}


def test_running_it_twice_updates_instead_of_duplicating(tmp_path, marketer):
    path = tmp_path / "expo.csv"
    path.write_bytes(CSV_TEXT.encode())
    run(path)

    out, _err = run(path, "--errors", tmp_path / "errors.csv")

    assert "created 0, updated 2, rejected 1" in out
    assert Lead.objects.count() == 2
    assert (tmp_path / "errors.csv").exists()


def test_xlsx_with_mapping_overrides_and_a_default_channel(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Contact", "Mobile", "Notes"])
    sheet.append(["Ann", 13800138000, "met at booth"])
    sheet.append(["Bob", 13900139000, None])
    path = tmp_path / "booth.xlsx"
    workbook.save(path)

    out, _err = run(path, "--mapping", "auto,Contact=name", "--source-channel", "event")

    assert "created 2, updated 0, rejected 0" in out
    assert "Notes → — ignored —" in out
    assert sorted(Lead.objects.values_list("name", "phone", "source_channel")) == [
        ("Ann", "+8613800138000", "event"),
        ("Bob", "+8613900139000", "event"),
    ]
    assert not (tmp_path / "booth.rejected.csv").exists()


def test_a_file_without_a_header_is_an_error(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_bytes(b"ann@acme.example,Ann\n")

    with pytest.raises(CommandError, match="no header row: row 1"):
        run(path)
    assert Lead.objects.count() == 0


def test_a_mapping_without_identity_or_source_is_an_error(tmp_path):
    path = tmp_path / "names.csv"
    path.write_bytes(b"Name,Company\nAnn,Acme\n")

    with pytest.raises(
        CommandError, match="Map at least one column to email, phone or external id"
    ):
        run(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mapping", "Nope=email"], "is not COLUMN=FIELD with a column of the file"),
        (["--mapping", "auto,邮箱=mail"], "“mail” is not a field"),
        (["--user", "nobody"], "no user “nobody”"),
    ],
)
def test_bad_options_are_errors(tmp_path, args, message):
    path = tmp_path / "expo.csv"
    path.write_bytes(CSV_TEXT.encode())

    with pytest.raises(CommandError, match=message):
        run(path, *args)


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.csv")
