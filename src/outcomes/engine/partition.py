"""Splitting a bundle by patient with DuckDB: every patient's rows in one bucket, on disk.

:func:`partition_bundle` reads a bundle folder (CSV or Parquet tables) with DuckDB, out of core,
and writes it again as ``buckets`` smaller bundles, ``bucket_000/`` ... , each a folder the
loader reads as it reads the whole (:func:`outcomes.load_bundle`):

* a patient's sessions and assessments go to the bucket of a hash of their ``patient_id``;
* an adverse event reaches its patient through its session (the session→patient join is done
  here, over the whole bundle); an event naming no session goes to bucket 0, where the loader
  quarantines it as it would in the whole bundle;
* the global check the buckets could not make: a ``session_id`` given to sessions of
  *different* patients would land in different buckets, so all rows with such an id (and their
  events) go to one bucket (the lowest of theirs), where the loader finds the conflict as in the
  whole bundle.

The split is made in one pass over each table: DuckDB streams its rows, with their bucket, as
Arrow batches, written by bucket as Arrow IPC files (``_split/<table>/_b=N/``; no encoding, so
writing and reading them back cost little). The engine then reads each bucket straight from
there, its rows put back in original order, into the loader (:meth:`Partitioned.read_bucket`,
in the task that analyses the bucket, so buckets are read side by side); a bucket can also be
written as a bundle folder of its own (:meth:`Partitioned.write_bucket`,
``partition_bundle(..., write=True)``).

Reading is strict: CSV cells are read as text (DuckDB's ``all_varchar``, nothing inferred) and
Parquet columns keep their types, so every value reaches the existing checks of the data
contract unchanged. A bucket of a comma-separated CSV bundle is text columns (written as
Parquet); of a semicolon-separated one, text whose decimal commas the loader reads as it would
the original's (written as semicolon CSV). Every row keeps its spreadsheet row number in the
original file, so that rejects and warnings name the original rows (a written bucket keeps them
beside it, ``rows/bucket_000/<table>.parquet``). The SHA-256 of each original file is computed
while partitioning.

Row numbers assume one line per row, as exports write them: a CSV row with a line break inside
a quoted value, or a blank line, shifts the numbers after it (the counts are not affected).
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..bundle.schema import ADVERSE_EVENTS, ASSESSMENTS, SESSIONS, TABLES, Col
from ..errors import BundleError

if TYPE_CHECKING:  # pyarrow is imported where a bucket is read
    from ..bundle.readers import RawBundle

__all__ = ["Partitioned", "partition_bundle", "SESSIONS_PER_BUCKET", "bucket_count"]

#: Sessions per bucket aimed at (a bucket is then analysed in a few hundred MB).
SESSIONS_PER_BUCKET = 250_000
_SUFFIXES = (".csv", ".parquet")
_MANIFEST = "partition.json"


@dataclass(frozen=True)
class Partitioned:
    """A bundle split by patient.

    Attributes
    ----------
    folder : Path
        Holds ``bucket_NNN/`` (each a bundle folder) and ``rows/bucket_NNN/<table>.parquet``.
    buckets : tuple of Path
        The bucket folders, in order.
    source : str
        The original bundle's name.
    checksums : dict of str to str
        SHA-256 of each original file, by file name.
    missing : tuple of str
        Optional tables the original bundle does not have.
    sessions : int
        Rows of the original sessions table.
    """

    folder: Path
    buckets: tuple[Path, ...]
    source: str
    checksums: dict[str, str]
    missing: tuple[str, ...]
    sessions: int
    files: dict[str, Path] = field(default_factory=dict)  # the original table files
    formats: dict[str, str] = field(default_factory=dict)  # each table's bucket format
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # each table's columns

    def rows_file(self, bucket: Path, table: str) -> Path:
        """The file of original row numbers of ``table`` in ``bucket``."""
        return self.folder / "rows" / bucket.name / f"{table}.parquet"

    def read_bucket(self, bucket: Path) -> RawBundle:
        """The rows of ``bucket`` (one of :attr:`buckets`) from the split of
        ``partition_bundle(..., write=False)``, as the raw text tables the loader checks
        (:func:`outcomes.bundle.load.load_raw`): each table's rows in original row order,
        carrying their original row numbers, so that rejects and warnings name the original
        rows. Nothing is written: the engine reads each bucket straight from the split.

        The tables are named as the files of a written bucket are (``sessions.parquet``, or
        ``sessions.csv`` for a semicolon-separated bundle, whose text keeps its decimal
        commas).
        """
        import numpy as np

        from ..bundle.readers import RawBundle, arrow_table

        i = self.buckets.index(bucket)
        tables = {}
        for name in self.files:
            found = _split_table(self, i, name)
            table, rows = found if found is not None else (
                _no_rows(self.columns[name]), np.empty(0, dtype=np.int64))
            text = self.formats[name] != "parquet"
            tables[name] = arrow_table(table, name=name, rows=rows, decimal_comma=text,
                                       where=f"{name}.csv" if text else f"{name}.parquet")
            del table, found
        return RawBundle(self.source, tables, self.missing)

    def write_bucket(self, bucket: Path) -> Path:
        """Write ``bucket`` (one of :attr:`buckets`) from the split of
        ``partition_bundle(..., write=False)``: its rows of each table in original row order,
        and their row numbers. Returns the bucket's folder (already there: nothing is done).

        Each bucket is written by itself, so the buckets can be written side by side (the
        engine reads them from the split instead: :meth:`read_bucket`).
        """
        if bucket.is_dir():
            return bucket
        import duckdb

        con = duckdb.connect(config={"threads": 1})
        try:
            _write_bucket(con, self, bucket)
        except duckdb.Error as exc:
            raise BundleError(f"{self.source}: DuckDB could not write a bucket: {exc}") from None
        finally:
            con.close()
        return bucket


def bucket_count(sessions: int) -> int:
    """Buckets for a bundle of ``sessions`` sessions (one per :data:`SESSIONS_PER_BUCKET`).

    >>> bucket_count(10), bucket_count(1_000_000)
    (1, 4)
    """
    return max(1, math.ceil(sessions / SESSIONS_PER_BUCKET))


def table_files(folder: Path) -> dict[str, Path]:
    """The table files of a bundle folder, by table (``sessions`` required)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError(f"{folder.name}: the partitioned engine reads a folder of CSV or "
                          "Parquet tables; give the folder (or use --engine memory).")
    found = {}
    for name in TABLES:
        files = [folder / f"{name}{s}" for s in _SUFFIXES if (folder / f"{name}{s}").exists()]
        if len(files) > 1:
            raise BundleError(f"{folder.name}: the {name} table is given twice "
                              f"({' and '.join(f.name for f in files)}); keep one of them.")
        if files:
            found[name] = files[0]
    if SESSIONS.name not in found:
        raise BundleError(f"{folder.name}: no sessions.csv or sessions.parquet in the folder.")
    return found


def _separator(path: Path) -> str:
    with open(path, "rb") as f:
        line = f.readline().decode("utf-8-sig", errors="replace")
    return ";" if line.count(";") > line.count(",") else ","


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column(con, table: str, wanted: str) -> str | None:
    """The table's column matching ``wanted`` (ignoring case and surrounding spaces)."""
    names = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    match = [n for n in names if n.strip().casefold() == wanted]
    return _quote(match[0]) if match else None


def partition_bundle(path: str | Path, out: str | Path, *, buckets: int | None = None,
                     memory_limit: str = "2GB", threads: int = 2,
                     write: bool = True) -> Partitioned:
    """Split the bundle folder ``path`` into patient buckets under ``out`` (see module notes).

    Parameters
    ----------
    path : str or Path
        A bundle folder of CSV or Parquet tables.
    out : str or Path
        Folder to write the buckets into (replaced when it holds an earlier partition).
    buckets : int, optional
        Number of buckets; default :func:`bucket_count` of the sessions.
    memory_limit : str
        DuckDB's memory limit (it spills to ``out`` beyond it).
    threads : int
        DuckDB's threads.
    write : bool
        False: only split the tables by bucket (under ``out/_split``); each bucket is then read
        by :meth:`Partitioned.read_bucket` (or written by :meth:`Partitioned.write_bucket`) by
        whoever analyses it.

    Returns
    -------
    Partitioned

    Raises
    ------
    BundleError
        If ``path`` is not a folder with a sessions table, or DuckDB cannot read a file.

    Notes
    -----
    The tables are read straight from their files (never copied into DuckDB whole): each is
    streamed once, split by bucket, with its original row numbers; each bucket's rows, a small
    table, are put back in original row order when the bucket is read. Only the session ids
    with their buckets are held, for the events' join.
    """
    import duckdb
    import pyarrow as pa

    path, out = Path(path), Path(out)
    files = table_files(path)
    if (out / _MANIFEST).exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in (*out.glob("bucket_*"), *out.glob("_bucket_*"), out / "rows", out / _SPLIT):
        shutil.rmtree(stale, ignore_errors=True)  # an earlier split stopped half way
    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": threads,
                                 "temp_directory": str(out / "_spill"),
                                 "preserve_insertion_order": True})
    con.execute("SET TimeZone = 'UTC'")  # zoned timestamps reach Arrow in UTC, as in Parquet
    formats, columns = {}, {}
    # the files' SHA-256 in a thread meanwhile (hashlib and DuckDB both let go of the GIL)
    with ThreadPoolExecutor(max_workers=1) as hasher:
        sums = {file.name: hasher.submit(_sha256, file) for file in files.values()}
        try:
            for name, file in files.items():
                formats[name] = _read(con, name, file)
                columns[name] = tuple(r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()
                                      if r[0] != "_row")
            n_sessions = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
            n = buckets or bucket_count(n_sessions)
            _assign(con, files, n, out / _SPLIT)
        except (duckdb.Error, pa.ArrowException) as exc:  # Arrow's: raised in the stream
            raise BundleError(f"{path.name}: DuckDB could not read the bundle: {exc}") from None
        finally:
            con.close()
            shutil.rmtree(out / "_spill", ignore_errors=True)
        checksums = {name: future.result() for name, future in sums.items()}
    missing = tuple(n for n in TABLES if n not in files)
    split = Partitioned(out, tuple(out / f"bucket_{i:03d}" for i in range(n)), path.name,
                        checksums, missing, int(n_sessions), dict(files), formats, columns)
    if write:
        for bucket in split.buckets:
            split.write_bucket(bucket)
        shutil.rmtree(out / _SPLIT, ignore_errors=True)
    (out / _MANIFEST).write_text(json.dumps({"source": path.name, "buckets": n}))
    return split


#: Where the tables are first written split by bucket (removed when the buckets are made).
_SPLIT = "_split"


def _read(con, name: str, file: Path) -> str:
    """A view of one table's file with its original row numbers (``_row``); its bucket format."""
    where = str(file).replace("'", "''")
    if file.suffix.lower() == ".parquet":  # the row's place in the file, read in parallel
        con.execute(f"CREATE TEMP VIEW {name} AS SELECT * EXCLUDE (file_row_number), "
                    f"file_row_number + 2 AS _row FROM read_parquet('{where}', "
                    "file_row_number = true)")
        return "parquet"
    sep = _separator(file)
    source = f"read_csv('{where}', all_varchar=true, header=true, delim='{sep}')"
    con.execute(f"CREATE TEMP VIEW {name} AS SELECT *, "
                f"CAST(row_number() OVER () + 1 AS BIGINT) AS _row FROM {source}")
    return "parquet" if sep == "," else "csv;"


def _assign(con, files: dict[str, Path], n: int, split: Path) -> None:
    """Write every table's rows split by their bucket ``_b`` under ``split`` (module notes)."""
    patient = _column(con, SESSIONS.name, Col.PATIENT_ID)
    session = _column(con, SESSIONS.name, Col.SESSION_ID)
    if patient is None or session is None:
        raise BundleError("the sessions table needs patient_id and session_id columns.")

    def bucket(p: str) -> str:
        return f"coalesce(CAST(hash(CAST({p} AS VARCHAR)) % {n} AS INTEGER), 0)"

    split.mkdir(parents=True, exist_ok=True)

    def copy(name: str, select: str) -> None:
        # the rows streamed out of DuckDB as Arrow batches, written by bucket as Arrow IPC
        # files (no encoding: a third of the time of writing Parquet, read back by mapping)
        _write_split(con.sql(select).to_arrow_reader(_BATCH_ROWS), split / name)

    con.execute(f"""CREATE TEMP TABLE session_bucket AS
        SELECT CAST({session} AS VARCHAR) AS sid, min({bucket(patient)}) AS b,
               max({bucket(patient)}) AS b_max
        FROM sessions WHERE {session} IS NOT NULL GROUP BY 1""")
    # a session id given to patients of different buckets: all its rows go to the lowest
    con.execute("""CREATE TEMP TABLE shared_session AS
        SELECT sid, b FROM session_bucket WHERE b <> b_max""")
    if con.execute("SELECT count(*) FROM shared_session").fetchall()[0][0]:
        copy(SESSIONS.name, f"""SELECT s.*, coalesce(k.b, {bucket('s.' + patient)}) AS _b
            FROM sessions s LEFT JOIN shared_session k ON CAST(s.{session} AS VARCHAR) = k.sid""")
    else:  # the usual case: no join, so the rows come in file order
        copy(SESSIONS.name, f"SELECT *, {bucket(patient)} AS _b FROM sessions")
    if ASSESSMENTS.name in files:
        a_patient = _column(con, ASSESSMENTS.name, Col.PATIENT_ID)
        b = bucket(a_patient) if a_patient else "0"
        copy(ASSESSMENTS.name, f"SELECT *, {b} AS _b FROM assessments")
    if ADVERSE_EVENTS.name in files:
        e_session = _column(con, ADVERSE_EVENTS.name, Col.SESSION_ID)
        join = (f"LEFT JOIN session_bucket k ON CAST(e.{e_session} AS VARCHAR) = k.sid"
                if e_session else "LEFT JOIN (SELECT NULL AS sid, NULL AS b) k ON false")
        copy(ADVERSE_EVENTS.name,
             f"SELECT e.*, coalesce(k.b, 0) AS _b FROM adverse_events e {join}")
    con.execute("DROP TABLE session_bucket")


#: Rows of each batch DuckDB streams to the split.
_BATCH_ROWS = 1 << 18


def _write_split(reader, folder: Path) -> None:
    """Write the batches of ``reader`` under ``folder``, one ``_b=N`` folder of Arrow IPC
    files per bucket ``_b`` (the column itself is not written)."""
    import pyarrow.dataset as ds

    ds.write_dataset(reader, folder, format="ipc", partitioning=["_b"], preserve_order=True,
                     partitioning_flavor="hive", existing_data_behavior="overwrite_or_ignore",
                     max_rows_per_group=_BATCH_ROWS)


def _split_table(split: Partitioned, i: int, name: str):
    """Bucket ``i``'s rows of table ``name`` from the split, in original row order, and their
    row numbers (a pyarrow table without ``_row``, an int64 array); ``None`` when the bucket
    has none."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.dataset as ds

    part = split.folder / _SPLIT / name / f"_b={i}"
    if not part.is_dir():
        return None
    table = ds.dataset(part, format="ipc").to_table()
    rows = table.column("_row").to_numpy()
    if len(rows) > 1 and not bool((rows[1:] > rows[:-1]).all()):
        order = np.argsort(rows, kind="stable")
        table, rows = table.take(pa.array(order)), rows[order]
    return table.drop_columns(["_row"]), rows


def _write_bucket(con, split: Partitioned, folder: Path) -> None:
    """The bucket ``folder``'s rows of each table in original row order, and their row
    numbers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    i = split.buckets.index(folder)
    rows = split.folder / "rows" / folder.name
    work = split.folder / f"_{folder.name}"  # written here, then renamed: never half a bucket
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rows.mkdir(parents=True, exist_ok=True)
    for name in split.files:
        found = _split_table(split, i, name)
        if found is None:  # no rows in this bucket: the table's columns only
            table = _no_rows(split.columns[name])
            numbers = pa.table({"_row": pa.array([], pa.int64())})
        else:
            table, numbers = found[0], pa.table({"_row": found[1]})
        pq.write_table(numbers, rows / f"{name}.parquet")
        if split.formats[name] == "parquet":
            pq.write_table(table, work / f"{name}.parquet")
            continue
        con.register("bucket_rows", table)
        con.execute(f"COPY (SELECT * FROM bucket_rows) TO '{_path(work / f'{name}.csv')}' "
                    "(FORMAT csv, HEADER, DELIMITER ';')")
        con.unregister("bucket_rows")
    work.rename(folder)


def _no_rows(names: tuple[str, ...]):
    """A table of text columns ``names`` (duplicates possible) without rows."""
    import pyarrow as pa

    return pa.Table.from_arrays([pa.array([], pa.string()) for _ in names], names=list(names))


def _path(p: Path) -> str:
    return str(p).replace("'", "''")
