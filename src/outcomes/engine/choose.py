"""Which engine runs a bundle: the one asked for, or by the size of its table files.

Apart from :mod:`outcomes.engine.run` so that a command can choose without importing the
engines themselves (the course building, pandas); :mod:`~outcomes.engine.run` re-exports it.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ParameterError
from .partition import table_files

__all__ = ["ENGINES", "AUTO_BYTES", "choose_engine"]

#: The engines, in the order the command line lists them.
ENGINES = ("memory", "partitioned", "dask")
#: Above this many bytes of table files, ``engine="auto"`` chooses the partitioned engine.
AUTO_BYTES = 1 << 30


def choose_engine(path, engine: str | None = None) -> str:
    """The engine to use for ``path``: ``engine`` itself, or by size when ``None``/``"auto"``.

    Parameters
    ----------
    path : str, Path or dict of DataFrames
        What :func:`outcomes.load_bundle` reads.
    engine : {"auto", "memory", "partitioned", "dask"}, optional

    Returns
    -------
    str
        ``memory`` for anything but a folder of table files over :data:`AUTO_BYTES`.

    Examples
    --------
    >>> choose_engine({"sessions": None}), choose_engine("any", "dask")
    ('memory', 'dask')
    """
    if engine not in (None, "auto", *ENGINES):
        raise ParameterError(f"engine must be one of auto, {', '.join(ENGINES)}; got {engine!r}.")
    if engine not in (None, "auto"):
        return engine
    if not isinstance(path, str | Path) or not Path(path).is_dir():
        return "memory"
    try:
        size = sum(f.stat().st_size for f in table_files(Path(path)).values())
    except Exception:  # noqa: BLE001 - let the loader say what is wrong with the folder
        return "memory"
    return "partitioned" if size > AUTO_BYTES else "memory"
