"""Reading a roster file: .xlsx in streaming mode, or .csv in UTF-8 or GB18030, bounded in
rows, columns and unpacked size. A damaged or hostile file raises RosterUnreadable, a message
for the lead, never a crash."""

import csv
import io
import zipfile
from datetime import date

import openpyxl
from flask_babel import gettext as _

from lms.errors import LmsError

MAX_ROWS = 5000
MAX_COLUMNS = 30  # the ten known columns, and some room for notes a programme keeps
MAX_XLSX_UNPACKED = 40 * 1024 * 1024  # 5,000 full rows unpack to a few MB


class RosterUnreadable(LmsError):
    pass


def read_table(filename: str, data: bytes) -> list[tuple[int, list[str]]]:
    """(line number, cells) for each non-empty row; the first is the header.

    Reads in streaming mode and stops after MAX_ROWS + 1 rows of people (the caller reports a
    file with more), so a file of a million rows costs no more than one of 5,000. A damaged or
    hostile file (bad XML, entity tricks — openpyxl parses with defusedxml — an oversized CSV
    field, NUL bytes) raises RosterUnreadable.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith(".csv"):
        return _read_csv(data)
    raise RosterUnreadable(_("只能上传 .xlsx 或 .csv 文件。"))


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    # What the archive unpacks to is checked first: openpyxl scans a whole sheet for its size
    # when the file does not say, and a zip can hide a million rows in a few MB.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise RosterUnreadable(_("打不开这个 Excel 文件，请另存为 .xlsx 再试。")) from error
    if unpacked > MAX_XLSX_UNPACKED:
        raise RosterUnreadable(_("这个 Excel 文件太大了：一次最多导入%(n)d行。", n=MAX_ROWS))
    rows: list[tuple[int, list[str]]] = []
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.active
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                texts = [_cell_text(c) for c in cells[:MAX_COLUMNS]]
                if any(texts):
                    rows.append((number, texts))
                    if len(rows) > MAX_ROWS + 1:
                        break
        finally:
            book.close()
    except Exception as error:  # openpyxl and its XML parser raise many kinds for a bad file
        raise RosterUnreadable(_("打不开这个 Excel 文件，请另存为 .xlsx 再试。")) from error
    return rows


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterUnreadable(_("读不出这个 CSV 文件的文字，请存成 UTF-8 或 GB18030 编码。"))
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, [c.strip() for c in cells[:MAX_COLUMNS]]))
                if len(rows) > MAX_ROWS + 1:
                    break
    except csv.Error as error:
        raise RosterUnreadable(_("这个 CSV 文件读不出来，请用 Excel 另存为 CSV 再试。")) from error
    return rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
