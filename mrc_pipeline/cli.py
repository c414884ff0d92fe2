"""The ``mrc`` command: ``mrc run`` is the main job; more subcommands follow."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from mrc_pipeline.reference import DEFAULT_DATA_DIR


def _run(args: argparse.Namespace) -> int:
    from mrc_pipeline.defs.runner import run_pipeline

    summary = run_pipeline(Path(args.data), Path(args.output), Path(args.dagster_home))
    print(summary.render())
    return 0 if summary.aggregate_ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mrc", description="MRC comparative analysis")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="materialise every asset on the assessment workbooks")
    run.add_argument("--data", default=str(DEFAULT_DATA_DIR),
                     help="data folder with assessments/, reference/, published/")
    run.add_argument("--output", default="output", help="output folder (default: output)")
    run.add_argument("--dagster-home", default=None,
                     help="Dagster instance folder (default: $DAGSTER_HOME, else .dagster)")
    run.set_defaults(func=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    import os

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "dagster_home", "unset") is None:
        args.dagster_home = os.environ.get("DAGSTER_HOME") or ".dagster"
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
