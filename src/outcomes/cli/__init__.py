"""The ``outcomes`` command line: one module per subcommand, this one dispatches.

Every subcommand module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args)``,
which returns the exit status; a module imports what its command needs inside ``run``, so that
``outcomes --help`` starts at once (``tests/test_startup.py``). Expected problems
(:class:`outcomes.errors.OutcomesError`) are printed as plain messages, never as tracebacks.

Exit status: 0 success; 1 the input could not be read or rows were quarantined (validate);
2 usage error (a mistyped command or option is answered with the command's own usage and the
nearest name, :mod:`outcomes.bundle.suggest`; so is an unknown ``--condition`` and a malformed
``--mapping`` file); 3 an audit check failed its threshold.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from ..bundle.suggest import did_you_mean
from ..errors import MappingError, OutcomesError, OutputError

COMMANDS = ("validate", "simulate", "claims", "report", "audit", "dashboard", "mapping",
            "template")

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_AUDIT_FAILED = 0, 1, 2, 3
#: The reader of the output went away (``outcomes claims ... | head``): what a shell reports
#: for a process ended by SIGPIPE.
EXIT_PIPE = 141


BUNDLE_HELP = "the bundle: a folder of CSV or Parquet tables, or an .xlsx workbook"


MAPPING_HELP = ("a TOML file reading a clinic's own export as the contract (its files, headers, "
                "words, date formats, units); 'outcomes mapping' drafts one")


ENGINE_HELP = ("how to run: memory (one process), partitioned (split by patient with DuckDB, "
               "one bucket at a time: bundles larger than memory), dask (the buckets on a Dask "
               "cluster, --scheduler); auto (the default): partitioned above 1 GB of tables")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """``--engine``, ``--scheduler``, ``--workers`` and ``--workdir`` (:mod:`outcomes.engine`)."""
    parser.add_argument("--engine", choices=("auto", "memory", "partitioned", "dask"),
                        default="auto", help=ENGINE_HELP)
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="with --engine dask: the Dask scheduler (tcp://host:8786); without "
                             "it a local cluster of two workers runs in this process")
    parser.add_argument("--workers", metavar="N", type=whole_number(1),
                        help="with --engine partitioned: processes the buckets are loaded in, "
                             "side by side (default: the cores, from 500,000 sessions on)")
    parser.add_argument("--workdir", metavar="DIR",
                        help="with --engine partitioned or dask: where the patient buckets are "
                             "written (on a cluster, storage every worker reads); default a "
                             "temporary folder")


def add_bundle_argument(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """The positional ``PATH`` of the bundle every analysing command reads, and ``--mapping``
    (``required=False``: PATH may be left out, for a command that can work without data)."""
    parser.add_argument("path", metavar="PATH", help=BUNDLE_HELP,
                        **({} if required else {"nargs": "?"}))
    parser.add_argument("--mapping", metavar="FILE", help=MAPPING_HELP)


def checked(convert, accept, expected: str):
    """An argparse type: ``convert(text)`` if that works and ``accept`` takes the value, else
    the plain message ``expected {expected}, got ...``."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
        return value

    return parse


def whole_number(minimum: int, what: str = "a whole number"):
    """An argparse type: an integer of at least ``minimum``, with a plain message otherwise."""
    return checked(int, lambda value: value >= minimum, f"{what} >= {minimum}")


class _VersionAction(argparse.Action):
    """``--version``: reads the version from the package metadata only when it is asked for."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from .._version import __version__

        print(f"outcomes {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outcomes",
        description=(
            "Turn anonymised microneedling session logs into evidence: validate a bundle, "
            "test the published claims against it, write reports and run quality audits."
        ),
        epilog="Run 'outcomes COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action=_VersionAction,
                        help="show the version of outcomes and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parser.commands = {}
    for name in COMMANDS:
        module = importlib.import_module(f".{name}", __name__)
        p = sub.add_parser(
            name, help=module.HELP, description=module.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
        parser.commands[name] = p
    return parser


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; a usage error prints the usage of the command it concerns, with the
    nearest command, option or condition, and exits 2 (``SystemExit``)."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is not None and argv and not argv[0].startswith("-") and first not in COMMANDS:
        parser.error(f"{first!r} is not a command{did_you_mean(first, COMMANDS)} (commands: "
                     f"{', '.join(COMMANDS)})")
    args, extra = parser.parse_known_args(argv)
    command = parser.commands[args.command]
    if extra:
        options = [o for a in command._actions for o in a.option_strings]
        unknown = extra[0]
        hint = did_you_mean(unknown.split("=")[0], options) if unknown.startswith("-") else ""
        command.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
    conditions = getattr(args, "condition", None)
    if conditions:
        from ..bundle.schema import vocabulary

        known = vocabulary("condition")
        for condition in conditions:
            if condition not in known:
                command.error(f"argument --condition: {condition!r} is not a condition"
                              f"{did_you_mean(condition, known)} (conditions: "
                              f"{', '.join(known)})")
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``outcomes`` console command; returns the exit status."""
    parser = build_parser()
    try:
        args = _parse(parser, list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _plain_warning(args.command)
            return int(args._run(args))
    except (OutputError, MappingError) as exc:
        print(f"outcomes {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OutcomesError as exc:
        print(f"outcomes {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print(f"outcomes {args.command}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (``| head``): the rest is not wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE


def _plain_warning(command: str):
    """A ``warnings.showwarning`` that prints one line in words, without Python's file name,
    line number and source line: ``outcomes report: note: ...``."""
    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        print(f"outcomes {command}: note: {text}", file=sys.stderr if file is None else file)

    return show


#: The variables that set the thread count of the BLAS libraries numpy may be built with.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Run numpy's BLAS on one thread unless the user chose otherwise (before numpy loads).

    The statistics multiply tall, narrow matrices by vectors; a BLAS library's threads gain
    nothing there, and on a busy machine their spinning cost 10-30 times the work itself
    (measured on 2 shared cores: a rank check of 22,875 x 38 took 2.1 s with the default
    threads, 0.07 s with one). A variable already set is left as it is.
    """
    for name in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


def console() -> None:  # pragma: no cover - thin wrapper for the console script
    one_blas_thread()
    exit_now(main())


def exit_now(status: int) -> None:
    """End the process with ``status``, without the interpreter's teardown.

    At the end of a command Python would free every table and object one by one before the
    process ends: half a second after a million sessions, for nothing. What must happen at
    exit still does: the functions registered with :mod:`atexit` run (temporary folders
    removed, logs closed), and the standard streams are flushed. The command's own thread
    pools and worker processes are closed by then (each is used in a ``with`` block).
    """
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``): nothing more to say
            pass
    os._exit(status)
