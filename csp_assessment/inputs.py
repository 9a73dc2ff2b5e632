"""What a run reads: the data folder, with the demo data made on a fresh clone, ingested.

The one place that decides to write the demo data: ingest/ reads the publishers' files and never
writes data, demo/ writes the publishers' formats and knows nothing of the ingest. The pipeline's
run (run.py) and a notebook opened by hand (``sections.open_section``) both prepare their inputs here.
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout

from .config import PROJECT_ROOT
from .demo import clear_unfinished_demos, install_demo, is_current_demo, retire_demo
from .errors import InputError
from .ingest import police_uk
from .ingest.folder import IngestSummary, ensure_dir, prepare_data
from .names import DEMO_MARKER
from .runlock import DEFAULT_WAIT_SECONDS

DEFAULT_DATA_DIR = PROJECT_ROOT / "data" / "raw"


def prepare_inputs(config, *, force: bool = False, say=print, spare_core=None) -> IngestSummary:
    """Make sure the processed tables reflect ``config.data_dir``; on a fresh clone, make the demo data.

    The caller holds the processed folder's run lock (runlock.py). The demo data are generated only
    into ``data/raw/demo`` of the default data folder: when the folder holds no police.uk files, or
    when the demo there was made by an older generator (it is the project's own output, so it is
    replaced). A user's own downloads are never touched. The demo is made whole in a temporary folder
    and moved into place (demo/__init__.py), under a lock of its own: two first runs at once (with
    different processed folders) make it once, the second waiting for the first. ``spare_core``: see
    ingest.folder.ingest_folder.
    """
    default_dir = DEFAULT_DATA_DIR.resolve()
    if Path(config.data_dir).resolve() == default_dir:
        demo_in_place(default_dir, say)
    return prepare_data(config, force=force, spare_core=spare_core)


def demo_in_place(default_dir: Path, say) -> None:
    """The demo data in ``default_dir/demo`` when the default data folder holds no police files of the
    user's, made by this generator and whole; made (or made again) when not."""
    demo_dir = default_dir / "demo"
    ensure_dir(default_dir)
    lock = FileLock(default_dir.parent / ".csp-demo.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        say(f"waiting  another run is making the demo data in {demo_dir}; this run goes on when it is made")
        try:
            lock.acquire(timeout=DEFAULT_WAIT_SECONDS)
        except Timeout:
            raise InputError(demo_dir, "another run has been making the demo data for "
                                       f"{DEFAULT_WAIT_SECONDS // 60} min: stop it and run again") from None
    try:
        clear_unfinished_demos(default_dir)  # a run killed while making the demo left its folder
        if (demo_dir / DEMO_MARKER).exists() and not is_current_demo(demo_dir):
            retire_demo(demo_dir)  # an older generator's (the project's own output): made again below
        if not police_uk.discover(default_dir):
            install_demo(demo_dir)
    finally:
        lock.release()
