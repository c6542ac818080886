"""storage/import_files.py: every bound on what an import may read, with generated files.

Each refusal is a code with its row (0 = the file) and parameters, and writes nothing, on
SQLite and PostgreSQL (cards/texts words the codes; the command line's words are tested in
tests/test_app.py). The XLSX files are made with openpyxl and, where a case needs what
openpyxl would not write (a wrong <dimension>, an infinite number, a zip bomb), edited or
packed here.
"""

from __future__ import annotations

import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, select
from storage_helpers import all_counts, new_org, write_csv, write_xlsx
from test_importer import ASSIGNMENTS, EN_FINANCE_HEADER, SV_ASSIGNMENT_HEADER

import storage.import_files as import_files
from cards.texts import LANGUAGES, has, refusal
from storage.db import session
from storage.import_files import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_XLSX_COMPRESSION_RATIO,
)
from storage.importer import ImportRejected, RowError, import_file, read_table
from storage.models import Assignment
from storage.organisations import OrganisationView


@pytest.fixture
def org(engine: Engine) -> OrganisationView:
    """An empty organisation."""
    return new_org(engine, "Testkommun")


def _refused(engine: Engine, org: OrganisationView, path: Path) -> RowError:
    """The one reason the file was refused; nothing was written, anywhere; and the code is
    worded in every language with the parameters it came with."""
    before = all_counts(engine)
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, org.id, path)
    assert all_counts(engine) == before
    [error] = refused.value.errors
    for lang in LANGUAGES:
        assert has(lang, f"refused.{error.code}"), (lang, error.code)
        refusal(lang, error.code, error.params)  # every placeholder has its parameter
    return error


def _assignments(engine: Engine, org: OrganisationView) -> dict[str, str]:
    """title → kind of the organisation's assignments."""
    with session(engine, org.id) as s:
        return dict(s.execute(select(Assignment.title, Assignment.kind)
                              .where(Assignment.organisation_id == org.id)).all())


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
def test_a_file_over_the_size_bound_is_refused_unread(engine: Engine, org: OrganisationView,
                                                      tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"stor{suffix}"
    with open(path, "wb") as f:
        f.write(b"unit;alias\n")
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: big on paper, nothing to write
    error = _refused(engine, org, path)
    assert error == RowError(0, "file_too_large", {"size_mb": 50, "limit_mb": 50})


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
    good = write_xlsx(folder / "good.xlsx", ASSIGNMENTS)
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
    engine: Engine, org: OrganisationView, zip_bomb: Path
) -> None:
    assert zip_bomb.stat().st_size < 1.2 * 2**20
    with zipfile.ZipFile(zip_bomb) as archive:  # a well-formed zip, openpyxl would open it
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 2**30
    started = time.monotonic()
    error = _refused(engine, org, zip_bomb)
    assert time.monotonic() - started < 2.0
    assert (error.row, error.code) == (0, "zip_bomb")
    assert error.params["member"] == "xl/worksheets/sheet1.xml"
    assert error.params["ratio"] > MAX_XLSX_COMPRESSION_RATIO
    assert error.params["size_mb"] == 1024


def test_a_workbook_unpacking_past_the_total_bound_is_refused(
    engine: Engine, org: OrganisationView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [SV_ASSIGNMENT_HEADER] + [
        ["Uppdrag", "", f"Uppdrag nummer {i}", "IT", "2025-12-31", "Påbörjad", "Enligt plan",
         f"Kommentar {i}", "", ""] for i in range(3000)]
    path = write_xlsx(tmp_path / "u.xlsx", rows)
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(m.file_size for m in archive.infolist())
        assert all(m.file_size / m.compress_size < MAX_XLSX_COMPRESSION_RATIO
                   for m in archive.infolist())
    monkeypatch.setattr(import_files, "MAX_XLSX_UNPACKED_BYTES", unpacked - 1)
    error = _refused(engine, org, path)
    assert (error.row, error.code) == (0, "unpacks_too_large")
    assert set(error.params) == {"size_mb", "limit_mb"}
    monkeypatch.undo()
    assert import_file(engine, org.id, path).created == 3000


# --- rows and columns ----------------------------------------------------------------------


def test_a_csv_with_too_many_rows_is_refused(engine: Engine, org: OrganisationView,
                                             tmp_path: Path) -> None:
    path = tmp_path / "rader.csv"
    path.write_text("unit;alias\n" + "IT;x\n" * MAX_ROWS, encoding="utf-8")
    error = _refused(engine, org, path)
    assert error == RowError(MAX_ROWS + 1, "too_many_rows", {"limit": 200_000})


def test_an_xlsx_declaring_too_many_rows_is_refused_at_once(engine: Engine,
                                                            org: OrganisationView,
                                                            tmp_path: Path) -> None:
    path = _edit_xlsx(write_xlsx(tmp_path / "u.xlsx", ASSIGNMENTS),
                      lambda xml: xml.replace(b'ref="A1:J4"', b'ref="A1:J300000"'))
    started = time.monotonic()
    error = _refused(engine, org, path)
    assert time.monotonic() - started < 2.0
    assert error == RowError(MAX_ROWS + 1, "too_many_rows", {"limit": 200_000})


def test_an_xlsx_without_a_size_is_still_cut_at_the_row_bound(
    engine: Engine, org: OrganisationView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [SV_ASSIGNMENT_HEADER] + [
        ["Uppdrag", "", f"U {i}", "IT", "", "Påbörjad", "Enligt plan", "", "", ""]
        for i in range(60)]
    path = _edit_xlsx(write_xlsx(tmp_path / "u.xlsx", rows),
                      lambda xml: xml.replace(b'<dimension ref="A1:J61" />', b""))
    monkeypatch.setattr(import_files, "MAX_ROWS", 50)
    error = _refused(engine, org, path)
    assert error == RowError(51, "too_many_rows", {"limit": 50})


def test_an_xlsx_declaring_a_too_small_size_is_read_whole(engine: Engine,
                                                          org: OrganisationView,
                                                          tmp_path: Path) -> None:
    # openpyxl's read-only sheets stop at the declared last row, silently.
    path = _edit_xlsx(write_xlsx(tmp_path / "u.xlsx", ASSIGNMENTS),
                      lambda xml: xml.replace(b'ref="A1:J4"', b'ref="A1:J2"'))
    assert import_file(engine, org.id, path).created == 3


def test_a_csv_row_with_too_many_columns_is_refused(engine: Engine, org: OrganisationView,
                                                    tmp_path: Path) -> None:
    rows = [row[:] for row in ASSIGNMENTS]
    rows[2] = rows[2] + ["extra"] * (MAX_COLUMNS + 1 - len(rows[2]))
    error = _refused(engine, org, write_csv(tmp_path / "u.csv", rows))
    assert error == RowError(3, "too_many_columns", {"count": 101, "limit": 100})


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
    engine: Engine, org: OrganisationView, tmp_path: Path
) -> None:
    path = _xfd_workbook(tmp_path / "xfd.xlsx")
    assert path.stat().st_size < 60_000
    started = time.monotonic()
    peak, outcome = _peak_memory(lambda: import_file(engine, org.id, path))
    seconds = time.monotonic() - started
    print(f"\nXFD, declared: {peak:.1f} MB peak, {seconds:.2f} s")
    assert peak < 200 and seconds < 10
    assert isinstance(outcome, ImportRejected)
    assert outcome.errors == [RowError(1, "sheet_too_wide", {"last": "XFD", "limit": 100,
                                                             "limit_column": "CV"})]
    assert _assignments(engine, org) == {}


def test_an_xlsx_with_an_undeclared_cell_in_column_xfd_imports_in_little_memory(
    engine: Engine, org: OrganisationView, tmp_path: Path
) -> None:
    path = _edit_xlsx(_xfd_workbook(tmp_path / "xfd.xlsx"),
                      lambda xml: xml.replace(b'<dimension ref="A1:XFD2201" />', b""))
    started = time.monotonic()
    peak, table = _peak_memory(lambda: read_table(path))
    seconds = time.monotonic() - started
    print(f"\nXFD, undeclared: reading {peak:.1f} MB peak, {seconds:.2f} s")
    assert peak < 200 and seconds < 10
    assert max(len(row) for row in table) <= MAX_COLUMNS  # right of column CV is not read
    assert import_file(engine, org.id, path).created == 2200


# --- cells --------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [MAX_CELL_CHARS + 1, 200_000])
def test_a_too_long_csv_cell_is_refused_with_its_row(engine: Engine, org: OrganisationView,
                                                     tmp_path: Path, length: int) -> None:
    rows = [row[:] for row in ASSIGNMENTS]
    rows[3][7] = "x" * length  # past the csv module's own limit (131 072) too
    error = _refused(engine, org, write_csv(tmp_path / "u.csv", rows))
    assert error == RowError(4, "cell_too_long", {"column": "H", "chars": length,
                                                  "limit": 10_000})


def test_a_cell_of_exactly_the_bound_is_read(engine: Engine, org: OrganisationView,
                                             tmp_path: Path) -> None:
    rows = [row[:] for row in ASSIGNMENTS]
    rows[3][7] = "å" * MAX_CELL_CHARS
    assert import_file(engine, org.id, write_csv(tmp_path / "u.csv", rows)).created == 3


def test_a_too_long_xlsx_cell_is_refused_with_its_row(engine: Engine, org: OrganisationView,
                                                      tmp_path: Path) -> None:
    rows = [row[:] for row in ASSIGNMENTS]
    rows[2][7] = "y" * (MAX_CELL_CHARS + 1)
    error = _refused(engine, org, write_xlsx(tmp_path / "u.xlsx", rows))
    assert error == RowError(3, "cell_too_long", {"column": "H", "chars": 10_001,
                                                  "limit": 10_000})


def test_a_nul_character_is_refused_with_its_row(engine: Engine, org: OrganisationView,
                                                 tmp_path: Path) -> None:
    rows = [row[:] for row in ASSIGNMENTS]
    rows[2][7] = "Klart\x00 nästan"
    error = _refused(engine, org, write_csv(tmp_path / "u.csv", rows))
    assert error == RowError(3, "nul_in_cell", {"column": "H"})


def _finance_xlsx(path: Path, forecast: str) -> Path:
    """A finance sheet whose forecast cell holds `forecast` as the number XML says."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(EN_FINANCE_HEADER)
    sheet.append(["IT", "2025-07-31", -23978, -20813, -41225, 424242, "x"])
    workbook.save(path)
    return _edit_xlsx(path, lambda xml: xml.replace(b"<v>424242</v>",
                                                    f"<v>{forecast}</v>".encode()))


@pytest.mark.parametrize(("forecast", "code"), [
    ("1E999", "bad_cell_number"), ("-1E999", "bad_cell_number"),
    ("1E28", "cell_number_too_large"), ("1E26", "cell_number_too_large"),
    ("100000000000000000000000000", "cell_number_too_large"),
    ("1E20", "cell_number_too_large"),  # the bound itself, 10²⁰
])
def test_xlsx_numbers_that_break_decimals_are_refused_with_their_row(
    engine: Engine, org: OrganisationView, tmp_path: Path, forecast: str, code: str
) -> None:
    error = _refused(engine, org, _finance_xlsx(tmp_path / "f.xlsx", forecast))
    assert (error.row, error.code, error.params["column"]) == (2, code, "F")
    assert error.params["value"]


def test_a_large_but_sane_xlsx_number_is_the_row_parsers_business(
    engine: Engine, org: OrganisationView, tmp_path: Path
) -> None:
    # Under the reading bound, the finance rules refuse it as they always did.
    error = _refused(engine, org, _finance_xlsx(tmp_path / "f.xlsx", "1E15"))
    assert (error.row, error.code) == (2, "number_too_large")
    assert error.params["column"] == "forecast_year"


def test_a_huge_csv_figure_is_a_row_error(engine: Engine, org: OrganisationView,
                                          tmp_path: Path) -> None:
    """Once failed inside Decimal (quantized before the size check); now a row error."""
    path = tmp_path / "f.csv"
    path.write_text(";".join(EN_FINANCE_HEADER) + "\nIT;2025-07-31;1;2;3;" + "9" * 30 + ";\n",
                    encoding="utf-8")
    error = _refused(engine, org, path)
    assert (error.row, error.code) == (2, "number_too_large")
    assert error.params["column"] == "forecast_year"


# --- encodings ------------------------------------------------------------------------------


def test_utf8_with_one_stray_windows_1252_byte_is_refused_naming_its_line(
    engine: Engine, org: OrganisationView, tmp_path: Path
) -> None:
    text = (
        "unit;alias\n"
        "Räddningstjänst;Räddningstjänsten\n"
        "IT;IT-enheten\n"
    ).encode() + "Stab och planering;Staben för ".encode() + b"\xe4" + (
        b"ldre\n")
    path = tmp_path / "alias.csv"
    path.write_bytes(text)
    error = _refused(engine, org, path)
    assert error == RowError(4, "stray_byte", {"byte": "0xE4"})


def test_utf16_is_refused_not_misread(engine: Engine, org: OrganisationView,
                                      tmp_path: Path) -> None:
    path = tmp_path / "alias.csv"
    path.write_bytes("unit;alias\nIT;IT-enheten\n".encode("utf-16"))
    assert _refused(engine, org, path) == RowError(1, "utf16", {})


def test_windows_1252_without_utf8_letters_is_still_windows_1252(
    engine: Engine, org: OrganisationView, tmp_path: Path
) -> None:
    new_unit = tmp_path / "units.csv"
    new_unit.write_bytes("unit;parent\nRäddningstjänst;\n".encode("cp1252"))
    import_file(engine, org.id, new_unit)  # alias files name units that exist
    path = tmp_path / "alias.csv"
    path.write_bytes("unit;alias\nRäddningstjänst;Räddningstjänsten\n".encode("cp1252"))
    assert import_file(engine, org.id, path).created == 1
    path.write_bytes("unit;alias\nRäddningstjänst;Brandkåren\n".encode())
    assert import_file(engine, org.id, path).created == 1


def test_a_valid_file_within_every_bound_still_imports(engine: Engine, org: OrganisationView,
                                                       tmp_path: Path) -> None:
    for maker, suffix in ((write_csv, ".csv"), (write_xlsx, ".xlsx")):
        path = maker(tmp_path / f"u{suffix}", ASSIGNMENTS)
        result = import_file(engine, org.id, path)
        assert result.rows == 3
    assert _assignments(engine, org)["Översyn av lokalförsörjningen"] == "Uppdrag"
