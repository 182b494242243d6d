"""Dashboard tables as CSV (UTF-8 with BOM, so Excel opens it correctly) and XLSX."""

import csv
import io

import openpyxl
from openpyxl.styles import Font

from lms.services.dashboard import Table


def _values(table: Table):
    yield table.columns
    for row in table.rows:
        yield [
            cell.text if isinstance(cell.value, str) or cell.value is None else cell.value
            for cell in row
        ]


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in _values(table):
        writer.writerow(row)
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
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
