"""Where recordings live: a local folder by default, or any fsspec location.

Keys are ``<tenant>/<call>/<file name>`` (the uploaded name, made safe). Writes land under a temporary name and are
renamed, so a crash never leaves a half-written recording that looks whole. Uploads are checked in
``upload-<pid>-<random>`` temp folders; ``clean_stale_uploads`` removes those a crash left behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Storage:
    def __init__(self, url: str):
        import fsspec

        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.local = _is_local(self.fs)
        if self.local:
            Path(self.root).mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> str:
        return f"{self.root.rstrip('/')}/{key}"

    def put(self, local_file: Path, key: str) -> None:
        dest = self._path(key)
        part = dest + ".part"
        if self.local:
            try:
                Path(dest).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(local_file, part)
                os.replace(part, dest)
            except BaseException:
                Path(part).unlink(missing_ok=True)  # a full or read-only disk leaves no half-written file
                raise
            return
        try:
            self.fs.put_file(str(local_file), part)
            self.fs.mv(part, dest)
        except BaseException:
            try:
                self.fs.rm(part)
            except Exception:
                pass
            raise

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """A local file holding the recording (downloaded first for remote stores)."""
        if self.local:
            yield Path(self._path(key))
            return
        with tempfile.TemporaryDirectory(prefix="listenlens-") as tmp:
            target = Path(tmp) / Path(key).name
            self.fs.get_file(self._path(key), str(target))
            yield target

    def open(self, key: str):
        return self.fs.open(self._path(key), "rb")

    def exists(self, key: str) -> bool:
        return self.fs.exists(self._path(key))

    def check_writable(self) -> None:
        """Write and remove a small file at the root; raises what the write raised."""
        path = self._path(f".readyz-{uuid.uuid4().hex}")
        if self.local:
            try:
                Path(path).write_bytes(b"ok\n")
            finally:
                Path(path).unlink(missing_ok=True)
            return
        self.fs.pipe_file(path, b"ok\n")
        self.fs.rm(path)

    def recordings(self) -> Iterator[tuple[str, float | None]]:
        """``(key, modified time)`` of every stored recording (``<tenant>/<call>/<name>``)."""
        root = self.root.rstrip("/")
        try:
            found = self.fs.find(root, detail=True)
        except FileNotFoundError:
            return
        for path, info in found.items():
            key = path[len(root):].lstrip("/") if path.startswith(root) else path
            if key.count("/") != 2:
                continue
            yield key, _mtime(info)

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            self.fs.rm(path)
        except FileNotFoundError:
            pass
        if self.local:
            # Drop the now-empty call and tenant folders so nothing of the call remains.
            parent = Path(path).parent
            for folder in (parent, parent.parent):
                try:
                    folder.rmdir()
                except OSError:
                    break


def _mtime(info: dict) -> float | None:
    value = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or info.get("updated")
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _is_local(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


# -- temp folders of uploads being checked (under LISTENLENS_HOME/tmp) -----------

UPLOAD_DIR_PREFIX = "upload-"


def upload_dir_name() -> str:
    """``upload-<pid>-<random>``: the pid tells start-up cleaning whether its owner is still running."""
    return f"{UPLOAD_DIR_PREFIX}{os.getpid()}-{uuid.uuid4().hex}"


def clean_stale_uploads(tmp_dir: Path, older_than_s: float, *, now: float | None = None) -> int:
    """Remove upload temp folders a crashed process left: its pid is gone, or it is older than ``older_than_s``."""
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(tmp_dir.glob(UPLOAD_DIR_PREFIX + "*"))
    except OSError:
        return 0
    for entry in entries:
        try:
            age = now - entry.stat().st_mtime
        except OSError:
            continue
        if age > older_than_s or not _owner_alive(entry.name):
            shutil.rmtree(entry, ignore_errors=True)
            removed += not entry.exists()
    return removed


def _owner_alive(name: str) -> bool:
    pid_text = name[len(UPLOAD_DIR_PREFIX):].split("-", 1)[0]
    if not pid_text.isdigit():
        return True  # not a name this code makes: only its age removes it
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: alive
    return True
