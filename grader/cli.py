"""The command line: `python grade.py check|batch|templates ...`.

Exit codes: 0 success; 1 `check` found a visible check that did not pass; 2 usage or input
error (a GraderError, printed as one line); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from grader.assignment import ASSIGNMENTS_DIR, Assignment, load_assignment
from grader.batch import grade_batch
from grader.cluster import grade_batch_on_cluster
from grader.config import GraderConfig
from grader.doctor import examine
from grader.doctor import render as render_doctor
from grader.errors import GraderError, SubmissionError
from grader.exports.summary import render_summary_csv
from grader.grading import grade_submission
from grader.paths import extract_zip, find_submissions, safe_id
from grader.report import render_student_report, visible_passed
from grader.scorecard import render_scorecard
from grader.submission import find_format

EXIT_OK, EXIT_CHECKS_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--assignment",
        metavar="NAME",
        help="assignment folder under assignments/ (default: the only one)",
    )
    parser.add_argument(
        "--assignments-dir", type=Path, default=ASSIGNMENTS_DIR, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--section-timeout",
        type=float,
        metavar="S",
        help="seconds one section may run (default: from the assignment spec)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="seconds a whole submission may run (default: from the assignment spec)",
    )
    parser.add_argument(
        "--max-processes",
        type=int,
        metavar="N",
        default=GraderConfig().max_processes,
        help="processes and threads the student code may have (default: %(default)s)",
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        metavar="MB",
        default=GraderConfig().memory_mb,
        help="memory limit of the student process (default: %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade.py",
        description="Autograder for the 'Intro to TensorFlow' lab.",
        epilog="Exit codes: 0 ok; 1 (check) a visible check did not pass; 2 bad input or usage; "
        "130 interrupted.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser(
        "check",
        help="self-check one submission and print a report",
        description="Grade one notebook or script and print a per-section report. "
        "Hidden checks are counted but not shown. Exit 0 when every "
        "visible check passes, 1 otherwise, 2 on bad input.",
    )
    check.add_argument("submission", type=Path, help="a .ipynb notebook or .py script")
    check.add_argument("--json", action="store_true", help="print the scorecard as JSON instead")
    _add_common(check)

    batch = sub.add_parser(
        "batch",
        help="grade a folder or .zip of submissions",
        description="Grade every .ipynb/.py in a folder or zip: writes "
        "OUT/<student>.json and OUT/summary.csv. Exit 0 when grading "
        "completed, whatever the scores; 2 on bad input.",
    )
    batch.add_argument("input", type=Path, help="a folder or a .zip of submissions")
    batch.add_argument("--out", type=Path, required=True, help="folder for the scorecards")
    batch.add_argument("--quiet", action="store_true", help="no progress lines")
    batch.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="grade on a Dask cluster (e.g. tcp://scheduler:8786) instead of this machine's cores",
    )
    batch.add_argument(
        "--resume",
        action="store_true",
        help="skip submissions whose scorecard in --out was made from the same file (after an interrupted batch)",
    )
    batch.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="submissions graded at once (default: the number of cores, %(default)s)",
    )
    _add_common(batch)

    templates = sub.add_parser(
        "templates",
        help="regenerate the student templates from the reference",
        description="Write template.ipynb and template.py from the reference "
        "solution. With --check, only report whether they are stale "
        "(exit 1 if so).",
    )
    templates.add_argument("--check", action="store_true", help="exit 1 if the templates are stale")
    templates.add_argument("--assignment", metavar="NAME")
    templates.add_argument(
        "--assignments-dir", type=Path, default=ASSIGNMENTS_DIR, help=argparse.SUPPRESS
    )
    sub.add_parser(
        "doctor",
        help="report how well this machine can isolate student code",
        description="Report what this machine supports for isolating student code (bubblewrap, "
        "a separate user, limits) and how to get more. Exit 0 when full isolation is available, "
        "1 otherwise.",
    )
    for command in EXTRA_COMMANDS:
        command.add_parser(sub, _add_common)
    return parser


def _config(args: argparse.Namespace, assignment: Assignment) -> GraderConfig:
    return GraderConfig(
        section_timeout_s=args.section_timeout or assignment.limits.section_timeout_s,
        submission_timeout_s=args.timeout or assignment.limits.submission_timeout_s,
        memory_mb=args.memory_mb,
        max_processes=args.max_processes,
    )


def cmd_check(args: argparse.Namespace) -> int:
    assignment = load_assignment(args.assignment, assignments_dir=args.assignments_dir)
    path: Path = args.submission
    find_format(path)
    if not path.is_file():
        raise SubmissionError(f"{path}: no such file; give the path to your .ipynb or .py file")
    card = grade_submission(
        path,
        assignment=assignment,
        config=_config(args, assignment),
        student=safe_id(path.stem),
        hide=assignment.private_paths(),
    )
    if args.json:
        print(json.dumps(render_scorecard(card), indent=2, ensure_ascii=False))
    else:
        print(render_student_report(card, title=assignment.title), end="")
    return EXIT_OK if visible_passed(card) else EXIT_CHECKS_FAILED


def cmd_batch(args: argparse.Namespace) -> int:
    assignment = load_assignment(args.assignment, assignments_dir=args.assignments_dir)
    source: Path = args.input
    out: Path = args.out
    if not source.exists():
        raise SubmissionError(f"{source}: no such folder or zip file")
    config = _config(args, assignment)
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as tmp:
        if source.is_file() and source.suffix.lower() == ".zip":
            root = extract_zip(source, Path(tmp))
        elif source.is_dir():
            root = source
        else:
            raise SubmissionError(f"{source}: expected a folder or a .zip of submissions")
        found = find_submissions(root)
        if not found:
            raise SubmissionError(f"{source}: no .ipynb or .py submissions found")
        out.mkdir(parents=True, exist_ok=True)
        hide = [root, out.resolve(), *assignment.private_paths()]
        from grader.progress import BatchProgress  # rich: only batches draw progress

        # Checks run pytest, which redirects sys.stderr for a moment: keep the real one.
        with BatchProgress(len(found), stream=sys.stderr, quiet=args.quiet) as progress:
            if args.cluster:
                cards = grade_batch_on_cluster(
                    found,
                    assignment=assignment,
                    config=config,
                    out=out,
                    scheduler=args.cluster,
                    on_result=progress.update,
                )
            else:
                cards = grade_batch(
                    found,
                    assignment=assignment,
                    config=config,
                    out=out,
                    hide=hide,
                    workers=args.workers,
                    resume=args.resume,
                    on_result=progress.update,
                )
        summary = render_summary_csv(cards, assignment.section_ids)
        (out / "summary.csv").write_text(summary, encoding="utf-8")
        progress.summary(cards, out=str(out))
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    findings = examine()
    print(render_doctor(findings), end="")
    return EXIT_OK if all(f.ok for f in findings) else EXIT_CHECKS_FAILED


def cmd_templates(args: argparse.Namespace) -> int:
    from grader.templates import stale_templates, write_templates  # nbformat, jupytext

    assignment = load_assignment(args.assignment, assignments_dir=args.assignments_dir)
    if assignment.reference_path is None:
        raise GraderError(f"{assignment.root / 'spec.toml'} names no reference notebook")
    if args.check:
        stale = stale_templates(assignment.reference_path, assignment.root)
        for path in stale:
            print(f"{path} is stale: run `python grade.py templates`", file=sys.stderr)
        return EXIT_CHECKS_FAILED if stale else EXIT_OK
    for path in write_templates(assignment.reference_path, assignment.root):
        print(f"wrote {path}")
    return EXIT_OK


class Command(Protocol):
    """A command defined outside this module (LMS exports, reports): its parser and its action."""

    name: str

    def add_parser(
        self,
        sub: argparse._SubParsersAction,  # type: ignore[type-arg]
        add_common: Callable[[argparse.ArgumentParser], None],
    ) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _extra_commands() -> list[Command]:
    from grader.lms import COMMANDS

    return list(COMMANDS)


EXTRA_COMMANDS: list[Command] = _extra_commands()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "check": cmd_check,
        "batch": cmd_batch,
        "templates": cmd_templates,
        "doctor": cmd_doctor,
    }
    commands.update({c.name: c.run for c in EXTRA_COMMANDS})
    try:
        return commands[args.command](args)
    except GraderError as exc:
        print(f"grade.py {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"grade.py {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
