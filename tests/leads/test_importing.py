"""leads.intake.importing: reading files, header detection, mapping, conversion, the report."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from leads.intake.importing import (
    ImportFileError,
    RejectedRow,
    import_preview,
    import_rows,
    mapping_problems,
    mapping_suggest,
    report_bytes,
    row_convert,
    table_open,
)
from leads.models import Lead

CHINESE_CSV = (
    "姓名,邮箱,电话,公司,职位,来源,活动,创建时间\n"
    "张伟,zhang.wei@acme.cn,13800138000,艾克米科技,市场总监,官网,春季展会,2025/3/5 14:30\n"
    "李娜,li.na@acme.cn,13900139000,艾克米科技,经理,微信,春季展会,2025-03-06 09:00\n"
)


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- encodings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encodings_are_detected(encoding, detected):
    table = table_open(data=CHINESE_CSV.encode(encoding), filename="leads.csv")

    assert table.encoding == detected
    assert table.headers == ["姓名", "邮箱", "电话", "公司", "职位", "来源", "活动", "创建时间"]
    assert table.total == 2
    rows = list(table.rows())
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].values[0] == "张伟"
    assert rows[1].values[3] == "艾克米科技"


def test_utf16_with_bom_and_tabs_is_read():
    text = "Email\tName\nann@acme.example\tAnn\n"

    table = table_open(data=text.encode("utf-16"), filename="export.txt")

    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert [r.values for r in table.rows()] == [("ann@acme.example", "Ann")]


def test_semicolon_delimited_csv_is_read():
    table = table_open(data=b"Email;Name\nann@acme.example;Ann\n", filename="x.csv")

    assert table.delimiter == ";"
    assert table.headers == ["Email", "Name"]


@pytest.mark.parametrize(
    "data",
    [
        "Name,City\nRené,Orléans\n".encode("latin-1"),
        "Email,Name\n".encode("utf-16-le") + "a@b.example,Ann\n".encode("utf-16-le"),
        bytes(range(256)),
    ],
    ids=["latin-1", "utf-16-without-bom", "binary"],
)
def test_unknown_encoding_is_an_error_naming_it(data):
    with pytest.raises(ImportFileError, match="encoding is not one we can read"):
        table_open(data=data, filename="leads.csv")


@pytest.mark.parametrize(
    "data", [b"", b"   \r\n\r\n", b",,,\n,,\n"], ids=["empty", "blank", "commas"]
)
def test_empty_file_is_an_error(data):
    with pytest.raises(ImportFileError, match="The file is empty"):
        table_open(data=data, filename="leads.csv")


def test_header_without_data_rows_is_an_error():
    with pytest.raises(ImportFileError, match="header row but no data rows"):
        table_open(data=b"Email,Name\n\n", filename="leads.csv")


# --- header detection -----------------------------------------------------------


def test_no_header_row_is_an_error_naming_the_row_and_value():
    data = b"ann@acme.example,Ann,Acme\nbob@acme.example,Bob,Acme\n"

    with pytest.raises(ImportFileError) as caught:
        table_open(data=data, filename="leads.csv")

    assert "no header row: row 1 holds data (“ann@acme.example”)" in str(caught.value)


def test_phone_numbers_in_the_first_row_mean_no_header():
    with pytest.raises(ImportFileError, match="no header row: row 1"):
        table_open(data="张伟,13800138000\n李娜,13900139000\n".encode(), filename="x.csv")


def test_title_rows_above_the_header_are_skipped_and_rows_keep_their_numbers():
    data = "线索导出 2025年3月\n\n邮箱,姓名\nann@acme.example,Ann\n\nbob@acme.example,Bob\n"

    table = table_open(data=data.encode(), filename="leads.csv")

    assert table.header_row == 3
    assert table.headers == ["邮箱", "姓名"]
    assert table.total == 2
    assert [r.number for r in table.rows()] == [4, 6]
    assert [r.number for r in table.rows(start=1)] == [6]


def test_one_known_column_name_is_enough_to_pass_a_title_row():
    data = b"Leads from the expo\nEmail,Notes\nann@acme.example,met at booth\n"

    table = table_open(data=data, filename="leads.csv")

    assert (table.header_row, table.headers, table.total) == (2, ["Email", "Notes"], 1)


def test_unknown_column_names_are_a_header_when_the_row_is_not_data():
    table = table_open(data=b"Foo,Bar\nann@acme.example,1\n", filename="leads.csv")

    assert table.header_row == 1
    assert table.headers == ["Foo", "Bar"]
    assert mapping_suggest(headers=table.headers) == ["", ""]


def test_blank_header_cells_get_a_column_name():
    table = table_open(data=b"Email,,Name\na@b.example,x,Ann\n", filename="leads.csv")

    assert table.headers == ["Email", "(column B)", "Name"]


# --- XLSX -----------------------------------------------------------------------


def test_xlsx_is_read_with_typed_cells():
    data = xlsx_bytes(
        [
            ["Leads from the Shanghai expo"],
            ["Email", "Phone", "Company", "Employees", "Created"],
            ["ann@acme.example", 13800138000, "Acme", 250, dt.datetime(2025, 3, 5, 14, 30)],
            [None, None, None, None, None],
            ["bob@acme.example", "+86 139 0013 9000", "Acme", None, None],
        ]
    )

    table = table_open(data=data, filename="expo.xlsx")

    assert (table.kind, table.header_row, table.total) == ("xlsx", 2, 2)
    assert table.headers == ["Email", "Phone", "Company", "Employees", "Created"]
    rows = list(table.rows())
    assert [r.number for r in rows] == [3, 5]
    mapping = mapping_suggest(headers=table.headers)
    assert row_convert(values=rows[0].values, mapping=mapping) == {
        "email": "ann@acme.example",
        "phone": "13800138000",
        "company": "Acme",
        "employees": 250,
        "created_at_source": dt.datetime(2025, 3, 5, 14, 30),
    }


def test_an_xlsx_name_on_a_text_file_is_an_error():
    with pytest.raises(ImportFileError, match="not a valid XLSX workbook"):
        table_open(data=b"Email\na@b.example\n", filename="leads.xlsx")


def test_a_broken_xlsx_is_an_error():
    with pytest.raises(ImportFileError, match="not a valid XLSX workbook"):
        table_open(data=b"PK\x03\x04 this is not a zip", filename="leads.xlsx")


def test_legacy_xls_is_refused_with_advice():
    with pytest.raises(ImportFileError, match=r"old Excel \.xls"):
        table_open(data=b"\xd0\xcf\x11\xe0" + b"\x00" * 100, filename="leads.xls")


# --- mapping --------------------------------------------------------------------


def test_mapping_suggestions_from_chinese_headers():
    headers = ["姓名", "邮箱", "电话", "公司", "职位", "来源", "活动", "创建时间", "备注"]

    assert mapping_suggest(headers=headers) == [
        "name",
        "email",
        "phone",
        "company",
        "title",
        "source_channel",
        "campaign",
        "created_at_source",
        "",
    ]


def test_mapping_suggestions_from_english_headers_ignore_case_spaces_and_marks():
    headers = ["E-mail Address*", "Mobile", "Company Name", "Job Title", "Lead Source", "WeChat ID"]

    assert mapping_suggest(headers=headers) == [
        "email",
        "phone",
        "company",
        "title",
        "source_channel",
        "wechat_id",
    ]
    assert mapping_suggest(headers=["Email Address", "ＥＭＡＩＬ"]) == ["email", ""]


def test_each_field_is_suggested_for_its_first_column_only():
    assert mapping_suggest(headers=["手机", "电话", "external_id"]) == ["phone", "", "external_id"]


def test_mapping_problems_name_what_is_missing():
    assert mapping_problems(mapping=["name", "company"], has_default_source=False) == [
        "Map at least one column to email, phone or external id.",
        "Map a column to “Source channel”, or choose a source channel for every row.",
    ]
    assert mapping_problems(mapping=["email", "email"], has_default_source=True) == [
        "More than one column is mapped to “Email”; keep one."
    ]
    assert mapping_problems(mapping=["email", ""], has_default_source=True) == []


# --- conversion -----------------------------------------------------------------


def test_row_convert_drops_blanks_and_reads_labels_and_spreadsheet_dates():
    mapping = ["name", "email", "source_channel", "seniority", "created_at_source", "phone"]

    row = row_convert(
        values=("张伟", None, "官网", "总监", "2025年3月5日 14:30", 13800138000.0),
        mapping=mapping,
        defaults={"source_channel": "event", "campaign": "Expo"},
    )

    assert row == {
        "name": "张伟",
        "source_channel": "website",
        "seniority": "director",
        "created_at_source": dt.datetime(2025, 3, 5, 14, 30),
        "phone": "13800138000",
        "campaign": "Expo",
    }


def test_row_convert_keeps_zones_and_leaves_unreadable_values_to_intake():
    row = row_convert(
        values=("2025-03-05T14:30:00+00:00", "next tuesday", "Web"),
        mapping=["created_at_source", "consent_at", "source_channel"],
    )

    assert row["created_at_source"] == dt.datetime(2025, 3, 5, 14, 30, tzinfo=dt.UTC)
    assert row["consent_at"] == "next tuesday"
    assert row["source_channel"] == "website"


# --- importing through intake -----------------------------------------------------

FILE_WITH_A_BAD_ROW = (
    "Email,Name,Source,Created\n"
    "ann@acme.example,Ann,website,2025-03-05 14:30\n"
    "not-an-email,Bad,website,2025-03-05 15:00\n"
    "bob@acme.example,Bob,event,2025-03-05T10:00:00+00:00\n"
)


@pytest.mark.django_db
def test_import_rows_saves_valid_rows_reads_naive_times_in_time_zone_and_reports_rows(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    table = table_open(data=FILE_WITH_A_BAD_ROW.encode(), filename="leads.csv")
    seen = []

    outcome = import_rows(
        table=table,
        mapping=mapping_suggest(headers=table.headers),
        chunk_size=2,
        on_chunk=lambda chunk, total: seen.append((chunk.done, total.done)),
    )

    assert (outcome.created, outcome.updated, outcome.rejected) == (2, 0, 1)
    assert seen == [(2, 2), (1, 3)]
    assert [(r.row, list(r.errors)) for r in outcome.rejected_rows] == [(3, ["email"])]
    ann = Lead.objects.get(email_normalised="ann@acme.example")
    assert ann.created_at_source == dt.datetime(
        2025, 3, 5, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    bob = Lead.objects.get(email_normalised="bob@acme.example")
    assert bob.created_at_source == dt.datetime(2025, 3, 5, 10, 0, tzinfo=dt.UTC)
    assert Lead.objects.count() == 2


@pytest.mark.django_db
def test_import_rows_resumes_from_start():
    table = table_open(data=FILE_WITH_A_BAD_ROW.encode(), filename="leads.csv")

    outcome = import_rows(
        table=table, mapping=mapping_suggest(headers=table.headers), chunk_size=10, start=2
    )

    assert (outcome.created, outcome.rejected, outcome.done) == (1, 0, 3)
    assert list(Lead.objects.values_list("email_normalised", flat=True)) == ["bob@acme.example"]


@pytest.mark.django_db
def test_preview_shows_what_would_happen_and_saves_nothing(marketer):
    table = table_open(data=FILE_WITH_A_BAD_ROW.encode(), filename="leads.csv")

    rows = import_preview(
        table=table, mapping=mapping_suggest(headers=table.headers), actor_user=marketer
    )

    assert [(r.number, r.status) for r in rows] == [(2, "created"), (3, "rejected"), (4, "created")]
    assert rows[1].reason.startswith("email: ")
    assert rows[0].cells[:3] == ["ann@acme.example", "Ann", "website"]
    assert Lead.objects.count() == 0


def test_report_has_row_number_reason_and_original_values():
    data = "线索导出\n邮箱,姓名\nann@acme.example,张伟\nbad,李娜\n".encode("gbk")
    table = table_open(data=data, filename="leads.csv")
    rejected = [RejectedRow(row=4, errors={"email": ["Enter a valid email address."]})]

    report = report_bytes(table=table, rejected=rejected)

    assert report.startswith(b"\xef\xbb\xbf")  # a BOM: Excel then reads it as UTF-8
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert rows == [
        ["row", "reason", "邮箱", "姓名"],
        ["4", "email: Enter a valid email address.", "bad", "李娜"],
    ]


def test_the_report_can_be_imported_again_its_row_and_reason_columns_ignored():
    data = "邮箱,姓名\nann@acme.example,张伟\nbad,李娜\n".encode("gbk")
    table = table_open(data=data, filename="leads.csv")
    rejected = [RejectedRow(row=3, errors={"email": ["Enter a valid email address."]})]

    again = table_open(data=report_bytes(table=table, rejected=rejected), filename="r.csv")

    assert again.headers == ["row", "reason", "邮箱", "姓名"]
    assert mapping_suggest(headers=again.headers) == ["", "", "email", "name"]
    assert [r.values for r in again.rows()] == [
        ("3", "email: Enter a valid email address.", "bad", "李娜")
    ]


# --- jobs: run, resume, run once ------------------------------------------------------


def _job(user, text: str, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from leads.intake.importing import import_job_create

    job = import_job_create(upload=SimpleUploadedFile("leads.csv", text.encode()), user=user)
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return job


@pytest.mark.django_db
def test_a_job_interrupted_after_a_chunk_resumes_where_it_stopped(marketer):
    from leads.intake.importing import import_job_run
    from leads.models import Job

    text = "Email,Source\n" + "".join(f"l{n}@acme.example,website\n" for n in range(1, 6))
    # given: a run that recorded its first chunk (rows 2-3) and then died
    job = _job(
        marketer,
        text,
        state=Job.State.RUNNING,
        done=2,
        result={"created": 2, "updated": 0, "rejected": 0},
    )
    job.params = {**job.params, "chunk_size": 2}
    job.save()

    # when: the task is delivered again
    import_job_run(job_id=job.pk)

    # then: only the remaining rows were fed to intake, and the counts add up
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == ("done", 5, 5)
    assert job.result == {"created": 5, "updated": 0, "rejected": 0}
    assert sorted(Lead.objects.values_list("email_normalised", flat=True)) == [
        "l3@acme.example",
        "l4@acme.example",
        "l5@acme.example",
    ]


@pytest.mark.django_db
def test_a_finished_or_draft_job_is_not_run(marketer):
    from leads.intake.importing import import_job_run
    from leads.models import Job

    done = _job(marketer, "Email,Source\na@acme.example,website\n", state=Job.State.DONE)
    draft = _job(marketer, "Email,Source\nb@acme.example,website\n")

    assert import_job_run(job_id=done.pk) is None
    assert import_job_run(job_id=draft.pk) is None
    assert import_job_run(job_id=999_999) is None
    assert Lead.objects.count() == 0
    draft.refresh_from_db()
    assert draft.state == Job.State.DRAFT


@pytest.mark.django_db
def test_a_job_whose_file_became_unreadable_fails_with_a_message(marketer):
    from leads.intake.importing import import_job_run
    from leads.models import Job

    job = _job(marketer, "Email,Source\na@acme.example,website\n", state=Job.State.PENDING)
    with job.upload.open("wb") as handle:
        handle.write(b"")

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.result["message"] == "The file is empty."
    assert job.finished_at is not None


def test_report_neutralises_cells_excel_would_run_as_formulas():
    data = b'email,name,phone\nbad,"=HYPERLINK(""http://x.example"")",+8613800138000\n'
    table = table_open(data=data, filename="leads.csv")
    rejected = [RejectedRow(row=2, errors={"email": ["Enter a valid email address."]})]

    rows = list(
        csv.reader(io.StringIO(report_bytes(table=table, rejected=rejected).decode("utf-8-sig")))
    )

    assert rows[1][2:] == ["bad", '\'=HYPERLINK("http://x.example")', "+8613800138000"]
