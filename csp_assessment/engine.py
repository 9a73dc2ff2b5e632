"""Where a run's heavy work is computed: Dask distributed.

Each section's notebook, its exports (reviewer HTML, analyst HTML, PDF) and each area's document are
Dask tasks. The run itself (ingest, incremental-rerun keys, the staging folder, manifest, swap and
locks) stays in the process that was started, so it behaves the same whatever executes the tasks.

- By default a run starts an embedded ``LocalCluster`` sized to the machine (``--workers`` to
  change it). A run of one area (the analyst's yearly run) uses one worker inside the run's own
  process, with a thread per CPU core: the heavy work is in the notebook kernels and the PDF
  printer, each a process of its own, so worker processes would only add seconds of start-up
  (each imports the package) and of shutting down. A run of several areas uses one single-threaded
  worker process per core, so that areas' exports and documents do not share one interpreter.
  Either way, the workers end with the run, even a killed one.
- ``--scheduler tcp://HOST:8786`` sends the tasks to an existing cluster (``dask scheduler`` and
  ``dask worker tcp://HOST:8786`` on each machine). Every worker must import the same package code
  and see the data, processed and reports folders under the same paths (a shared file system):
  they are checked when the run connects, and a worker that cannot is named.
- The cluster starts only when there is work: an unchanged rerun starts none.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from concurrent.futures import CancelledError
from pathlib import Path

from .errors import ConfigError

CONNECT_TIMEOUT = "30s"


def end_with_parent(parent_pid: int) -> None:
    """Run in a worker process: end it when the run that started it has ended (even if killed)."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-run", daemon=True).start()


def _end_with_run_plugin(parent_pid: int):
    from distributed.diagnostics.plugin import WorkerPlugin

    class EndWithRun(WorkerPlugin):
        """Each embedded worker process ends when the run's process does (its nanny lives there)."""
        name = "csp-assessment-end-with-run"

        def __init__(self, pid: int):
            self.pid = pid

        def setup(self, worker) -> None:
            end_with_parent(self.pid)

    return EndWithRun(parent_pid)


def worker_check(folders: dict[str, str]) -> list[str]:
    """Run on every worker of an existing cluster: what stops it from doing this run's work."""
    from . import provenance

    problems = [f"cannot see the {what} {path}" for what, path in folders.items() if not Path(path).is_dir()]
    if "reports folder" in folders and Path(folders["reports folder"]).is_dir() \
            and not os.access(folders["reports folder"], os.W_OK):
        problems.append(f"cannot write into the reports folder {folders['reports folder']}")
    return problems + [f"code:{provenance.code_fingerprint()}"]


class Engine:
    """A Dask client, connected on first use to an embedded LocalCluster or to ``scheduler``."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 folders: dict[str, Path] | None = None, say=None, processes: bool = True):
        if workers is not None and workers < 1:
            raise ConfigError(f"--workers {workers}: give the number of Dask workers of the run's own cluster, 1 or "
                              f"more (or leave it out for one per CPU core, {os.cpu_count() or 1} here)")
        self.scheduler = scheduler
        self.workers = workers or os.cpu_count() or 1
        self.folders = {what: Path(path).resolve() for what, path in (folders or {}).items()}
        self.say = say or (lambda message: None)
        self.processes = processes
        self._client = None
        self._cluster = None
        self._lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------ lifetime
    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def started(self) -> bool:
        return self._client is not None

    @property
    def client(self):
        with self._lock:
            if self._closed:
                raise RuntimeError("the run's Dask client is closed")
            if self._client is None:
                self._client = self._connect() if self.scheduler else self._start_local()
            return self._client

    def _start_local(self):
        from distributed import Client, LocalCluster

        started = time.perf_counter()
        if self.processes:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0", silence_logs=logging.ERROR)
            client = Client(self._cluster)
            client.register_plugin(_end_with_run_plugin(os.getpid()))
            how = f"{self.workers} worker process{'es' if self.workers > 1 else ''}, 1 thread each"
        else:
            # TCP on the loopback address: the in-process transport asks the system for this
            # machine's address by opening a UDP socket towards 8.8.8.8, and a run reaches no network.
            self._cluster = LocalCluster(n_workers=1, threads_per_worker=self.workers, processes=False,
                                         host="127.0.0.1", protocol="tcp://", dashboard_address=":0",
                                         silence_logs=logging.ERROR)
            client = Client(self._cluster)
            how = f"{self.workers} thread{'s' if self.workers > 1 else ''} in the run's own process"
        self.say(f"dask     embedded cluster: {how} (started in {time.perf_counter() - started:.1f}s)")
        return client

    def _connect(self):
        from distributed import Client

        from . import provenance

        try:
            client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"--scheduler {self.scheduler}: no Dask scheduler answers there ({exc}). Start one "
                              "with `dask scheduler` and its workers with `dask worker <address>`, or leave "
                              "--scheduler out to run on this machine") from None
        try:
            client.wait_for_workers(1, timeout=60)
        except TimeoutError:
            client.close()
            raise ConfigError(f"--scheduler {self.scheduler}: the scheduler has no workers; start some with "
                              f"`dask worker {self.scheduler}`") from None
        try:
            answers = client.run(worker_check, {what: str(path) for what, path in self.folders.items()})
        except Exception as exc:  # a worker that cannot import the package cannot unpickle the check
            client.close()
            raise ConfigError(f"--scheduler {self.scheduler}: a worker cannot run the pipeline's code "
                              f"({type(exc).__name__}: {exc}); install the package on every worker "
                              "(pip install -e <the project>) and start it from the same code") from None
        code = f"code:{provenance.code_fingerprint()}"
        problems = []
        for worker, found in sorted(answers.items()):
            problems += [f"{worker} {problem}" for problem in found if not problem.startswith("code:")]
            if code not in found:
                problems.append(f"{worker} runs other package code or params files than this run")
        if problems:
            client.close()
            raise ConfigError(f"--scheduler {self.scheduler}: " + "; ".join(problems) + ". Workers must import the "
                              "same package and see the data, processed and reports folders under the same paths "
                              "(a shared file system)")
        self.say(f"dask     cluster {self.scheduler}: {len(answers)} workers, "
                 f"{sum(client.nthreads().values())} threads")
        return client

    @property
    def slots(self) -> int:
        """Tasks the cluster runs at once."""
        if self._client is None:
            return self.workers
        return max(1, sum(self._client.nthreads().values()))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    # ------------------------------------------------------------------ work
    def submit(self, label: str, function, *args, priority: int = 0, **kwargs):
        """Submit ``function(*args, **kwargs)`` as one task named after ``label`` (e.g. 'E06000035 asb execute')."""
        key = f"{label.replace(' ', '-')}-{uuid.uuid4().hex[:8]}"
        return self.client.submit(function, *args, key=key, pure=False, priority=priority, **kwargs)

    def settle(self, futures) -> None:
        """Wait until ``futures`` have finished or failed (no task of theirs still writing)."""
        from distributed import wait

        # A cancelled future is settled as far as the scheduler goes; waiting on one raises
        # FuturesCancelledError, which would hide the error that made the run cancel its work.
        futures = [f for f in futures if f is not None and not f.cancelled()]
        if futures and self._client is not None:
            try:
                wait(futures)
            except CancelledError:  # cancelled while waiting (distributed's FuturesCancelledError)
                pass

    def cancel(self, futures) -> None:
        futures = [f for f in futures if f is not None]
        if futures and self._client is not None:
            try:
                self._client.cancel(futures)
            except Exception:  # the client may be closing already
                pass
