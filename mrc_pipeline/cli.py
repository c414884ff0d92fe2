"""The ``mrc`` command: ``mrc run`` is the main job; ``mrc validate`` checks workbooks
without running it; ``mrc template`` writes a blank instrument."""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import logging
import sys
from pathlib import Path

from mrc_pipeline import history
from mrc_pipeline.reference import DEFAULT_DATA_DIR


def _run(args: argparse.Namespace) -> int:
    from mrc_pipeline.defs.runner import run_pipeline

    if args.k is not None and not args.public:
        build_parser().error("--k applies only with --public")
    if args.k is not None and args.k < 2:
        build_parser().error(f"--k {args.k}: a published figure must cover at least 2 "
                             "countries")
    assessments = Path(args.data) / "assessments"
    problem = (None if assessments.is_dir() else
               f"{assessments} is not a folder; expected the assessments folder of the "
               "data folder (--data)")
    problem = problem or _unwritable(Path(args.output), "--output") or _unwritable(
        Path(args.dagster_home), "--dagster-home")
    if problem:
        print(f"mrc run: {problem}", file=sys.stderr)
        return 2
    try:
        summary = run_pipeline(Path(args.data), Path(args.output),
                               Path(args.dagster_home), public=args.public,
                               k=2 if args.k is None else args.k, full=args.full,
                               workers=args.workers)
    except FileNotFoundError as exc:
        print(f"mrc run: {exc}", file=sys.stderr)
        return 2
    print(summary.render())
    return summary.exit_status


def _unwritable(folder: Path, option: str) -> str | None:
    """Why ``folder`` cannot hold output (None when it can), checked before any run."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return (f"{option} {folder}: cannot write there ({exc.strerror or exc}); "
                "expected a folder this user can create and write")
    return None


def _validate(args: argparse.Namespace) -> int:
    from mrc_pipeline.instrument import check_workbook
    from mrc_pipeline.reference import Reference

    ref = Reference(Path(args.data))
    errors = warnings = 0
    names = [Path(name).name for name in args.files]
    for name in args.files:
        issues = check_workbook(Path(name), ref)
        # Lines name the workbook by its file name, as field officers know it; when two
        # arguments share a name, or the file is missing, the path given tells them apart.
        if names.count(Path(name).name) > 1 or not Path(name).exists():
            issues = [dataclasses.replace(i, file=name) for i in issues]
        for issue in issues:
            print(issue)
        n_errors = sum(i.severity == "error" for i in issues)
        errors += n_errors
        warnings += len(issues) - n_errors
        if not issues:
            print(f"{Path(name).name}: ok", file=sys.stderr)
    print(f"{len(args.files)} workbook(s) checked: {errors} error(s), {warnings} "
          "warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _template(args: argparse.Namespace) -> int:
    from mrc_pipeline.reference import Reference
    from mrc_pipeline.template import write_instrument

    try:
        path = write_instrument(Path(args.output), iso3=args.country, year=args.year,
                                ref=Reference(Path(args.data)), lang=args.lang)
    except (ValueError, OSError) as exc:
        print(f"mrc template: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


def _year(text: str) -> int:
    if not (text.isdigit() and 1990 <= int(text) <= 2100):
        raise argparse.ArgumentTypeError(f"'{text}' is not a four-digit year (1990-2100)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mrc", description="MRC comparative analysis")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="materialise every asset on the assessment workbooks")
    run.add_argument("--data", default=os.environ.get("MRC_DATA_DIR", str(DEFAULT_DATA_DIR)),
                     help="data folder with assessments/, reference/, published/ "
                          "(default: $MRC_DATA_DIR, else the shipped data)")
    run.add_argument("--output", default=os.environ.get("MRC_OUTPUT_DIR", "output"),
                     help="output folder (default: $MRC_OUTPUT_DIR, else output)")
    run.add_argument("--dagster-home", default=None,
                     help="Dagster instance folder (default: $DAGSTER_HOME, else .dagster)")
    run.add_argument("--public", action="store_true",
                     help="also write the public set to <output>/public: aggregates over "
                          "at least k countries, no country named")
    run.add_argument("--k", type=int, default=None,
                     help="with --public: smallest number of countries behind a "
                          "published figure (default 2)")
    run.add_argument("--full", action="store_true",
                     help="re-run every assessment, even those unchanged since their last "
                          "validated run")
    run.add_argument("--workers", type=int, default=None,
                     help="assessment runs at once (default: one per CPU, at most 4)")
    run.set_defaults(func=_run)
    val = sub.add_parser("validate", help="check workbooks without running the pipeline: "
                         "one line per problem; exit status 1 when any error")
    val.add_argument("files", nargs="+", metavar="FILE", help="workbook(s) to check")
    val.add_argument("--data", default=str(DEFAULT_DATA_DIR),
                     help="data folder whose reference/ lists capabilities, countries "
                          "and scales")
    val.set_defaults(func=_validate)
    tpl = sub.add_parser("template", help="write a blank instrument workbook with the 20 "
                         "capabilities and drop-down lists on the rating columns")
    tpl.add_argument("--country", required=True, metavar="ISO3")
    tpl.add_argument("--year", required=True, type=_year, metavar="YYYY")
    tpl.add_argument("--lang", choices=["en", "es"], default="en")
    tpl.add_argument("-o", "--output", required=True, metavar="FILE")
    tpl.add_argument("--data", default=str(DEFAULT_DATA_DIR),
                     help="data folder with reference/")
    tpl.set_defaults(func=_template)
    history.add_parser(sub)
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
