"""Reading a model archive from disk with limits, before any byte is trusted.

A model file is a zip archive holding a skops file (itself a zip). Both are read only
within caps, so a hostile or damaged file is refused quickly with bounded memory:

- the path must be a regular file (a FIFO would hang the read, ``/dev/zero`` never ends),
  checked on the opened descriptor, so a swap between check and read changes nothing;
- the file is at most ``MAX_FILE_BYTES``;
- the archive holds exactly the expected member names, each at most
  ``MAX_MEMBER_BYTES`` uncompressed (from the central directory, and enforced while
  inflating: zipfile never returns more than the declared size);
- the inner skops archive holds at most ``MAX_INNER_MEMBERS`` members totalling at most
  ``MAX_MEMBER_BYTES`` uncompressed (a zip bomb inside the pipeline).

``file_identity`` names one version of a file (device, inode, size, mtime): a model
refused once is not read again until the file changes.

Every refusal is a ``ModelError`` with a one-line reason.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path

from monitor.core.errors import ModelError

MAX_FILE_BYTES = 64 << 20  # a trained model is about 2 MB
MAX_MEMBER_BYTES = 256 << 20  # its pipeline inflates to about 36 MB
MAX_INNER_MEMBERS = 1000  # about 30 arrays today

FileIdentity = tuple[int, int, int, int]


def file_identity(path: Path) -> FileIdentity | None:
    """(device, inode, size, mtime_ns) of ``path``, or None when it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def read_capped(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; else ``ModelError``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: opening a FIFO never waits
    except OSError as exc:
        raise ModelError(f"cannot read model {path}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ModelError(f"model {path} is not a regular file")
        if st.st_size > limit:
            raise ModelError(f"model {path} is {st.st_size} bytes, above the {limit}-byte cap")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(st.st_size + 1)  # not limit + 1: that allocates the cap
    except OSError as exc:
        raise ModelError(f"cannot read model {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > min(limit, st.st_size):  # the file grew while being read
        raise ModelError(f"model {path} changed while being read (or is above the cap)")
    return data


def read_members(raw: bytes, names: Sequence[str], path: Path) -> list[bytes]:
    """The named members of the zip archive ``raw`` (exactly those names), within caps."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        infos = archive.infolist()
        found = sorted(info.filename for info in infos)
        if found != sorted(names):
            raise ModelError(f"model {path} holds {found[:5]}, expected {sorted(names)}")
        for info in infos:
            if info.file_size > MAX_MEMBER_BYTES:
                raise ModelError(
                    f"model {path}: {info.filename} inflates to {info.file_size} bytes, "
                    f"above the {MAX_MEMBER_BYTES}-byte cap"
                )
        return [archive.read(name) for name in names]


def check_inner(data: bytes, path: Path) -> None:
    """Refuse a skops (zip) payload with too many members or too much uncompressed data."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            infos = inner.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ModelError(f"model {path} is corrupted: {exc}") from None
    total = sum(info.file_size for info in infos)
    if len(infos) > MAX_INNER_MEMBERS or total > MAX_MEMBER_BYTES:
        raise ModelError(
            f"model {path}: the pipeline holds {len(infos)} members inflating to {total} "
            f"bytes, above the caps ({MAX_INNER_MEMBERS} members, {MAX_MEMBER_BYTES} bytes)"
        )
