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


def _cmd_code(args: argparse.Namespace) -> int:
    from kg.encounter import EncounterInputError, code_encounter, coding_to_dict, encounter_from_dict
    from kg.graph import KnowledgeGraph
    from kg.load import GraphLoadError

    try:
        text = sys.stdin.read() if str(args.encounter) == "-" else Path(args.encounter).read_text(encoding="utf-8")
        data = json.loads(text)
        # Accept the GraphQL variables shape {"encounter": {...}} as well as the bare input.
        if isinstance(data, dict) and set(data) == {"encounter"}:
            data = data["encounter"]
        encounter = encounter_from_dict(data)
    except OSError as err:
        print(f"codingkg code: cannot read {args.encounter}: {err.strerror or err}", file=sys.stderr)
        return 2
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        print(f"codingkg code: {args.encounter} is not valid JSON: {err}", file=sys.stderr)
        return 2
    except EncounterInputError as err:
        print(f"codingkg code: invalid encounter: {err}", file=sys.stderr)
        return 2
    try:
        kg = KnowledgeGraph.default(args.data, use_cache=True)
    except GraphLoadError as err:
        print(f"codingkg code: cannot load the graph: {err}", file=sys.stderr)
        return 2
    coding = code_encounter(kg, encounter)
    print(json.dumps(coding_to_dict(coding), indent=2, ensure_ascii=False))
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
