"""The ``codingkg`` command line: thin commands over library functions.

Each command parses its arguments, calls one library function and prints the result.
Register a command by adding a ``_cmd_*`` function and an entry in :data:`_COMMANDS` (the
order there is the order ``codingkg --help`` lists them in).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from server.limits import ANSWER_CACHE_BYTES

__all__ = ["ENVIRONMENT", "build_parser", "main", "run"]

#: The environment variables ``serve`` (and ``build``) read when the option is not given, and the
#: claim engine's switch (read by every command).
ENVIRONMENT = {
    "CODINGKG_HOST": "--host",
    "CODINGKG_PORT": "--port",
    "CODINGKG_DATA": f"--data (several directories separated by {os.pathsep!r})",
    "CODINGKG_WORKERS": "--workers",
    "CODINGKG_CORS_ORIGINS": "--cors-origin (several separated by commas)",
    "CODINGKG_INTROSPECTION": "0 = --no-introspection",
    "CODINGKG_GRAPHIQL": "0 = --no-graphiql",
    "CODINGKG_LOG_FORMAT": "--log-format (text or json)",
    "CODINGKG_ANSWER_CACHE_MB": "--answer-cache-mb (0 keeps no answers)",
    "CODINGKG_ADMIN_TOKEN": "enables POST /admin/reload for requests carrying this bearer token",
    "CODINGKG_SNAPSHOT_KEY": "the snapshot signing key file (default ~/.config/codingkg/snapshot.key)",
    "CODINGKG_CACHE_DIR": "where compiled snapshots and the imported CMS baseline are kept (default ~/.cache/codingkg)",
    "CODINGKG_ENGINE": "python = run the claim engine from its Python sources where it is compiled (to profile it)",
}
_OFF = ("0", "false", "no", "off")
_MAX_PORT = 2**16 - 1


class _UsageError(Exception):
    """Bad input to a command: printed as one line on standard error, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE (see PROG --help)`` and exit 2."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Version(argparse.Action):
    """``--version``: the version and which claim engine runs (known only once the engine is
    imported, so only when asked: ``--help`` and the other commands do not pay for it)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and which claim engine runs, then exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        from kg import __version__
        from kg.claims import engine_build

        print(f"codingkg {__version__} (claim engine: {engine_build()})")  # on standard output, as argparse's own
        parser.exit()


# ---------------------------------------------------------------------------- helpers
def _write_json(value: Any) -> None:
    """Every JSON document a command prints (JSON Lines output aside) goes through here: one format."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _read_text(argument: str) -> str:
    """The text at ``argument`` (a path, or ``-`` for standard input)."""
    name = "standard input" if argument == "-" else argument
    try:
        return sys.stdin.read() if argument == "-" else Path(argument).read_text(encoding="utf-8")
    except OSError as err:
        raise _UsageError(f"cannot read {name}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise _UsageError(f"{name} is not valid JSON: {err}") from None


def _read_json(argument: str, text: str | None = None) -> Any:
    """The JSON document at ``argument`` (a path, or ``-`` for standard input), or in ``text``."""
    name = "standard input" if argument == "-" else argument
    try:
        return json.loads(_read_text(argument) if text is None else text)
    except json.JSONDecodeError as err:
        raise _UsageError(f"{name} is not valid JSON: {err}") from None


def _check_json_lines(args: argparse.Namespace, text: str) -> int:
    """``check`` over JSON Lines: the engine directly, one ClaimCheck per output line."""
    from kg.claims.batch import BatchInputError, BatchLimits, parse_json_lines, write_checks
    from server.limits import MAX_CLAIM_LINES, MAX_CODE_LENGTH

    # The parsed claims and the graph live until the batch ends. Built with the cyclic collector
    # paused and then frozen out of its generations, they are not walked again by every full
    # collection the checks trigger (that took a third of a 20,000-claim run).
    gc.disable()
    try:
        claims = parse_json_lines(text.splitlines(), BatchLimits(MAX_CLAIM_LINES, MAX_CODE_LENGTH))
    except BatchInputError as err:
        raise _UsageError(f"{args.claims}: {err}") from None
    finally:
        gc.enable()
    kg = _graph(args.data)
    gc.freeze()
    try:
        return 0 if write_checks(kg, claims, sys.stdout) else 1
    finally:
        gc.unfreeze()  # back where they were, for a caller that goes on (a test calling main)


def _graph(data_dirs: Sequence[Path]) -> Any:
    """The embedded graph plus release directories, from the snapshot cache when it matches."""
    from kg.graph import KnowledgeGraph
    from kg.load import GraphLoadError
    from kg.verify import ReleaseError

    try:
        return KnowledgeGraph.default(data_dirs, use_cache=True)
    except ReleaseError as err:
        raise _UsageError(str(err)) from None
    except GraphLoadError as err:
        raise _UsageError(f"cannot load the graph: {err}") from None


def _env_data() -> list[Path]:
    return [Path(p) for p in os.environ.get("CODINGKG_DATA", "").split(os.pathsep) if p]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= _MAX_PORT:
        raise argparse.ArgumentTypeError(f"port must be 0-{_MAX_PORT} (got {value})")
    return value


def _positive(text: str) -> int:
    return _whole(text, least=1)


def _whole(text: str, least: int = 0) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least} (got {value})")
    return value


def _add_data(command: argparse.ArgumentParser, env: bool = False) -> None:
    more = " (default: $CODINGKG_DATA)" if env else ""
    command.add_argument("--data", action="append", type=Path, default=[], metavar="DIR",
                         help=f"an imported release directory layered over the embedded graph (repeatable){more}")


# ---------------------------------------------------------------------------- commands
def _cmd_serve(args: argparse.Namespace) -> int:
    import shutil

    from server.metrics_dir import share_metrics_across_workers

    shared_metrics = share_metrics_across_workers(args.workers)  # before the server imports prometheus-client
    try:
        return _serve(args)
    finally:
        if shared_metrics is not None:
            shutil.rmtree(shared_metrics, ignore_errors=True)


def _serve(args: argparse.Namespace) -> int:
    from kg.load import GraphLoadError
    from kg.verify import ReleaseError
    from server.serve import serve
    from server.settings import ServerSettings

    cors = args.cors_origin or [o.strip() for o in os.environ.get("CODINGKG_CORS_ORIGINS", "").split(",") if o.strip()]
    cache = {} if args.answer_cache_mb is None else {"answer_cache_bytes": args.answer_cache_mb * 2**20}
    settings = ServerSettings(data_dirs=tuple(args.data or _env_data()), cors_origins=tuple(cors),
                              introspection=not args.no_introspection, graphiql=not args.no_graphiql, **cache)

    def announce(url: str) -> None:
        print(f"codingkg: serving {url}/graphql (GraphiQL in a browser, health at {url}/healthz) with "
              f"{args.workers} worker{'s' if args.workers > 1 else ''}; Ctrl+C stops", file=sys.stderr, flush=True)

    try:
        # Non-zero when the service stopped for any reason but SIGINT/SIGTERM.
        return serve(settings, host=args.host, port=args.port, workers=args.workers, on_listen=announce,
                     log_format=args.log_format)
    except ReleaseError as err:  # raised while loading, before any request is answered
        raise _UsageError(str(err)) from None
    except GraphLoadError as err:
        raise _UsageError(f"cannot load the graph: {err}") from None
    except OSError as err:
        raise _UsageError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None


def _cmd_check(args: argparse.Namespace) -> int:
    from kg.claims.batch import looks_like_json_lines
    from server.offline import OfflineInputError, check_document

    text = _read_text(str(args.claims))
    if args.jsonl or args.claims.suffix == ".jsonl" or looks_like_json_lines(text):
        return _check_json_lines(args, text)
    value = _read_json(str(args.claims), text)
    kg = _graph(args.data)
    try:
        output, all_valid = check_document(kg, value)
    except OfflineInputError as err:
        raise _UsageError(f"{args.claims}: {err}") from None
    _write_json(output)
    return 0 if all_valid else 1


def _cmd_code(args: argparse.Namespace) -> int:
    from server.offline import OfflineInputError, code_document

    data = _read_json(str(args.encounter))
    kg = _graph(args.data)
    try:
        coding = code_document(kg, data)
    except OfflineInputError as err:
        raise _UsageError(f"invalid encounter: {err}") from None
    _write_json(coding)
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from kg.importers.base import CmsFileError
    from kg.importers.release import import_files

    try:
        manifest = import_files(args.files, args.out, release=args.release, quarter=args.quarter)
    except CmsFileError as err:
        print(f"import failed, nothing written: {err}", file=sys.stderr)
        return 1
    for warning in manifest.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    _write_json(manifest.to_json())
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from kg.diff import release_diff
    from kg.load import GraphLoadError

    try:
        diff = release_diff(args.old, args.new, code=args.code)
    except (FileNotFoundError, GraphLoadError) as err:
        print(f"diff failed: {err}", file=sys.stderr)
        return 1
    _write_json(diff.to_json())
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from kg.validate import default_data_files, validate_files
    from kg.verify import ReleaseError

    try:
        files = default_data_files(args.data)
    except ReleaseError as err:
        raise _UsageError(str(err)) from None
    report = validate_files(files)
    for violation in report.violations:
        print(violation, file=sys.stderr)
    if report.conforms:
        print("valid: all RDF conforms to ontology/shapes.ttl")
        return 0
    print(f"invalid: {len(report.violations)} violation(s)", file=sys.stderr)
    return 1


def _cmd_build(args: argparse.Namespace) -> int:
    from kg.snapshot import cache_dir

    kg = _graph(args.data or _env_data())
    release = kg.release()
    _write_json({"version": release.version, "builtAt": release.built_at, "layers": list(release.layers),
                 "codes": len(kg.codes()), "triples": release.triples, "cacheDir": str(cache_dir())})
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from server.schema import schema_sdl

    sys.stdout.write(schema_sdl())
    return 0


# ---------------------------------------------------------------------------- parser
def _serve_options(command: argparse.ArgumentParser) -> None:
    env = os.environ.get
    command.add_argument("--host", default=env("CODINGKG_HOST", "127.0.0.1"),
                         help="interface to bind (default 127.0.0.1, or $CODINGKG_HOST; 0.0.0.0 in a container)")
    command.add_argument("--port", type=_port, default=env("CODINGKG_PORT", "8000"),
                         help="TCP port, 0 for any free one (default 8000, or $CODINGKG_PORT)")
    _add_data(command, env=True)
    command.add_argument("--workers", type=_positive, default=env("CODINGKG_WORKERS", "1"), metavar="N",
                         help="worker processes sharing one loaded graph (default 1, or $CODINGKG_WORKERS)")
    command.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                         help="a browser origin allowed to call the API, or * (repeatable; default $CODINGKG_CORS_ORIGINS)")
    command.add_argument("--no-introspection", action="store_true",
                         default=env("CODINGKG_INTROSPECTION", "1").strip().lower() in _OFF,
                         help="reject __schema/__type queries (or CODINGKG_INTROSPECTION=0)")
    command.add_argument("--no-graphiql", action="store_true", default=env("CODINGKG_GRAPHIQL", "1").strip().lower() in _OFF,
                         help="do not serve the browser pages: GraphiQL, the explorer (or CODINGKG_GRAPHIQL=0)")
    command.add_argument("--log-format", choices=("text", "json"), default=env("CODINGKG_LOG_FORMAT", "text"),
                         help="log lines as text (default) or JSON objects with a request id (or $CODINGKG_LOG_FORMAT)")
    command.add_argument("--answer-cache-mb", type=_whole, default=env("CODINGKG_ANSWER_CACHE_MB"), metavar="MB",
                         help="megabytes of complete answers kept for repeated requests, 0 for none "
                              f"(default {ANSWER_CACHE_BYTES // 2**20}, or $CODINGKG_ANSWER_CACHE_MB)")


def _check_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("claims", type=Path, metavar="CLAIMS.json",
                         help="a claim object or a list of them, or JSON Lines (one claim per line) ('-' reads stdin)")
    command.add_argument("--jsonl", action="store_true",
                         help="read JSON Lines and write one ClaimCheck per line (also chosen by a .jsonl name or the content)")
    _add_data(command)


def _code_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("encounter", metavar="ENCOUNTER.json", help="the encounter as JSON ('-' reads standard input)")
    _add_data(command)


def _import_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CMS files (format detected from the header)")
    command.add_argument("--out", required=True, type=Path, metavar="DIR", help="release directory to write")
    command.add_argument("--release", metavar="NAME", help="release name (default: the directory name)")
    command.add_argument("--quarter", metavar="YYYY-Qn", help="quarter for files that do not say which one they are")


def _diff_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("old", type=Path, metavar="A", help="the older release directory")
    command.add_argument("new", type=Path, metavar="B", help="the newer release directory")
    command.add_argument("--code", metavar="C", help="only facts touching this code")


def _data_options(command: argparse.ArgumentParser) -> None:
    _add_data(command)


def _build_options(command: argparse.ArgumentParser) -> None:
    _add_data(command, env=True)


def _no_options(command: argparse.ArgumentParser) -> None:
    return None


_ENV_LINES = "\n".join(f"  {name:24} {meaning}" for name, meaning in ENVIRONMENT.items())

#: (name, one-line description, options, handler, example, exit codes), in the order --help lists them.
_COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int], str, str]] = [
    ("serve", "serve the GraphQL API (GraphiQL at /graphql, health at /healthz)", _serve_options, _cmd_serve,
     "codingkg serve --port 8000 --data releases/2026-q3",
     "0 stopped cleanly; 2 bad option, graph that does not load, or port that cannot be bound"),
    ("check", "check claims offline: JSON shaped like the GraphQL ClaimInput in, ClaimCheck out", _check_options,
     _cmd_check, "codingkg check claims.json", "0 every claim valid; 1 a finding of severity ERROR; 2 bad input"),
    ("code", "code an infusion record offline: EncounterInput JSON in, EncounterCoding out", _code_options, _cmd_code,
     "codingkg code encounter.json", "0 coded (problems in the record are findings); 2 bad input"),
    ("import", "import CMS quarterly files into an RDF release directory (all or nothing)", _import_options,
     _cmd_import, "codingkg import PPRRVU2026_Jan.csv MCR_MUE_*.csv --out releases/2026-q1",
     "0 imported; 1 a file is unreadable or malformed (file:line: reason), nothing written"),
    ("diff", "what changed between two imported releases (JSON)", _diff_options, _cmd_diff,
     "codingkg diff releases/2026-q2 releases/2026-q3", "0 compared; 1 a directory is missing or unreadable"),
    ("validate", "SHACL-check the curated RDF and any release directories", _data_options, _cmd_validate,
     "codingkg validate --data releases/2026-q3", "0 valid; 1 violations (listed on standard error)"),
    ("build", "import the embedded CMS baseline and compile the graph snapshot now (e.g. in an image build)",
     _build_options, _cmd_build, "codingkg build", "0 built; 2 the graph does not load"),
    ("schema", "print the GraphQL schema (SDL)", _no_options, _cmd_schema, "codingkg schema > schema.graphql", "0"),
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(prog="codingkg", formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="An open knowledge graph of medical billing codes (CPT/HCPCS): "
                                 "serve it over GraphQL, check claims, code infusion records, import CMS files.",
                     epilog="Run 'codingkg COMMAND --help' for a command's options, an example and its exit codes.\n\n"
                            f"Environment:\n{_ENV_LINES}")
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, summary, options, handler, example, exits in _COMMANDS:
        epilog = f"example:\n  {example}\n\nexit status:\n  {exits}"
        if name in ("serve", "build"):
            epilog += f"\n\nenvironment (used when the option is not given):\n{_ENV_LINES}"
        command = commands.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".",
                                      epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
        options(command)
        command.set_defaults(func=handler)
    return parser


def run() -> NoReturn:
    """The ``codingkg`` program: :func:`main`, then exit at once.

    A loaded graph is millions of small objects, and an interpreter that exits normally frees
    them one by one: about 0.7 s, a third of ``codingkg check`` on one claim. The operating
    system reclaims the memory anyway, so once the command has returned, exit functions run,
    the standard streams are flushed and the process ends without that teardown. A command
    that leaves a non-daemon thread behind (a server's pool) exits the normal way, which waits
    for it; an exception from the command is reported the normal way too.

    A reader that stops early (``codingkg check claims.jsonl --jsonl | head``) ends the command
    quietly with status 1, as the ``signal`` module's documentation advises, not with a traceback.
    """
    try:
        status = main()
    except BrokenPipeError:
        # Later writes (the flush at exit) must not fail again: standard output goes nowhere now.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(status)
    atexit._run_exitfuncs()  # what a normal exit runs: temporary directories, logging handlers
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away: fail as a normal exit that cannot flush does
        status = status or 120
    os._exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (:func:`run` is the program itself)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except _UsageError as err:
        print(f"codingkg {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
