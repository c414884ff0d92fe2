"""Checks on a workbook file before any spreadsheet library parses it.

A workbook comes from outside: it may be a CSV renamed, empty, cut short, encrypted,
a zip bomb, or carry XML entity declarations (billion laughs, external entities).
``package_problem`` looks at the bytes and the zip directory only, so a hostile file
is refused without being expanded; each answer says what the file is and what to do.
Parsing itself goes through openpyxl, which uses defusedxml when installed (it is a
dependency of this project), so entity declarations that slip past this scan are
refused by the parser too.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

#: The largest workbook file accepted (bytes on disk).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: The largest total size of the workbook's parts once unzipped (declared sizes; the
#: zip reader never yields more than a part declares).
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
#: How many parts a workbook may hold.
MAX_PARTS = 500

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Directory entry of an encrypted OOXML file inside its OLE container (UTF-16LE).
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
#: Markup that declares a DTD or entities, in the encodings XML allows here.
DTD_MARKS = tuple(mark.encode(enc) for mark in ("<!DOCTYPE", "<!ENTITY")
                  for enc in ("utf-8", "utf-16-le", "utf-16-be"))
_SCAN_CHUNK = 1 << 16
_SCAN_OVERLAP = 32


def package_problem(path: Path) -> str | None:
    """What is wrong with ``path`` as an .xlsx file, or None when it may be parsed."""
    size = path.stat().st_size
    if size == 0:
        return "the file is empty; expected an .xlsx workbook"
    if size > MAX_FILE_BYTES:
        return (f"the file is {size} bytes, over the limit of {MAX_FILE_BYTES}; "
                "expected an assessment workbook of modest size")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(OLE_SIGNATURE):
        return _ole_problem(path)
    if not head.startswith(b"PK"):
        return ("the file is not an .xlsx workbook (no zip signature: a CSV or text "
                "file renamed?); open it in Excel and save it as .xlsx")
    try:
        with zipfile.ZipFile(path) as archive:
            return _archive_problem(archive)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        return ("the file is truncated or corrupt (incomplete zip archive); save the "
                "workbook again or copy it anew")


def _ole_problem(path: Path) -> str:
    with open(path, "rb") as fh:
        data = fh.read(min(path.stat().st_size, 1 << 20))
    if ENCRYPTED_MARK in data:
        return ("the workbook is password-protected (encrypted); remove the password "
                "(File > Info > Protect Workbook) and save it again as .xlsx")
    return ("the file is an old Excel 97-2003 .xls workbook (OLE container); save it "
            "as .xlsx")


def _archive_problem(archive: zipfile.ZipFile) -> str | None:
    parts = archive.infolist()
    names = {p.filename for p in parts}
    if "xl/workbook.xml" not in names:
        return ("the file is a zip archive but not an Excel workbook (no "
                "xl/workbook.xml: an .ods, .docx or other file renamed?); save it "
                "from Excel as .xlsx")
    if len(parts) > MAX_PARTS:
        return f"the workbook holds {len(parts)} parts, over the limit of {MAX_PARTS}"
    unzipped = sum(p.file_size for p in parts)
    if unzipped > MAX_UNZIPPED_BYTES:
        return (f"the workbook expands to {unzipped} bytes, over the limit of "
                f"{MAX_UNZIPPED_BYTES}; expected an assessment workbook of modest size")
    for part in parts:
        if part.filename.endswith((".xml", ".rels", ".vml")) and _declares_dtd(
                archive, part):
            return (f"the workbook part {part.filename} declares a DTD or XML entities, "
                    "which are refused (they can exhaust memory or read other files); "
                    "save the workbook again from Excel")
    bad = archive.testzip()
    if bad is not None:
        return f"the workbook part {bad} is corrupt (checksum mismatch); save it again"
    return None


def _declares_dtd(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> bool:
    """Whether a part contains DTD or entity markup, read in bounded chunks."""
    tail = b""
    with archive.open(part) as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            window = tail + chunk
            if any(mark in window for mark in DTD_MARKS):
                return True
            tail = window[-_SCAN_OVERLAP:]
    return False
