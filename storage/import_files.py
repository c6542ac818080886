"""Reading import files into rows of cells: CSV (UTF-8 or Windows-1252; comma, semicolon
or tab), XLSX (first sheet) and Kolada's JSON. What a table holds is storage.importer's job."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from storage.domain import Refused


class FileRefused(Refused):
    """The file as a whole can't be read; `row` 0 = the file, not one of its rows."""

    def __init__(self, code: str, row: int = 0, **params: object) -> None:
        super().__init__(code, **params)
        self.row = row


def read_table(path: str | Path) -> list[list[Any]]:
    """Rows of a CSV or XLSX file, header first."""
    path = Path(path)
    if not path.is_file():
        raise FileRefused("file_missing", path=str(path))
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path)
    if suffix in {".csv", ".txt", ".tsv"}:
        return _read_csv(path.read_bytes())
    raise FileRefused("unknown_format", suffix=suffix)


def _read_csv(raw: bytes) -> list[list[Any]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:  # bytes cp1252 leaves undefined: not a text file we know
            raise FileRefused("unknown_encoding") from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _read_xlsx(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise FileRefused("unreadable_xlsx", reason=type(exc).__name__) from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only sheets are parsed lazily: a damaged sheet fails here, not on load.
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:
        raise FileRefused("unreadable_xlsx", reason=type(exc).__name__) from None
    finally:
        workbook.close()
