"""The server's key for signing paging cursors (ranking.search.paging.CursorCodec).

``TALENTSEARCH_CURSOR_SECRET`` when set (share it between the replicas behind one load balancer);
otherwise a random key generated once and kept in ``<jobs_dir>/.cursor-secret`` (mode 0600), so the
cursors a server issued stay valid after a restart. The jobs directory is the server's own writable
state; the index directory may be read-only or published by another machine. A tenant id cannot
start with a dot, so the file never meets a tenant's jobs directory.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from ranking.search.paging import CursorCodec
from records.errors import BackendUnavailableError

FILE = ".cursor-secret"


def cursor_codec(settings) -> CursorCodec:
    if settings.cursor_secret is not None:
        return CursorCodec(settings.cursor_secret.get_secret_value().encode())
    return CursorCodec(_stored_key(Path(settings.jobs_dir) / FILE))


def _stored_key(path: Path) -> bytes:
    """The key in ``path``, written first when there is none (two servers starting at once agree:
    the key is linked into place, and the one that loses the race reads the winner's)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{FILE}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise BackendUnavailableError(f"{path}: the cursor key is shorter than 32 characters; delete the file "
                                      "to make a new one")
    return key.encode()


__all__ = ["cursor_codec"]
