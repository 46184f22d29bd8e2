"""A clinic's export in, typed tables out: the data contract (``schema``, vocabularies, scales),
the ``readers`` of CSV, Parquet and xlsx (sheets read by ``workbook``), the size ``limits``
checked before a file is parsed, the ``privacy`` screen, the parsers of cell text
(``values``), the per-table checks (``columns``) and the cross-table ones (``links``),
``hashing`` (checksums and hashes), the ``failures`` behind a refused bundle, :func:`load_bundle`
(``load``, which runs them all) and the :class:`SessionLog` it returns (``log``), and
:func:`write_bundle`, the inverse of the readers. A clinic's own export is read through a
``mapping`` (drafted by ``draft``), a dict of DataFrames through ``frames``; ``template`` writes
the data-entry workbook and ``suggest`` finds the name a near miss meant.
"""
