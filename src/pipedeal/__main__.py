"""``python -m pipedeal``: the command line."""

from pipedeal.interfaces.cli import run

run()
