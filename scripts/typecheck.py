"""Run mypy over the installed ``listenlens`` namespace.

The repository keeps ``pipeline/``, ``service/`` and ``models/`` at the top level and maps
them into ``listenlens.*`` at install time (pyproject.toml, package-dir). mypy cannot follow
that mapping through an editable install's import hook, so this builds the same package
tree from symlinks in a temporary folder and checks it there; the configuration is
pyproject.toml's ``[tool.mypy]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import tomllib
from mypy import api

ROOT = Path(__file__).resolve().parent.parent


def package_tree(into: Path) -> Path:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    top = into / "listenlens"
    top.mkdir()
    for entry in (ROOT / mapping["listenlens"]).iterdir():
        if entry.name != "__pycache__":
            (top / entry.name).symlink_to(entry)
    for package, folder in mapping.items():
        if package != "listenlens":
            (into / package.replace(".", "/")).symlink_to(ROOT / folder, target_is_directory=True)
    return top


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="listenlens-mypy-") as tmp:
        package_tree(Path(tmp))
        os.chdir(tmp)
        out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "-p", "listenlens"] + sys.argv[1:])
        # Paths inside the temporary tree mean nothing afterwards; show them as the repository's.
        sys.stdout.write(out.replace(tmp + "/", ""))
        sys.stderr.write(err)
        return status


if __name__ == "__main__":
    raise SystemExit(main())
