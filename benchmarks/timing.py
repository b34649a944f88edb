"""What the benchmarks share (imported by the scripts beside it): the figures of a list of timings, and
a PostgreSQL schema of their own."""

from __future__ import annotations

import statistics
import uuid


def figures(seconds: list[float]) -> tuple[float, float, float]:
    """min, median and 90th percentile, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    return ms[0], statistics.median(ms), p90


def schema_url(base: str) -> tuple[str, str, str]:
    """(a URL whose connections see only a new schema, the schema, the admin conninfo)."""
    from sqlalchemy.engine import make_url

    url = make_url(base)
    schema = f"pipedeal_bench_{uuid.uuid4().hex[:10]}"
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    scoped = url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    return scoped, schema, conninfo
