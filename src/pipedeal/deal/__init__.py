"""The terms language: a deal's terms as data, its clauses and its ambiguities."""
