"""A clinic's export in, typed tables out: the data contract (schema, vocabularies, scales), the
readers of CSV, Parquet and xlsx, the privacy screen, the per-table and cross-table checks,
checksums, :func:`load_bundle` and the :class:`SessionLog` it returns, and :func:`write_bundle`,
the inverse of the readers.
"""
