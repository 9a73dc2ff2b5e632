"""Where a run's heavy work is computed: Dask distributed.

Each section's notebook, its exports (reviewer HTML, analyst HTML, PDF) and each area's document are
Dask tasks. The run itself (ingest, incremental-rerun keys, the staging folder, manifest, swap and
locks) stays in the process that was started, so it behaves the same whatever executes the tasks.

- By default a run starts an embedded ``LocalCluster`` sized to the machine (``--workers`` to
  change it). A run of one area (the analyst's yearly run) uses one worker inside the run's own
  process, executing a notebook per CPU core at a time: the heavy work is in the notebook kernels
  and the PDF printer, each a process of its own, so worker processes would only add seconds of
  start-up (each imports the package) and of shutting down. That worker has one thread more than
  notebooks at a time, and a notebook takes one of its ``NOTEBOOK_SLOT`` resources: an export waits
  most of its time for the printer (Chromium), and without the extra thread two exports waiting so
  held both notebook slots, leaving a core idle while notebooks were still to run. A run of several
  areas uses one single-threaded worker process per core, so that areas' exports and documents do
  not share one interpreter (other areas' notebooks keep those cores busy). Either way, the workers
  end with the run, even a killed one.
- ``--scheduler tcp://HOST:8786`` sends the tasks to an existing cluster (``dask scheduler`` and
  ``dask worker tcp://HOST:8786`` on each machine). Every worker must import the same package code
  and see the data, processed and reports folders under the same paths (a shared file system):
  they are checked when the run connects, and a worker that cannot is named.
- The cluster starts only when there is work: an unchanged rerun starts none.
- Dask's own messages (a task's "Compute Failed" and its traceback, a worker's warnings) go to the
  run log, never to the terminal: the run says what failed in one line of its own. A
  ``--scheduler`` that is not a Dask scheduler answering within seconds (a web server, a closed
  port, an address that does not exist) is one line too, within ``SCHEDULER_ANSWER_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import CancelledError
from pathlib import Path
from urllib.parse import urlsplit

from . import provenance
from .errors import ConfigError

SCHEDULER_ANSWER_SECONDS = 4  # to connect, and again to hear the scheduler say what it is
CONNECT_TIMEOUT = "10s"  # the Dask client's own connection, once the scheduler has answered
MAX_WORKERS = 256
NOTEBOOK_SLOT = "notebook"  # the in-process worker's resource a notebook's execution holds (one per --workers)
# The loggers distributed's configuration prints to the terminal; a run sends them to its run log.
DASK_LOGGERS = ("distributed", "tornado", "bokeh")
# papermill's logger, which nbclient writes to: a kernel that dies while the run stops (Ctrl-C ends the kernel
# zygote, kernels.py) would otherwise print nbclient's error above the run's one line.
NOTEBOOK_LOGGERS = ("papermill",)


def check_workers(workers: int | None) -> None:
    """``--workers``: the size of the run's own cluster, 1 to MAX_WORKERS (None: one per CPU core)."""
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise ConfigError(f"--workers {workers}: give the number of sections to compute at once, from 1 to "
                          f"{MAX_WORKERS} (or leave it out for one per CPU core, {os.cpu_count() or 1} here)")


def check_scheduler_address(address: str) -> str:
    """``--scheduler``'s value as a Dask address, tcp://HOST:PORT (a bare HOST:PORT means tcp)."""
    text = str(address).strip()
    parts = urlsplit(text if "://" in text else f"tcp://{text}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "tcp" or not parts.hostname or port is None or not 0 < port < 65536 \
            or parts.path or parts.query or parts.fragment:
        raise ConfigError(f"--scheduler {address}: not a Dask scheduler address; give tcp://HOST:PORT, as "
                          "`dask scheduler` prints it (e.g. tcp://10.0.0.5:8786)")
    return f"tcp://{parts.netloc}"


async def _scheduler_identity(address: str, seconds: float) -> dict:
    """What the server at ``address`` says it is, asked as Dask asks ("identity"), each step within ``seconds``."""
    from distributed.comm import connect  # here, as every distributed import: seconds, and fetch never needs it

    comm = await asyncio.wait_for(connect(address, timeout=seconds), seconds * 1.5)
    try:
        await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), seconds)
        return await asyncio.wait_for(comm.read(), seconds)
    finally:
        comm.abort()


def check_scheduler_answers(address: str, seconds: float = SCHEDULER_ANSWER_SECONDS) -> None:
    """Refuse, in one line and within seconds, an address where no Dask scheduler answers: the Dask
    client itself would wait for minutes on a server that accepts the connection and says nothing."""
    try:
        identity = asyncio.run(_scheduler_identity(address, seconds))
    except Exception as exc:  # refused, unreachable, timed out, or an answer that is not Dask's
        reason = (f"nothing answered within {seconds:.0f} s" if isinstance(exc, (TimeoutError, asyncio.TimeoutError))
                  else " ".join(str(exc).split())[:200] or type(exc).__name__)
        raise ConfigError(f"--scheduler {address}: no Dask scheduler answers there ({reason}). Start one with "
                          "`dask scheduler` and its workers with `dask worker <address>`, or leave --scheduler out "
                          "to run on this machine") from None
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        raise ConfigError(f"--scheduler {address}: the server there is not a Dask scheduler (it answered "
                          f"{str(identity)[:80]!r}); give the address `dask scheduler` prints")


def check_loopback(seconds: float = 2) -> None:
    """The notebooks' kernels and the run's own Dask cluster talk over local (loopback) network
    ports: without them a kernel never starts, and the cluster gives up only after a minute, so say
    what is wrong at once. A port is opened, and connected to, on 127.0.0.1 (with the loopback
    interface down, opening one still works; connecting does not)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname(), timeout=seconds):
                pass
    except OSError as exc:
        raise ConfigError(
            f"the notebooks cannot run: Jupyter kernels and the run's Dask workers need local network ports on "
            f"127.0.0.1, and this machine refuses them ({exc.strerror or exc}). Enable the loopback interface (in "
            "a container or sandbox, allow local networking) and run again") from None


class _ToRunLog(logging.Handler):
    """Dask's and papermill's log records, whole (tracebacks included), into the run log instead of the terminal."""

    def __init__(self, log) -> None:
        super().__init__(logging.WARNING)
        self.log = log
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            source = "notebook" if record.name.split(".")[0] in NOTEBOOK_LOGGERS else "dask"
            self.log(f"{source:<9}{self.format(record)}")
        except Exception:  # a log line must never stop the run
            pass


def _dask_logger_names() -> list[str]:
    """DASK_LOGGERS and every logger below them that exists now."""
    return [*DASK_LOGGERS, *(name for name in logging.Logger.manager.loggerDict
                              if name.split(".")[0] in DASK_LOGGERS and name not in DASK_LOGGERS)]


def _quiet_terminal() -> None:
    """In a worker process: no Dask message and no Ctrl-C traceback of its own on the terminal. Its
    log records are forwarded to the run's process (Client.forward_logging); Ctrl-C is the run's to
    handle: it closes the cluster, and the worker ends with it (end_with_parent)."""
    for name in _dask_logger_names():
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]:
            logger.removeHandler(handler)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the process's main thread: Ctrl-C then reaches the main thread only
        pass


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
        """Each embedded worker process ends when the run's process does (its nanny lives there), and
        leaves the terminal to the run."""
        name = "csp-assessment-end-with-run"

        def __init__(self, pid: int):
            self.pid = pid

        def setup(self, worker) -> None:
            _quiet_terminal()
            end_with_parent(self.pid)

    return EndWithRun(parent_pid)


def worker_check(folders: dict[str, str]) -> list[str]:
    """Run on every worker of an existing cluster: what stops it from doing this run's work."""
    problems = [f"cannot see the {what} {path}" for what, path in folders.items() if not Path(path).is_dir()]
    if "reports folder" in folders and Path(folders["reports folder"]).is_dir() \
            and not os.access(folders["reports folder"], os.W_OK):
        problems.append(f"cannot write into the reports folder {folders['reports folder']}")
    return problems + [f"code:{provenance.code_fingerprint()}"]


class Engine:
    """A Dask client, connected on first use to an embedded LocalCluster or to ``scheduler``."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 folders: dict[str, Path] | None = None, say=None, processes: bool = True, log=None):
        check_workers(workers)
        self.scheduler = check_scheduler_address(scheduler) if scheduler else None
        self.workers = workers or os.cpu_count() or 1
        self.folders = {what: Path(path).resolve() for what, path in (folders or {}).items()}
        self.say = say or (lambda message: None)
        self.log = log or self.say  # the run log only: Dask's own messages
        self.processes = processes
        self._client = None
        self._cluster = None
        self._lock = threading.Lock()
        self._closed = False
        self._terminal_handlers: dict[str, tuple[list, bool]] = {}

    # ------------------------------------------------------------------ lifetime
    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def started(self) -> bool:
        return self._client is not None

    @property
    def client(self):
        with self._lock:
            if self._closed:
                raise RuntimeError("the run's Dask client is closed")
            if self._client is None:
                self._logs_to_run_log()
                self._client = self._connect() if self.scheduler else self._start_local()
            return self._client

    def _logs_to_run_log(self) -> None:
        """While the run's cluster lives, Dask's messages in this process go to the run log only."""
        import distributed  # noqa: F401  its logging configuration is made when it is first imported

        if self._terminal_handlers:  # already (an earlier attempt to start failed)
            return
        handler = _ToRunLog(self.log)
        for name in [*_dask_logger_names(), *NOTEBOOK_LOGGERS]:
            logger = logging.getLogger(name)
            self._terminal_handlers[name] = (list(logger.handlers), logger.propagate)
            top = name in DASK_LOGGERS or name in NOTEBOOK_LOGGERS
            logger.handlers = [handler] if top else \
                [h for h in logger.handlers if not isinstance(h, logging.StreamHandler)]
            logger.propagate = not top  # distributed.client's records reach the handler above

    def _logs_to_terminal(self) -> None:
        for name, (handlers, propagate) in self._terminal_handlers.items():
            logger = logging.getLogger(name)
            logger.handlers, logger.propagate = handlers, propagate
        self._terminal_handlers = {}

    def _start_local(self):
        import dask  # here, as distributed below: seconds of imports a run on a scheduler, or fetch, does without

        check_loopback()
        started = time.perf_counter()
        # No statistical profile of the workers' threads: the worker samples every thread's stack every
        # 10 ms (distributed.worker.profile) for a dashboard the run does not start, holding the GIL the
        # exports in this process need.
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            return self._start_local_cluster(started)

    def _start_local_cluster(self, started: float):
        from distributed import Client, LocalCluster

        if self.processes:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0", silence_logs=logging.ERROR)
            client = Client(self._cluster)
            client.register_plugin(_end_with_run_plugin(os.getpid()))
            client.forward_logging("distributed", level=logging.WARNING)  # into this process's run log
            how = f"{self.workers} worker process{'es' if self.workers > 1 else ''}, 1 thread each"
        else:
            # TCP on the loopback address: the in-process transport asks the system for this
            # machine's address by opening a UDP socket towards 8.8.8.8, and a run reaches no network.
            self._cluster = LocalCluster(n_workers=1, threads_per_worker=self.workers + 1, processes=False,
                                         resources={NOTEBOOK_SLOT: self.workers}, host="127.0.0.1",
                                         protocol="tcp://", dashboard_address=":0", silence_logs=logging.ERROR)
            client = Client(self._cluster)
            how = (f"{self.workers} notebook{'s' if self.workers > 1 else ''} at a time in the run's own process, "
                   "exports beside them")
        self.say(f"dask     embedded cluster: {how} (started in {time.perf_counter() - started:.1f}s)")
        return client

    def _connect(self):
        from distributed import Client

        check_scheduler_answers(self.scheduler)
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
    def in_process(self) -> bool:
        """The tasks run in this process (the embedded cluster of one area's run): its notebook slots,
        and the PDF printer this process starts."""
        return not self.scheduler and not self.processes

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
        try:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
        finally:
            self._logs_to_terminal()

    # ------------------------------------------------------------------ work
    def submit(self, label: str, function, *args, priority: int = 0, notebook: bool = False, **kwargs):
        """Submit ``function(*args, **kwargs)`` as one task named after ``label`` (e.g. 'E06000035 asb execute');
        ``notebook``: it executes a notebook, so on the run's own in-process worker it takes a notebook slot."""
        key = f"{label.replace(' ', '-')}-{uuid.uuid4().hex[:8]}"
        client = self.client
        # Only the in-process worker has the slots: a task asking for a resource no worker has would wait forever.
        slot = {"resources": {NOTEBOOK_SLOT: 1}} if notebook and self.in_process else {}
        return client.submit(function, *args, key=key, pure=False, priority=priority, **slot, **kwargs)

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
