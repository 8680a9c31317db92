"""``manage.py import_leads FILE``: the browser's spreadsheet import, from the shell."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from leads.intake import importing
from leads.intake.importing import FIELD_LABELS, ImportFileError
from leads.intake.services import INTAKE_FIELDS


def _parse_mapping(spec: str, headers: list[str]) -> list[str]:
    """``auto``, or ``auto,Header=field,…`` / ``Header=field,…`` (unnamed columns are ignored)."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    auto = "auto" in parts
    mapping = importing.mapping_suggest(headers=headers) if auto else [""] * len(headers)
    for part in parts:
        if part == "auto":
            continue
        header, sep, target = part.rpartition("=")
        if not sep or header not in headers:
            raise CommandError(
                f"--mapping: “{part}” is not COLUMN=FIELD with a column of the file "
                f"({', '.join(headers)})."
            )
        if target and target not in INTAKE_FIELDS:
            raise CommandError(
                f"--mapping: “{target}” is not a field; use one of: {', '.join(INTAKE_FIELDS)}."
            )
        for index in [i for i, t in enumerate(mapping) if t == target and target]:
            mapping[index] = ""
        mapping[headers.index(header)] = target
    return mapping


class Command(BaseCommand):
    help = (
        "Import leads from a CSV (UTF-8 or GBK) or XLSX file: valid rows are saved, "
        "rejected rows are written to a CSV with their row number and the reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--mapping",
            default="auto",
            help="“auto” (from the column names), optionally followed by COLUMN=FIELD "
            "overrides, e.g. 'auto,Mobile=phone,Notes='.",
        )
        parser.add_argument("--source-system", default=importing.DEFAULT_SOURCE_SYSTEM)
        parser.add_argument(
            "--source-channel",
            default="",
            help="Source channel for rows that have none (e.g. event).",
        )
        parser.add_argument("--user", help="Username recorded as the actor of the import.")
        parser.add_argument(
            "--errors",
            type=Path,
            help="Where to write the rejected rows (default: FILE.rejected.csv beside FILE).",
        )
        parser.add_argument(
            "--chunk-size", type=int, default=None, help="Rows per intake call (default: setting)."
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get_by_natural_key(options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"--user: no user “{options['user']}”.") from None
        try:
            table = importing.table_open(data=path.read_bytes(), filename=path.name)
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from None
        mapping = _parse_mapping(options["mapping"], table.headers)
        defaults = (
            {"source_channel": options["source_channel"]} if options["source_channel"] else {}
        )
        problems = importing.mapping_problems(mapping=mapping, has_default_source=bool(defaults))
        self.stdout.write(
            f"{path.name}: {table.total} rows, header in row {table.header_row}, "
            f"{table.encoding_label}; times without a zone are read in {settings.TIME_ZONE}."
        )
        for header, target in zip(table.headers, mapping, strict=True):
            shown = f"{target} ({FIELD_LABELS[target]})" if target else "— ignored —"
            self.stdout.write(f"  {header} → {shown}")
        if problems:
            raise CommandError(" ".join(problems) + " Use --mapping / --source-channel.")

        with tqdm(total=table.total, unit="row", disable=None, file=self.stderr._out) as bar:
            outcome = importing.import_rows(
                table=table,
                mapping=mapping,
                defaults=defaults,
                source_system=options["source_system"],
                actor_user=user,
                chunk_size=options["chunk_size"] or settings.IMPORT_INLINE_MAX_ROWS,
                on_chunk=lambda chunk, _total: bar.update(chunk.done),
            )
        self.stdout.write(
            f"created {outcome.created}, updated {outcome.updated}, rejected {outcome.rejected}"
        )
        if outcome.rejected_rows:
            errors_path = options["errors"] or path.with_name(f"{path.stem}.rejected.csv")
            errors_path.write_bytes(
                importing.report_bytes(table=table, rejected=outcome.rejected_rows)
            )
            self.stdout.write(f"rejected rows: {errors_path}")
