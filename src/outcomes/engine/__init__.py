"""Engines: the same analysis in memory, out of core by patient partition, or on Dask.

``memory`` (the default for bundles up to :data:`~outcomes.engine.run.AUTO_BYTES`) loads the
whole bundle in one process. ``partitioned`` splits it by patient with DuckDB
(:mod:`outcomes.engine.partition`) and runs the loader and the course building on one bucket
at a time; ``dask`` runs those buckets on a Dask distributed cluster. The results are the
in-memory ones (:mod:`outcomes.engine.run` says exactly what is combined and how). Exports
:func:`~outcomes.engine.run.evaluate_bundle`, :func:`~outcomes.engine.run.load_courses`,
:func:`~outcomes.engine.run.choose_engine` and :data:`~outcomes.engine.run.ENGINES`.
"""

from .run import AUTO_BYTES, ENGINES, choose_engine, evaluate_bundle, load_courses

__all__ = ["AUTO_BYTES", "ENGINES", "choose_engine", "evaluate_bundle", "load_courses"]
