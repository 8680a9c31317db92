"""Forms of the spreadsheet import: the upload and the column mapping."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.intake.importing import FIELD_LABELS, mapping_problems
from leads.intake.services import INTAKE_FIELDS
from leads.models import SourceChannel

ALLOWED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        help_text=_(
            "The first row names the columns. CSV in UTF-8 or GBK (Excel's Chinese export) "
            "and XLSX workbooks are read."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_SUFFIXES)}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(
                _("“%(name)s” is not a CSV or XLSX file."), params={"name": upload.name}
            )
        return upload


def _target_choices():
    return [("", _("— ignore this column —"))] + [
        (name, FIELD_LABELS[name]) for name in INTAKE_FIELDS
    ]


class ColumnMappingForm(forms.Form):
    """One select per column of the file (``col_0``, ``col_1``, …) and a default channel."""

    default_source_channel = forms.ChoiceField(
        label=_("Source channel for rows without one"),
        choices=[("", _("— none —"))] + list(SourceChannel.choices),
        required=False,
    )

    def __init__(self, *args, headers: list[str], samples: list[list[str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=_target_choices(), required=False
            )
        self.columns = [
            {
                "header": header,
                "field": self[f"col_{index}"],
                "samples": [row[index] for row in samples if index < len(row) and row[index]],
            }
            for index, header in enumerate(headers)
        ]

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{i}") or "" for i in range(len(self.headers))]

    def defaults(self) -> dict[str, str]:
        channel = self.cleaned_data.get("default_source_channel")
        return {"source_channel": channel} if channel else {}

    def clean(self):
        cleaned = super().clean()
        for problem in mapping_problems(
            mapping=self.mapping(), has_default_source=bool(cleaned.get("default_source_channel"))
        ):
            self.add_error(None, problem)
        return cleaned
