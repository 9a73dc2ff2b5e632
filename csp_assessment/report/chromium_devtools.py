"""One headless Chromium for every PDF a process prints, driven over its DevTools protocol.

Why: started once per PDF (``chromium --print-to-pdf``), the browser spends about 0.9 CPU-seconds
starting before it prints anything, and a yearly run prints nine PDFs. Here the browser starts on a
process's first print and prints every later page too; it ends when the process exits (``atexit``),
when the process dies (the pipe it reads closes, and the kernel signals it: PR_SET_PDEATHSIG), or on
:func:`close_browsers`.

The protocol travels over ``--remote-debugging-pipe``: the browser reads commands from its file
descriptor 3 and writes replies and events to its descriptor 4, each message a JSON object ended by
a NUL byte (puppeteer's transport, packages/puppeteer-core/src/node/PipeTransport.ts: ``write(message);
write('\\0')`` and splitting what it reads at ``'\\0'``).

Each print loads its page in a target of its own in a browser context of its own, as Chromium's own
``--print-to-pdf`` does (components/headless/command_handler/headless_command.js, ``TargetPage.create``:
Target.createBrowserContext, Target.createTarget on about:blank, Target.attachToTarget with
``flatten: true``; ``load``: Page.enable, Page.setLifecycleEventsEnabled, Page.navigate, then the
lifecycle event ``load`` of the navigated frame), so several Dask worker threads can print at once
without sharing a page, and the pages print exactly as the command line prints them (same
Page.printToPDF options: see :data:`PRINT_OPTIONS`). A target whose page has printed is kept and
navigated to the next page: its renderer process, already started with its fonts and the notebooks'
stylesheet parsed, loads and prints the next page at about a third of the CPU a new one takes.
"""

from __future__ import annotations

import atexit
import base64
import fcntl
import itertools
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# What ``chromium --headless --no-pdf-header-footer --generate-pdf-document-outline --print-to-pdf``
# asks for (headless_command.js, printToPDF: displayHeaderFooter = !noHeaderFooter, generateTaggedPDF
# = !disablePDFTagging, printBackground: true, preferCSSPageSize: true; headless_command_handler.cc
# passes generateDocumentOutline for --generate-pdf-document-outline). Paper size and margins are
# left to the stylesheet's @page (preferCSSPageSize), as on the command line.
PRINT_OPTIONS = {"displayHeaderFooter": False, "generateTaggedPDF": True, "printBackground": True,
                 "preferCSSPageSize": True, "generateDocumentOutline": True}
START_SECONDS = 60  # to start and answer its first command
TIMEOUT_SECONDS = 600  # to print a page

# How the browser runs, whether it prints one page from the command line or every page over its
# DevTools pipe (below).
BROWSER_FLAGS = (["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []) + [
    # (--no-sandbox as root: Chromium refuses to run as root with its sandbox)
    "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-breakpad", "--disable-dev-shm-usage"]


def _libc_prctl():
    """prctl on Linux (to tie the browser's life to its caller's), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


PRCTL = _libc_prctl()  # looked up once here: the child after fork only calls it
_PR_SET_PDEATHSIG = 1


def end_with_caller() -> None:
    """In the browser process before it starts: end it when the thread that started it ends (the
    kernel's parent-death signal follows that thread), and so when the process printing ends (a
    killed or stopped run ends its export processes, and so its printing too)."""
    if PRCTL is not None:
        PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


class PipeFailed(RuntimeError):
    """The DevTools pipe could not be used (chromium_pdf.py prints from the command line instead)."""


class Browser:
    """A headless Chromium and its DevTools pipe. Thread-safe: each :meth:`page` is a target of its own."""

    def __init__(self, chromium: str):
        self.chromium = chromium
        self.owner = os.getpid()
        self.workdir = Path(tempfile.mkdtemp(prefix="csp-chromium-"))
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # the tables below, and whether the browser has closed
        # One message written at a time; a lock of its own, so the reading thread (which needs only
        # _lock) never waits behind a write.
        self._write_lock = threading.Lock()
        self._replies: dict[int, queue.Queue] = {}
        self._events: dict[str, queue.Queue] = {}
        self._idle: list[_Tab] = []  # targets whose page has printed, for the next pages
        self._closed = False
        self.process: subprocess.Popen | None = None
        self._write_fd: int | None = None  # our end of the browser's fd 3, once it has started
        started = queue.Queue()
        # The browser is started by the thread that reads its pipe, which lives as long as the
        # browser: PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, so a Dask
        # worker thread that started it and ended would end the browser too.
        self._reader = threading.Thread(target=self._start_and_read, args=(started,), daemon=True,
                                        name="csp-chromium-devtools")
        self._reader.start()
        try:
            failure = started.get(timeout=START_SECONDS)
        except queue.Empty:
            failure = PipeFailed(f"{chromium} did not start within {START_SECONDS}s")
        if failure is not None:
            self.close()
            raise failure
        try:
            self.send("Browser.getVersion", timeout=START_SECONDS)
        except PipeFailed:
            self.close()
            raise

    # ---- the pipe ----------------------------------------------------------------------------

    def _start_and_read(self, started: queue.Queue) -> None:
        to_browser_read, to_browser_write = os.pipe()
        from_browser_read, from_browser_write = os.pipe()

        def child_setup():  # in the child, before exec: the pipe's ends become its fds 3 and 4
            # copied above 10 first, so neither end is overwritten by the other's dup2
            read_end = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD_CLOEXEC, 10)
            write_end = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(read_end, 3)  # dup2 leaves the copy inheritable: it survives exec
            os.dup2(write_end, 4)
            end_with_caller()

        command = [self.chromium, *BROWSER_FLAGS, f"--user-data-dir={self.workdir / 'profile'}",
                   "--remote-debugging-pipe", "about:blank"]
        try:
            with open(self.workdir / "stderr.txt", "wb") as stderr:
                self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                stderr=stderr, close_fds=False, preexec_fn=child_setup)
        except OSError as exc:
            os.close(to_browser_write)
            os.close(from_browser_read)
            started.put(PipeFailed(f"{self.chromium}: {exc}"))
            return
        finally:
            os.close(to_browser_read)
            os.close(from_browser_write)
        self._write_fd = to_browser_write
        started.put(None)
        unfinished: list[bytes] = []  # a message arrives in many reads (a PDF in base64: megabytes)
        try:
            while chunk := os.read(from_browser_read, 1 << 20):
                if b"\0" not in chunk:
                    unfinished.append(chunk)
                    continue
                *messages, rest = chunk.split(b"\0")
                messages[0] = b"".join(unfinished) + messages[0]
                unfinished = [rest] if rest else []
                for message in messages:
                    self._dispatch(json.loads(message))
        except (OSError, ValueError):
            pass
        finally:
            os.close(from_browser_read)
            self._fail_all()

    def _dispatch(self, message: dict) -> None:
        with self._lock:
            if "id" in message:
                waiting = self._replies.pop(message["id"], None)
                if waiting is not None:
                    waiting.put(message)
            elif message.get("sessionId") in self._events:
                self._events[message["sessionId"]].put(message)

    def _fail_all(self) -> None:
        """The browser has gone: every command still waiting fails now rather than at its timeout."""
        with self._lock:
            self._closed = True
            waiting, self._replies = self._replies, {}
            sessions = list(self._events.values())
        for reply in waiting.values():
            reply.put({"error": {"message": "the browser closed its DevTools pipe"}})
        for events in sessions:
            events.put({"method": "Inspector.detached"})

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = TIMEOUT_SECONDS) -> dict:
        """Send one command and wait for its result."""
        reply: queue.Queue = queue.Queue(maxsize=1)
        with self._lock:
            if self._closed:
                raise PipeFailed(f"{method}: the browser has closed")
            number = next(self._ids)
            message = {"id": number, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            self._replies[number] = reply
        try:
            self._write(json.dumps(message).encode() + b"\0")
        except (OSError, TypeError) as exc:  # TypeError: closed meanwhile (no descriptor left)
            with self._lock:
                self._replies.pop(number, None)
            raise PipeFailed(f"{method}: {exc}") from exc
        try:
            answer = reply.get(timeout=timeout)
        except queue.Empty:
            raise PipeFailed(f"{method}: no answer within {timeout:.0f}s") from None
        if "error" in answer:
            raise PipeFailed(f"{method}: {answer['error'].get('message')} {self._stderr_tail()}".strip())
        return answer.get("result", {})

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            while data:
                data = data[os.write(self._write_fd, data):]

    def _stderr_tail(self) -> str:
        try:
            return (self.workdir / "stderr.txt").read_text(errors="replace").strip()[-300:]
        except OSError:
            return ""

    # ---- pages -------------------------------------------------------------------------------

    @contextmanager
    def page(self, url: str):
        """A target showing ``url`` once loaded. The target is kept for the next page when this one
        has printed (a warm renderer loads and prints a section's page for about a third of the CPU
        a new one takes: about 2 CPU-seconds a page less); one that failed is closed."""
        tab = self._idle_tab() or self._new_tab()
        reusable = False
        try:
            with self._lock:  # what the last page left unread
                events = self._events[tab.session]
            while not events.empty():
                events.get_nowait()
            navigated = self.send("Page.navigate", {"url": url}, session=tab.session)
            if navigated.get("errorText"):
                raise PipeFailed(f"{url}: {navigated['errorText']}")
            self._wait_for_load(tab.session, navigated["frameId"], navigated.get("loaderId"))
            yield Page(self, tab.session)
            reusable = True
        finally:
            with self._lock:
                if reusable and not self._closed:
                    self._idle.append(tab)
                    tab = None
            if tab is not None:
                self._close_tab(tab)

    def _idle_tab(self) -> _Tab | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def _new_tab(self) -> _Tab:
        """A target of its own in a browser context of its own, with its page and lifecycle events on."""
        context = self.send("Target.createBrowserContext")["browserContextId"]
        tab = _Tab(context)
        try:
            tab.target = self.send("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
            tab.session = self.send("Target.attachToTarget", {"targetId": tab.target, "flatten": True})["sessionId"]
            with self._lock:  # before Page.enable: the page's events come from then on
                self._events[tab.session] = queue.Queue()
            self.send("Page.enable", session=tab.session)
            self.send("Page.setLifecycleEventsEnabled", {"enabled": True}, session=tab.session)
        except BaseException:
            self._close_tab(tab)
            raise
        return tab

    def _close_tab(self, tab: _Tab) -> None:
        """Close the target and its browser context (nothing to do once the browser has gone)."""
        with self._lock:
            self._events.pop(tab.session, None)
        if not self._closed:
            try:
                if tab.target is not None:
                    self.send("Target.closeTarget", {"targetId": tab.target}, timeout=30)
                self.send("Target.disposeBrowserContext", {"browserContextId": tab.context}, timeout=30)
            except PipeFailed:
                pass  # the browser has gone or is going: nothing left to close

    def _wait_for_load(self, session: str, frame: str, loader: str | None) -> None:
        with self._lock:
            events = self._events[session]
        while True:
            try:
                event = events.get(timeout=TIMEOUT_SECONDS)
            except queue.Empty:
                raise PipeFailed("the page did not finish loading") from None
            if event.get("method") == "Inspector.detached":
                raise PipeFailed("the page's target closed while loading")
            found = event.get("params", {})
            if (event.get("method") == "Page.lifecycleEvent" and found.get("name") == "load"
                    and found.get("frameId") == frame and (loader is None or found.get("loaderId") == loader)):
                return

    def close(self) -> None:
        """End the browser (politely, then by force) and remove its profile."""
        with self._lock:
            self._closed = True
        process = self.process
        with self._write_lock:
            write_fd, self._write_fd = self._write_fd, None
            if write_fd is not None:
                if process is not None and process.poll() is None:
                    try:  # Browser.close, then our end of the pipe closed: the browser exits on either
                        os.write(write_fd, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
                    except OSError:
                        pass
                os.close(write_fd)
        if process is not None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass
class _Tab:
    """A target of the browser's, in a browser context of its own, and the session attached to it."""

    context: str
    target: str | None = None
    session: str | None = None


class Page:
    """A loaded page of a :class:`Browser`."""

    def __init__(self, browser: Browser, session: str):
        self.browser, self.session = browser, session

    def print_pdf(self, target: Path) -> None:
        data = self.browser.send("Page.printToPDF", PRINT_OPTIONS, session=self.session)["data"]
        pdf = base64.b64decode(data)
        if not pdf.startswith(b"%PDF-"):
            raise PipeFailed("Page.printToPDF did not return a PDF")
        Path(target).write_bytes(pdf)

    def evaluate(self, expression: str):
        """Run ``expression`` in the page and return its value. Runtime.evaluate is the DevTools
        client's, not a page script, so the print copy's ``script-src 'none'`` does not stop it
        (puppeteer's test "Page.setBypassCSP should bypass CSP meta tag", test/src/page.spec.ts: on
        a page whose CSP refuses scripts, addScriptTag fails while page.evaluate still answers)."""
        found = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                  session=self.session)
        if "exceptionDetails" in found:
            raise PipeFailed(f"Runtime.evaluate: {found['exceptionDetails'].get('text')}")
        return found.get("result", {}).get("value")


# ---- one browser per process ---------------------------------------------------------------------

_BROWSERS: dict[str, Browser] = {}
_CANNOT_START: dict[str, PipeFailed] = {}  # browsers that failed to start: not tried again
_BROWSERS_LOCK = threading.Lock()


def browser(chromium: str) -> Browser:
    """The process's browser, started on first use (and again if it has gone). One that could not
    start is not tried again by this process: each page is printed from the command line at once."""
    with _BROWSERS_LOCK:
        if chromium in _CANNOT_START:
            raise _CANNOT_START[chromium]
        running = _BROWSERS.get(chromium)
        if running is not None and (running.owner != os.getpid() or running._closed):
            if running.owner == os.getpid():
                running.close()
            running = None  # a forked copy's browser is its parent's: start our own
        if running is None:
            try:
                running = _BROWSERS[chromium] = Browser(chromium)
            except PipeFailed as failure:
                _CANNOT_START[chromium] = failure
                raise
        return running


def discard(running: Browser) -> None:
    """Close a browser that failed, so the next print starts a fresh one."""
    with _BROWSERS_LOCK:
        if _BROWSERS.get(running.chromium) is running:
            del _BROWSERS[running.chromium]
    running.close()


def close_browsers() -> None:
    """End every browser this process started (at exit, and for tests)."""
    with _BROWSERS_LOCK:
        running = [b for b in _BROWSERS.values() if b.owner == os.getpid()]
        _BROWSERS.clear()
        _CANNOT_START.clear()
    for each in running:
        each.close()


atexit.register(close_browsers)
