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
    for code, meaning in EXIT_CODES:
        assert meaning.split(":")[0].split("(")[0].strip() in " ".join(listed.split())
    assert pipedeal("--version").stdout.startswith("pipedeal ")
    unknown = pipedeal("report", "--no-such-option", expect=2)
    assert "--no-such-option" in unknown.stderr
    bad_day = pipedeal("report", "--as-of", "2000-02-30", expect=2)
    assert "--as-of" in bad_day.stderr and "2000-02-30" in bad_day.stderr
