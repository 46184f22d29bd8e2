"""The package's version, read from its installed metadata.

So no room needs to import the package's face for it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("outcomes")
except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
    __version__ = "0+unknown"
