"""Safe file output: never overwrite without --force, write atomically, identical bytes for identical content."""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

from sheetnet.errors import SheetnetError

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"


def check_writable(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise SheetnetError(f"{path} already exists; use --force to overwrite it")
    if path.exists() and path.is_dir():
        raise SheetnetError(f"{path} is a folder, not a file")
    if not path.parent.exists():
        raise SheetnetError(f"{path.parent}: folder does not exist")


def normalize_xlsx(data: bytes, rewrite=None) -> bytes:
    """Fix the zip timestamps and the document's created/modified times, so output is reproducible.

    `rewrite(part name, content) -> content` may change parts on the way (the writer splices rows).
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    lambda m: m.group(1) + FIXED_TIMESTAMP.encode() + m.group(3),
                    content,
                )
            if rewrite is not None:
                content = rewrite(info.filename, content)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, content)
    return out.getvalue()


def write_atomic(path: Path, data: bytes, force: bool = False) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    check_writable(path, force)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
