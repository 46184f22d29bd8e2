"""An output folder holds one run's files: stale files go, foreign files stay, failures leave
nothing, concurrent runs never mix, bad folders get a plain message."""

from __future__ import annotations

import multiprocessing
import tempfile

import pytest

from outcomes.errors import OutputError
from outcomes.output.folder import OutputSet


def _run(out, files: dict[str, str], known=("*.csv", "tables/*.csv", "report.html")):
    with OutputSet(out, known=known) as staging:
        for name, text in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return staging


def _files(out):
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def test_a_rerun_removes_the_files_the_earlier_run_wrote(tmp_path):
    out = tmp_path / "report"
    _run(out, {"report.html": "1", "courses.csv": "patient ids", "tables/a.csv": "1"})
    _run(out, {"report.html": "2", "tables/a.csv": "2"})
    assert _files(out) == ["report.html", "tables/a.csv"]
    assert (out / "report.html").read_text() == "2"


def test_files_the_package_names_go_and_others_stay(tmp_path):
    out = tmp_path / "report"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "old.csv").write_text("from an old version")
    (out / "notes.txt").write_text("the user's own")
    out_set = OutputSet(out, known=["tables/*.csv"])
    with out_set as staging:
        (staging / "report.html").write_text("x")
    assert _files(out) == ["notes.txt", "report.html"]
    assert out_set.removed == ["tables/old.csv"]
    assert out_set.foreign == ["notes.txt"]


def test_the_staged_paths_map_to_their_final_place(tmp_path):
    out_set = OutputSet(tmp_path / "out")
    with out_set as staging:
        staged = staging / "a.txt"
        staged.write_text("x")
    assert out_set.final(staged) == tmp_path / "out" / "a.txt"
    assert out_set.final(staged).read_text() == "x"
    assert out_set.final(None) is None


def test_a_failed_run_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "report"
    _run(out, {"report.html": "first"})
    with pytest.raises(RuntimeError), OutputSet(out, known=["*.html"]) as staging:
        (staging / "report.html").write_text("half")
        raise RuntimeError("boom")
    assert (out / "report.html").read_text() == "first"
    assert not list(tmp_path.glob(".outcomes-tmp-*"))


def test_an_interrupted_run_leaves_nothing(tmp_path):
    out = tmp_path / "report"
    with pytest.raises(KeyboardInterrupt), OutputSet(out) as staging:
        (staging / "report.html").write_text("half")
        raise KeyboardInterrupt
    assert not out.exists()
    assert not list(tmp_path.glob(".outcomes-tmp-*"))


def test_temporary_folders_are_unique_per_run(tmp_path):
    a, b = OutputSet(tmp_path / "o"), OutputSet(tmp_path / "o")
    with a as sa, b as sb:
        assert sa != sb
        assert sa.parent == sb.parent == tmp_path


def _writer(args):
    out, tag, n = args
    with OutputSet(out, known=["*.txt"]) as staging:
        for i in range(n):
            (staging / f"f{i}.txt").write_text(tag)
    return tag


def test_concurrent_runs_never_mix(tmp_path):
    out = tmp_path / "report"
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        tags = pool.map(_writer, [(out, f"run{k}", 30) for k in range(8)])
    contents = {(out / f"f{i}.txt").read_text() for i in range(30)}
    assert len(contents) == 1, contents
    assert contents <= set(tags)
    assert len(_files(out)) == 30


def test_an_out_that_is_a_file_gets_a_plain_message(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"), OutputSet(f):
        pass
    with pytest.raises(OutputError, match="is a file, not a folder"), OutputSet(f / "sub"):
        pass


def test_an_unwritable_place_gets_a_plain_message(tmp_path, monkeypatch):
    def refuse(**kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with pytest.raises(OutputError, match="cannot write into.*Permission denied"), \
            OutputSet(tmp_path / "out"):
        pass


def test_a_failed_write_is_a_plain_message_and_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="cannot write into .*No space left"), \
            OutputSet(out) as staging:
        (staging / "a.txt").write_text("half")
        raise OSError(28, "No space left on device")
    assert not out.exists()
    assert not list(tmp_path.glob(".outcomes-tmp-*"))
