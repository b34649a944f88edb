"""--out DIR and export ocf DIR: a file, a device, a folder under a file or a read-only folder
is a clear error naming the path (OUTPUT-PATH), exit status 2, no traceback, nothing written."""

from __future__ import annotations

import os

import pytest

STATEMENT = ("statement", "--as-of", "2000-03-01", "--format", "html", "--investor", "raptor", "--out")
EXERCISE_FORM = ("documents", "exercise", "W-1", "--shares", "100", "--method", "cash", "--date", "2000-06-01",
                 "--format", "html", "--out")


@pytest.mark.parametrize("command", [STATEMENT, EXERCISE_FORM, ("export", "ocf")], ids=["statement", "documents",
                                                                                       "export"])
@pytest.mark.parametrize("target", ["a regular file", "a folder under a file", "/dev/null"])
def test_an_output_folder_that_cannot_be_one_is_refused_naming_the_path(pipedeal, tmp_path, command, target):
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    path = {"a regular file": str(existing), "a folder under a file": str(existing / "sub"),
            "/dev/null": "/dev/null"}[target]
    refused = pipedeal(*command, path, expect=2)
    assert "OUTPUT-PATH" in refused.stderr and f"cannot write into '{path}'" in refused.stderr
    assert existing.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["notes.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_output_folder_is_refused(pipedeal, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        refused = pipedeal(*STATEMENT, str(folder), expect=2)
    finally:
        folder.chmod(0o700)
    assert "OUTPUT-PATH" in refused.stderr and "not writable" in refused.stderr
