"""The notebooks: each runs top to bottom in a fresh kernel and shows what it promises; each is
committed thin (public API only, no logic) and without outputs.

Notebooks run with nbclient in the kernel named ``python3`` (``make`` installs this
environment's kernel under that name), in ``notebooks/`` as their working directory, on the
shipped sample bundle. Parameters are injected as papermill does: a cell tagged
``injected-parameters`` is inserted after the cell tagged ``parameters``. Whatever a notebook
writes goes to a temporary folder.
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from pathlib import Path

import nbformat
import pytest

import outcomes

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SAMPLE = ROOT / "data" / "sample"
NAMES = ["clinician_dashboard.ipynb", "research_report.ipynb", "quality_audit.ipynb"]
KERNEL = "python3"
TIMEOUT = 600  # seconds per cell: a loaded two-core machine imports slowly
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def inject(nb, **parameters):
    """Insert a cell setting ``parameters`` after the ``parameters`` cell (papermill's way)."""
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(index + 1, cell)
    return nb


def execute(name: str, tmp_path: Path, **parameters):
    """Run a notebook in a fresh kernel, in ``notebooks/``; return the executed notebook."""
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    if parameters:
        inject(nb, **parameters)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the kernel's own backend
    env["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=TIMEOUT,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute(env=env)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, errors
    return nb


def outputs_text(nb) -> str:
    """Every text and HTML output of a notebook, joined."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                for mime in ("text/plain", "text/html"):
                    if mime in out.data:
                        parts.append(out.data[mime])
    return "\n".join(parts)


@pytest.fixture(scope="module")
def log():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outcomes.DataQualityWarning)
        return outcomes.load_bundle(SAMPLE)


# ------------------------------------------------------------------------- running them
def test_clinician_dashboard(tmp_path):
    nb = execute("clinician_dashboard.ipynb", tmp_path)
    views = [o for c in nb.cells for o in c.get("outputs", [])
             if WIDGET_VIEW in o.get("data", {})]
    assert views, "the dashboard was not displayed as widgets"
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    html = "\n".join(str(m["state"].get("value", "")) for m in state.values()
                     if m["model_name"] == "HTMLModel")
    for claim in outcomes.load_catalogue().claims:
        assert claim.id in html, f"claim {claim.id} is missing from the dashboard"
    assert re.search(r"[\d,]+ patients · [\d,]+ courses · [\d,]+ sessions", html)
    images = [m for m in state.values() if m["model_name"] == "ImageModel"]
    assert len(images) == 2


def test_research_report(tmp_path, log):
    out = tmp_path / "report"
    nb = execute("research_report.ipynb", tmp_path, out=str(out))
    text = outputs_text(nb)
    for claim in outcomes.load_catalogue().claims:
        assert claim.id in text, f"claim {claim.id} is missing from the claims table"
    assert (out / "report.html").is_file()
    assert (out / "tables.xlsx").is_file()
    assert list((out / "tables").glob("*.csv"))


def test_research_report_parameters(tmp_path):
    """Conditions and min_cell given as parameters reach the exports."""
    import pandas as pd

    out = tmp_path / "report"
    execute("research_report.ipynb", tmp_path, out=str(out), conditions=["acne_scars"],
            min_cell=10)
    by_condition = pd.read_csv(out / "tables" / "by_condition.csv")
    assert set(by_condition["condition"]) <= {"acne_scars", "all"}
    assert "&lt;10" in (out / "report.html").read_text(encoding="utf-8")


def test_quality_audit(tmp_path, log):
    out = tmp_path / "audit"
    nb = execute("quality_audit.ipynb", tmp_path, out=str(out))
    text = outputs_text(nb)
    expected = outcomes.audit(log)
    verdict = "PASSED" if expected.passed else "FAILED"
    assert f"{verdict} ({len(expected.checks) - len(expected.failed)} of " \
           f"{len(expected.checks)} checks pass)" in text
    for check in expected.failed["id"]:
        assert check in text, f"failed check {check} is not shown"
    for dimension in expected.config.flag_dimensions:
        for group in expected.signals.flagged_groups(dimension):
            assert str(group) in text
    for name in ("audit.html", "audit.json", "audit.xlsx"):
        assert (out / name).is_file()


# ------------------------------------------------------------------------- as committed
@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"] == {"name": "python3", "display_name": "Python 3",
                                         "language": "python"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: a cell has outputs"
            assert cell.execution_count is None, f"{name}: a cell has an execution count"
    assert "widgets" not in nb.metadata, f"{name}: saved widget state"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: expected one cell tagged 'parameters'"


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_thin(name):
    """Notebooks call the public API and hold no logic: no definitions, loops or imports of
    submodules; every ``outcomes.X`` they use is in ``outcomes.__all__``."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda | ast.For
                              | ast.While | ast.With | ast.Try), \
            f"{name}: {type(node).__name__} at line {node.lineno}: logic belongs in the package"
        if isinstance(node, ast.Import):
            assert [a.name for a in node.names] == ["outcomes"], f"{name}: imports {node.names}"
        assert not isinstance(node, ast.ImportFrom), f"{name}: from-import at {node.lineno}"
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "outcomes"):
            assert node.attr in outcomes.__all__, f"{name}: outcomes.{node.attr} is not public"
    assert not re.search(r"['\"](/|[A-Za-z]:\\)", source), f"{name}: an absolute path"
