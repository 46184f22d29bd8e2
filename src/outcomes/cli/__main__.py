"""``python -m outcomes.cli``: the ``outcomes`` command, for when the console script is not on PATH
(and for ``python -X importtime -m outcomes.cli --help``)."""

from . import console

console()
