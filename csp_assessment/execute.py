"""Run section notebooks with papermill."""

from __future__ import annotations

import asyncio
import errno
import os
import re
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

import papermill
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.exceptions import PapermillExecutionError

from . import kernels
from .config import PROJECT_ROOT
from .sections import SectionSpec

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
KERNEL = "python3"
_REFUSED_WRITES = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS}  # named explicitly: papermill otherwise takes the kernel from notebook metadata


@dataclass
class SectionFailed(Exception):
    section: str
    cell: int | None  # 1-based position of the failing cell in the notebook
    error: str
    notebook: Path  # the partly executed notebook, to open and read
    trace: str = ""  # the traceback, for the run log (the terminal gets one line)

    def __reduce__(self):  # sent back from a Dask worker: a dataclass exception does not pickle by itself
        return (SectionFailed, (self.section, self.cell, self.error, self.notebook, self.trace))

    def __str__(self) -> str:
        where = f"cell {self.cell}" if self.cell else "before any cell ran"
        error = " ".join(self.error.split())
        return f"section '{self.section}' failed in {where}: {error} (partly executed notebook: {self.notebook})"


class _WrittenAtStartAndOnFailure(NotebookExecutionManager):
    """papermill's record of one execution, written to the output notebook when it starts (so the
    staging folder shows which sections are running), every ``autosave_cell_every`` seconds during a
    long cell, and as far as it ran when the kernel fails (``SectionEngine``); papermill itself writes
    the finished notebook, and the one whose cell failed. Not at each cell's start and end as well, as
    papermill's own record does: each write serialises and validates the whole notebook, charts
    included (0.5 to 2.5 MB: 0.04 s a write, 70 writes for the all-crime notebook), in the run's own
    process, which exports the other sections meanwhile; nobody reads the notebook before the end."""

    _held = False  # True while a step's write is left out

    def cell_start(self, cell, cell_index=None, **kwargs):
        self.without_writing(super().cell_start, cell, cell_index, **kwargs)

    def cell_complete(self, cell, cell_index=None, **kwargs):
        self.without_writing(super().cell_complete, cell, cell_index, **kwargs)

    def without_writing(self, step, *args, **kwargs):
        self._held = True
        try:
            step(*args, **kwargs)
        finally:
            self._held = False

    def save(self, **kwargs):
        if not self._held:
            super().save(**kwargs)


class SectionEngine(NBClientEngine):
    """papermill's nbclient engine, with the execution record above (papermill's engine hook:
    ``Engine.execute_notebook`` makes the record, ``execute_managed_notebook`` runs the cells).
    ``execute_section`` turns papermill's own per-cell writes off (request_save_on_cell_execute) and
    gives the output path here as ``record_path``."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, record_path=None, **kwargs):
        nb_man = _WrittenAtStartAndOnFailure(nb, output_path=record_path or output_path, progress_bar=progress_bar,
                                             log_output=log_output, autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        except BaseException:  # a dead kernel, Ctrl-C: the notebook as far as it ran, to read
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
            raise
        nb_man.cleanup_pbar()
        nb_man.without_writing(nb_man.notebook_complete)  # papermill writes it next
        return nb_man.nb


ENGINE = "csp_assessment"
papermill_engines.register(ENGINE, SectionEngine)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _trace(exc: BaseException) -> str:
    """A failure's traceback as text: the kernel's for a failing cell (without its colours), else ours."""
    if isinstance(exc, PapermillExecutionError):
        return _ANSI.sub("", "\n".join(exc.traceback))
    return "".join(traceback.format_exception(exc))


def execute_section(spec: SectionSpec, output: Path, parameters: dict, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    """Execute ``spec``'s notebook into ``output`` with ``parameters``; raise SectionFailed on error."""
    # An inherited MPLBACKEND=Agg makes the kernel draw charts nowhere, silently.
    os.environ.pop("MPLBACKEND", None)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        _in_own_event_loop(
            papermill.execute_notebook,
            str(Path(notebook_dir) / spec.notebook), str(output), parameters=parameters, kernel_name=KERNEL,
            engine_name=ENGINE, request_save_on_cell_execute=False, record_path=str(output),
            cwd=str(PROJECT_ROOT), progress_bar=False, log_output=False, report_mode=False,
            # The kernel's own log (start-up warnings about local TCP transport, shutdown notices) is noise in the
            # run's one-line-per-step progress; cell errors still reach us through papermill.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            # Kernels forked from a warm interpreter where that is the same as a new one (kernels.py).
            kernel_manager_class=kernels.ForkingKernelManager,
        )
    except PapermillExecutionError as exc:
        # papermill counts cells from 0 and includes its injected-parameters cell
        raise SectionFailed(spec.key, exc.cell_index + 1, f"{exc.ename}: {exc.evalue}", output, _trace(exc)) from None
    except OSError as exc:
        if exc.errno in _REFUSED_WRITES:
            raise  # a full disk or a read-only folder is the run's problem, not the section's: one line, exit 2
        raise SectionFailed(spec.key, None, f"{type(exc).__name__}: {exc}", output, _trace(exc)) from None
    except Exception as exc:  # kernel died, notebook missing, ...
        raise SectionFailed(spec.key, None, f"{type(exc).__name__}: {exc}", output, _trace(exc)) from None
    return output


def _in_own_event_loop(function, *args, **kwargs):
    """``function(*args, **kwargs)`` in a thread of its own, with an event loop of its own.

    papermill drives the kernel through jupyter_core, which keeps its asyncio event loop in a
    context variable; Dask runs each task in a copy of the submitting thread's context, so two
    sections executing side by side in one process's threads would otherwise share one loop ("This
    event loop is already running"). A new thread starts with an empty context, so jupyter_core
    makes a loop for this call alone, closed when it ends; the caller's thread is left as it was.
    """
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as exc:  # handed to the caller, with its traceback
            outcome["error"] = exc
        finally:
            try:
                loop = asyncio.get_event_loop_policy().get_event_loop()  # the one jupyter_core set here
            except RuntimeError:
                pass  # it failed before making one
            else:
                loop.close()

    thread = threading.Thread(target=run, name=f"{threading.current_thread().name} papermill", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
