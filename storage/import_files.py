"""Reading import files (CSV, XLSX) into rows of cells, within bounds.

Whatever a file holds, reading it takes bounded time and memory, and a file past a bound is
refused with the row it stopped at, before anything is parsed as data or written:

- the file on disk: MAX_FILE_BYTES;
- XLSX: what its zip members unpack to, in total and per member relative to their packed size
  (a zip bomb), checked from the zip's directory before openpyxl opens anything;
- rows (MAX_ROWS), columns (MAX_COLUMNS: an XLSX is read no further right, so a cell in column
  XFD costs nothing), characters in a cell (MAX_CELL_CHARS), NUL characters (PostgreSQL
  cannot store them), XLSX numbers that are not finite or too large for Decimal's 28 digits;
- CSV text is UTF-8 when it decodes as UTF-8, else Windows-1252, unless it also holds UTF-8
  encoded Swedish letters: then it is UTF-8 with a stray byte, and decoding all of it as
  Windows-1252 would store "RÃ¤ddningstjÃ¤nsten", so the line with the stray byte is named.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

from storage.domain import Refused

MAX_FILE_BYTES = 50 * 1024 * 1024
# XLSX members unpack ~15–20× (measured on openpyxl's and Excel's files); a zip bomb ~1 000×.
MAX_XLSX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_XLSX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1024 * 1024  # tiny members may pack as well as they like
MAX_ROWS = 200_000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 10_000
# Beyond this a figure is no municipal figure, and near 1e26 Decimal.quantize to cents
# (28 significant digits) fails with InvalidOperation.
MAX_ABS_NUMBER = 10**20

# UTF-8 encodings of å ä ö é ü and their capitals: in a Windows-1252 file these bytes read
# "Ã¥", "Ã¤", … which no Swedish text contains.
_UTF8_SWEDISH = re.compile(rb"\xc3[\xa5\xa4\xb6\xa9\xbc\x85\x84\x96\x89\x9c]")

Cell = str | int | float | bool | Decimal | date | datetime | time | None


class FileRefused(Refused):
    """The file can't be read within the bounds; `row` 0 = the file as a whole. Coded, like
    every refusal: cards/texts words it (key "refused.<code>")."""

    def __init__(self, code: str, row: int = 0, **params: object) -> None:
        super().__init__(code, **params)
        self.row = row


def _reject(row: int, code: str, **params: object) -> NoReturn:
    raise FileRefused(code, row, **params)


def _megabytes(size: int) -> int:
    return round(size / (1024 * 1024))


def read_table(path: str | Path) -> list[list[Any]]:
    """Rows of a CSV (UTF-8 or Windows-1252, comma/semicolon/tab) or XLSX file."""
    path = Path(path)
    if not path.is_file():
        _reject(0, "file_missing", path=str(path))
    suffix = path.suffix.lower()
    if suffix not in {".xlsx", ".xlsm", ".csv", ".txt", ".tsv"}:
        _reject(0, "unknown_format", suffix=path.suffix)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        _reject(0, "file_too_large", size_mb=_megabytes(size),
                limit_mb=_megabytes(MAX_FILE_BYTES))
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path)
    return _read_csv(path.read_bytes())


# --- CSV -----------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            _reject(1, "utf16")
        if _UTF8_SWEDISH.search(raw):
            line = raw.count(b"\n", 0, err.start) + 1
            _reject(line, "stray_byte", byte=f"0x{raw[err.start]:02X}")
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined: not a text file we know
        _reject(0, "unknown_encoding")


@contextmanager
def _field_size_limit(limit: int) -> Iterator[None]:
    """The csv module's limit is process-wide: raised for one read, then put back."""
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _read_csv(raw: bytes) -> list[list[Any]]:
    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    rows: list[list[Any]] = []
    # No field can be longer than the file: the csv module's own error never fires, and a
    # long cell is refused below with its row.
    with _field_size_limit(max(len(text), 1)):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for number, row in enumerate(reader, start=1):
                _check_row(number, row)
                rows.append(row)
        except csv.Error as err:
            _reject(reader.line_num, "unreadable_csv", reason=str(err)[:100])
    return rows


def _check_row(number: int, row: Sequence[Cell]) -> None:
    if number > MAX_ROWS:
        _reject(number, "too_many_rows", limit=MAX_ROWS)
    if len(row) > MAX_COLUMNS:
        _reject(number, "too_many_columns", count=len(row), limit=MAX_COLUMNS)
    for index, value in enumerate(row):
        if isinstance(value, str):
            if len(value) > MAX_CELL_CHARS:
                _reject(number, "cell_too_long", column=_column(index), chars=len(value),
                        limit=MAX_CELL_CHARS)
            if "\x00" in value:
                _reject(number, "nul_in_cell", column=_column(index))
        elif isinstance(value, float) and not math.isfinite(value):
            _reject(number, "bad_cell_number", column=_column(index), value=repr(value))
        elif isinstance(value, int | float) and not isinstance(value, bool) and (
                abs(value) >= MAX_ABS_NUMBER):
            _reject(number, "cell_number_too_large", column=_column(index),
                    value=repr(value)[:40])


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# --- XLSX ----------------------------------------------------------------------------------


def _check_zip(path: Path) -> None:
    """Refuses a zip bomb from the zip's directory alone, before anything is unpacked."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        _reject(0, "unreadable_xlsx", reason=type(exc).__name__)
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECKED_FROM_BYTES and ratio > MAX_XLSX_COMPRESSION_RATIO:
            _reject(0, "zip_bomb", member=member.filename[:100], ratio=round(ratio),
                    size_mb=_megabytes(member.file_size))
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        _reject(0, "unpacks_too_large", size_mb=_megabytes(unpacked),
                limit_mb=_megabytes(MAX_XLSX_UNPACKED_BYTES))


_FORMAT_DECIMALS = re.compile(r"[0#?]\.(0+)")


def _format_decimals(number_format: str) -> int:
    """The decimals a number format always shows ("0.0" → 1, "#,##0.00" → 2); 0 for a
    percent, scientific or text format, whose shown digits are not the value's."""
    section = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", number_format.split(";", 1)[0])
    if any(c in section for c in "%Ee@"):
        return 0
    found = _FORMAT_DECIMALS.search(section)
    return len(found.group(1)) if found else 0


def _shown_precision(cell: Any, decimals: dict[Any, int]) -> Cell:
    """A number cell as its format shows it: 9 formatted "0.0" is Decimal("9.0"), as the
    sheet prints 9,0 (indicator values keep their printed precision); never fewer decimals
    than the file holds (9.25 formatted "0.0" stays 9.25)."""
    value = cell.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    style = getattr(cell, "_style_id", None)
    places = decimals.get(style) if style is not None else None
    if places is None:
        places = _format_decimals(getattr(cell, "number_format", None) or "General")
        if style is not None:
            decimals[style] = places
    if not places or not math.isfinite(value) or abs(value) >= MAX_ABS_NUMBER:
        return value  # refused by _check_row, with its row
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    exponent = exact.as_tuple().exponent
    if isinstance(exponent, int) and -exponent >= places:
        return value
    return exact.quantize(Decimal(1).scaleb(-places))


def _trimmed(values: Iterable[Cell]) -> list[Cell]:
    """The row without its trailing empty cells (a wide sheet pads every row)."""
    row = list(values)
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    del row[end:]
    return row


def _read_xlsx(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    _check_zip(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        _reject(0, "unreadable_xlsx", reason=type(exc).__name__)

    try:
        sheet = workbook.worksheets[0]
        # The sheet's declared size, when it has one (read from its <dimension> only).
        if (sheet.max_column or 0) > MAX_COLUMNS:
            _reject(1, "sheet_too_wide", last=_column(sheet.max_column - 1), limit=MAX_COLUMNS,
                    limit_column=_column(MAX_COLUMNS - 1))
        if (sheet.max_row or 0) > MAX_ROWS:
            _reject(MAX_ROWS + 1, "too_many_rows", limit=MAX_ROWS)
        # Read past a declared size that is too small (openpyxl would stop there, silently),
        # and never further right than MAX_COLUMNS, whatever the file declares.
        sheet.reset_dimensions()
        rows: list[list[Any]] = []
        # Read-only sheets are parsed lazily: a damaged sheet fails here, not on load.
        decimals: dict[Any, int] = {}  # per style of this workbook: a sheet has few
        for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            row = _trimmed(_shown_precision(cell, decimals) for cell in cells)
            _check_row(number, row)
            rows.append(row)
        while rows and not rows[-1]:
            rows.pop()  # formatting below the data
        return rows
    except FileRefused:
        raise
    except Exception as exc:
        _reject(0, "unreadable_xlsx", reason=type(exc).__name__)
    finally:
        workbook.close()
