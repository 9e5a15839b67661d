"""Commands for the instructor's gradebook: `export canvas|csv|feedback` and the class `report`."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import zipfile
from pathlib import Path

from grader.adjust import OVERRIDES_FILE, AdjustedClass
from grader.assignment import Assignment, load_assignment
from grader.atomic import write_text
from grader.cli.command import SubParsers
from grader.cli.options import EXIT_OK, add_assignment
from grader.cli.results import add_overrides, load_results
from grader.errors import AssignmentError, GraderError, SubmissionError
from grader.exports.canvas import choose_column, read_roster, render_canvas_csv
from grader.exports.class_report import render_report
from grader.exports.feedback import feedback_filename, render_feedback_pages
from grader.exports.gradebook import render_gradebook_csv
from grader.exports.similarity import (
    Code,
    SimilarityOptions,
    SimilarityResult,
    find_similar,
    load_code,
)
from grader.intake.files import extract_zip, find_submissions
from grader.scorecards import Scorecard, single_assignment

__all__ = ["ExportCommand", "ReportCommand"]


class ExportCommand:
    """`grade.py export canvas|csv|feedback`: gradebook files and feedback pages from scorecards."""

    name = "export"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="write a gradebook CSV (Canvas, or a plain table) or feedback pages",
            description="Write a gradebook file, or a feedback page per student, from the "
            f"scorecards `batch` wrote, with the overrides and late policy in {OVERRIDES_FILE} "
            "applied. Exit 0 on success, 2 on bad input.",
        )
        formats = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
        canvas = formats.add_parser(
            "canvas",
            help="CSV for Canvas's gradebook import",
            description="Write a CSV that Canvas's Grades > Import accepts: Student, ID, SIS User "
            "ID, SIS Login ID, Section and the assignment column. With --roster (Canvas's "
            "gradebook export) the column is the roster's own `Name (id)` header for the "
            "assignment, students are matched by Canvas id (from the download file names), "
            "else SIS login, else by name with a warning, and the Student column holds the "
            "roster's names; no matching column is an error. Without --roster, students are "
            "identified by Canvas's download file names (lastfirst_12345_67890_lab1.ipynb) and "
            "Canvas creates a new column unless one has exactly that title. Students without a "
            "scorecard are left out, so Canvas keeps their current grade. Exit 0 on success, 2 "
            "on bad input (no matching column, nobody matched).",
        )
        canvas.add_argument("--roster", type=Path, help="Canvas's gradebook export (.csv)")
        canvas.add_argument(
            "--column",
            help="the assignment column: with --roster, its name or its id (`Lab 1: Intro to "
            "TensorFlow` or 98765, for the header `Lab 1: Intro to TensorFlow (98765)`); "
            "default: the roster's column whose name matches the assignment's, else the "
            "assignment name",
        )
        canvas.add_argument(
            "--new-column",
            action="store_true",
            help="with --roster, write --column even though the roster has no such column "
            "(Canvas then creates a new assignment)",
        )
        plain = formats.add_parser(
            "csv",
            help="plain per-student, per-section CSV",
            description="Write one row per student: total, percent, each section's points, the "
            "Canvas late flag and penalty, the grader's own total and the overrides; for "
            "Moodle, Blackboard or a spreadsheet. Exit 0 on success, 2 on bad input.",
        )
        feedback = formats.add_parser(
            "feedback",
            help="one HTML feedback page per student, to hand back",
            description="Write one self-contained HTML page per student into --out: their "
            "score, each section and visible check with its feedback, overrides with their "
            "reasons and the late penalty. Hidden checks appear as counts unless "
            "--release-hidden. Pages of Canvas submissions are named "
            "<name>_<user id>_<submission file id>_feedback.html, which Canvas's Re-Upload "
            "Submissions attaches to each student's submission (upload them as one zip, see "
            "--zip); others are named <student>_feedback.html. Exit 0 on success, 2 on bad input.",
        )
        feedback.add_argument(
            "--release-hidden",
            action="store_true",
            help="show hidden checks by name, with their feedback (after the deadline)",
        )
        feedback.add_argument(
            "--zip",
            type=Path,
            metavar="FILE",
            help="also write the pages into this .zip, ready for Canvas's Re-Upload Submissions",
        )
        feedback.add_argument(
            "--scorecards", type=Path, required=True, metavar="DIR", help="`batch --out` folder"
        )
        feedback.add_argument("--out", type=Path, required=True, help="folder for the pages")
        add_overrides(feedback)
        add_assignment(feedback)
        for p in (canvas, plain):
            p.add_argument(
                "--scorecards", type=Path, required=True, metavar="DIR", help="`batch --out` folder"
            )
            p.add_argument("--out", type=Path, required=True, help="the CSV file to write")
            add_overrides(p)
        add_assignment(canvas)

    def run(self, args: argparse.Namespace) -> int:
        adjusted = load_results(
            args.scorecards, overrides=args.overrides, command=f"export {args.format}"
        )
        cards = [r.card for r in adjusted.results]
        name = single_assignment(cards, args.scorecards)
        if args.format == "csv":
            write_text(args.out, render_gradebook_csv(adjusted.results))
            print(f"wrote {args.out}: {len(cards)} students")
            return EXIT_OK
        assignment = _assignment_or_none(args, name)
        title = assignment.title if assignment else name
        if args.format == "feedback":
            return _write_feedback(args, adjusted, title=title)
        roster = read_roster(args.roster) if args.roster else None
        if roster is not None:
            column, how = choose_column(
                roster, column=args.column, names=[title, name], allow_new=args.new_column
            )
            print(f"grade.py export canvas: {how}", file=sys.stderr)
        else:
            column = args.column or name
        export = render_canvas_csv(adjusted.results, column=column, roster=roster)
        if export.rows == 0:
            raise GraderError(
                f"no scorecard in {args.scorecards} could be matched to a Canvas student; "
                + (export.notes[-1] if export.notes else "check the --roster file")
            )
        write_text(args.out, export.csv)
        for note in export.notes:
            print(f"grade.py export canvas: {note}", file=sys.stderr)
        print(f"wrote {args.out}: {export.rows} students in column {export.column!r}")
        return EXIT_OK


def _assignment_or_none(args: argparse.Namespace, name: str) -> Assignment | None:
    """The scorecards' assignment, for its title; `None` for scorecards graded elsewhere."""
    try:
        return load_assignment(args.assignment or name, assignments_dir=args.assignments_dir)
    except AssignmentError:
        if args.assignment:
            raise
        return None


def _write_feedback(args: argparse.Namespace, adjusted: AdjustedClass, *, title: str) -> int:
    pages, notes = render_feedback_pages(adjusted, title=title, release_hidden=args.release_hidden)
    out: Path = args.out
    for page in pages:
        write_text(out / page.filename, page.html)
    for note in notes:
        print(f"grade.py export feedback: {note}", file=sys.stderr)
    canvas = sum(p.canvas for p in pages)
    print(f"wrote {len(pages)} feedback pages to {out} ({canvas} named for Canvas)")
    if args.zip is not None:
        _write_zip(args.zip, [(p.filename, p.html) for p in pages])
        print(
            f"wrote {args.zip}: upload it in Canvas's gradebook, assignment menu > Re-Upload Submissions"
        )
    elif canvas:
        print(
            "for Canvas: zip the pages (or pass --zip FILE) and upload the zip in the gradebook, "
            "assignment menu > Re-Upload Submissions"
        )
    return EXIT_OK


def _write_zip(path: Path, files: list[tuple[str, str]]) -> None:
    """A zip of `files` (name, text), written atomically like every other output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in files:
                zf.writestr(name, text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ReportCommand:
    """`grade.py report`: the instructor's class report as one HTML file."""

    name = "report"

    def add_parser(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help="write the class report (HTML) from scorecards",
            description="Write one self-contained HTML page: score distribution, a table of "
            "every student (score, late, overrides, section statuses, a link to their feedback "
            "page), pass rate per section and per check, the most frequent feedback and who got "
            "it, the overrides and late policy applied (and any that apply to nothing), the "
            "slowest submissions and, with --submissions, pairs of similar submissions (a lead "
            "for a human, not a verdict). Exit 0 on success, 2 on bad input.",
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
            "--feedback",
            type=Path,
            metavar="DIR",
            help="the folder `export feedback` wrote, to link each student's page (default: "
            "feedback/ beside the report, when it exists)",
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
        add_overrides(parser)
        add_assignment(parser)

    def run(self, args: argparse.Namespace) -> int:
        adjusted = load_results(args.scorecards, overrides=args.overrides, command="report")
        cards = [r.card for r in adjusted.results]
        name = single_assignment(cards, args.scorecards)
        assignment = _assignment_or_none(args, name)
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
        out: Path = args.out
        page = render_report(
            adjusted,
            title=assignment.title if assignment else name,
            generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            similarity=similarity,
            similarity_note=note,
            plots=not args.no_plots,
            feedback_links=_feedback_links(cards, args.feedback, out),
        )
        write_text(out, page)
        print(f"wrote {out}: {len(cards)} scorecards")
        return EXIT_OK


def _feedback_links(cards: list[Scorecard], folder: Path | None, report: Path) -> dict[str, str]:
    """Each student's feedback page that exists, as an address relative to the report."""
    if folder is None:
        folder = report.parent / "feedback"
        if not folder.is_dir():
            return {}
    elif not folder.is_dir():
        raise SubmissionError(
            f"{folder}: no such folder of feedback pages; run `grade.py export feedback` first"
        )
    links = {}
    for card in cards:
        page = folder / feedback_filename(card)
        if page.is_file():
            links[card.student] = Path(os.path.relpath(page, report.parent)).as_posix()
    return links


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
