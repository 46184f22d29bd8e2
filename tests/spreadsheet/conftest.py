"""Fixtures of the spreadsheet tests: LibreOffice Calc, headless, opening and saving workbooks.

Set-up (``make test-spreadsheet`` runs it): ``bash tests/spreadsheet/setup.sh`` installs
Debian's ``libreoffice-calc-nogui`` and ``python3-uno``. Each run uses a user profile in a
temporary folder, so nothing of the user's LibreOffice set-up is read or written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SYSTEM_PYTHON = "/usr/bin/python3"  # the interpreter that has LibreOffice's uno module
OFFICE_SECONDS = 180


@pytest.fixture(scope="session")
def office(tmp_path_factory):
    """A function ``save(source, folder) -> Path``: ``source`` opened and saved by Calc."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: run bash tests/spreadsheet/setup.sh"
    profile = tmp_path_factory.mktemp("libreoffice-profile")
    env = {**os.environ, "HOME": str(profile)}

    def save(source: Path, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
             "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(folder),
             str(source)],
            check=True, capture_output=True, timeout=OFFICE_SECONDS, env=env)
        saved = folder / (source.stem + ".xlsx")
        assert saved.exists(), f"LibreOffice wrote nothing for {source.name}"
        return saved

    return save


@pytest.fixture(scope="session")
def typist(tmp_path_factory):
    """A function ``type_into(source, target, cells)``: ``cells`` ({sheet: rows of text})
    typed into ``source`` by Calc as at the keyboard, saved as ``target``."""
    profile = tmp_path_factory.mktemp("libreoffice-typist")

    def type_into(source: Path, target: Path, cells: dict) -> Path:
        spec = target.with_suffix(".json")
        spec.write_text(json.dumps(cells), "utf-8")
        subprocess.run([SYSTEM_PYTHON, str(HERE / "type_into.py"), str(source), str(target),
                        str(spec), str(profile)], check=True, capture_output=True,
                       timeout=OFFICE_SECONDS, env={**os.environ, "HOME": str(profile)})
        assert target.exists(), f"LibreOffice wrote nothing for {source.name}"
        return target

    return type_into
