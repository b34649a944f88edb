"""Long work shows a progress bar on stderr when stderr is a terminal, and never in a pipe or a log."""

from __future__ import annotations

import os
import pty
import subprocess
import sys


def _run_with_terminal_stderr(args: list[str], cwd, cache_dir) -> tuple[str, bytes]:
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("PIPEDEAL_DB", "COLUMNS")}
    env["PIPEDEAL_CACHE_DIR"] = str(cache_dir)
    process = subprocess.Popen([sys.executable, "-m", "pipedeal.interfaces.cli", *args], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL)
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    out = process.stdout.read().decode()
    assert process.wait(timeout=120) == 0, seen.decode(errors="replace")
    os.close(controller)
    return out, seen


def test_ambiguities_and_statements_show_progress_on_a_terminal_stderr_only(tmp_path, cache_dir, pipedeal):
    out, terminal = _run_with_terminal_stderr(["ambiguities", "--as-of", "2000-06-30"], tmp_path, cache_dir)
    assert b"Each reading's figures" in terminal
    assert "Each reading's figures" not in out and "effectiveness_days" in out

    out, terminal = _run_with_terminal_stderr(["statement", "--as-of", "2000-06-30", "--format", "html",
                                               "--out", "st"], tmp_path, cache_dir)
    assert b"Statements" in terminal and len(list((tmp_path / "st").iterdir())) == 3

    piped = pipedeal("ambiguities", "--as-of", "2000-06-30")
    assert "Each reading's figures" not in piped.stderr + piped.stdout


def test_a_piped_report_keeps_each_table_title_and_each_sentence_on_one_line(tmp_path, cache_dir):
    # Issue 11: piped output is never hard-wrapped; a table is at least as wide as its title.
    env = {k: v for k, v in os.environ.items() if k not in ("PIPEDEAL_DB", "COLUMNS")}
    env.update({"PIPEDEAL_CACHE_DIR": str(cache_dir), "NO_COLOR": "1"})
    done = subprocess.run([sys.executable, "-m", "pipedeal.interfaces.cli", "report", "--as-of", "2000-03-01"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [line.strip() for line in done.stdout.splitlines()]
    for title in ("SPA 1.10 Market Price: the mean of the bid on 5 Trading Days (before closing)",
                  "Registration Defaults: days after the deadline, cure day excluded",
                  "Liquidated damages per investor (RRA 3(e)(B)); `pipedeal ld --explain` shows each step"):
        assert title in lines, title
