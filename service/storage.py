"""Where recordings live: a local folder by default, or any fsspec location.

Keys are ``<tenant>/<call>/<file name>`` (the uploaded name, made safe). Writes land under a temporary name and are
renamed, so a crash never leaves a half-written recording that looks whole.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


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
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local_file, part)
            os.replace(part, dest)
            return
        self.fs.put_file(str(local_file), part)
        self.fs.mv(part, dest)

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


def _is_local(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")
