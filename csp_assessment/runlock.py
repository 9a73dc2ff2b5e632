"""One run at a time per reports folder and per processed folder.

Two runs writing the same folders would mix their tables and reports (one run's figures under the
other's inputs). Each run holds an operating-system file lock (``filelock``) on every folder it
writes; a second run waits, saying which run it waits for, and gives up with a clear message after
``wait_seconds``. The operating system releases the lock when the process holding it ends, however
it ends, so a lock left by a killed run is never in the way: the next run notices and says so.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from .errors import ConfigError

LOCK_NAME = ".csp-run.lock"
OWNER_NAME = ".csp-run.owner"  # who holds the lock, for the waiting run's message
DEFAULT_WAIT_SECONDS = 30 * 60


class RunLocked(ConfigError):
    """Another run still holds a folder after the waiting time."""


def _owner(folder: Path) -> dict:
    try:
        return json.loads((folder / OWNER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _describe(owner: dict) -> str:
    if not owner:
        return "another run"
    return f"the run started {owner.get('started', '?')} by process {owner.get('pid', '?')} ({owner.get('command', '')})"


def _usable_folder(folder: Path, what: str) -> Path:
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is a file, not a folder: give a folder for the {what} "
                          f"({'--out' if what == 'reports' else '--processed'})")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def exclusive_run(folders: dict[str, Path], say: Callable[[str], None],
                  wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Iterator[None]:
    """Hold the lock of every folder in ``folders`` ({what: folder}) for the duration of the block.

    Folders are locked in a fixed (sorted) order, so two runs sharing two folders cannot each hold
    one and wait for the other.
    """
    wanted = {}
    for what, folder in folders.items():
        wanted.setdefault(Path(folder).resolve(), what)
    with ExitStack() as held:
        for folder in sorted(wanted):
            _usable_folder(folder, wanted[folder])
            lock = FileLock(folder / LOCK_NAME)
            owner = _owner(folder)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                if wait_seconds <= 0:
                    raise RunLocked(f"{folder} is in use by {_describe(_owner(folder))}: wait for that run to "
                                    "end, or use another folder (--out / --processed)") from None
                say(f"waiting  {folder} is in use by {_describe(_owner(folder))}; this run starts when that one "
                    f"ends (at most {wait_seconds / 60:.0f} min; Ctrl-C to stop)")
                try:
                    lock.acquire(timeout=wait_seconds)
                except Timeout:
                    raise RunLocked(f"{folder} is still in use by {_describe(_owner(folder))} after "
                                    f"{wait_seconds / 60:.0f} min: wait for that run to end, or use another folder "
                                    f"(--out / --processed)") from None
            else:
                if owner and owner.get("pid") != os.getpid():
                    say(f"note     {folder}: the lock of an earlier run (process {owner.get('pid')}, started "
                        f"{owner.get('started')}) was left when it stopped; the operating system released it")
            held.callback(lock.release)
            held.callback((folder / OWNER_NAME).unlink, missing_ok=True)
            (folder / OWNER_NAME).write_text(json.dumps({
                "pid": os.getpid(), "host": socket.gethostname(),
                "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "command": " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:])[:300],
            }), encoding="utf-8")
        yield
