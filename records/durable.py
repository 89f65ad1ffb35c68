"""Durable, atomic file writes: the one place the engine writes a file it must not lose or tear.

Every file a reader may open while a writer replaces it (an index's ``CURRENT`` pointer, a model
registry's pointer, a job's state, the API keys, a bulk job's parts and progress, vector files) goes
through :func:`write_atomic`: the bytes go to a temporary name in the same directory, are fsynced,
the temporary is renamed over the target (atomic on POSIX), and the directory is fsynced so the rename
itself survives a crash. A reader sees the old file or the new one, never a part; once the call returns
the new file survives SIGKILL and power loss (as far as the disk honours fsync).

Temporary names start with ``.<name>.tmp-`` so a writer that was killed leaves files that are easy to
find (:func:`stale_temporaries`) and never match the target's own name.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["append_line", "fsync_dir", "fsync_file", "fsync_tree", "stale_temporaries", "temp_name",
           "write_atomic", "write_json", "write_npy", "write_parquet", "write_text"]


def temp_name(target: Path) -> Path:
    """The temporary sibling of ``target`` this process and thread write to."""
    return target.with_name(f".{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")


def stale_temporaries(directory: Path, name: str = "*") -> Iterator[Path]:
    """Temporaries left in ``directory`` by writers of ``name`` (a glob) that did not finish."""
    return directory.glob(f".{name}.tmp-*")


def write_atomic(target: Path | str, write: Callable[[Path], object], *, mode: int | None = None) -> None:
    """Write ``target`` atomically and durably: ``write(tmp)`` fills a temporary file, then it is
    fsynced, renamed over ``target`` and the directory fsynced.

    ``mode`` (e.g. ``0o600`` for secrets) is set when the temporary is created, before any byte is
    written, so the content is never readable with wider permissions. On any error the temporary is
    removed and ``target`` is left as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(target)
    try:
        if mode is not None:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode))
            os.chmod(tmp, mode)  # the umask may have narrowed it
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)


def write_text(target: Path | str, text: str, *, mode: int | None = None) -> None:
    write_atomic(target, lambda tmp: tmp.write_text(text, encoding="utf-8"), mode=mode)


def write_json(target: Path | str, data, *, mode: int | None = None, indent: int | None = None) -> None:
    write_text(target, json.dumps(data, indent=indent), mode=mode)


def write_parquet(target: Path | str, table: pa.Table) -> None:
    write_atomic(target, lambda tmp: pq.write_table(table, tmp))


def write_npy(target: Path | str, array, *, mode: int | None = None) -> None:
    """A numpy array as ``.npy`` (through a file object: ``np.save`` would add ``.npy`` to the temporary name)."""
    import numpy as np

    def write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            np.save(fh, array, allow_pickle=False)

    write_atomic(target, write, mode=mode)


def append_line(path: Path | str, line: str) -> None:
    """Append one line to a log and fsync it: once this returns the line survives a crash. A crash
    during the append can leave a torn last line, which readers of such logs skip."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line.rstrip("\n") + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def fsync_file(path: Path | str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path | str) -> None:
    """Make a rename or a new entry in ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except (IsADirectoryError, PermissionError):  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path | str) -> None:
    """fsync every file and directory under ``root`` (before renaming a whole directory into place)."""
    root = Path(root)
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fsync_file(path)
        elif path.is_dir():
            fsync_dir(path)
    fsync_dir(root)
