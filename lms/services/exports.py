"""Dashboard tables as CSV (UTF-8 with BOM, so Excel opens it correctly) and XLSX.

Numbers are written as numbers. Text that a spreadsheet would run as a formula (a name typed as
`=HYPERLINK(…)`, say) is never a formula: CSV cells get a leading apostrophe, as OWASP advises;
XLSX cells are stored as plain strings, which Excel and WPS show as typed.
"""

import csv
import io
from pathlib import Path

import openpyxl
from flask import Response, send_file
from openpyxl.styles import Font

from lms.reporting.dashboard import Table
from lms.security import no_store

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def _values(table: Table):
    yield table.columns
    for row in table.rows:
        yield [
            cell.text if isinstance(cell.value, str) or cell.value is None else cell.value
            for cell in row
        ]


def _is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in _values(table):
        writer.writerow([f"'{v}" if _is_formula_like(v) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = table.key[:31]
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True)
    sheet.append([table.definition])
    sheet.append([])
    for row in _values(table):
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if _is_formula_like(cell.value):
                cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(table: Table, fmt: str, filename: str) -> Response:
    """The table as a file to save (`fmt` "csv" or "xlsx"), never kept by a cache."""
    body = to_csv(table) if fmt == "csv" else to_xlsx(table)
    return no_store(
        Response(
            body,
            mimetype=MIMETYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    )


def send_kept(path: Path, fmt: str, filename: str) -> Response:
    """A table an export job wrote to a file (lms.jobs.exports), sent as `download` sends one."""
    response = send_file(
        path, mimetype=MIMETYPES[fmt], as_attachment=True, download_name=filename, etag=False
    )
    return no_store(response)
