"""The package's face and the command line start at once: what each imports, in a fresh process.

``import outcomes`` imports no module of the package until a public name is used; ``outcomes
--help``, ``outcomes COMMAND --help`` and ``outcomes --version`` import neither pandas nor any heavy
library; ``outcomes validate`` imports the loader (pandas, pyarrow) but no statistics, plotting,
dashboard or workbook library for a CSV bundle. The timings themselves are in ``make bench``.
"""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import outcomes
from outcomes.errors import DataQualityWarning

ROOT = Path(__file__).resolve().parents[1]
#: Libraries that no command may import unless it needs them.
HEAVY = ("matplotlib", "statsmodels", "scipy.stats", "ipywidgets", "openpyxl")
#: What a command that reads no data has no use for either.
DATA = ("pandas", "numpy", "pyarrow")
MARK = "--- modules ---"


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def modules_after(*argv: str) -> tuple[int, str, set[str]]:
    """Run the console entry point with ``argv`` in a fresh process: (status, stdout, modules)."""
    probe = (  # console() without its last step (exit_now)
        "import json, sys\n"
        "from outcomes.cli import main, one_blas_thread\n"
        "one_blas_thread()\n"
        "status = main()\n"
        f"print({MARK!r}, json.dumps(sorted(sys.modules)))\n"
        "sys.exit(status)\n"
    )
    proc = run_python(probe, *argv)
    out, _, modules = proc.stdout.rpartition(MARK)
    assert modules, proc.stderr
    return proc.returncode, out, set(json.loads(modules))


@pytest.mark.parametrize("argv", [["--help"], ["report", "--help"], ["--version"]],
                         ids=" ".join)
def test_help_and_version_import_nothing_heavy(argv):
    status, out, modules = modules_after(*argv)
    assert status == 0
    assert "outcomes" in out
    assert sorted(modules & {*HEAVY, *DATA}) == []


def test_validate_imports_only_the_loader():
    status, out, modules = modules_after("validate", "data/sample")
    assert status == 1, out  # the sample has quarantined rows
    assert "quarantined" in out
    assert "pandas" in modules  # the probe does see what a command imports
    assert sorted(modules & set(HEAVY)) == []


def test_import_outcomes_imports_no_room():
    proc = run_python("import sys, outcomes\n"
                      "print([m for m in sys.modules if m.startswith('outcomes.')])\n"
                      "print(sorted({*outcomes.__all__} - set(dir(outcomes))))")
    assert proc.stdout.split() == ["[]", "[]"], proc.stderr


def test_every_public_name_is_the_object_its_module_defines():
    # in a fresh process, each name through the face before its module is imported otherwise
    proc = run_python(
        "import importlib, outcomes\n"
        "for name, where in outcomes._PUBLIC.items():\n"
        "    value = getattr(outcomes, name)\n"
        "    module = importlib.import_module('outcomes.' + where)\n"
        "    defined = getattr(value, '__module__', module.__name__)\n"
        "    if value is not getattr(module, name) or defined != module.__name__:\n"
        "        print(name, 'is', defined, 'not', module.__name__)\n"
        "print('done')\n")
    assert proc.stdout == "done\n", proc.stdout + proc.stderr
    assert outcomes.__all__ == list(outcomes._PUBLIC)
    assert outcomes.__all__[0] == "__version__"
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        outcomes.nonexistent  # noqa: B018


CALL_BOTH = """
import tempfile, warnings
import outcomes
from outcomes.audit.run import AuditResult
warnings.simplefilter("ignore")
tables = outcomes.simulate(60, seed=3)
with tempfile.TemporaryDirectory() as folder:
    outcomes.write_bundle(tables, folder, format="csv")
    result = outcomes.audit(outcomes.load_bundle(folder))
assert isinstance(result, AuditResult) and len(result.checks) > 0
assert len(tables["sessions"]) > 60
print("called")
"""


@pytest.mark.parametrize("first", [
    "import outcomes.audit.quality, outcomes.simulate.draw",  # the packages shadow the functions
    "import outcomes; outcomes.audit, outcomes.simulate\n"  # the functions, then the packages
    "import outcomes.audit.quality, outcomes.simulate.draw",
], ids=["submodules first", "functions first"])
def test_audit_and_simulate_can_be_called_whatever_was_imported_first(first):
    proc = run_python(first + "\n" + CALL_BOTH)
    assert proc.stdout == "called\n", proc.stderr


def test_face_examples_run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # the sample has faults, on purpose
        result = doctest.testmod(outcomes,
                                 optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 4 and result.failed == 0
