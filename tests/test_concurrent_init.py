"""Two `pipedeal init` of the same ledger and deal at once, as two real processes: one registers
the deal and records the bundled log once; the other says it is already registered and exits 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import pipedeal_cli
from scenario import FOCUS_LOG


def test_two_inits_at_once_register_the_deal_once(db, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PIPEDEAL_DB"}
    env["PIPEDEAL_CACHE_DIR"] = str(tmp_path / "cache")
    command = [sys.executable, "-m", "pipedeal.interfaces.cli", "init", "--db", db]
    runs = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    results = [(run.wait(timeout=180), *run.communicate()) for run in runs]
    for code, _, stderr in results:
        assert code == 0 and "Traceback" not in stderr, stderr
    outputs = sorted(stdout for _, stdout, _ in results)
    assert sum("is already registered" in text for text in outputs) == 1, outputs
    assert sum(f"Recorded {FOCUS_LOG} event(s)" in text for text in outputs) == 1, outputs
    run = pipedeal_cli(tmp_path, tmp_path / "cache")
    assert len(json.loads(run("events", "list", "--json", "--db", db).stdout)) == FOCUS_LOG
    run("verify", "--db", db)
    again = run("init", "--db", db)
    assert "is already registered" in again.stdout and "Recorded" not in again.stdout


def test_init_after_an_interrupted_first_init_still_records_the_bundled_log(tmp_path: Path):
    from pipedeal.deal.terms_file import BUNDLED_DEALS
    from pipedeal.storage import init_workspace

    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    init_workspace(db, "focus-1999", (BUNDLED_DEALS / "focus-1999" / "terms.toml").read_text())
    run = pipedeal_cli(tmp_path, tmp_path / "cache")
    done = run("init", "--db", db)
    assert "is already registered" in done.stdout and f"Recorded {FOCUS_LOG} event(s)" in done.stdout
