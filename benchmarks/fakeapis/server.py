"""A loopback HTTP server speaking several embedding APIs: records requests, fails on demand.

    with FakeAPIServer(seed=0) as api:
        client = voyageai.Client(api_key="pa-test", base_url=api.url + "/v1")
        api.fail_next(429, retry_after=1)          # the next API call gets a rate-limit answer
        api.fail_next(503, times=2, path="/v2/")   # then two 503s for Cohere calls
        ...
        api.count("/v1/multimodalembeddings")      # requests seen (failed ones included)
        api.requests[-1].body                      # the JSON the client sent

Only 127.0.0.1 is bound. Providers (`voyage.py`, `cohere.py`, `gemini.py`) declare routes; a
request to a route is checked for an API key, then against the failure plan and the optional
rate limit, then answered by the provider. Another process can drive the same server through
`/_fake/` endpoints: `POST /_fake/fail` (JSON: status, times, retry_after, path),
`GET /_fake/requests`, `POST /_fake/reset`.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """What a handler answers: a status, a JSON-able body, extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by a handler to answer with a provider-shaped error (usually 400)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    """One request as the server received it (and the status it got)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or None
    provider: str | None
    status: int = 0
    at: float = 0.0


@dataclass
class Failure:
    status: int
    times: int
    retry_after: float | None
    path: str | None  # a substring of the request path, or any API path


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[..., Reply]  # (server, match, body, request) -> Reply


class Provider:
    """Base of the per-API modules: routes, auth check and error body shape."""

    name = "?"
    routes: tuple[Route, ...] = ()

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization", "").startswith("Bearer ")

    def error(self, status: int, message: str, retry_after: float | None) -> Any:
        return {"message": message}


class FakeAPIServer:
    """The server; usable as a context manager (starts on enter, stops on exit)."""

    def __init__(
        self, seed: int = 0, *, port: int = 0, rate_limit: tuple[int, float] | None = None
    ):
        from fakeapis.cohere import Cohere
        from fakeapis.gemini import Gemini
        from fakeapis.voyage import Voyage

        self.seed = seed
        self.rate_limit = rate_limit  # (max requests, per seconds), across all API routes
        self.providers: list[Provider] = [Voyage(), Cohere(), Gemini()]
        self.requests: list[Request] = []
        self._failures: list[Failure] = []
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_class(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> FakeAPIServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeAPIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests drive and read -----------------------------------------------------------
    def fail_next(
        self, status: int, *, times: int = 1, retry_after: float | None = None,
        path: str | None = None,
    ) -> None:  # fmt: skip
        """Answer the next `times` API requests (whose path contains `path`) with `status`."""
        with self._lock:
            self._failures.append(Failure(status, times, retry_after, path))

    def count(self, path: str = "", *, status: int | None = None) -> int:
        """How many API requests had `path` in their path (and answered `status`)."""
        with self._lock:
            return sum(
                1 for r in self.requests
                if r.provider and path in r.path and (status is None or r.status == status)
            )  # fmt: skip

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._failures.clear()
            self._recent.clear()

    # -- the request path ------------------------------------------------------------------
    def _route(self, method: str, path: str) -> tuple[Provider, Route, re.Match[str]] | None:
        for provider in self.providers:
            for route in provider.routes:
                match = route.pattern.fullmatch(path)
                if route.method == method and match:
                    return provider, route, match
        return None

    def _planned_failure(self, path: str) -> Failure | None:
        for failure in self._failures:
            if failure.path is None or failure.path in path:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _rate_limited(self, now: float) -> float | None:
        """Seconds until a slot frees up, when the rate limit is exceeded."""
        if not self.rate_limit:
            return None
        limit, window = self.rate_limit
        while self._recent and now - self._recent[0] >= window:
            self._recent.popleft()
        if len(self._recent) >= limit:
            return window - (now - self._recent[0])
        self._recent.append(now)
        return None

    def answer(self, request: Request) -> Reply:
        if request.path.startswith("/_fake/"):
            return self._control(request)
        found = self._route(request.method, request.path)
        if found is None:
            return Reply(404, {"message": f"fake: no route for {request.method} {request.path}"})
        provider, route, match = found
        request.provider = provider.name
        with self._lock:
            self.requests.append(request)
            if not provider.authorized(request):
                return Reply(401, provider.error(401, "fake: missing or malformed API key", None))
            failure = self._planned_failure(request.path)
            wait = None if failure else self._rate_limited(time.monotonic())
        if failure is not None:
            return _failure_reply(provider, failure.status, failure.retry_after, "planned")
        if wait is not None:
            return _failure_reply(provider, 429, wait, "rate limit")
        try:
            return route.handler(self, match, request.body, request)
        except ApiError as exc:
            return Reply(exc.status, provider.error(exc.status, str(exc), None))

    def _control(self, request: Request) -> Reply:
        if request.path == "/_fake/fail" and request.method == "POST":
            body = request.body or {}
            self.fail_next(int(body["status"]), times=int(body.get("times", 1)),
                           retry_after=body.get("retry_after"), path=body.get("path"))  # fmt: skip
            return Reply(200, {"ok": True})
        if request.path == "/_fake/reset" and request.method == "POST":
            self.reset()
            return Reply(200, {"ok": True})
        if request.path == "/_fake/requests":
            with self._lock:
                return Reply(200, [asdict(r) for r in self.requests])
        return Reply(404, {"message": "fake: unknown control endpoint"})


def _failure_reply(provider: Provider, status: int, retry_after: float | None, why: str) -> Reply:
    message = f"fake {why}: HTTP {status}"
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = str(max(0, math.ceil(retry_after)))
    return Reply(status, provider.error(status, message, retry_after), headers)


def _handler_class(server: FakeAPIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _body(self) -> Any:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                raw = b""
                while (size := int(self.rfile.readline().strip() or b"0", 16)) > 0:
                    raw += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
            else:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return json.loads(raw) if raw.strip() else None

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            try:
                body = self._body()
            except (ValueError, UnicodeDecodeError):
                body = None
            request = Request(
                method=self.command, path=parts.path, query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()}, body=body,
                provider=None, at=time.time(),
            )  # fmt: skip
            reply = server.answer(request)
            request.status = reply.status
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

    return Handler
