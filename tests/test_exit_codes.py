"""The exit statuses a script relies on: the README, `pipedeal codes` and the command line agree."""

from __future__ import annotations

import re
from pathlib import Path

from pipedeal.base.diagnostics import EXIT_CODES

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_states_the_exit_codes_the_command_line_uses():
    section = README.read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d) \| (.+) \|$", section, flags=re.M)
    assert [(int(code), meaning) for code, meaning in rows] == list(EXIT_CODES)


def test_codes_lists_them_and_a_script_sees_2_for_bad_input_and_0_for_the_version(pipedeal):
    listed = pipedeal("codes").stdout
    for _, meaning in EXIT_CODES:
        assert meaning.split(":")[0].split("(")[0].strip() in " ".join(listed.split())
    assert pipedeal("--version").stdout.startswith("pipedeal ")
    unknown = pipedeal("report", "--no-such-option", expect=2)
    assert "--no-such-option" in unknown.stderr
    bad_day = pipedeal("report", "--as-of", "2000-02-30", expect=2)
    assert "--as-of" in bad_day.stderr and "2000-02-30" in bad_day.stderr


def test_the_shell_completes_commands_options_and_their_choices(tmp_path, cache_dir):
    import os
    import subprocess
    import sys

    def complete(words: str, index: int) -> list[str]:
        env = {**os.environ, "_PIPEDEAL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(index),
               "PIPEDEAL_CACHE_DIR": str(cache_dir)}
        # The installed script: a shell completes a program by its name (``_PIPEDEAL_COMPLETE``).
        script = Path(sys.executable).with_name("pipedeal")
        done = subprocess.run([str(script)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        return done.stdout.split()

    assert complete("pipedeal rep", 1) == ["report"]
    assert complete("pipedeal report --form", 2) == ["--format"]
    assert complete("pipedeal report --format ", 3) == ["text", "json", "html", "pdf"]
    assert "report" in complete("pipedeal ", 1) and "serve" in complete("pipedeal ", 1)
