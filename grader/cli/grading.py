"""`grade.py check` (one submission, the student's report) and `grade.py batch` (many)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from grader.adjust import adjust, load_policy
from grader.atomic import write_text
from grader.batch.cluster import grade_batch_on_cluster
from grader.batch.local import grade_batch
from grader.cli.command import SubParsers
from grader.cli.options import (
    EXIT_CHECKS_FAILED,
    EXIT_OK,
    add_common,
    assignment_from_args,
    config_from_args,
    positive_int,
)
from grader.cli.results import print_warnings
from grader.errors import GraderError, SubmissionError
from grader.exports.student_report import (
    render_student_report,
    render_student_view,
    student_view_errors,
)
from grader.exports.summary import render_summary_csv
from grader.grading import grade_submission, grader_failure
from grader.intake.files import extract_zip, find_submissions
from grader.intake.names import safe_id
from grader.intake.submission import find_format
from grader.scoring import visible_passed
from grader.terminal import json_for_terminal, safe_name

__all__ = ["BatchCommand", "CheckCommand"]


class CheckCommand:
    """`grade.py check FILE`: grade one submission and print the student's report."""

    name = "check"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="self-check one submission and print a report",
            description="Grade one notebook or script and print a per-section report. "
            "Hidden checks are counted but not shown. Exit 0 when every "
            "visible check passes, 1 otherwise, 2 on bad input.",
        )
        parser.add_argument("submission", type=Path, help="a .ipynb notebook or .py script")
        parser.add_argument(
            "--json",
            action="store_true",
            help="print the student view of the scorecard as JSON instead (visible checks in "
            "full, hidden checks as counts; see grader/student_view.schema.json)",
        )
        add_common(parser)

    def run(self, args: argparse.Namespace) -> int:
        assignment = assignment_from_args(args)
        path: Path = args.submission
        find_format(path)
        if not path.is_file():
            raise SubmissionError(
                f"{safe_name(str(path))}: no such file; give the path to your .ipynb or .py file"
            )
        student = safe_id(path.stem)
        try:
            card = grade_submission(
                path,
                assignment=assignment,
                config=config_from_args(args, assignment),
                student=student,
                hide=assignment.trusted_paths(),
            )
        except GraderError:
            raise  # the file cannot be read, or the isolation asked for cannot be had: one line
        except Exception as exc:  # the grader failed on this file: a report still says so
            error = RuntimeError(f"{type(exc).__name__}: {exc}")
            card = grader_failure(path, assignment=assignment, student=student, error=error)
        if args.json:
            view = render_student_view(card)
            problems = student_view_errors(view)
            if problems:  # a grader bug, never the student's doing: fail loudly
                raise ValueError(f"the student view breaks its schema: {problems[:3]}")
            print(json_for_terminal(view))
        else:
            print(render_student_report(card, title=assignment.title), end="")
        return EXIT_OK if visible_passed(card.sections) else EXIT_CHECKS_FAILED


class BatchCommand:
    """`grade.py batch DIR|ZIP --out DIR`: a scorecard per submission and `summary.csv`."""

    name = "batch"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="grade a folder or .zip of submissions",
            description="Grade every .ipynb/.py in a folder or zip: writes "
            "OUT/<student>.json and OUT/summary.csv (which applies OUT/overrides.toml, the "
            "instructor's overrides and late policy, when there is one; batch never changes "
            "that file). Exit 0 when grading completed, whatever the scores; 2 on bad input.",
        )
        parser.add_argument("input", type=Path, help="a folder or a .zip of submissions")
        parser.add_argument("--out", type=Path, required=True, help="folder for the scorecards")
        parser.add_argument("--quiet", action="store_true", help="no progress lines")
        parser.add_argument(
            "--cluster",
            metavar="ADDRESS",
            help="grade on a Dask cluster (e.g. tcp://scheduler:8786) instead of this machine's "
            "cores; the cluster's workers decide how many run at once",
        )
        parser.add_argument(
            "--resume",
            action="store_true",
            help="skip submissions whose scorecard in --out was made from the same file (after an interrupted batch)",
        )
        parser.add_argument(
            "--workers",
            type=positive_int,
            metavar="N",
            help=f"submissions graded at once on this machine (default: the number of cores, {os.cpu_count() or 1})",
        )
        add_common(parser)

    def run(self, args: argparse.Namespace) -> int:
        assignment = assignment_from_args(args)
        source: Path = args.input
        out: Path = args.out
        if args.cluster and args.workers is not None:
            raise SubmissionError(
                "--workers does not apply with --cluster: the Dask workers grade one "
                "submission each (start more with `dask worker --nworkers N`)"
            )
        if not source.exists():
            raise SubmissionError(f"{safe_name(str(source))}: no such folder or zip file")
        config = config_from_args(args, assignment)
        policy = load_policy(out)  # a broken overrides.toml stops the batch before it starts
        with tempfile.TemporaryDirectory(prefix="grader-batch-") as tmp:
            if source.is_file() and source.suffix.lower() == ".zip":
                root = extract_zip(source, Path(tmp))
            elif source.is_dir():
                root = source
            else:
                raise SubmissionError(
                    f"{safe_name(str(source))}: expected a folder or a .zip of submissions"
                )
            found = find_submissions(root)
            if not found:
                raise SubmissionError(
                    f"{safe_name(str(source))}: no .ipynb or .py submissions found"
                )
            out.mkdir(parents=True, exist_ok=True)
            hide = [root, out.resolve(), *assignment.trusted_paths()]
            from grader.batch.progress import BatchProgress  # rich: only batches draw progress

            # Checks run pytest, which redirects sys.stderr for a moment: keep the real one.
            with BatchProgress(len(found), stream=sys.stderr, quiet=args.quiet) as progress:
                if args.cluster:
                    progress.status(f"sending submissions to the Dask cluster at {args.cluster}")
                    cards = grade_batch_on_cluster(
                        found,
                        assignment=assignment,
                        config=config,
                        out=out,
                        scheduler=args.cluster,
                        resume=args.resume,
                        on_result=progress.update,
                        on_skipped=progress.skipped,
                    )
                else:
                    cards = grade_batch(
                        found,
                        assignment=assignment,
                        config=config,
                        out=out,
                        hide=hide,
                        workers=args.workers or os.cpu_count() or 1,
                        resume=args.resume,
                        on_result=progress.update,
                        on_starting=progress.starting,
                        on_skipped=progress.skipped,
                    )
            adjusted = adjust(cards, policy)
            write_text(
                out / "summary.csv", render_summary_csv(adjusted.results, assignment.section_ids)
            )
            print_warnings(adjusted, command="batch")
            progress.summary(adjusted, out=str(out))
        return EXIT_OK
