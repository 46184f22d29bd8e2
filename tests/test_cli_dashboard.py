"""``outcomes dashboard``: a bad bundle is a plain message before any server starts; a good one
is served by Voilà on 127.0.0.1 with its code hidden, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import urllib.request

import pytest
from tests.dashboard_server import SAMPLE, start

from outcomes.cli import EXIT_INPUT, EXIT_USAGE, main
from outcomes.cli.dashboard import check_bundle_path, voila_argv
from outcomes.errors import BundleError, ConfigError
from outcomes.validators import DASHBOARD_ENVIRONMENT as ENVIRONMENT
from outcomes.validators import dashboard_settings

#: Seconds for the page to come back: the kernel imports, loads and analyses first, and this
#: machine may be shared.
PAGE_SECONDS = 300


def test_a_missing_bundle_is_a_message_before_any_server(tmp_path, capsys):
    assert main(["dashboard", str(tmp_path / "nowhere"), "--no-browser"]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "outcomes dashboard: nowhere: no such folder or file" in err
    assert "Traceback" not in err


def test_a_single_table_is_not_a_bundle(tmp_path, capsys):
    table = tmp_path / "sessions.csv"
    table.write_text("patient_id\n")
    assert main(["dashboard", str(table), "--no-browser"]) == EXIT_INPUT
    assert "is a single table. Give the folder that holds it" in capsys.readouterr().err


def test_a_folder_without_sessions_says_so(tmp_path, capsys):
    (tmp_path / "clinic").mkdir()
    assert main(["dashboard", str(tmp_path / "clinic"), "--no-browser"]) == EXIT_INPUT
    assert "no sessions table" in capsys.readouterr().err


def test_a_missing_claims_file_is_a_usage_message(capsys):
    assert main(["dashboard", str(SAMPLE), "--claims", "nope.toml", "--no-browser"]) \
        == EXIT_INPUT
    assert "--claims nope.toml: no such file" in capsys.readouterr().err


def test_bad_options_are_usage_errors(capsys):
    assert main(["dashboard", str(SAMPLE), "--min-cell", "0"]) == EXIT_USAGE
    assert main(["dashboard", str(SAMPLE), "--port", "http"]) == EXIT_USAGE
    assert "expected a port number >= 1" in capsys.readouterr().err


def test_check_bundle_path_gives_an_absolute_path():
    assert check_bundle_path("data/../data/sample" if SAMPLE.exists() else SAMPLE).is_absolute()
    with pytest.raises(BundleError, match="no such folder"):
        check_bundle_path(SAMPLE / "missing")


def test_settings_come_from_the_environment_over_the_notebook():
    env = {ENVIRONMENT["path"]: "/clinic", ENVIRONMENT["claims"]: "/c.toml",
           ENVIRONMENT["min_cell"]: "10"}
    assert dashboard_settings("../data/sample", None, 5, env=env) == {
        "path": "/clinic", "catalogue": "/c.toml", "min_cell": 10}
    assert dashboard_settings("../data/sample", None, 5, env={}) == {
        "path": "../data/sample", "catalogue": None, "min_cell": 5}
    with pytest.raises(ConfigError, match="whole number"):
        dashboard_settings("x", env={ENVIRONMENT["min_cell"]: "0"})


def test_voila_serves_on_localhost_with_code_hidden():
    argv = voila_argv(8866)
    assert "--Voila.ip=127.0.0.1" in argv and "--strip_sources=True" in argv
    assert "--show_tracebacks=False" in argv and "--no-browser" in argv
    assert "--no-browser" not in voila_argv(8866, open_browser=True)


def test_the_server_process_starts_without_the_slow_iri_parsers():
    """Voilà's imports reach jsonschema's optional iri checker (rfc3987_syntax, some 35 Lark
    parsers compiled at import); the server keeps it out, and jsonschema still loads."""
    import subprocess
    import sys

    code = ("import sys; from outcomes.cli.dashboard import keep_out_slow_imports; "
            "keep_out_slow_imports(); from voila.app import Voila; import jsonschema; "
            "print(sys.modules.get('rfc3987_syntax', 'absent'), "
            "'iri' in jsonschema.Draft7Validator.FORMAT_CHECKER.checkers)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["None", "False"]


def test_serves_the_page_and_stops_cleanly_on_ctrl_c(tmp_path):
    server = start(str(SAMPLE), "--no-browser", "--min-cell", "10", home=tmp_path)
    try:
        assert server.url, f"no URL printed:\n{server.output()}"
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url, timeout=PAGE_SECONDS) as answer:
            assert answer.status == 200
            page = answer.read().decode("utf-8", "replace")
        assert "application/vnd.jupyter.widget-view+json" in page  # the dashboard's widgets
        assert "outcomes.Dashboard.open" not in page  # no code on the page
        assert "Traceback" not in page
    finally:
        status = server.interrupt()
    out = server.output()
    assert status == 0, out
    assert "The dashboard has stopped." in out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out


def test_the_served_notebook_is_the_repository_notebook():
    """The package ships the notebook Voilà serves; it is the one tests/test_notebooks.py runs."""
    from tests.dashboard_server import ROOT

    from outcomes.cli.dashboard import NOTEBOOK

    assert NOTEBOOK.is_file()
    assert NOTEBOOK.read_bytes() == (ROOT / "notebooks" / NOTEBOOK.name).read_bytes()
