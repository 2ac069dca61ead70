"""Files that hold secrets or unpublished content: for the service's own user only.

Modes are set in code, not left to the umask the service happens to start with: the
instance directory 0700, the secret key and the SQLite files 0600.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def private(path: Path) -> None:
    """Take group and other permissions away from ``path``, if it exists and is ours."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.geteuid() and info.st_mode & 0o077:
        os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)


def private_dir(path: Path) -> Path:
    """Create the directory (0700), or make an existing one of ours private."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    private(path)
    return path
