"""Where a price file comes from: a local path polled for changes, or an https:// URL.

Both answer one question, `poll(meta)`: is there a file the kiosk has not handled yet?
`meta` is the price book's record (`PriceBook.meta`): the hash of the prices in use,
of a file already refused, a URL's validators. So a file is imported once, a bad one is
refused (and logged) once, and a restart does neither again.

The path is polled, not watched: a stat per poll (mtime, size, inode) and a hash only
when those moved, so a `touch` or a copy of the same file imports nothing, and no
inotify dependency is needed for a file that changes once a night. The URL is asked
with `If-None-Match` / `If-Modified-Since`; a 304 costs a few hundred bytes. Its client
is handed in (the daemon builds it with the API's trust store and proxy); this package
sits beside the API package and does not import it, nor httpx until a URL is polled.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.atomic import remove_file
from kiosk.config import mask_url

if TYPE_CHECKING:
    import httpx

__all__ = ["Candidate", "FileSource", "Source", "UrlSource", "refused_key"]

logger = logging.getLogger(__name__)

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Candidate:
    """A file to import: where it is, what to call it, its hash, what to remember after."""

    path: Path
    label: str
    sha256: str
    notes: dict[str, str] = field(default_factory=dict)
    temporary: bool = False  # a download: removed once handled

    def discard(self) -> None:
        if self.temporary:
            remove_file(self.path, "price file download")


class Source(Protocol):
    label: str

    def poll(self, meta: Mapping[str, str]) -> Candidate | None:
        """A file not handled yet, or None; never raises for the source's own trouble."""

    def reset(self) -> None:
        """Forget what this source has seen: the next poll offers its file again (after
        an import that failed for a reason not the file's)."""


def refused_key(label: str) -> str:
    """The meta key holding the hash of the last file from `label` that was refused."""
    return f"refused {label}"


def _new(meta: Mapping[str, str], label: str, sha256: str) -> bool:
    return sha256 not in (meta.get("sha256"), meta.get(refused_key(label)))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FileSource:
    """A price file at a local path (dropped by Ansible, SFTP, from a USB stick)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        self._stat: tuple[int, int, int] | None = None
        self._missing_logged = False

    def poll(self, meta: Mapping[str, str]) -> Candidate | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if not self._missing_logged:
                logger.info("no price file at %s yet; the prices in use stay", self.path)
                self._missing_logged = True
            self._stat = None
            return None
        except OSError as exc:
            logger.warning("price file %s cannot be read: %s", self.path, exc.strerror)
            return None
        self._missing_logged = False
        stat = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stat == self._stat:
            return None
        try:
            sha256 = file_sha256(self.path)
        except OSError as exc:
            logger.warning("price file %s cannot be read: %s", self.path, exc.strerror)
            return None
        self._stat = stat
        return Candidate(self.path, self.label, sha256) if _new(meta, self.label, sha256) else None

    def reset(self) -> None:
        self._stat = None


class UrlSource:
    """A price file at an https:// URL, polled with conditional requests.

    `extensions` gives each request's httpx extensions: the daemon passes the API
    transport's bounds (a deadline and a byte limit its hooks enforce); the byte limit
    is also kept here, so any client will do in tests."""

    def __init__(self, url: str, client: httpx.Client, download_dir: Path, max_bytes: int,
                 extensions: Callable[[], dict[str, Any]] = dict) -> None:
        self.url = url
        self.label = mask_url(url)
        self.client = client
        self.download_dir = download_dir
        self.max_bytes = max_bytes
        self.extensions = extensions
        self._trouble: str | None = None

    def poll(self, meta: Mapping[str, str]) -> Candidate | None:
        import httpx  # only a kiosk with a URL loads it; `kiosk check-prices` never does

        headers = {"Accept": "text/csv, application/x-ndjson, */*"}
        if etag := meta.get(f"etag {self.label}"):
            headers["If-None-Match"] = etag
        if modified := meta.get(f"last-modified {self.label}"):
            headers["If-Modified-Since"] = modified
        try:
            return self._get(headers, meta)
        except (httpx.HTTPError, OSError) as exc:
            self._say(f"{type(exc).__name__}")
            return None

    def reset(self) -> None:
        """Nothing to forget: a URL's validators are kept only once its file was handled."""

    def _get(self, headers: dict[str, str], meta: Mapping[str, str]) -> Candidate | None:
        with self.client.stream("GET", self.url, headers=headers,
                                extensions=self.extensions()) as response:
            if response.status_code == 304:
                self._say(None)
                return None
            if response.status_code != 200:
                self._say(f"HTTP {response.status_code}")
                return None
            notes = {f"etag {self.label}": response.headers.get("ETag", ""),
                     f"last-modified {self.label}": response.headers.get("Last-Modified", "")}
            got = self._download(response.iter_bytes())
        if got is None:
            return None
        path, sha256 = got
        self._say(None)
        candidate = Candidate(path, self.label, sha256, notes, temporary=True)
        if not _new(meta, self.label, sha256):
            candidate.discard()
            return None
        return candidate

    def _download(self, chunks: Any) -> tuple[Path, str] | None:
        self.download_dir.mkdir(parents=True, exist_ok=True)
        path = self.download_dir / "prices.download"
        digest = hashlib.sha256()
        size = 0
        with path.open("wb") as f:
            for chunk in chunks:
                size += len(chunk)
                if size > self.max_bytes:
                    break
                digest.update(chunk)
                f.write(chunk)
        if size > self.max_bytes:
            remove_file(path, "price file download")
            self._say(f"larger than the limit of {self.max_bytes} bytes (prices.max_mb)")
            return None
        return path, digest.hexdigest()

    def _say(self, trouble: str | None) -> None:
        """One journal line when fetching starts failing or works again, not one a poll."""
        if trouble == self._trouble:
            return
        if trouble is None:
            logger.info("price file %s can be fetched again", self.label)
        else:
            logger.warning("price file %s cannot be fetched: %s; the prices in use stay",
                           self.label, trouble)
        self._trouble = trouble
