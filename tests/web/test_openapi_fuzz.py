"""schemathesis over /api/openapi.json against the live server, signed in with a Bearer token: no
answer is a 5xx, and every answer matches what the document declares (status codes, content types,
headers, body schemas), for generated requests, valid and not."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import pipedeal_cli

# positive_data_acceptance is left out on purpose: a request the schema allows (an event object, a date)
# may still be refused by the deal's rules (an unknown investor, a sale beyond holdings, 9999-12-31), a
# documented 400 naming the field. Every other check runs.
EXCLUDED = "positive_data_acceptance"


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_openapi_document(web, cache_dir, tmp_path):
    token = pipedeal_cli(tmp_path, cache_dir)("users", "token", web.users["company:focus-1999"].email, "--db",
                                              web.db_url).stdout.strip()
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    done = subprocess.run(
        [cli, "run", f"{web.base_url}/api/openapi.json", "--header", f"Authorization: Bearer {token}",
         "--checks", "all", "--exclude-checks", EXCLUDED, "--max-examples", "15", "--seed", "20261204",
         "--no-shrink", "--workers", "1", "--request-timeout", "30", "--max-failures", "20",
         "--report", "junit", "--report-dir", str(tmp_path / "schemathesis")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert "passed" in done.stdout and "7/7" in done.stdout, report  # every operation was tested
    assert "Traceback" not in (web.log.read_text()), "the server logged an internal error"
