"""Files in and out, safely: regular files only, bounded reads, atomic writes never through a symlink.

Every file trustgraph reads (a dataset's CSV files, a research network, a profile file) and every file
it writes (exports, maps, plots) goes through this module, so that hostile or careless paths fail
with a clear message instead of hanging (a FIFO), exhausting memory (a gzip bomb, ``/dev/zero``) or
overwriting something else (a symlink planted where the output goes).

Limits
------
:data:`MAX_INPUT_BYTES` caps what one input file may expand to once decompressed (default 4 GiB;
``TRUSTGRAPH_MAX_INPUT_BYTES`` changes it). Reads stream in chunks of 1 MiB, so a compressed file is
refused as soon as it expands past the cap, whatever its ratio.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import InvalidDataError, Problem, TrustgraphError

__all__ = [
    "MAX_INPUT_BYTES",
    "max_input_bytes",
    "regular_file",
    "read_bytes_limited",
    "open_text_limited",
    "write_text_atomic",
    "write_bytes_atomic",
    "atomic_path",
]

#: Default cap on one input file's (decompressed) size: 4 GiB.
MAX_INPUT_BYTES = 4 * 1024**3
_CHUNK = 1 << 20


def max_input_bytes() -> int:
    """The input cap in force: ``TRUSTGRAPH_MAX_INPUT_BYTES`` when set to a positive integer, else
    :data:`MAX_INPUT_BYTES`."""
    raw = os.environ.get("TRUSTGRAPH_MAX_INPUT_BYTES", "")
    try:
        value = int(raw)
    except ValueError:
        return MAX_INPUT_BYTES
    return value if value > 0 else MAX_INPUT_BYTES


def _problem(path: Path, message: str, expected: str) -> InvalidDataError:
    return InvalidDataError(
        f"cannot read {path}: {message}",
        [Problem(file=str(path), line=None, column=None, value=None, expected=expected)],
    )


def regular_file(path: str | Path, what: str = "input file") -> Path:
    """``path`` when it is (or links to) a regular file.

    Raises
    ------
    InvalidDataError
        When it is missing, a directory, a FIFO, a device or a socket, or a symlink that loops or
        dangles. The message names the path and what it is.
    """
    p = Path(path)
    try:
        info = p.stat()  # follows symlinks; a loop raises ELOOP
    except FileNotFoundError:
        if p.is_symlink():
            raise _problem(p, f"the {what} is a symlink to a missing file", "a regular file") from None
        raise _problem(p, f"the {what} does not exist", "a regular file") from None
    except OSError as err:  # ELOOP, EACCES, ENAMETOOLONG
        raise _problem(p, f"the {what} cannot be opened ({err.strerror})", "a regular file") from err
    if not stat.S_ISREG(info.st_mode):
        kind = ("a directory" if stat.S_ISDIR(info.st_mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise _problem(p, f"the {what} is {kind}", "a regular file")
    return p


#: Compressed formats that are not read (magic bytes, name, the command that decompresses them).
_OTHER_COMPRESSIONS = ((b"BZh", "bzip2", "bunzip2"), (b"\xfd7zXZ\x00", "xz", "unxz"),
                       (b"\x28\xb5\x2f\xfd", "zstd", "unzstd"), (b"7z\xbc\xaf\x27\x1c", "7-Zip", "7z x"))


def _chunks(path: Path, limit: int) -> Iterator[bytes]:
    """The file's bytes, gunzipped when it is gzip, in chunks; refuses past ``limit`` bytes."""
    total = 0
    with path.open("rb") as raw:
        head = raw.read(6)
        raw.seek(0)
        for magic, name, tool in _OTHER_COMPRESSIONS:
            if head.startswith(magic):
                raise _problem(path, f"it is compressed with {name}, and only gzip is read: decompress it first "
                               f"({tool} {path.name})", "plain text or gzip")
        stream: io.BufferedIOBase | gzip.GzipFile = gzip.GzipFile(fileobj=raw) if head[:2] == b"\x1f\x8b" else raw
        try:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    return
                total += len(chunk)
                if total > limit:
                    raise _problem(
                        path, f"it is larger than the {limit:,}-byte limit once decompressed (a gzip bomb or the "
                        "wrong file?); set TRUSTGRAPH_MAX_INPUT_BYTES to allow more",
                        f"at most {limit:,} bytes",
                    )
                yield chunk
        except (EOFError, gzip.BadGzipFile, zlib.error) as err:
            raise _problem(path, f"the gzip data is truncated or damaged ({err})", "a complete gzip file") from err


def read_bytes_limited(path: str | Path, limit: int | None = None, what: str = "input file") -> bytes:
    """The whole content of a regular file (gunzipped when gzip), at most ``limit`` bytes
    (default :func:`max_input_bytes`).

    Raises
    ------
    InvalidDataError
        When the path is not a regular file, the content exceeds the limit, or the gzip data is
        truncated or damaged.
    """
    p = regular_file(path, what)
    data = bytearray()
    for chunk in _chunks(p, max_input_bytes() if limit is None else limit):
        data += chunk  # grows in place: the peak stays near the content's size, not twice it
    return bytes(data)


@contextmanager
def open_text_limited(path: str | Path, limit: int | None = None, what: str = "input file",
                      encoding: str = "utf-8") -> Iterator[io.TextIOBase]:
    """A text stream over a regular file (gunzipped when gzip), refused past ``limit`` bytes."""
    data = read_bytes_limited(path, limit, what)
    yield io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")


@contextmanager
def atomic_path(path: str | Path, *, what: str = "output file") -> Iterator[Path]:
    """A temporary path beside ``path``; on success it is renamed onto ``path`` (replacing a regular
    file, never writing through a symlink), on failure removed.

    Raises
    ------
    TrustgraphError
        When ``path`` is a symlink, a directory or another non-regular file, or its folder is missing.
    """
    target = Path(path)
    if target.is_symlink():
        raise TrustgraphError(f"refusing to write the {what} {target}: it is a symlink (remove it or choose "
                              "another path)")
    if target.exists() and not target.is_file():
        raise TrustgraphError(f"refusing to write the {what} {target}: it exists and is not a regular file")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        why = f"{folder} is not a folder" if folder.exists() else f"the folder {folder} does not exist"
        raise TrustgraphError(f"cannot write the {what} {target}: {why}")
    try:  # the file is written beside its target, then renamed: the folder must take new files
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise TrustgraphError(f"cannot write the {what} {target}: {err.strerror or err} "
                              f"(in {folder})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600): keep the mode of the file replaced, else give the
        # mode an ordinary open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~umask)
        os.replace(tmp, target)  # a rename replaces the link itself, never its target
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes, *, what: str = "output file") -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_path`; returns ``path``."""
    with atomic_path(path, what=what) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | Path, text: str, *, what: str = "output file", encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` through :func:`atomic_path`; returns ``path``."""
    return write_bytes_atomic(path, text.encode(encoding), what=what)
