"""The HTTP guard in front of every route (a plain ASGI middleware, so it runs before a body is parsed).

- A request body larger than ``KB_MAX_BODY_BYTES`` is refused with 413: at once when
  ``Content-Length`` says so, otherwise as soon as the streamed bytes pass the limit.
- ``POST /v1/auth/login`` is throttled per client address (``KB_LOGIN_IP_LIMIT`` failed logins
  per 15 minutes, kept in the editorial database): past it the address gets 429 with
  ``Retry-After``, and each attempt made while waiting pushes the next one further. A successful
  login gives its token back. Per-address throttling means that the per-user-name lock-out is
  not the only defence, so an attacker's own address is slowed down before anyone's account.
- Every answer gets ``X-Content-Type-Options: nosniff``; answers that carry a token, a key or
  a secret, or that answer a request with credentials, get ``Cache-Control: no-store``.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from kb.editorial.limits import LOGIN_PERIOD, RateLimiter
from kb.errors import PayloadTooLarge, RateLimited
from kb.settings import Settings

__all__ = ["Guard", "client_address"]

LOGIN = "/v1/auth/login"
_SECRET_PATHS = (LOGIN, "/v1/keys", "/v1/webhooks", "/v1/users")  # answers that may carry a token, key or secret
_CREDENTIALS = (b"authorization", b"x-api-key", b"cookie")


def client_address(scope: Scope) -> str:
    """The peer's address (behind a proxy, run uvicorn with ``--proxy-headers`` so this is the client's)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class Guard:
    """Body-size limit, per-address login throttling and the security headers of every answer."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.login_limit = settings.login_ip_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        path: str = scope.get("path", "")
        no_store = path.startswith(_SECRET_PATHS) or any(name in headers for name in _CREDENTIALS)
        status = 0

        async def secured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                raw = [(k, v) for k, v in message.get("headers", []) if not (no_store and k == b"cache-control")]
                raw.append((b"x-content-type-options", b"nosniff"))
                if no_store:
                    raw.append((b"cache-control", b"no-store"))
                message = {**message, "headers": raw}
            await send(message)

        try:
            length = headers.get(b"content-length", b"")
            if length.isdigit() and int(length) > self.max_body:
                raise self._too_large()
            if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
                receive = _replay(await self._read(receive), receive)
        except PayloadTooLarge as exc:
            await self._refuse(exc, scope, secured)
            return
        login = path == LOGIN and scope.get("method") == "POST" and self.login_limit > 0
        bucket = f"login:{client_address(scope)}"
        if login:
            try:
                await run_in_threadpool(
                    self._limiter(scope).hit, bucket, self.login_limit, period=LOGIN_PERIOD, penalty=True
                )
            except RateLimited as exc:
                await self._refuse(exc, scope, secured)
                return
        await self.app(scope, receive, secured)
        if login and status == 200:  # only failed logins count
            await run_in_threadpool(self._limiter(scope).give_back, bucket, self.login_limit)

    def _too_large(self) -> PayloadTooLarge:
        message = f"the request body is larger than {self.max_body} bytes"
        return PayloadTooLarge(message, details={"limit": self.max_body})

    async def _read(self, receive: Receive) -> list[Message]:
        """The request's body messages; past the limit it raises (the rest is not read)."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self.max_body:
                raise self._too_large()
            if not message.get("more_body", False):
                return messages

    @staticmethod
    def _limiter(scope: Scope) -> RateLimiter:
        limiter: RateLimiter = scope["app"].state.editorial.limiter
        return limiter

    @staticmethod
    async def _refuse(exc: PayloadTooLarge | RateLimited, scope: Scope, send: Send) -> None:
        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await error_response(exc)(scope, nothing, send)


def _replay(messages: list[Message], then: Receive) -> Receive:
    """``messages`` again, then the client's own (a disconnect, when it comes)."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return receive
