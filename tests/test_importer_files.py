"""storage/import_files.py: every bound on what an import may read, with generated files.

Each refusal names the row (or the file) and writes nothing, on SQLite and PostgreSQL. The
XLSX files are made with openpyxl and, where a case needs what openpyxl would not write
(a wrong <dimension>, an infinite number, a zip bomb), edited or packed here.
"""

from __future__ import annotations

import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine
from test_importer import (
    ASSIGNMENTS,
    EN_FINANCE_HEADER,
    SV_ASSIGNMENT_HEADER,
    _assignment,
    _counts,
    _write_csv,
    _write_xlsx,
)

import storage.import_files as import_files
from storage.import_files import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_XLSX_COMPRESSION_RATIO,
)
from storage.importer import ImportRejected, RowError, import_file, read_table


def _refused(engine: Engine, path: Path) -> RowError:
    """The one reason the file was refused; and nothing was written."""
    before = _counts(engine)
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, path)
    assert _counts(engine) == before == {k: 0 for k in before}
    [error] = refused.value.errors
    return error


def _edit_xlsx(path: Path, edit: Callable[[bytes], bytes], out: Path | None = None) -> Path:
    """Rewrites the first sheet's XML."""
    out = out or path.with_name(f"edited-{path.name}")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            dst.writestr(item, data)
    return out


def _peak_memory(run: Callable[[], Any]) -> tuple[float, Any]:
    """Peak traced memory (MB) while `run` ran, and what it returned or raised."""
    tracemalloc.start()
    try:
        try:
            outcome: Any = run()
        except ImportRejected as refused:
            outcome = refused
        return tracemalloc.get_traced_memory()[1] / 2**20, outcome
    finally:
        tracemalloc.stop()


# --- the file on disk ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_over_the_size_bound_is_refused_unread(engine: Engine, tmp_path: Path,
                                                      suffix: str) -> None:
    path = tmp_path / f"stor{suffix}"
    with open(path, "wb") as f:
        f.write(b"unit;alias\n")
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: big on paper, nothing to write
    error = _refused(engine, path)
    assert error.row == 0 and "filen är 50 MB; högst 50 MB importeras" in error.reason


# --- XLSX: zip bombs ----------------------------------------------------------------------------


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def _deflated_repeat(prefix: bytes, chunk: bytes, times: int,
                     suffix: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of prefix + chunk × times + suffix, from one packed copy of the chunk: a
    full flush resets the packer, so every copy packs to the same bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = packer.compress(prefix) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.compress(suffix) + packer.flush()
    crc = zlib.crc32(prefix)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return (head + block * times + tail, zlib.crc32(suffix, crc),
            len(prefix) + len(chunk) * times + len(suffix))


def _write_zip(path: Path, members: dict[str, tuple[bytes, int, int]]) -> Path:
    """A zip of already deflated members (zipfile only writes what it packs itself)."""
    out, directory = bytearray(), bytearray()
    for name, (packed, crc, size) in members.items():
        encoded, offset = name.encode(), len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(packed),
                           size, len(encoded), 0) + encoded + packed
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                                 len(packed), size, len(encoded), 0, 0, 0, 0, 0,
                                 offset) + encoded
    out += directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                                   len(directory), len(out), 0)
    path.write_bytes(bytes(out))
    return path


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid workbook whose sheet unpacks to 1 GiB (rows of spaces): 1 MB on disk."""
    folder = tmp_path_factory.mktemp("bomb")
    good = _write_xlsx(folder / "good.xlsx", ASSIGNMENTS)
    members: dict[str, tuple[bytes, int, int]] = {}
    with zipfile.ZipFile(good) as src:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(b"</sheetData>")
                members[item.filename] = _deflated_repeat(head, b" " * 2**20, 1024,
                                                          b"</sheetData>" + tail)
            else:
                members[item.filename] = _deflated(data)
    return _write_zip(folder / "bomb.xlsx", members)


def test_a_zip_bomb_is_refused_from_the_zips_directory_in_seconds(
    engine: Engine, zip_bomb: Path
) -> None:
    assert zip_bomb.stat().st_size < 1.2 * 2**20
    with zipfile.ZipFile(zip_bomb) as archive:  # a well-formed zip, openpyxl would open it
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 2**30
    started = time.monotonic()
    error = _refused(engine, zip_bomb)
    assert time.monotonic() - started < 2.0
    assert "zip-bomb" in error.reason and "xl/worksheets/sheet1.xml" in error.reason
    assert error.row == 0


def test_a_workbook_unpacking_past_the_total_bound_is_refused(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [SV_ASSIGNMENT_HEADER] + [
        ["Uppdrag", "", f"Uppdrag nummer {i}", "IT", "2025-12-31", "Påbörjad", "Enligt plan",
         f"Kommentar {i}", "", ""] for i in range(3000)]
    path = _write_xlsx(tmp_path / "u.xlsx", rows)
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(m.file_size for m in archive.infolist())
        assert all(m.file_size / m.compress_size < MAX_XLSX_COMPRESSION_RATIO
                   for m in archive.infolist())
    monkeypatch.setattr(import_files, "MAX_XLSX_UNPACKED_BYTES", unpacked - 1)
    error = _refused(engine, path)
    assert "packas upp till" in error.reason and "högst" in error.reason
    monkeypatch.undo()
    assert import_file(engine, path).created == 3000


# --- rows and columns ----------------------------------------------------------------------


def test_a_csv_with_too_many_rows_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "rader.csv"
    path.write_text("unit;alias\n" + "IT;x\n" * MAX_ROWS, encoding="utf-8")
    error = _refused(engine, path)
    assert (error.row, error.reason) == (MAX_ROWS + 1, "filen har fler än 200 000 rader")


def test_an_xlsx_declaring_too_many_rows_is_refused_at_once(engine: Engine,
                                                            tmp_path: Path) -> None:
    path = _edit_xlsx(_write_xlsx(tmp_path / "u.xlsx", ASSIGNMENTS),
                      lambda xml: xml.replace(b'ref="A1:J4"', b'ref="A1:J300000"'))
    error = _refused(engine, path)
    assert error.row == MAX_ROWS + 1 and "300 000 rader; högst 200 000" in error.reason


def test_an_xlsx_without_a_size_is_still_cut_at_the_row_bound(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [SV_ASSIGNMENT_HEADER] + [
        ["Uppdrag", "", f"U {i}", "IT", "", "Påbörjad", "Enligt plan", "", "", ""]
        for i in range(60)]
    path = _edit_xlsx(_write_xlsx(tmp_path / "u.xlsx", rows),
                      lambda xml: xml.replace(b'<dimension ref="A1:J61" />', b""))
    monkeypatch.setattr(import_files, "MAX_ROWS", 50)
    error = _refused(engine, path)
    assert (error.row, error.reason) == (51, "filen har fler än 50 rader")


def test_an_xlsx_declaring_a_too_small_size_is_read_whole(engine: Engine,
                                                          tmp_path: Path) -> None:
    # openpyxl's read-only sheets stop at the declared last row, silently.
    path = _edit_xlsx(_write_xlsx(tmp_path / "u.xlsx", ASSIGNMENTS),
                      lambda xml: xml.replace(b'ref="A1:J4"', b'ref="A1:J2"'))
    assert import_file(engine, path).created == 3


def test_a_csv_row_with_too_many_columns_is_refused(engine: Engine, tmp_path: Path) -> None:
    rows = [row[:] for row in ASSIGNMENTS]
    rows[2] = rows[2] + ["extra"] * (MAX_COLUMNS + 1 - len(rows[2]))
    error = _refused(engine, _write_csv(tmp_path / "u.csv", rows))
    assert (error.row, error.reason) == (3, "101 kolumner; högst 100 läses")


def _xfd_workbook(path: Path) -> Path:
    """~50 KB: 2 200 assignments, and one cell in the sheet's last column, XFD."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Typ", "Titel", "Ansvarig avdelning", "Slutdatum", "Status",
                  "Prognos för slutförande"])
    for i in range(2200):
        sheet.append(["Uppdrag", f"Uppdrag {i}", "IT", "2025-12-31", "Påbörjad", "Enligt plan"])
    sheet.cell(row=2, column=16384, value="x")
    workbook.save(path)
    return path


def test_an_xlsx_with_a_cell_in_column_xfd_is_refused_quickly_in_little_memory(
    engine: Engine, tmp_path: Path
) -> None:
    path = _xfd_workbook(tmp_path / "xfd.xlsx")
    assert path.stat().st_size < 60_000
    started = time.monotonic()
    peak, outcome = _peak_memory(lambda: import_file(engine, path))
    seconds = time.monotonic() - started
    print(f"\nXFD, declared: {peak:.1f} MB peak, {seconds:.2f} s")
    assert peak < 200 and seconds < 10
    assert isinstance(outcome, ImportRejected)
    [error] = outcome.errors
    assert error.row == 1 and "till och med XFD; högst 100 (till och med CV)" in error.reason
    assert _counts(engine)["assignment"] == 0


def test_an_xlsx_with_an_undeclared_cell_in_column_xfd_imports_in_little_memory(
    engine: Engine, tmp_path: Path
) -> None:
    path = _edit_xlsx(_xfd_workbook(tmp_path / "xfd.xlsx"),
                      lambda xml: xml.replace(b'<dimension ref="A1:XFD2201" />', b""))
    started = time.monotonic()
    peak, table = _peak_memory(lambda: read_table(path))
    seconds = time.monotonic() - started
    print(f"\nXFD, undeclared: reading {peak:.1f} MB peak, {seconds:.2f} s")
    assert peak < 200 and seconds < 10
    assert max(len(row) for row in table) <= MAX_COLUMNS  # right of column CV is not read
    assert import_file(engine, path).created == 2200


# --- cells --------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [MAX_CELL_CHARS + 1, 200_000])
def test_a_too_long_csv_cell_is_refused_with_its_row(engine: Engine, tmp_path: Path,
                                                     length: int) -> None:
    rows = [row[:] for row in ASSIGNMENTS]
    rows[3][7] = "x" * length  # past the csv module's own limit (131 072) too
    error = _refused(engine, _write_csv(tmp_path / "u.csv", rows))
    assert error.row == 4
    assert error.reason == f"kolumn H har {length:,} tecken; högst 10 000".replace(",", " ")


def test_a_too_long_xlsx_cell_is_refused_with_its_row(engine: Engine, tmp_path: Path) -> None:
    rows = [row[:] for row in ASSIGNMENTS]
    rows[2][7] = "y" * (MAX_CELL_CHARS + 1)
    error = _refused(engine, _write_xlsx(tmp_path / "u.xlsx", rows))
    assert (error.row, error.reason) == (3, "kolumn H har 10 001 tecken; högst 10 000")


def test_a_nul_character_is_refused_with_its_row(engine: Engine, tmp_path: Path) -> None:
    rows = [row[:] for row in ASSIGNMENTS]
    rows[2][7] = "Klart\x00 nästan"
    error = _refused(engine, _write_csv(tmp_path / "u.csv", rows))
    assert error.row == 3 and "kolumn H innehåller ett NUL-tecken" in error.reason


def _finance_xlsx(path: Path, forecast: str) -> Path:
    """A finance sheet whose forecast cell holds `forecast` as the number XML says."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(EN_FINANCE_HEADER)
    sheet.append(["IT", "2025-07-31", -23978, -20813, -41225, 424242, "x"])
    workbook.save(path)
    return _edit_xlsx(path, lambda xml: xml.replace(b"<v>424242</v>",
                                                    f"<v>{forecast}</v>".encode()))


@pytest.mark.parametrize("forecast", ["1E999", "-1E999", "1E28", "1E26",
                                      "100000000000000000000000000"])
def test_xlsx_numbers_that_break_decimals_are_refused_with_their_row(
    engine: Engine, tmp_path: Path, forecast: str
) -> None:
    error = _refused(engine, _finance_xlsx(tmp_path / "f.xlsx", forecast))
    assert error.row == 2 and error.reason.startswith("kolumn F: ")
    assert "ogiltigt tal" in error.reason or "för stort tal" in error.reason


def test_a_large_but_sane_xlsx_number_is_the_row_parsers_business(engine: Engine,
                                                                  tmp_path: Path) -> None:
    # Under the reading bound, the finance rules refuse it as they always did.
    error = _refused(engine, _finance_xlsx(tmp_path / "f.xlsx", "1E15"))
    assert error.row == 2 and "för stort tal" in error.reason


@pytest.mark.xfail(strict=True, raises=InvalidOperation,
                   reason="storage.importer._money quantizes before its size check: a CSV "
                          "figure of 27+ digits fails in Decimal (the row part, not reading)")
def test_a_huge_csv_figure_is_a_row_error(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(";".join(EN_FINANCE_HEADER) + "\nIT;2025-07-31;1;2;3;" + "9" * 30 + ";\n",
                    encoding="utf-8")
    error = _refused(engine, path)
    assert error.row == 2


# --- encodings ------------------------------------------------------------------------------


def test_utf8_with_one_stray_windows_1252_byte_is_refused_naming_its_line(
    engine: Engine, tmp_path: Path
) -> None:
    text = (
        "unit;alias\n"
        "Räddningstjänst;Räddningstjänsten\n"
        "IT;IT-enheten\n"
    ).encode() + "Stab och planering;Staben för ".encode() + b"\xe4" + (
        b"ldre\n")
    path = tmp_path / "alias.csv"
    path.write_bytes(text)
    error = _refused(engine, path)
    assert error.row == 4 and "byte 0xE4" in error.reason and "UTF-8" in error.reason


def test_windows_1252_without_utf8_letters_is_still_windows_1252(engine: Engine,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "alias.csv"
    path.write_bytes("unit;alias\nRäddningstjänst;Räddningstjänsten\n".encode("cp1252"))
    assert import_file(engine, path).created == 1
    path.write_bytes("unit;alias\nRäddningstjänst;Brandkåren\n".encode())
    assert import_file(engine, path).created == 1


def test_a_valid_file_within_every_bound_still_imports(engine: Engine, tmp_path: Path) -> None:
    for maker, suffix in ((_write_csv, ".csv"), (_write_xlsx, ".xlsx")):
        path = maker(tmp_path / f"u{suffix}", ASSIGNMENTS)
        result = import_file(engine, path)
        assert result.rows == 3
    assert _assignment(engine, "Översyn av lokalförsörjningen").kind == "Uppdrag"
