"""The command line run in the test process (conftest's ``cli_in_process``, what most CLI tests use) answers
as a fresh ``python -m pipedeal.interfaces.cli`` process does: the same exit status, the same stdout and the
same stderr, on a ledger, on files, for a user's mistake and a usage mistake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import pipedeal_cli
from scenario import jsonl

# Each step runs in a folder of its own per way of running, so a relative ledger URL and every path
# printed are the same for both; only what cannot differ between two runs is compared.
STEPS = [
    (("--version",), 0),
    (("codes",), 0),
    (("report", "--no-such-option"), 2),
    (("report", "--as-of", "2000-02-30"), 2),
    (("init", "--db", "sqlite:///ledger.db"), 0),
    (("init", "--db", "sqlite:///ledger.db"), 0),  # again: a no-op, said so
    (("report", "--db", "sqlite:///ledger.db", "--as-of", "2000-03-01"), 0),
    (("report", "--db", "sqlite:///ledger.db", "--as-of", "2000-03-01", "--json"), 0),
    (("events", "import", "bad.jsonl", "--db", "sqlite:///ledger.db"), 2),
    (("closing", "--as-of", "1999-12-01", "--json"), 0),
    (("events", "list", "--db", "sqlite:///missing.db"), 2),
]


@pytest.fixture(scope="module")
def answers(tmp_path_factory, cache_dir) -> dict[str, list[tuple[int, str, str]]]:
    cache = cache_dir
    found = {}
    for way, process in (("process", True), ("in-process", False)):
        cwd: Path = tmp_path_factory.mktemp(way)
        (cwd / "bad.jsonl").write_text(jsonl(
            {"type": "shares_sold", "date": "2000-03-01", "investor": "raptor", "shares": 1000},
            {"type": "shares_sold", "date": "2000-03-02", "investor": "nobody", "shares": 10}))
        run = pipedeal_cli(cwd, cache, process=process)
        found[way] = [(done.returncode, done.stdout, done.stderr)
                      for done in (run(*args, expect=expect) for args, expect in STEPS)]
    return found


@pytest.mark.parametrize("step", range(len(STEPS)), ids=[" ".join(args) for args, _ in STEPS])
def test_the_command_line_in_process_answers_as_a_fresh_process_does(answers, step):
    assert answers["in-process"][step] == answers["process"][step]


def test_the_steps_compared_say_something_on_both_streams(answers):
    """The comparison is not between empty answers: the steps print tables, JSON and refusals."""
    process = answers["process"]
    assert all(out or err for _, out, err in process)
    assert json.loads(process[7][1])["pricing"]["market_price"] == "1.6375"
    assert "nobody" in process[8][2] and process[8][1] == ""
    assert "--no-such-option" in process[2][2]
