"""Commands for Gradescope: grade inside its container, build the autograder bundle."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from grader.atomic import write_json
from grader.cli.command import SubParsers
from grader.cli.options import (
    EXIT_OK,
    add_common,
    assignment_from_args,
    config_args,
    config_from_args,
)
from grader.errors import IsolationError, NoSubmissionError
from grader.exports.gradescope import (
    VISIBILITIES,
    render_failure_results,
    render_results,
    results_validation_errors,
)
from grader.exports.gradescope_bundle import build_bundle
from grader.grading import grade_submission, grader_failure
from grader.intake.files import choose_submission
from grader.intake.names import safe_id
from grader.terminal import safe_name, safe_text

__all__ = ["GradescopeBundleCommand", "GradescopeCommand"]

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
        hide = [results.parent.resolve(), *assignment.trusted_paths()]
        student = safe_id(chosen.path.stem)
        try:
            card = grade_submission(
                chosen.path,
                assignment=assignment,
                config=config_from_args(args, assignment),
                student=student,
                hide=hide,
            )
        except IsolationError as exc:  # fail closed, and say so where the instructor looks
            message = f"Not graded: the autograder cannot isolate student code here ({exc})."
            write_json(
                results, render_failure_results(message, execution_time=time.monotonic() - started)
            )
            raise
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
            "(installs a system Python, libseccomp, bubblewrap and every dependency, transitive "
            "ones included, pinned to the versions installed here), run_autograder (closes the "
            "source and results folders to student code, then grades), the grader and the "
            "assignment, without the reference solution. Options given here, --isolation "
            "included, are baked into run_autograder.",
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
