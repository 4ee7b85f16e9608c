"""Open source files for the parsers: plain or gzip, always streaming.

Whether a file is gzip is decided by its first two bytes (the gzip magic), not
by its name, so a decompressed ``.xml`` and the original ``.xml.gz`` both work.
A name ending in ``.gz`` whose bytes are not gzip is an error, because it means
the download or copy went wrong.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import BinaryIO, TextIO, cast

from kb.errors import ParseError

__all__ = ["GZIP_MAGIC", "open_source", "open_text"]

GZIP_MAGIC = b"\x1f\x8b"


def open_source(path: Path) -> BinaryIO:
    """Open ``path`` for binary streaming reads, gunzipping it when it is gzip.

    The returned stream is a context manager; close it (or use ``with``).

    :raises ParseError: the file is missing or unreadable, or its name ends in
        ``.gz`` but its bytes are not gzip.
    """
    try:
        raw = path.open("rb")
    except FileNotFoundError as exc:
        raise ParseError(f"{path}: no such file", details={"path": str(path)}) from exc
    except IsADirectoryError as exc:
        raise ParseError(f"{path}: is a directory, not a file", details={"path": str(path)}) from exc
    except OSError as exc:
        raise ParseError(f"{path}: cannot open: {exc.strerror or exc}", details={"path": str(path)}) from exc
    try:
        magic = raw.read(len(GZIP_MAGIC))
        raw.seek(0)
    except OSError as exc:
        raw.close()
        raise ParseError(f"{path}: cannot read: {exc.strerror or exc}", details={"path": str(path)}) from exc
    if magic == GZIP_MAGIC:
        # Reopen by name so that closing the GzipFile also closes the file it reads.
        raw.close()
        return cast(BinaryIO, gzip.open(path, "rb"))
    if path.name.endswith(".gz"):
        raw.close()
        raise ParseError(f"{path} is not a gzip file", details={"path": str(path)})
    return raw


def open_text(path: Path, *, newline: str | None = "") -> TextIO:
    """Open ``path`` as UTF-8 text (a leading byte-order mark is dropped), gunzipping if needed.

    ``newline=""`` is what the :mod:`csv` module expects for TSV files; pass
    ``newline=None`` for universal newlines when reading plain lines.
    """
    return io.TextIOWrapper(open_source(path), encoding="utf-8-sig", newline=newline)
