"""Polite, resumable HTTP downloads with the standard library.

Every request carries the project's User-Agent; failures that may pass (no connection, timeouts,
5xx, 429) are retried with exponential back-off, honouring ``Retry-After``; refusals (401, 403)
and "not found" (404, 410) are not, because asking again will not help. A download goes to a
``.part`` file that a later attempt (or a later run) resumes with an HTTP Range request.
"""

from __future__ import annotations

import email.utils
import http.client
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

CHUNK = 1 << 16


class FetchError(RuntimeError):
    """A download failed; the message names what, from where, and what to do."""


class NotFound(FetchError):
    """The server says the address holds nothing (404/410): unpublished, or moved."""


@dataclass(frozen=True)
class Politeness:
    user_agent: str
    concurrent_requests: int = 3
    attempts: int = 5
    backoff_seconds: float = 2.0
    max_wait_seconds: float = 300.0
    timeout_seconds: float = 60.0


class StatusError(FetchError):
    """The server answered with a status the caller asked to handle itself."""

    def __init__(self, status: int, url: str):
        super().__init__(f"HTTP {status} from {url}")
        self.status = status


class _Retryable(Exception):
    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.wait = wait


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RateLimit:
    """A leaky bucket, as data.police.uk meters its API ("15 requests per second with a burst of
    30"): ``per_second`` requests a second on average, and never more than ``burst`` within any
    one second. The bucket holds ``burst - per_second``, so a full bucket and the second's drain
    together stay within ``burst``. :meth:`wait` returns when a request may go."""

    def __init__(self, per_second: float, burst: int, *, clock=time.monotonic, sleep=time.sleep):
        self.per_second = float(per_second)
        self.size = max(1, int(burst - per_second))  # the bucket's
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._level = 0.0  # requests in the bucket, draining at per_second
        self._at = None

    def wait(self) -> float:
        """Wait for room in the bucket, then take it; returns the seconds waited."""
        with self._lock:  # requests leave one at a time, so the bucket is never overfilled
            now = self._clock()
            if self._at is None:
                self._at = now
            self._level = max(0.0, self._level - max(0.0, now - self._at) * self.per_second)
            self._at = max(self._at, now)
            wait = max(0.0, (self._level + 1 - self.size) / self.per_second)
            if wait:
                self._sleep(wait)
                self._level -= wait * self.per_second
                self._at += wait
            self._level += 1
            return wait


class Client:
    """Makes the requests. At most ``concurrent_requests`` are open at once, whatever the number
    of threads using the client; requests to a host of ``rate_limits`` ({host: RateLimit}) are
    paced to its limit."""

    def __init__(self, polite: Politeness, *, progress: bool = True, sleep=time.sleep,
                 rate_limits: dict[str, RateLimit] | None = None):
        self.polite = polite
        self.progress = progress
        self._slots = threading.BoundedSemaphore(max(1, polite.concurrent_requests))
        self._sleep = sleep
        self.rate_limits = dict(rate_limits or {})

    def pace(self, host: str, per_second: float, burst: int) -> None:
        """Keep requests to ``host`` within ``per_second`` (bursts of ``burst``)."""
        self.rate_limits.setdefault(host, RateLimit(per_second, burst, sleep=self._sleep))

    def _paced(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        # Through a mirror the publisher's host is the first part of the path (sources.mirrored).
        for host in (parts.netloc, parts.path.lstrip("/").split("/", 1)[0]):
            if host in self.rate_limits:
                self.rate_limits[host].wait()
                return

    # ---- the retry loop ------------------------------------------------------------------

    def _with_retries(self, url: str, what: str, attempt_once):
        last = ""
        for attempt in range(1, self.polite.attempts + 1):
            try:
                with self._slots:
                    return attempt_once()
            except StatusError:
                raise
            except NotFound as exc:
                raise NotFound(f"{what}: {exc}. It is not published yet, or it has moved: check the publisher's "
                               "site, and the address in csp_assessment/fetch/sources.yaml") from None
            except FetchError as exc:
                raise FetchError(f"{what}: {exc}") from None
            except _Retryable as exc:
                last = str(exc)
                if attempt == self.polite.attempts:
                    break
                wait = exc.wait if exc.wait is not None else self.polite.backoff_seconds * 2 ** (attempt - 1)
                wait = min(wait, self.polite.max_wait_seconds)
                print(f"  {what}: {last}; trying again in {wait:g} s ({attempt}/{self.polite.attempts})",
                      file=sys.stderr)
                self._sleep(wait)
        raise FetchError(f"{what}: {last} after {self.polite.attempts} tries ({url}). Check the connection "
                         "(is this machine online? a proxy?) and run fetch again: it resumes where it stopped")

    def _open(self, url: str, headers: dict | None = None, data: bytes | None = None, own: tuple[int, ...] = ()):
        request = urllib.request.Request(url, data=data, headers={"User-Agent": self.polite.user_agent,
                                                                  **(headers or {})})
        self._paced(url)
        try:
            return urllib.request.urlopen(request, timeout=self.polite.timeout_seconds)
        except urllib.error.HTTPError as exc:
            status = exc.code
            wait = retry_after_seconds(exc.headers.get("Retry-After")) if exc.headers else None
            exc.close()
            if status in own:
                raise StatusError(status, url) from None
            if status in (404, 410):
                raise NotFound(f"HTTP {status}: nothing at {url}") from None
            if status == 416:
                raise  # the caller handles a Range beyond the end
            if status == 429 or status >= 500:
                raise _Retryable(f"HTTP {status} from the server", wait) from None
            raise FetchError(f"HTTP {status}: the server refused {url}. Check the address in "
                             "csp_assessment/fetch/sources.yaml against the publisher's site; if it is right, the "
                             "publisher may be refusing automated downloads for now: try again later") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise _Retryable(f"no connection ({reason})") from None

    # ---- small requests (API JSON) -------------------------------------------------------

    def get_bytes(self, url: str, what: str, *, data: bytes | None = None, headers: dict | None = None,
                  own: tuple[int, ...] = ()) -> bytes:
        """The body at ``url`` (POSTing ``data`` if given). Statuses in ``own`` raise
        :class:`StatusError` at once, for the caller to handle."""
        def once():
            response = self._open(url, headers, data, own)
            try:
                body = response.read()
            except (socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                raise _Retryable(f"connection lost while reading ({exc})") from None
            finally:
                response.close()
            expected = response.headers.get("Content-Length")
            if expected and expected.isdigit() and len(body) != int(expected):
                raise _Retryable(f"response cut short ({len(body):,} of {int(expected):,} bytes)")
            return body

        return self._with_retries(url, what, once)

    # ---- files ---------------------------------------------------------------------------

    def download(self, url: str, part: Path, what: str) -> int:
        """Download ``url`` into ``part``, resuming whatever ``part`` already holds. Returns its size.

        The size is checked against Content-Length (or Content-Range); a connection that ends
        early is resumed from where it stopped."""
        part.parent.mkdir(parents=True, exist_ok=True)

        def once():
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                response = self._open(url, headers)
            except urllib.error.HTTPError as exc:  # 416: what we hold is already the whole file, or stale
                exc.close()
                part.unlink(missing_ok=True)
                raise _Retryable("the partial download did not match the file on the server; starting again", 0)
            with response:
                if have and response.status == 206:
                    total = _content_range_total(response.headers.get("Content-Range"))
                    mode = "ab"
                else:  # the server ignored Range (or nothing to resume): start from the beginning
                    have, mode = 0, "wb"
                    length = response.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
                           desc=what[:40], disable=not self.progress, leave=False, file=sys.stderr)
                size = have
                try:
                    with open(part, mode) as out:
                        while True:
                            try:
                                chunk = response.read(CHUNK)
                            except (socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                                raise _Retryable(f"connection lost after {size:,} bytes ({exc})") from None
                            if not chunk:
                                break
                            out.write(chunk)
                            size += len(chunk)
                            bar.update(len(chunk))
                finally:
                    bar.close()
                if total is not None and size != total:
                    # Kept for the next try to resume from.
                    raise _Retryable(f"download cut short ({size:,} of {total:,} bytes)")
                if self.progress:
                    print(f"  downloaded {what} ({tqdm.format_sizeof(size, 'B', 1024)})", file=sys.stderr)
                return size

        return self._with_retries(url, what, once)


def _content_range_total(value: str | None) -> int | None:
    """Total size from 'bytes 100-999/1000'."""
    if value and "/" in value:
        total = value.rsplit("/", 1)[1].strip()
        if total.isdigit():
            return int(total)
    return None
