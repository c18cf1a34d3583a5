"""The ``battlemap`` command: one subcommand module each, domain errors as one line, exit 2."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from battlemap.geodata.errors import BattlemapError

__all__ = ["main"]

# Subcommand modules, each exposing register(subparsers) that sets `func` on its parser.
COMMAND_MODULES = (
    "battlemap.cli.generate",
    "battlemap.cli.stats",
    "battlemap.cli.exit_report",
    "battlemap.cli.brief",
    "battlemap.cli.cadres_report",
    "battlemap.cli.funds_report",
    "battlemap.cli.export",
    "battlemap.cli.db",
    "battlemap.cli.import_",
    "battlemap.cli.run",
    "battlemap.cli.user",
    "battlemap.cli.token",
    "battlemap.cli.audit",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="battlemap", description="Poverty-alleviation battle map (挂图作战)."
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BattlemapError as exc:
        print(f"battlemap: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("battlemap: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which closed it early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
