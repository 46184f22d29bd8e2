"""Engines: the same analysis in memory, out of core by patient partition, or on Dask.

``memory`` (the default for bundles up to :data:`~outcomes.engine.choose.AUTO_BYTES`) loads the
whole bundle in one process. ``partitioned`` splits it by patient with DuckDB
(:mod:`outcomes.engine.partition`) and runs the loader and the course building on one bucket
at a time; ``dask`` runs those buckets on a Dask distributed cluster. The results are the
in-memory ones (:mod:`outcomes.engine.run` says exactly what is combined and how). Exports
:func:`~outcomes.engine.evaluate.evaluate_bundle`, :func:`~outcomes.engine.run.load_courses`,
:func:`~outcomes.engine.choose.choose_engine` and :data:`~outcomes.engine.choose.ENGINES`.
"""

from .choose import AUTO_BYTES, ENGINES, choose_engine

__all__ = ["AUTO_BYTES", "ENGINES", "choose_engine", "evaluate_bundle", "load_courses"]


def __getattr__(name: str):
    """The engines themselves (:mod:`outcomes.engine.run`, :mod:`outcomes.engine.evaluate`),
    imported when first asked for."""
    if name == "evaluate_bundle":
        from .evaluate import evaluate_bundle

        return evaluate_bundle
    if name == "load_courses":
        from .run import load_courses

        return load_courses
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
