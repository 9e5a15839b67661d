"""The request/answer protocol with the student process: strict order, authenticated, bounded."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import IO

import pytest

from grader.intake.sections import Step
from grader.run.exchange import Caps, Job, Outcome, converse
from grader.sandboxed.wire import Event, Request, seal

JOB = Job(
    steps=(
        Step("code", "1.1", 0),
        Step("harvest", "1.1", None),
        Step("code", "1.2", 1),
        Step("harvest", "1.2", None),
    ),
    sources={0: "a = 1", 1: "b = 2"},
    inputs={"1.2": {"secret": 7}},
    outputs={"1.1": ("a",), "1.2": ("b",)},
)

#: A fake child: gets each request and a `send(answer_dict)`; returns False to stop answering.
Script = Callable[[dict[str, object], Callable[[dict[str, object]], None], IO[bytes]], bool]


def _honest(
    request: dict[str, object], send: Callable[[dict[str, object]], None], raw: IO[bytes]
) -> bool:
    kind = request["kind"]
    if kind == Request.START:
        send({"event": Event.READY})
    elif kind == Request.CODE:
        send({"event": Event.CODE, "n": request["n"], "chunk": request["chunk"], "error": None})
    elif kind == Request.HARVEST:
        send({"event": Event.HARVEST, "n": request["n"], "section": request["section"], "data": {}})
    else:
        send({"event": Event.DONE})
        return False
    return True


def _talk(
    script: Script, *, caps: Caps | None = None, timeout: float = 5.0
) -> tuple[Outcome, list[dict[str, object]]]:
    """Run the grader's side against `script` playing the student process over real pipes."""
    req_r, req_w = os.pipe()
    ans_r, ans_w = os.pipe()
    seen: list[dict[str, object]] = []

    def child() -> None:
        with os.fdopen(req_r, "rb") as requests, os.fdopen(ans_w, "wb") as answers:
            key = b""
            while line := requests.readline():
                request = json.loads(line)
                seen.append(request)
                if request["kind"] == Request.START:
                    key = bytes.fromhex(str(request["key"]))

                def send(answer: dict[str, object], key: bytes = key) -> None:
                    answers.write(seal(key, json.dumps(answer).encode()))
                    answers.flush()

                if not script(request, send, answers):
                    break

    thread = threading.Thread(target=child, daemon=True)
    thread.start()
    outcome = converse(
        os.fdopen(req_w, "wb"),
        os.fdopen(ans_r, "rb"),
        JOB,
        caps=caps or Caps(),
        section_timeout_s=timeout,
        deadline=time.monotonic() + 2 * timeout,
    )
    thread.join(timeout=5)
    return outcome, seen


def test_exchange_honest_child_answers_every_step_in_order() -> None:
    outcome, seen = _talk(_honest)
    assert outcome.end == "done"
    assert [(e["event"], e["n"]) for e in outcome.events] == [
        ("code", 0),
        ("harvest", 1),
        ("code", 2),
        ("harvest", 3),
    ]
    assert [r["kind"] for r in seen] == ["start", "code", "harvest", "code", "harvest", "end"]


def test_exchange_secrets_reach_the_child_only_when_their_step_is_asked() -> None:
    _, seen = _talk(_honest)
    harvests = [r for r in seen if r["kind"] == Request.HARVEST]
    assert [h["inputs"] for h in harvests] == [{}, {"secret": 7}]
    assert [h["outputs"] for h in harvests] == [["a"], ["b"]]
    # Nothing about section 1.2 was sent before 1.1's answer came back.
    first_12 = next(i for i, r in enumerate(seen) if r.get("section") == "1.2")
    assert first_12 > next(i for i, r in enumerate(seen) if r.get("n") == 1)


def test_exchange_unauthenticated_line_is_a_protocol_violation() -> None:
    def forger(request, send, raw):
        if request["kind"] == Request.CODE:  # student code writes straight into the pipe
            raw.write(b'{"event": "harvest", "n": 3, "section": "1.2", "data": {}}\n')
            raw.flush()
            return False
        return _honest(request, send, raw)

    outcome, _ = _talk(forger)
    assert outcome.end == "protocol"
    assert "did not come from the grader's harvest" in outcome.detail
    assert outcome.events == ()
    assert outcome.last_step == 0


@pytest.mark.parametrize(
    ("trick", "phrase"),
    [
        ("answer-ahead", "for step 3 while step 0"),
        ("second-answer", "for step 0 while step 1"),
        ("early-done", "said it was done while step 0"),
        ("wrong-section", "described section '1.2' for step 1"),
    ],
)
def test_exchange_answers_not_asked_for_end_the_run(trick: str, phrase: str) -> None:
    def script(request, send, raw):
        n = request.get("n")
        if trick == "answer-ahead" and n == 0:
            send({"event": Event.HARVEST, "n": 3, "section": "1.2", "data": {}})
            return False
        if trick == "second-answer" and n == 0:
            _honest(request, send, raw)
            _honest(request, send, raw)
            return True
        if trick == "early-done" and n == 0:
            send({"event": Event.DONE})
            return False
        if trick == "wrong-section" and n == 1:
            send({"event": Event.HARVEST, "n": 1, "section": "1.2", "data": {}})
            return False
        return _honest(request, send, raw)

    outcome, _ = _talk(script)
    assert outcome.end == "protocol"
    assert phrase in outcome.detail


@pytest.mark.parametrize(
    ("payload", "phrase"),
    [
        ({"error": "x" * 3000}, "more than 2 KiB in one message"),
        ({"error": [[]] * 300}, "beyond the grader's limits"),
        ({"error": [1] * 300}, "beyond the grader's limits"),
    ],
    ids=["long-line", "many-containers", "many-values"],
)
def test_exchange_oversized_answers_are_refused_before_decoding(
    payload: dict[str, object], phrase: str
) -> None:
    def script(request, send, raw):
        if request["kind"] == Request.CODE:
            send({"event": Event.CODE, "n": request["n"], "chunk": 0, **payload})
            return False
        return _honest(request, send, raw)

    caps = Caps(line_bytes=2048, run_bytes=10**6, containers_per_line=100, values_per_line=100)
    outcome, _ = _talk(script, caps=caps)
    assert outcome.end == "protocol"
    assert phrase in outcome.detail


def test_exchange_deeply_nested_answer_is_refused_without_recursion_error() -> None:
    def script(request, send, raw):
        if request["kind"] == Request.CODE:
            send_raw = "[" * 100_000 + "]" * 100_000
            key_line = seal(KEY[0], send_raw.encode())
            raw.write(key_line)
            raw.flush()
            return False
        if request["kind"] == Request.START:
            KEY[0] = bytes.fromhex(str(request["key"]))
        return _honest(request, send, raw)

    KEY = [b""]
    outcome, _ = _talk(script)
    assert outcome.end == "protocol"


def test_exchange_run_total_is_bounded() -> None:
    def script(request, send, raw):
        if request["kind"] == Request.CODE:
            send(
                {
                    "event": Event.CODE,
                    "n": request["n"],
                    "chunk": 0,
                    "error": None,
                    "pad": "x" * 900,
                }
            )
            return True
        return _honest(request, send, raw)

    outcome, _ = _talk(script, caps=Caps(line_bytes=4096, run_bytes=1500))
    assert outcome.end == "protocol"
    assert "in one run" in outcome.detail


def test_exchange_silent_child_times_out_at_its_step() -> None:
    def script(request, send, raw):
        if request["kind"] == Request.HARVEST:
            return True  # never answers
        return _honest(request, send, raw)

    outcome, _ = _talk(script, timeout=0.5)
    assert outcome.end == "timeout"
    assert outcome.last_step == 1
    assert [e["n"] for e in outcome.events] == [0]


def test_exchange_child_that_exits_is_crashed() -> None:
    def script(request, send, raw):
        return request["kind"] == Request.START and _honest(request, send, raw)

    outcome, _ = _talk(script)
    assert outcome.end == "crashed"
    assert outcome.ready
