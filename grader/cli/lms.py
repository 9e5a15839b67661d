"""Commands for LMS integration (Gradescope, Canvas, exports, class report), registered in the CLI."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from grader.assignment import Assignment, load_assignment
from grader.atomic import write_json, write_text
from grader.cli.command import SubParsers
from grader.cli.options import (
    EXIT_OK,
    add_assignment,
    add_common,
    assignment_from_args,
    config_args,
    config_from_args,
)
from grader.errors import AssignmentError, GraderError, NoSubmissionError, SubmissionError
from grader.exports.canvas import read_roster, render_canvas_csv
from grader.exports.class_report import render_report
from grader.exports.gradebook import render_gradebook_csv
from grader.exports.gradescope import (
    VISIBILITIES,
    render_failure_results,
    render_results,
    results_validation_errors,
)
from grader.exports.gradescope_bundle import build_bundle
from grader.exports.similarity import (
    Code,
    SimilarityOptions,
    SimilarityResult,
    find_similar,
    load_code,
)
from grader.grading import grade_submission, grader_failure
from grader.intake.files import choose_submission, extract_zip, find_submissions
from grader.intake.names import safe_id
from grader.scorecards import Scorecard, load_scorecard_dir, single_assignment
from grader.terminal import safe_name, safe_text

__all__ = ["ExportCommand", "GradescopeBundleCommand", "GradescopeCommand", "ReportCommand"]

GRADESCOPE_ROOT = Path("/autograder")


def _visibility_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hidden-visibility",
        choices=VISIBILITIES,
        default="after_published",
        help="Gradescope visibility of the assignment's hidden checks (default: %(default)s; "
        "visible checks are always 'visible')",
    )


class GradescopeCommand:
    """`grade.py gradescope`: grade the upload inside Gradescope's container, write results.json."""

    name = "gradescope"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="grade a Gradescope submission and write results.json",
            description="Run inside Gradescope's autograder: grade the notebook or script in "
            "--submission and write Gradescope's results.json. An upload with nothing to grade "
            "gets a results.json with score 0 and what to do. Exit 0 when results.json was "
            "written; 2 on bad usage or a broken assignment.",
        )
        parser.add_argument(
            "--submission",
            type=Path,
            default=GRADESCOPE_ROOT / "submission",
            metavar="DIR",
            help="folder holding the upload (default: %(default)s)",
        )
        parser.add_argument(
            "--results",
            type=Path,
            default=GRADESCOPE_ROOT / "results" / "results.json",
            metavar="FILE",
            help="results file to write (default: %(default)s)",
        )
        _visibility_arg(parser)
        add_common(parser)

    def run(self, args: argparse.Namespace) -> int:
        started = time.monotonic()
        assignment = assignment_from_args(args)
        results: Path = args.results
        results.parent.mkdir(parents=True, exist_ok=True)
        try:
            chosen = choose_submission(args.submission)
        except NoSubmissionError as exc:
            write_json(
                results, render_failure_results(str(exc), execution_time=time.monotonic() - started)
            )
            print(
                f"grade.py gradescope: {safe_text(str(exc))} (results.json says so)",
                file=sys.stderr,
            )
            return EXIT_OK
        # The student's process must not see the checks (their feedback is theirs to keep
        # hidden), the unseen inputs, the reference, or the results file it could forge.
        hide = [results.parent.resolve(), *assignment.private_paths()]
        student = safe_id(chosen.path.stem)
        try:
            card = grade_submission(
                chosen.path,
                assignment=assignment,
                config=config_from_args(args, assignment),
                student=student,
                hide=hide,
            )
        except Exception as exc:  # whatever failed, Gradescope must get a results.json
            failure = RuntimeError(f"{type(exc).__name__}: {exc}")
            card = grader_failure(
                chosen.path, assignment=assignment, student=student, error=failure
            )
        notes = []
        if chosen.ignored:
            others = ", ".join(safe_name(p.name) for p in chosen.ignored[:5])
            notes.append(
                f"Graded {safe_name(chosen.path.name)}; also found {others}, which were not graded. "
                "Submit only your notebook."
            )
        document = render_results(
            card, title=assignment.title, hidden_visibility=args.hidden_visibility, notes=notes
        )
        problems = results_validation_errors(document)
        if problems:  # a grader bug, never the student's doing: fail loudly
            raise ValueError(f"results.json breaks Gradescope's specification: {problems[:3]}")
        write_json(results, document)
        # stdout is shown to instructors only (stdout_visibility is hidden).
        print(f"{card.student}: {card.score:g}/{card.max_score:g} in {card.duration_s:.1f} s")
        for section in card.sections:
            for check in section.checks:
                print(f"  {check.status:<8} {check.id} ({check.visibility})")
        for error in card.errors:
            print(f"  note: {safe_text(error)}")
        if card.output_tail:
            print("--- output of the student's code (tail) ---\n" + safe_text(card.output_tail))
        return EXIT_OK


class GradescopeBundleCommand:
    """`grade.py gradescope-bundle`: the autograder.zip to upload to Gradescope."""

    name = "gradescope-bundle"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="build the autograder.zip to upload to Gradescope",
            description="Write the zip Gradescope's 'Configure Autograder' takes: setup.sh "
            "(installs Python, bubblewrap and the grader's dependencies, pinned to the versions "
            "installed here), run_autograder, the grader and the assignment, without the "
            "reference solution. Options given here are baked into run_autograder.",
        )
        parser.add_argument("--out", type=Path, required=True, help="the .zip file to write")
        _visibility_arg(parser)
        add_common(parser)

    def run(self, args: argparse.Namespace) -> int:
        assignment = assignment_from_args(args)
        grade_args = [
            "--assignment",
            assignment.root.name,
            "--hidden-visibility",
            args.hidden_visibility,
            *config_args(config_from_args(args, assignment), assignment),
        ]
        bundle = build_bundle(args.out, assignment_root=assignment.root, grade_args=grade_args)
        print(
            f"wrote {bundle.path} ({len(bundle.files)} files; pinned {', '.join(bundle.requirements)}). "
            "Upload it on Gradescope under Configure Autograder > Zip file upload."
        )
        return EXIT_OK


class ExportCommand:
    """`grade.py export canvas|csv`: gradebook files from a folder of scorecards."""

    name = "export"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="write a gradebook CSV (Canvas, or a plain table) from scorecards",
            description="Write a gradebook file from the scorecards `batch` wrote. "
            "Exit 0 on success, 2 on bad input.",
        )
        formats = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
        canvas = formats.add_parser(
            "canvas",
            help="CSV for Canvas's gradebook import",
            description="Write a CSV that Canvas's Grades > Import accepts: Student, ID, SIS User "
            "ID, SIS Login ID, Section and the assignment column. Students are identified by "
            "Canvas's download file names (lastfirst_12345_67890_lab1.ipynb) or, with --roster, "
            "by Canvas's gradebook export. Students without a scorecard are left out, so Canvas "
            "keeps their current grade.",
        )
        canvas.add_argument("--roster", type=Path, help="Canvas's gradebook export (.csv)")
        canvas.add_argument(
            "--column",
            help="assignment column header (default: the roster's column for the assignment, "
            "else the assignment name)",
        )
        plain = formats.add_parser(
            "csv",
            help="plain per-student, per-section CSV",
            description="Write one row per student: total, percent, each section's points and "
            "the Canvas late flag; for Moodle, Blackboard or a spreadsheet.",
        )
        for p in (canvas, plain):
            p.add_argument(
                "--scorecards", type=Path, required=True, metavar="DIR", help="`batch --out` folder"
            )
            p.add_argument("--out", type=Path, required=True, help="the CSV file to write")

    def run(self, args: argparse.Namespace) -> int:
        cards = load_scorecard_dir(args.scorecards)
        assignment = single_assignment(cards, args.scorecards)
        if args.format == "csv":
            write_text(args.out, render_gradebook_csv(cards))
            print(f"wrote {args.out}: {len(cards)} students")
            return EXIT_OK
        roster = read_roster(args.roster) if args.roster else None
        export = render_canvas_csv(cards, column=args.column or assignment, roster=roster)
        if export.rows == 0:
            raise GraderError(
                f"no scorecard in {args.scorecards} could be matched to a Canvas student; "
                + (export.notes[0] if export.notes else "check the --roster file")
            )
        write_text(args.out, export.csv)
        for note in export.notes:
            print(f"grade.py export canvas: {note}", file=sys.stderr)
        print(f"wrote {args.out}: {export.rows} students in column {export.column!r}")
        return EXIT_OK


class ReportCommand:
    """`grade.py report`: the instructor's class report as one HTML file."""

    name = "report"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="write the class report (HTML) from scorecards",
            description="Write one self-contained HTML page: score distribution, pass rate per "
            "section and per check, the most frequent feedback, the slowest submissions and, "
            "with --submissions, pairs of similar submissions (a lead for a human, not a "
            "verdict). Exit 0 on success, 2 on bad input.",
        )
        parser.add_argument(
            "--scorecards", type=Path, required=True, metavar="DIR", help="`batch --out` folder"
        )
        parser.add_argument("--out", type=Path, required=True, help="the .html file to write")
        parser.add_argument(
            "--submissions",
            type=Path,
            metavar="DIR|ZIP",
            help="the folder or zip that was graded, to look for similar submissions",
        )
        parser.add_argument(
            "--template",
            type=Path,
            action="append",
            default=[],
            metavar="FILE",
            help="more expected code to ignore when comparing (the assignment's templates and "
            "reference are always ignored); repeatable",
        )
        parser.add_argument(
            "--similarity-threshold",
            type=float,
            default=SimilarityOptions().threshold,
            metavar="F",
            help="list a pair when this share of one submission's own code is shared "
            "(default: %(default)s)",
        )
        parser.add_argument("--no-plots", action="store_true", help="tables only, no matplotlib")
        add_assignment(parser)

    def run(self, args: argparse.Namespace) -> int:
        cards = load_scorecard_dir(args.scorecards)
        name = single_assignment(cards, args.scorecards)
        try:
            assignment: Assignment | None = load_assignment(
                args.assignment or name, assignments_dir=args.assignments_dir
            )
        except AssignmentError:
            if args.assignment:
                raise
            assignment = None  # scorecards from elsewhere: a report without the title and template
        similarity: SimilarityResult | None = None
        note = "pass --submissions with the folder or zip that `batch` graded"
        if args.submissions is not None:
            codes, missing = _load_codes(cards, args.submissions)
            expected = [
                load_code(p, name=p.name) for p in _expected_files(assignment, args.template)
            ]
            options = SimilarityOptions(threshold=args.similarity_threshold)
            similarity = find_similar(codes, expected=expected, options=options)
            if missing:
                print(
                    f"grade.py report: {len(missing)} scorecard(s) have no file in "
                    f"{args.submissions} and were not compared: {', '.join(missing[:10])}",
                    file=sys.stderr,
                )
        page = render_report(
            cards,
            title=assignment.title if assignment else name,
            generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            similarity=similarity,
            similarity_note=note,
            plots=not args.no_plots,
        )
        write_text(args.out, page)
        print(f"wrote {args.out}: {len(cards)} scorecards")
        return EXIT_OK


def _expected_files(assignment: Assignment | None, extra: list[Path]) -> list[Path]:
    """The code every student was given or is expected to write: templates, reference, extras."""
    for path in extra:
        if not path.is_file():
            raise SubmissionError(f"{path}: no such template file; give a .ipynb or .py file")
    paths = list(extra)
    if assignment is not None:
        paths += [assignment.template_path(s) for s in (".ipynb", ".py")]
        if assignment.reference_path is not None:
            paths.append(assignment.reference_path)
    return [p for p in paths if p.is_file()]


def _load_codes(cards: list[Scorecard], source: Path) -> tuple[list[Code], list[str]]:
    """Each scorecard's code, found by student id (as `batch` names them) or by file name."""
    if not source.exists():
        raise SubmissionError(f"{source}: no such folder or zip file of submissions")
    with tempfile.TemporaryDirectory(prefix="grader-report-") as tmp:
        is_zip = source.is_file() and source.suffix.lower() == ".zip"
        root = extract_zip(source, Path(tmp)) if is_zip else source
        found = find_submissions(root)
        by_student = {f.student: f.path for f in found}
        by_name: dict[str, list[Path]] = {}
        for f in found:
            by_name.setdefault(f.path.name, []).append(f.path)
        codes, missing = [], []
        for card in cards:
            same_name = by_name.get(card.submission.path, [])
            path = by_student.get(card.student) or (same_name[0] if len(same_name) == 1 else None)
            if path is None:
                missing.append(card.student)
            else:
                codes.append(load_code(path, name=card.student))
    return codes, missing
