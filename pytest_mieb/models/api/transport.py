"""One JSON POST to an embedding API, with retries, backoff and the request budget.

Plain `urllib` (no vendor SDK, no extra dependency). Policy:

* before every HTTP request (retries included) `before_send` runs: it charges the request
  budget (raising `ApiBudgetExceeded` sends nothing) and counts the request;
* 429, 408 and 5xx answers and network errors are retried, up to `max_attempts` requests in
  all, waiting 1, 2, 4, ... s (at most `max_wait`), or what the answer asks: a
  ``Retry-After`` header (seconds or an HTTP date), else a "retry in Xs" hint in the message
  (the Gemini API's way); waits go through `sleep`, so tests run them instantly;
* any other 4xx is not retried: `ApiRequestError` with the API's own message, one line.

Loopback base URLs (tests, local proxies) bypass any ``HTTP(S)_PROXY`` setting.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pytest_mieb.models.api.errors import ApiRequestError, refused
from pytest_mieb.models.errors import short

RETRIED_STATUSES = frozenset({408, 429})
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_HINT = re.compile(r"retry in (\d+(?:\.\d+)?)\s*s", re.IGNORECASE)


@dataclass
class Transport:
    """Posts JSON for one model of one provider (names are for messages)."""

    provider_title: str  # "Voyage AI"
    model: str
    key_hint: str  # the variables that hold the key, for 401 / 403 messages
    before_send: Callable[[], None] = lambda: None
    on_retry: Callable[[], None] = lambda: None
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 300.0
    max_attempts: int = 8
    max_wait: float = 60.0
    max_retry_after: float = 600.0
    waits: list[float] = field(default_factory=list)  # every wait taken, for tests and logs

    def post(self, url: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> Any:
        """The parsed JSON answer of a 2xx; `ApiRequestError` when there is none."""
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        last = ""
        for attempt in range(self.max_attempts):
            if attempt:
                self.on_retry()
            self.before_send()
            try:
                status, reply_headers, raw = self._send(url, data, headers)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last = f"network error: {type(exc).__name__}: {short(reason)}"
                self._wait(attempt, None, "")
                continue
            if 200 <= status < 300:
                try:
                    return json.loads(raw)
                except ValueError:
                    raise ApiRequestError(
                        f"{self.provider_title} API answered HTTP {status} for {self.model} "
                        f"with a body that is not JSON: {short(raw[:200])}"
                    ) from None
            detail = error_detail(raw)
            if status not in RETRIED_STATUSES and status < 500:
                raise ApiRequestError(
                    refused(self.provider_title, self.model, status, detail, self.key_hint)
                )
            last = f"HTTP {status}: {short(detail) or 'no detail'}"
            self._wait(attempt, reply_headers, detail)
        raise ApiRequestError(
            f"{self.provider_title} API gave no embeddings for {self.model} after "
            f"{self.max_attempts} attempts; last answer: {last}"
        )

    def _wait(self, attempt: int, headers: Mapping[str, str] | None, detail: str) -> None:
        if attempt == self.max_attempts - 1:
            return  # no request follows
        asked = retry_after(headers or {}, detail)
        wait = (
            min(asked, self.max_retry_after)
            if asked is not None
            else min(2.0**attempt, self.max_wait)
        )
        self.waits.append(wait)
        self.sleep(wait)

    def _send(
        self, url: str, data: bytes, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/json", **headers}
        )
        try:
            with opener_for(url).open(request, timeout=self.timeout) as reply:
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, dict(err.headers or {}), err.read() or b""


def opener_for(url: str) -> urllib.request.OpenerDirector:
    """urllib's opener; without proxies for a loopback host."""
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_HOSTS:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def retry_after(headers: Mapping[str, str], detail: str) -> float | None:
    """Seconds the answer asks to wait: ``Retry-After`` (seconds or HTTP date), else a
    "retry in Xs" hint in the message; None when it asks nothing."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is not None:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None and when.tzinfo is not None:
                return max(0.0, when.timestamp() - time.time())
    match = _HINT.search(detail)
    return float(match.group(1)) if match else None


def error_detail(raw: bytes) -> str:
    """The message of an error body in any of the providers' shapes (or its text)."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        for name in ("detail", "message", "error"):
            if body.get(name):
                return str(body[name])
    return text
