"""What a fetch brings, how it is made ready outside the data folder, and how it is put there.

Every file is first made whole and checked in the download cache (outside the data folder):
downloads resume there after an interruption, and a damaged download never reaches the data
folder. Only when every file of the fetch is ready are they moved in, each under a temporary
name and then renamed, and the fetch manifest written. A failure anywhere leaves the data
folder exactly as it was.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable
from urllib.parse import urlsplit

from ..provenance import sha256_file as sha256
from .http import Client, FetchError, NotFound
from .sources import mirrored
from .verify import Lacking, check_csv_header, check_file, check_mentions

MANIFEST_NAME = "fetch-manifest.json"


def default_cache_dir() -> Path:
    base = os.environ.get("CSP_FETCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "csp-assessment", "downloads")
    return Path(base)


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


@dataclass
class Ready:
    """A file made whole and checked in the cache, waiting to be put at ``target``."""

    target: str  # path inside the data folder, POSIX style
    staged: Path
    address: str  # where it came from: the publisher's address (an archive member as archive!member)


@dataclass(frozen=True)
class Gap:
    """A force's month the publisher did not publish: not in the archive, or answered with no
    crimes at all by the API. It stays missing (no file of zero crimes is written), and is
    reported in the run, in fetch's summary and, through the manifest, in the document's notes."""

    force: str
    month: str
    kind: str  # street, stop-and-search
    source: str  # where it was found missing: the archive's or the API's address
    reason: str = ""  # a known reason (sources.yaml police_uk.known_gaps), "" if none is known

    def sentence(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"{self.force} {self.month} {self.kind}: not published by data.police.uk ({self.source}){why}"


@dataclass
class Download:
    """One file from one address, kept as the publisher serves it."""

    address: str
    target: str
    kind: str  # zip, xlsx, xls, csv
    what: str
    header: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()  # codes a CSV must mention (e.g. the area's and England's)

    @property
    def targets(self) -> list[str]:
        return [self.target]

    def prepare(self, client: Client, cache: Path, mirror: str | None) -> list[Ready]:
        staged = cache / "ready" / _key(self.address) / PurePosixPath(self.target).name
        # A file found lacking is remembered, so that a rerun does not download it again.
        lacking = cache / "lacking" / f"{_key(self.address, *self.mentions)}.txt"
        if lacking.exists():
            raise Lacking(f"{lacking.read_text(encoding='utf-8')} (as found by an earlier fetch; delete {lacking} "
                          "to ask again)")
        if not staged.exists():
            part = cache / "partial" / f"{_key(self.address)}.part"
            client.download(mirrored(self.address, mirror), part, self.what)
            try:
                check_file(part, self.kind, self.what, header=self.header)
                check_mentions(part, self.what, self.mentions)
            except Lacking as exc:
                part.unlink(missing_ok=True)
                lacking.parent.mkdir(parents=True, exist_ok=True)
                lacking.write_text(str(exc), encoding="utf-8")
                raise
            except FetchError:
                part.unlink(missing_ok=True)  # damaged: the next try starts afresh
                raise
            staged.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, staged)
        return [Ready(self.target, staged, self.address)]


def _extract(zf: zipfile.ZipFile, member: str, staged: Path, check) -> None:
    """Copy ``member`` to ``staged`` through a temporary name, after ``check(path)`` passes."""
    staged.parent.mkdir(parents=True, exist_ok=True)
    tmp = staged.with_name(staged.name + ".tmp")
    try:
        with zf.open(member) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        check(tmp)
        os.replace(tmp, staged)
    finally:
        tmp.unlink(missing_ok=True)


def cached_archive(address: str, what: str, client: Client, cache: Path, mirror: str | None) -> Path:
    """The zip at ``address``, downloaded whole and checked into the cache (once)."""
    archive = cache / "archives" / f"{_key(address)}-{PurePosixPath(urlsplit(address).path).name}"
    if not archive.exists():
        part = cache / "partial" / f"{_key(address)}.part"
        client.download(mirrored(address, mirror), part, what)
        try:
            check_file(part, "zip", what)
        except FetchError:
            part.unlink(missing_ok=True)  # damaged: the next try starts afresh
            raise
        archive.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, archive)
    return archive


@dataclass
class FileInZip:
    """The one file matching ``pattern`` inside a zip the publisher serves it in (ONS small-area
    estimates come zipped), put in ``folder`` under its own name."""

    address: str
    folder: str
    pattern: str
    kind: str
    what: str

    @property
    def targets(self) -> list[str]:
        return []  # its name is known once the zip is opened

    def prepare(self, client: Client, cache: Path, mirror: str | None) -> list[Ready]:
        archive = cached_archive(self.address, self.what, client, cache, mirror)
        try:
            with zipfile.ZipFile(archive) as zf:
                matches = [n for n in zf.namelist()
                           if fnmatch.fnmatch(PurePosixPath(n).name.lower(), self.pattern.lower())]
                if len(matches) != 1:
                    raise FetchError(f"{self.what}: expected one file matching {self.pattern} in the zip, found "
                                     f"{len(matches)} ({', '.join(matches) or 'none'}); fix the member in "
                                     "csp_assessment/fetch/sources.yaml")
                name = PurePosixPath(matches[0]).name
                staged = cache / "ready" / _key(self.address, matches[0]) / name
                if not staged.exists():
                    _extract(zf, matches[0], staged, lambda path: check_file(path, self.kind, f"{self.what}: {name}"))
        except (zipfile.BadZipFile, EOFError) as exc:  # a member failing its checksum as it is copied
            archive.unlink(missing_ok=True)
            raise FetchError(f"{self.what}: the zip in the cache could not be read ({exc}); run fetch again to "
                             "download it afresh") from None
        return [Ready(f"{self.folder}/{name}", staged, f"{self.address}!{matches[0]}")]


@dataclass
class ArchiveMembers:
    """Some files out of a zip archive (data.police.uk's monthly archive), under their own names.

    ``members`` maps a member's path in the archive to its target; a ``required`` member (a
    street file) that is absent is a :class:`Gap`, returned beside the files (the others, e.g.
    stop-and-search files that not every force publishes, may be absent without a word).
    The archive stays in the cache, so other months or forces are taken from it without a new
    download."""

    address: str
    members: dict[str, str]
    required: set[str]
    what: str
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # member -> columns its header must hold
    gaps: dict[str, Gap] = field(default_factory=dict)  # required member -> the gap its absence is

    @property
    def targets(self) -> list[str]:
        return list(self.members.values())

    def prepare(self, client: Client, cache: Path, mirror: str | None) -> list[Ready]:
        try:
            archive = cached_archive(self.address, self.what, client, cache, mirror)
        except NotFound as exc:
            raise NotFound(f"{exc}. data.police.uk publishes a month's archive some weeks after the month "
                           "ends: for a month not yet published, end the period earlier (--to)") from None
        ready = []
        try:
            with zipfile.ZipFile(archive) as zf:
                names = set(zf.namelist())
                # A force's month missing from the archive was not published: a gap, reported, not a failure.
                ready += [self.gaps[member] for member in sorted(self.required) if member not in names]
                for member, target in self.members.items():
                    if member not in names:
                        continue
                    staged = cache / "ready" / _key(self.address, member) / PurePosixPath(member).name
                    if not staged.exists():
                        _extract(zf, member, staged, lambda path, member=member: self._check(path, member))
                    ready.append(Ready(target, staged, f"{self.address}!{member}"))
        except (zipfile.BadZipFile, EOFError) as exc:
            archive.unlink(missing_ok=True)  # damaged in the cache since it was checked
            raise FetchError(f"{self.what}: the archive in the cache could not be read ({exc}); run fetch again "
                             "to download it afresh") from None
        except OSError as exc:  # e.g. a full disk: the archive itself is fine, and kept
            raise FetchError(f"{self.what}: could not take the files out of the archive ({exc})") from None
        return ready

    def _check(self, path: Path, member: str) -> None:
        if member in self.headers:
            with open(path, "rb") as fh:
                check_csv_header(fh.read(64 * 1024), f"{self.what}: {member}", self.headers[member])


@dataclass
class Assembled:
    """A file the fetcher writes from API answers (JSON) in the publisher's download layout."""

    address: str  # the API address it is assembled from, for the manifest
    target: str
    what: str
    # (client, mirror) -> the file's bytes (or bytes and notes for the run), or a Gap
    make: Callable[[Client, str | None], "bytes | tuple[bytes, list[str]] | Gap"]
    header: tuple[str, ...] = ()

    @property
    def targets(self) -> list[str]:
        return [self.target]

    def prepare(self, client: Client, cache: Path, mirror: str | None) -> list:
        staged = cache / "ready" / _key(self.address, self.target) / PurePosixPath(self.target).name
        notes: list[str] = []
        if not staged.exists():
            body = self.make(client, mirror)
            if isinstance(body, Gap):
                return [body]  # asked again by the next fetch: the publisher may fill it
            if isinstance(body, tuple):  # (bytes, notes for the run)
                body, notes = body
            if self.header:
                check_csv_header(body[:64 * 1024], self.what, self.header)
            staged.parent.mkdir(parents=True, exist_ok=True)
            tmp = staged.with_name(staged.name + ".tmp")
            tmp.write_bytes(body)
            os.replace(tmp, staged)
        return [Ready(self.target, staged, self.address), *notes]


# ---- the manifest and putting files in place -----------------------------------------------


def read_manifest(data_dir: Path) -> dict:
    path = Path(data_dir) / MANIFEST_NAME
    if not path.exists():
        return {"files": {}}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"files": {}}


def merged_gaps(manifest: dict, gaps: list[Gap], placed: set[str]) -> dict:
    """The manifest's gaps with this fetch's: keyed "force month kind", each as first found; a
    gap this fetch filled (its file placed now) is dropped."""
    merged = dict(manifest.get("gaps") or {})
    for gap in gaps:
        key = f"{gap.force} {gap.month} {gap.kind}"
        merged.setdefault(key, {"force": gap.force, "month": gap.month, "kind": gap.kind, "source": gap.source,
                                "reason": gap.reason,
                                "found_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    for target in placed:
        name = PurePosixPath(target).name  # YYYY-MM-<force>-street.csv
        for key, gap in list(merged.items()):
            if name == f"{gap['month']}-{gap['force']}-{gap['kind']}.csv":
                del merged[key]
    return dict(sorted(merged.items()))


def place(ready: list[Ready], data_dir: Path, mirror: str | None, gaps: list[Gap] = ()) -> list[str]:
    """Move every ready file into ``data_dir`` and record it in the manifest, with the months the
    publisher did not publish (``gaps``). Never replaces a file already there. All or nothing: if
    one cannot be placed, those placed before it are taken out."""
    data_dir = Path(data_dir)
    placed: list[Path] = []
    made_dirs: list[Path] = []
    manifest = read_manifest(data_dir)
    entries = {}
    try:
        for item in ready:
            target = data_dir / PurePosixPath(item.target)
            if target.exists():
                continue  # a file the user put there (or an earlier fetch): never overwritten
            missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
            for folder in reversed(missing):
                folder.mkdir()
                made_dirs.append(folder)
            tmp = target.with_name(f".{target.name}.fetching")
            shutil.copyfile(item.staged, tmp)
            os.replace(tmp, target)
            placed.append(target)
            entries[item.target] = {"address": item.address, "fetched_at": datetime.now(timezone.utc).isoformat(
                timespec="seconds"), "sha256": sha256(target), "bytes": target.stat().st_size,
                **({"mirror": mirror} if mirror else {})}
        manifest.setdefault("files", {}).update(entries)
        gaps_now = merged_gaps(manifest, list(gaps), set(entries))
        if entries or gaps_now != (manifest.get("gaps") or {}):  # else nothing new: the folder stays as it was
            manifest["gaps"] = gaps_now
            if not gaps_now:
                del manifest["gaps"]
            data_dir.mkdir(parents=True, exist_ok=True)
            tmp = data_dir / f".{MANIFEST_NAME}.fetching"
            tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, data_dir / MANIFEST_NAME)
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        for tmp in [data_dir / f".{MANIFEST_NAME}.fetching"] + [
                (data_dir / PurePosixPath(r.target)).with_name(f".{PurePosixPath(r.target).name}.fetching")
                for r in ready]:
            tmp.unlink(missing_ok=True)
        for folder in reversed(made_dirs):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    for item in ready:  # placed: the cache copies are no longer needed (archives stay for reuse)
        item.staged.unlink(missing_ok=True)
    return [str(p) for p in placed]
