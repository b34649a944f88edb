"""Write the generated references: docs/codes.md, docs/terms.md and the README's terms table.

    python scripts/regen_docs.py          # rewrite the three
    python scripts/regen_docs.py --check  # exit 1 when one of them is stale

The tests (test_diagnostics, test_terms_language) compare each with what the
code generates; this is the one command that brings them up to date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipedeal.base.diagnostics import catalogue_markdown
from pipedeal.deal.terms_file import BUNDLED_DEALS, bundled_deal_names
from pipedeal.deal.terms_schema import reference_document, reference_markdown

REPO = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- terms-keys:begin -->\n", "<!-- terms-keys:end -->"


def generated() -> dict[Path, str]:
    deals = {name: (BUNDLED_DEALS / name / "terms.toml").read_text(encoding="utf-8") for name in bundled_deal_names()}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    head, rest = readme.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return {
        REPO / "docs" / "codes.md": catalogue_markdown(),
        REPO / "docs" / "terms.md": reference_document(deals),
        REPO / "README.md": head + BEGIN + reference_markdown(deals) + END + tail,
    }


def main(argv: list[str]) -> int:
    stale = [path for path, text in generated().items() if path.read_text(encoding="utf-8") != text]
    if "--check" in argv:
        for path in stale:
            print(f"stale: {path.relative_to(REPO)}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated().items():
        if path in stale:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
