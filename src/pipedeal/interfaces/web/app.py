"""``pipedeal serve``: the web workspace, a FastAPI app over the same ledger as the command line.

The app holds no state of its own but a cache of pure evaluations: users, sessions and events are
in the database, so any number of processes behind any load balancer serve the same workspace.
Pages (``pages.py``) and the JSON API (``api.py``) are thin: both read ``service.Workspace``.
"""

from __future__ import annotations

import datetime as dt
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.interfaces.web.security import INTERNAL_ERROR, Guard, log
from pipedeal.interfaces.web.service import NotVisible, Workspace

HERE = Path(__file__).parent
THREADS = 8


def create_app(db_url: str) -> FastAPI:
    from pipedeal import __version__
    from pipedeal.interfaces.web import api, pages

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # The sync endpoints' threads: as many as the database pool has connections. More only wait for
        # one, and meanwhile fight over the GIL with the threads doing the work (benchmarks/web_load.py).
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield

    app = FastAPI(lifespan=lifespan, title="pipedeal", version=__version__, openapi_url="/api/openapi.json",
                  telemetry=_telemetry(), docs_url=None,
                  redoc_url=None, description="The life of a PIPE deal: every figure traced to its clause, each "
                  "party seeing only its own. Sign in with POST /api/login (a session cookie and a CSRF token) or "
                  "send `Authorization: Bearer TOKEN` (`pipedeal users token EMAIL`).")
    app.state.workspace = Workspace(db_url)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(NotVisible)
    async def not_visible(request: Request, exc: NotVisible):
        return _refusal(request, 404, "not found")

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError):
        return _refusal(request, 400, "; ".join(problem.message for problem in exc.problems[:5]),
                        problems=[_problem(problem) for problem in exc.problems])

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        problems = [_validation_problem(error) for error in exc.errors()[:20]]
        return _refusal(request, 422, "; ".join(
            (f"{p['field']}: " if p["field"] else "") + p["message"] for p in problems[:5]), problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's words for a body it could not decode (not UTF-8, a broken form): malformed, as bad JSON is
            return _refusal(request, 422, "the body could not be read: send one JSON object in UTF-8")
        return _refusal(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        # A bug of ours: logged with its trace, answered without it (Starlette's ServerErrorMiddleware
        # calls this, then re-raises for the server's log; the Guard sends nothing more).
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)

    return Guard(app)  # type: ignore[return-value]


# What configures an OpenTelemetry provider from the environment (FastAPI's own switch among them).
OTEL_SETTINGS = ("OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER", "OTEL_PYTHON_LOGGER_PROVIDER",
                 "FASTAPI_OTEL_AUTO_CONFIGURE")


def _telemetry() -> dict[str, Any] | None:
    """FastAPI's OpenTelemetry: as FastAPI has it when the environment configures a provider; otherwise off.
    pipedeal sets no provider, and with none FastAPI records nothing, but asks on every request whether
    one has appeared since (three lookups in os.environ, a KeyError each: a few % of a request's CPU)."""
    import os

    if any(os.environ.get(name) for name in OTEL_SETTINGS):
        return None
    return {"tracing": False, "metrics": False, "logs": False}


def from_environment() -> FastAPI:
    """The app of ``pipedeal serve`` in each worker process (the ledger URL comes in $PIPEDEAL_DB)."""
    import os

    return create_app(os.environ["PIPEDEAL_DB"])


def _problem(problem: Diagnostic) -> dict[str, Any]:
    return {"code": problem.code, "message": problem.message, "field": problem.field, "line": problem.line}


def _validation_problem(error: dict[str, Any]) -> dict[str, Any]:
    """One of pydantic's complaints in the words of a user who sent a request, not of a model."""
    location = [str(part) for part in error.get("loc", ())]
    field = ".".join(location[1:]) or None
    kind = error.get("type", "")
    if kind == "json_invalid":
        context = error.get("ctx") or {}
        return {"field": None, "message": "the body is not valid JSON" + (
            f" ({context['error']})" if context.get("error") else "")}
    if location[:1] == ["body"] and field is None and kind in ("model_attributes_type", "dict_type", "missing"):
        return {"field": None, "message": "the body must be one JSON object, sent as Content-Type: application/json"}
    message = str(error.get("msg", "invalid"))
    return {"field": field, "message": message[:200]}


def _refusal(request: Request, status: int, detail: str, problems: list[dict[str, Any]] | None = None,
             headers: dict[str, str] | None = None):
    if request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", ""):
        body: dict[str, Any] = {"detail": detail}
        if problems:
            body["problems"] = problems
        return JSONResponse(body, status_code=status, headers=headers)
    from pipedeal.interfaces.web.pages import error_page

    return error_page(request, status, detail)


def parse_as_of(text: str | None, field: str = "as_of") -> dt.date:
    from pipedeal.storage.workspace import parse_day

    if not text:
        return dt.date.today()
    return parse_day(text, field)


def parse_known_on(text: str | None, field: str = "known_on") -> dt.datetime | None:
    from pipedeal.storage.workspace import parse_instant

    return parse_instant(text, field) if text else None
