"""Safe file output: never overwrite without --force, write atomically, identical bytes for identical content."""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import io
import os
import posixpath
import re
import stat
import tempfile
import zipfile
from pathlib import Path

from sheetnet.errors import SheetnetError

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"


def check_regular(path: Path, cap: int, what: str) -> None:
    """Refuse what is not an ordinary file of reasonable size (a folder, a FIFO, a device) before opening it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SheetnetError(f"{path}: file not found") from None
    except OSError as exc:
        raise SheetnetError(f"{path}: cannot read {what} ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise SheetnetError(f"{path}: is a folder, not {what}")
    if not stat.S_ISREG(info.st_mode):
        raise SheetnetError(f"{path}: not an ordinary file (a pipe or a device?); give {what}")
    if info.st_size > cap:
        raise SheetnetError(f"{path}: refused: {info.st_size:,} bytes is more than {what} may be ({cap:,})")


def read_upto(handle, cap: int) -> bytes:
    """An open file's bytes, up to one byte past `cap` (the caller tells a file that is too large by the length):
    as many as the file holds, since read(cap) would reserve the whole cap, a gigabyte, for any file."""
    return handle.read(min(os.fstat(handle.fileno()).st_size, cap) + 1)


def read_text(path: Path, cap: int, what: str) -> str:
    """An ordinary file's text (UTF-8, a BOM allowed), read with a size cap."""
    check_regular(path, cap, what)
    try:
        with open(path, "rb") as handle:
            data = read_upto(handle, cap)
    except OSError as exc:
        raise SheetnetError(f"{path}: cannot read {what} ({exc.strerror})") from None
    if len(data) > cap:
        raise SheetnetError(f"{path}: refused: more than {cap:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SheetnetError(f"{path}: cannot read {what}: not UTF-8 text (byte {exc.start}); save it as UTF-8") \
            from None


def check_writable(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise SheetnetError(f"{path} already exists; use --force to overwrite it")
    if path.exists() and path.is_dir():
        raise SheetnetError(f"{path} is a folder, not a file")
    if not path.parent.exists():
        raise SheetnetError(f"{path.parent}: folder does not exist")
    if not path.parent.is_dir():
        raise SheetnetError(f"{path}: {path.parent} is a file, not a folder")


def relative_targets(rels_part: str, content: bytes) -> bytes:
    """Relationship targets relative to the part they belong to, as Excel writes them ("../comments/c1.xml"),
    not absolute ("/xl/comments/c1.xml", openpyxl's way): some engines (IronCalc) resolve only relative ones.
    External targets (TargetMode="External") are left as they are."""
    folder = posixpath.dirname(posixpath.dirname(rels_part))  # xl/worksheets/_rels/sheet1.xml.rels -> xl/worksheets

    def relative(match: re.Match) -> bytes:
        target = match.group(2).decode()
        return match.group(1) + posixpath.relpath(target.lstrip("/"), folder or ".").encode() + match.group(3)

    return re.sub(rb'(<Relationship\b[^>]*?\bTarget=")(/[^"]*)(")(?![^>]*TargetMode="External")', relative, content)


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
            if info.filename.endswith(".rels"):
                content = relative_targets(info.filename, content)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, content)
    return out.getvalue()


def _writer_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _temp_prefix(path: Path) -> str:
    """The start of a temporary file's name for `path`: short whatever the target's length (a 250-byte name still
    leaves room), and named after sheetnet and a digest of the target, so no file a user made looks like one."""
    return f".sheetnet-{hashlib.sha256(path.name.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}-"


def _clean_leftovers(path: Path) -> None:
    """Remove temporary files an interrupted write (a kill -9) left beside `path`: exactly our names for this
    target, whose writing process (its id is in the name) has ended; a concurrent writer's file is never touched."""
    prefix = _temp_prefix(path)
    ours = re.compile(re.escape(prefix) + r"([0-9]+)-[a-z0-9_]{8}\.tmp")
    for leftover in path.parent.glob(glob.escape(prefix) + "*.tmp"):
        match = ours.fullmatch(leftover.name)
        if match is None or _writer_alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            leftover.unlink()


_NO_HARD_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS)


def _place(tmp_name: str, path: Path, force: bool) -> None:
    """Move the finished file into place. Without `force`, a hard link creates `path` only if it does not exist
    (no window between looking and writing); where links are not allowed, an exclusive create reserves it."""
    if force:
        os.replace(tmp_name, path)
        return
    try:
        os.link(tmp_name, path)
    except FileExistsError:
        raise SheetnetError(f"{path} already exists; use --force to overwrite it") from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            raise SheetnetError(f"{path} already exists; use --force to overwrite it") from None
        os.replace(tmp_name, path)
        return
    os.unlink(tmp_name)


def write_atomic(path: Path, data: bytes, force: bool = False) -> None:
    """Write to a temporary file beside `path`, then move it into place: an interrupted write leaves the old file
    (and the next write to the same target removes what it left)."""
    path = Path(path)
    check_writable(path, force)
    _clean_leftovers(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f"{_temp_prefix(path)}{os.getpid()}-", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # a read-only folder, a full disk: name the file the user asked for
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        _place(tmp_name, path, force)
    except BaseException as exc:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        if isinstance(exc, OSError) and exc.filename in (None, tmp_name):
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
