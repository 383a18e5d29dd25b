"""The ``codingkg`` command line: thin commands over library functions.

Each command parses its arguments, calls one library function and prints the result.
Register a command by adding a ``_cmd_*`` function and a line in :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["build_parser", "main"]


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


class _UsageError(Exception):
    """Bad input to a command: printed as one line on standard error, exit status 2."""


def _read_json(argument: str) -> Any:
    """The JSON document at ``argument`` (a path, or ``-`` for standard input)."""
    name = "standard input" if argument == "-" else argument
    try:
        text = sys.stdin.read() if argument == "-" else Path(argument).read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as err:
        raise _UsageError(f"cannot read {name}: {err.strerror or err}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise _UsageError(f"{name} is not valid JSON: {err}") from None


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


def _cmd_code(args: argparse.Namespace) -> int:
    from kg.encounter import EncounterInputError, code_encounter, coding_to_dict, encounter_from_dict

    data = _read_json(str(args.encounter))
    # Accept the GraphQL variables shape {"encounter": {...}} as well as the bare input.
    if isinstance(data, dict) and set(data) == {"encounter"}:
        data = data["encounter"]
    try:
        encounter = encounter_from_dict(data)
    except EncounterInputError as err:
        raise _UsageError(f"invalid encounter: {err}") from None
    coding = code_encounter(_graph(args.data), encounter)
    print(json.dumps(coding_to_dict(coding), indent=2, ensure_ascii=False))
    return 0


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
    from kg.verify import ReleaseError
    from server.serve import serve
    from server.settings import ServerSettings

    settings = ServerSettings(data_dirs=tuple(args.data), cors_origins=tuple(args.cors_origin),
                              introspection=not args.no_introspection, graphiql=not args.no_graphiql)
    try:
        serve(settings, host=args.host, port=args.port, workers=args.workers, log_format=args.log_format)
    except ReleaseError as err:  # raised while loading, before the port is bound
        raise _UsageError(str(err)) from None
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from server.schema import schema_sdl

    sys.stdout.write(schema_sdl())
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _cmd_check(args: argparse.Namespace) -> int:
    from kg.claims import ClaimInputError, ClaimRulesError, check_json_document

    value = _read_json(str(args.claims))
    kg = _graph(args.data)
    try:
        output, all_valid = check_json_document(kg, value)
    except ClaimInputError as err:
        raise _UsageError(f"{args.claims}: {err}") from None
    except ClaimRulesError as err:
        raise _UsageError(f"cannot load the claim rules: {err}") from None
    print(json.dumps(output, indent=2, ensure_ascii=False))
    return 0 if all_valid else 1


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
    print(json.dumps(manifest.to_json(), indent=2))
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from kg.diff import release_diff
    from kg.load import GraphLoadError

    try:
        diff = release_diff(args.old, args.new, code=args.code)
    except (FileNotFoundError, GraphLoadError) as err:
        print(f"diff failed: {err}", file=sys.stderr)
        return 1
    print(json.dumps(diff.to_json(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="codingkg", description="Knowledge graph of medical billing codes.")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="SHACL-check the embedded RDF and any release directories")
    validate.add_argument("--data", action="append", type=Path, default=[], metavar="DIR",
                          help="an imported release directory (repeatable)")
    validate.set_defaults(func=_cmd_validate)

    code = commands.add_parser("code", help="code an infusion record (EncounterInput JSON) offline, JSON out")
    code.add_argument("encounter", metavar="ENCOUNTER.json", help="the encounter as JSON ('-' reads standard input)")
    code.add_argument("--data", action="append", type=Path, default=[], metavar="DIR",
                      help="an imported release directory (repeatable)")
    code.set_defaults(func=_cmd_code)

    serve = commands.add_parser("serve", help="serve the GraphQL API (GraphiQL at /graphql, health at /healthz)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    serve.add_argument("--data", action="append", type=Path, default=[], metavar="DIR",
                       help="an imported release directory layered over the embedded graph (repeatable)")
    serve.add_argument("--workers", type=_positive, default=1, metavar="N", help="worker processes (default 1)")
    serve.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                       help="a browser origin allowed to call the API, or * (repeatable)")
    serve.add_argument("--no-introspection", action="store_true", help="reject __schema/__type queries")
    serve.add_argument("--no-graphiql", action="store_true", help="do not serve the GraphiQL playground")
    serve.add_argument("--log-format", choices=("text", "json"), default="text",
                       help="log lines as text (default) or JSON objects with a request id")
    serve.set_defaults(func=_cmd_serve)

    schema = commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.set_defaults(func=_cmd_schema)

    check = commands.add_parser("check", help="check claims offline (JSON shaped like the GraphQL ClaimInput); "
                                "exit 0 all valid, 1 an ERROR finding, 2 bad input")
    check.add_argument("claims", type=Path, metavar="CLAIMS.json", help="a claim object or a list of them ('-' reads stdin)")
    check.add_argument("--data", action="append", type=Path, default=[], metavar="DIR",
                       help="an imported release directory (repeatable)")
    check.set_defaults(func=_cmd_check)

    importer = commands.add_parser("import", help="import CMS quarterly files into an RDF release directory")
    importer.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CMS files (format detected from the header)")
    importer.add_argument("--out", required=True, type=Path, metavar="DIR", help="release directory to write")
    importer.add_argument("--release", metavar="NAME", help="release name (default: the directory name)")
    importer.add_argument("--quarter", metavar="YYYY-Qn", help="quarter for files that do not say which one they are")
    importer.set_defaults(func=_cmd_import)

    diff = commands.add_parser("diff", help="what changed between two imported releases (JSON)")
    diff.add_argument("old", type=Path, metavar="A", help="the older release directory")
    diff.add_argument("new", type=Path, metavar="B", help="the newer release directory")
    diff.add_argument("--code", metavar="C", help="only facts touching this code")
    diff.set_defaults(func=_cmd_diff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except _UsageError as err:
        print(f"codingkg {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
