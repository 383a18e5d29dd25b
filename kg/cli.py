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


def _cmd_check(args: argparse.Namespace) -> int:
    import json

    from kg.claims import ClaimInputError, ClaimRulesError, check_json_document
    from kg.graph import KnowledgeGraph
    from kg.load import GraphLoadError

    name = "standard input" if str(args.claims) == "-" else str(args.claims)
    try:
        text = sys.stdin.read() if str(args.claims) == "-" else Path(args.claims).read_text(encoding="utf-8")
        value = json.loads(text)
    except OSError as err:
        print(f"check: cannot read {name}: {err.strerror or err}", file=sys.stderr)
        return 2
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        print(f"check: {name} is not valid JSON: {err}", file=sys.stderr)
        return 2
    try:
        output, all_valid = check_json_document(KnowledgeGraph.default(args.data), value)
    except ClaimInputError as err:
        print(f"check: {name}: {err}", file=sys.stderr)
        return 2
    except (GraphLoadError, ClaimRulesError) as err:
        print(f"check: cannot load the graph: {err}", file=sys.stderr)
        return 2
    print(json.dumps(output, indent=2, ensure_ascii=False))
    return 0 if all_valid else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="codingkg", description="Knowledge graph of medical billing codes.")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="SHACL-check the embedded RDF and any release directories")
    validate.add_argument("--data", action="append", type=Path, default=[], metavar="DIR",
                          help="an imported release directory (repeatable)")
    validate.set_defaults(func=_cmd_validate)

    check = commands.add_parser("check", help="check claims offline (JSON shaped like the GraphQL ClaimInput); "
                                "exit 0 all valid, 1 an ERROR finding, 2 bad input")
    check.add_argument("claims", type=Path, metavar="CLAIMS.json", help="a claim object or a list of them ('-' reads stdin)")
    check.add_argument("--data", action="append", type=Path, default=[], metavar="DIR",
                       help="an imported release directory (repeatable)")
    check.set_defaults(func=_cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
