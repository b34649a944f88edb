"""What `--help` prints is what the help texts say: Rich reads "[...]" in a help text as markup and drops it,
so a help text that names a table of the terms file ("[[ambiguities]]") writes its brackets escaped."""

from __future__ import annotations

import re

import typer

from pipedeal.interfaces.cli import app

TABLE = re.compile(r"\[\[\w+\]\]")


def _commands(command, path=()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _tables_named(command) -> set[str]:
    texts = [command.help or "", *(getattr(param, "help", None) or "" for param in command.params)]
    return {table for text in texts for table in TABLE.findall(text.replace("\\[", "["))}


def test_every_table_a_help_text_names_is_printed_with_its_brackets(pipedeal):
    named = {path: tables for path, command in _commands(typer.main.get_command(app))
             if (tables := _tables_named(command))}
    assert {("report",), ("ambiguities",)} <= set(named)  # --set and --strict, and the command itself
    for path, tables in named.items():
        shown = pipedeal(*path, "--help").stdout
        for table in tables:
            assert table in shown, (path, table)
        assert "deal's []" not in shown, path
