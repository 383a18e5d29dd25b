"""The ``codingkg`` command line: thin commands over library functions.

Each command parses its arguments, calls one library function and prints the result.
Register a command by adding a ``_cmd_*`` function and a line in :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["build_parser", "main"]


def _cmd_validate(args: argparse.Namespace) -> int:
    from kg.validate import default_data_files, validate_files

    report = validate_files(default_data_files(args.data))
    for violation in report.violations:
        print(violation, file=sys.stderr)
    if report.conforms:
        print("valid: all RDF conforms to ontology/shapes.ttl")
        return 0
    print(f"invalid: {len(report.violations)} violation(s)", file=sys.stderr)
    return 1


def _cmd_import(args: argparse.Namespace) -> int:
    import json

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
    import json

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
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
