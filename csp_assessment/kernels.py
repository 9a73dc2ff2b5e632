"""Notebook kernels forked from one warm interpreter, so that a run pays for importing the stack once.

A section's notebook starts, like any Jupyter kernel, as a new Python process that then imports
pandas, scipy, matplotlib, seaborn, IPython and this package: about 3 seconds of one core before its
first figure, paid again by every notebook of the run (issue 24: most of a run's "floor"). Here a
*kernel zygote* does that once: a Python process started with the run (by pipeline.py before the
run's own imports, else by run.main while the ingest reads the files) that imports what the
notebooks import and then waits. Each kernel the run needs is a fork of it: the child takes the
kernel's connection file, environment and folder from jupyter_client, as a new process would, and
starts ipykernel's ``IPKernelApp`` exactly as ``python -m ipykernel_launcher`` does, with those
modules already loaded. Nothing else is shared: every notebook has a process of its own, and what
one notebook does never reaches another (the zygote itself runs no notebook code).

jupyter_client is told through a kernel *provisioner* (its documented way to change how a kernel
process is started: https://jupyter-client.readthedocs.io/en/latest/provisioning.html, from
jupyter_client's docs/provisioning.rst: "an abstraction layer between the KernelManager and today's
kernel process (i.e., Popen)"; LocalProvisioner, subclassed here, is its Popen one), given to
papermill as the kernel manager class nbclient uses (``NotebookClient.kernel_manager_class``; papermill
passes its engine's keyword arguments to nbclient). The provisioner holds the forked kernel through a
Linux pidfd (``os.pidfd_open``), which signals and waits for a process that is not its child, so
interrupting, killing and waiting for the kernel work as they do for a kernel started by Popen; the
kernel leads a process group of its own, as jupyter_client starts kernels, so killing the group stops
what the kernel started too.

A forked kernel is used only where it is the same as a new one: the kernel spec's own
``python -m ipykernel_launcher`` with this interpreter, started from the folder and with the
environment the zygote was started with, apart from what jupyter_client sets for each kernel and
what the zygote's own imports set (the run removes MPLBACKEND first, see execute.py; any other
change starts a new zygote). Anywhere else (no ``fork`` or pidfd, another
kernel, the zygote failing to start), the kernel starts as a new process, as before.

The zygote ends when the run closes it, and by itself when the run's process is gone (its end of
the socket closes); a kernel forked from it watches the zygote as its parent (ipykernel's
``parent_handle``), so it ends too if everything above it was killed.
"""

from __future__ import annotations

import atexit
import functools
import gc
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from .config import PROJECT_ROOT

LOG = logging.getLogger(__name__)

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what IPKernelApp.init_gui_pylab sets
# What the zygote imports before it forks: the kernel (as ipykernel_launcher does), then what every section
# notebook imports in its first cell (IPython's display, the sections and with them pandas, scipy,
# matplotlib, seaborn) and what the sections import only when they draw a map or test a difference (seconds
# each), style a table (pandas' Styler) or read a dataset. A notebook module that fails to import is left for the notebook to import (and fail on) itself.
# Never matplotlib_inline's backend: importing it connects it to the kernel's IPython shell, which the zygote
# has not got (a forked kernel would then show no pyplot chart); the kernel imports it when it needs it.
KERNEL_MODULES = ("ipykernel.kernelapp",)
# And pyogrio, which the ingest imports to read boundary files: importing it sets GDAL_CURL_CA_BUNDLE and
# PROJ_CURL_CA_BUNDLE, so the run's environment has them by the time its kernels start. Imported here too,
# the zygote reports them as set by its imports, and its environment is still the run's (Zygote.serves).
NOTEBOOK_MODULES = ("IPython.display", "csp_assessment.sections", "geopandas", "shapely", "statsmodels.stats.proportion",
                    "pyogrio", "pandas.io.formats.style", "pyarrow.dataset")
# Set by jupyter_client for each kernel it starts (and MPLBACKEND by the kernel itself), or changed by pytest
# from test to test: never a reason to think the zygote out of date.
PER_KERNEL_ENV = ("JPY_PARENT_PID", "JPY_INTERRUPT_EVENT", "IPY_INTERRUPT_EVENT", "MPLBACKEND", "PYTEST_CURRENT_TEST")


@functools.lru_cache(maxsize=None)
def forking_supported() -> bool:
    """Fork and pidfds, in Python and in the system (Linux 5.3 or later; a sandbox may refuse the call)."""
    if not (hasattr(os, "fork") and hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


class Zygote:
    """The warm interpreter and the one socket the run asks it for kernels through."""

    def __init__(self, cwd: Path = PROJECT_ROOT):
        self.cwd = str(cwd)
        self.env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
        ours, theirs = socket.socketpair()
        with theirs:
            # A session of its own: Ctrl-C in the terminal reaches the run, which closes the zygote;
            # its stdout and stderr are the run's, as a kernel's are.
            self.process = subprocess.Popen(
                [sys.executable, "-c", f"from csp_assessment.kernels import serve; serve({theirs.fileno()})"],
                cwd=self.cwd, env=self.env, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                start_new_session=True)
        self._socket = ours
        self._replies = ours.makefile("rb")
        self._lock = threading.Lock()  # one request and its answer at a time (sections run in threads)
        self._set_by_imports: set[str] | None = None

    def _ready(self) -> set[str]:
        """Wait for the zygote's imports; the environment variables they set (a module may set one when
        imported, as pyogrio sets GDAL_CURL_CA_BUNDLE: the run's process, importing it too, has it)."""
        with self._lock:
            if self._set_by_imports is None:
                answer = self._replies.readline()
                if not answer:
                    raise OSError("the kernel zygote ended before it was ready")
                self._set_by_imports = set(json.loads(answer)["set_by_imports"])
        return self._set_by_imports

    def serves(self, env: dict) -> bool:
        """Whether the zygote is running in the environment ``env`` (the one it imported its modules in,
        apart from what jupyter_client sets for each kernel and what its imports set)."""
        if self.process.poll() is not None:
            return False
        ignored = {*PER_KERNEL_ENV, *self._ready()}
        changed = {key for key in {*env, *self.env} - ignored if env.get(key) != self.env.get(key)}
        if changed:
            LOG.info("a new kernel zygote: the environment changed (%s)", ", ".join(sorted(changed)))
        return not changed

    def fork(self, args: list[str], env: dict) -> int:
        """A new kernel process with ipykernel_launcher's ``args``; its process id."""
        self._ready()
        with self._lock:
            self._socket.sendall(json.dumps({"args": args, "env": env}).encode() + b"\n")
            answer = self._replies.readline()
        if not answer:
            raise OSError("the kernel zygote ended before it forked a kernel")
        return int(json.loads(answer)["pid"])

    def close(self) -> None:
        """End the zygote now, even half-way through its imports (a run with nothing to execute closes
        it at once): it holds no state worth a clean exit, and kernels forked from it end with it."""
        self._socket.close()
        self._replies.close()
        self.process.kill()
        self.process.wait()


_zygote: Zygote | None = None
_retired: list[Zygote] = []
_zygote_lock = threading.Lock()


def warm() -> Zygote | None:
    """Start the zygote, if none is running, for kernels this process starts later (it imports in the
    background); returns it, or None where kernels cannot be forked."""
    global _zygote
    if not forking_supported():
        return None
    with _zygote_lock:
        if _zygote is not None and _zygote.process.poll() is not None:
            _zygote = None
        if _zygote is None:
            try:
                _zygote = Zygote()
            except OSError as exc:
                LOG.warning("kernels start as new processes: the kernel zygote did not start (%s)", exc)
                return None
        return _zygote


def zygote_for(cmd: list[str], env: dict, cwd: str) -> Zygote | None:
    """The zygote to fork a kernel ``cmd`` in ``env`` and ``cwd`` from: the running one if it serves
    ``env``, else a new one started in this environment (the old one lives on until close(): kernels
    forked from it end when it does); None where kernels cannot be forked or the launch is another
    (not the kernel spec's own launcher with this interpreter, or another folder)."""
    global _zygote
    zygote = warm()
    if zygote is None or cmd[:3] != [sys.executable, "-m", "ipykernel_launcher"] or str(cwd) != zygote.cwd:
        return None
    try:
        if zygote.serves(env):
            return zygote
    except OSError as exc:
        LOG.warning("a new kernel zygote: %s", exc)
    with _zygote_lock:
        if _zygote is zygote:
            _retired.append(zygote)
            _zygote = None
    zygote = warm()
    return zygote if zygote is not None and zygote.serves(env) else None


def close() -> None:
    """End the zygote and any retired one (the run does at its end, when its kernels have ended: a kernel
    still running ends with its zygote, as a kernel ends with the process that started it)."""
    global _zygote
    with _zygote_lock:
        for zygote in [*_retired, *([_zygote] if _zygote else [])]:
            zygote.close()
        _retired.clear()
        _zygote = None


atexit.register(close)


class ForkedProcess:
    """A forked kernel, seen by jupyter_client as the Popen of a kernel it started: a pidfd polls,
    waits for and signals it though it is the zygote's child, not ours. Its exit status belongs to
    the zygote (which lets the system reap its children), so an ended kernel's return code is 0."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # it ended already
            self._pidfd, self.returncode = None, 0

    def _ended(self, timeout: float | None) -> bool:
        if self.returncode is None:
            ready, _, _ = select.select([self._pidfd], [], [], timeout)
            if ready:
                os.close(self._pidfd)
                self._pidfd, self.returncode = None, 0
        return self.returncode is not None

    def poll(self) -> int | None:
        return self.returncode if self._ended(0) else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended(timeout):
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._pidfd, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkingProvisioner(LocalProvisioner):
    """LocalProvisioner whose kernels are forked from the zygote where that is the same (see above)."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        env, cwd = kwargs.get("env") or dict(os.environ), kwargs.get("cwd") or os.getcwd()
        zygote = zygote_for(cmd, env, cwd)
        if zygote is None:
            return await super().launch_kernel(cmd, **kwargs)
        pid = zygote.fork(cmd[3:], dict(env))
        self.process = ForkedProcess(pid)
        self.pid = self.pgid = pid  # the kernel leads its own process group (serve)
        self.cwd = cwd
        return self.connection_info


class ForkingKernelManager(AsyncKernelManager):
    """The kernel manager papermill's nbclient uses for the sections: kernels from the zygote."""

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = ForkingProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


# --- the zygote's side ----------------------------------------------------------------------------

def serve(fd: int) -> None:
    """The zygote: import PRELOAD, then fork a kernel for each request on socket ``fd`` until it closes."""
    import importlib
    import types

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)  # as the kernel sets it before matplotlib loads
    # sys.path as a kernel has it: ipykernel_launcher takes the start folder ('') off while the kernel
    # loads, and IPython puts it back before the first site-packages folder (InteractiveShellApp.init_path),
    # which the forked kernel then finds done. The notebooks' own imports come after, as here.
    if sys.path and sys.path[0] == "":
        del sys.path[0]
    for name in KERNEL_MODULES:
        importlib.import_module(name)
    from IPython.core.shellapp import InteractiveShellApp

    InteractiveShellApp.init_path(types.SimpleNamespace(ignore_cwd=False))
    started_with = dict(os.environ)
    for name in NOTEBOOK_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the notebook imports it itself, and says what is wrong there
            pass
    try:  # the section modules: csp_assessment.sections imports them when its registry is first read
        len(importlib.import_module("csp_assessment.sections").SECTIONS)
    except Exception:  # noqa: BLE001 - as above: the notebook reads the registry itself, and fails there
        pass
    set_by_imports = [key for key in os.environ if os.environ[key] != started_with.get(key)]
    # What was imported stays for the zygote's life: frozen, a kernel's garbage collections no longer walk
    # it (hundreds of thousands of objects) and its memory pages stay shared with the zygote (gc.freeze's
    # documented use before fork).
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # ended kernels are reaped by the system
    channel = socket.socket(fileno=fd)
    channel.sendall(json.dumps({"set_by_imports": set_by_imports}).encode() + b"\n")  # ready
    requests = channel.makefile("rb")
    for line in requests:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            requests.close()
            channel.close()
            _become_kernel(request["args"], request["env"])
        channel.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def _become_kernel(args: list[str], env: dict) -> None:
    """In the forked child: start the kernel as ``python -m ipykernel_launcher ARGS`` does; never returns."""
    code = 1
    try:
        os.setsid()  # its own session and process group, as jupyter_client starts a kernel
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(env)
        # The kernel ends when its parent does (ipykernel's ParentPollerUnix): its parent is the zygote. The
        # kernel reads JPY_PARENT_PID when its module is imported, which the zygote did: so it is told again.
        parent = str(os.getppid())
        os.environ["JPY_PARENT_PID"] = parent
        import importlib.util

        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin,  # as python -m sets it
                    *args, f"--IPKernelApp.parent_handle={parent}"]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - printed, as a kernel's start-up error would be
        import traceback

        traceback.print_exc()
    finally:
        try:
            _skip_namespace_reset()
            atexit._run_exitfuncs()  # as the interpreter does when a kernel process ends
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)  # never back into the zygote's loop


def _skip_namespace_reset() -> None:
    """IPython's exit empties the user's namespace (a full garbage collection of the notebook's tables
    and charts, about a quarter of a second a kernel) before it closes its history session; the
    process ends next, so the emptying only costs time. The history session is still closed."""
    from IPython.core.interactiveshell import InteractiveShell

    if InteractiveShell.initialized():
        InteractiveShell.instance().reset = lambda *args, **kwargs: None
