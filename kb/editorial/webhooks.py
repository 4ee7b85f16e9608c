"""Partner webhooks: every published change is delivered to every active webhook, signed with
HMAC-SHA256 over its timestamp, idempotency key and body, at least once, in order; failures retry with
backoff. Targets must be public addresses, checked at registration and again at each delivery, and the
connection goes to the checked address (:mod:`kb.editorial.webhook_targets`); redirects are not followed."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.editorial.accounts import Principal
from kb.editorial.audit import aware, now, record_audit
from kb.editorial.db import Database
from kb.editorial.db.models import Change, Delivery, Webhook
from kb.editorial.views import WebhookView
from kb.editorial.webhook_targets import check_target
from kb.errors import DataError

__all__ = ["WebhookDispatcher", "append_change", "change_body", "register_webhook", "signature"]

log = logging.getLogger("kb.editorial.webhooks")


def signature(secret: str, timestamp: str, idempotency_key: str, body: bytes) -> str:
    """The ``X-Genekb-Signature`` header value: HMAC-SHA256 with the secret over
    ``<X-Genekb-Timestamp>.<Idempotency-Key>.<body>`` (receivers check it as docs/editorial.md shows)."""
    signed = f"{timestamp}.{idempotency_key}.".encode() + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def change_body(change: Change) -> dict[str, object]:
    return {
        "cursor": str(change.id),
        "at": aware(change.at).isoformat(),
        "kind": change.kind,
        "key": change.key,
        "action": change.action,
        "entry_version": change.entry_version,
        "data_version": change.data_version,
        "data": change.data,
    }


def append_change(session: Session, change: Change) -> Change:
    """Add ``change`` to the feed and queue its delivery to every active webhook (caller's transaction)."""
    session.add(change)
    session.flush()
    for hook in session.scalars(select(Webhook).where(Webhook.active.is_(True))):
        session.add(Delivery(webhook_id=hook.id, change_id=change.id, status="pending", attempts=0, next_at=now()))
    return change


def register_webhook(
    db: Database, url: str, actor: Principal, *, allow_loopback: bool = False
) -> tuple[WebhookView, str]:
    """A new webhook and its signing secret (returned once); its URL must resolve to public addresses only
    (loopback too with ``allow_loopback``, the test suite's receivers)."""
    admin = actor.require_role("admin")
    if not url.startswith(("http://", "https://")):
        raise DataError("a webhook URL starts with http:// or https://")
    check_target(url, allow_loopback=allow_loopback)
    secret = secrets.token_urlsafe(32)
    with db.session() as s:
        hook = Webhook(url=url, secret=secret, active=True, created_by=admin, created_at=now())
        s.add(hook)
        s.flush()
        record_audit(s, actor.actor, "webhook.create", f"webhook:{hook.id}", after={"url": url})
        return WebhookView.of(hook), secret


class WebhookDispatcher:
    """Delivers due deliveries; per webhook strictly in change order (a failing one holds the rest,
    and so does a change not yet applied to the search store). No database session stays open
    across a POST. ``before_round`` runs first in each background round (the publisher's retry)."""

    def __init__(
        self,
        db: Database,
        *,
        max_attempts: int,
        allow_loopback: bool = False,
        timeout: float = 5.0,
        backoff: float = 0.5,
        before_round: Callable[[], object] | None = None,
    ) -> None:
        self.db = db
        self.max_attempts = max_attempts
        self.allow_loopback = allow_loopback
        self.backoff = backoff
        self.before_round = before_round
        # no proxies from the environment (they would resolve the name again), no redirects, no pooled
        # connections shared between host names that resolve to one address
        self._client = httpx.Client(
            timeout=timeout, trust_env=False, follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0)
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Deliver what is due now; returns how many deliveries succeeded."""
        delivered = 0
        with self.db.session() as s:
            hooks = [(h.id, h.url, h.secret) for h in s.scalars(select(Webhook).where(Webhook.active.is_(True)))]
        for hook_id, url, secret in hooks:
            while True:
                due = self._next_due(hook_id)
                if due is None:
                    break
                delivery_id, change_id, body = due
                ok, error = self._post(url, secret, hook_id, change_id, body)
                with self.db.session() as s:
                    pending = s.get(Delivery, delivery_id)
                    if pending is None:
                        break
                    pending.attempts += 1
                    if ok:
                        pending.status = "delivered"
                        delivered += 1
                        continue
                    pending.last_error = error
                    if pending.attempts >= self.max_attempts:
                        pending.status = "failed"
                        log.warning("webhook %s: change %s failed %d times; giving up", hook_id, change_id,
                                    pending.attempts)  # fmt: skip
                        continue
                    delay = min(self.backoff * 2 ** (pending.attempts - 1), 60.0)
                    pending.next_at = now() + timedelta(seconds=delay)
                break
        return delivered

    def _next_due(self, hook_id: int) -> tuple[int, int, bytes] | None:
        """The webhook's oldest pending delivery if it is due and its change is in the store."""
        with self.db.session() as s:
            pending = s.scalar(
                select(Delivery)
                .where(Delivery.webhook_id == hook_id, Delivery.status == "pending")
                .order_by(Delivery.change_id)
                .limit(1)
            )
            if pending is None or aware(pending.next_at) > now():
                return None
            change = s.get(Change, pending.change_id)
            if change is None or not change.data_version:  # not applied to the store yet
                return None
            body = json.dumps(change_body(change), ensure_ascii=False, sort_keys=True).encode("utf-8")
            return pending.id, change.id, body

    def _post(self, url: str, secret: str, hook_id: int, change_id: int, body: bytes) -> tuple[bool, str]:
        """POST one delivery to the address checked now (a redirect is a failure, not followed)."""
        try:
            target = check_target(url, allow_loopback=self.allow_loopback)
        except DataError as exc:
            return False, f"refused: {exc}"
        key = f"genekb-{hook_id}-{change_id}"
        timestamp = str(int(time.time()))
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json",
            "X-Genekb-Timestamp": timestamp,
            "X-Genekb-Signature": signature(secret, timestamp, key, body),
            "X-Genekb-Event": str(change_id),
            "Idempotency-Key": key,
        }
        extensions = {"sni_hostname": target.server_name} if target.server_name else {}
        request = self._client.build_request("POST", target.url, content=body, headers=headers, extensions=extensions)
        try:
            response = self._client.send(request, stream=True)  # the answer's body is never read
            response.close()
        except httpx.HTTPError as exc:
            return False, f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return True, ""
        return False, f"HTTP {response.status_code}"

    def start(self, interval: float = 0.5) -> None:
        """Deliver in a background thread until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    if self.before_round is not None:
                        self.before_round()
                    self.run_once()
                except Exception:  # keep delivering; the error is logged, the delivery stays pending
                    log.exception("webhook delivery round failed")

        self._thread = threading.Thread(target=loop, name="webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self._client.close()
