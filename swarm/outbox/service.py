"""Webhooks for admins: register a URL for event types, change or remove it, see its
deliveries with every attempt's answer, and send a delivery again."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.accounts import audit
from swarm.accounts.audit import AuditAction
from swarm.clock import Clock
from swarm.db import begin_write
from swarm.events import EventType
from swarm.models import User
from swarm.models.outbox import DeliveryAttempt, OutboxItem, OutboxState, Webhook
from swarm.models.users import Role
from swarm.outbox.capture import NOT_OFFERED
from swarm.outbox.signing import new_secret
from swarm.tickets.errors import IllegalTransition, Invalid, NotFound

EVENT_TYPES = tuple(sorted(str(t) for t in EventType if str(t) not in NOT_OFFERED))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def webhook_view(hook: Webhook, counts: dict[str, int] | None = None) -> dict[str, Any]:
    """A webhook as admins see it — never its secret (that is answered once, at creation)."""
    return {
        "id": hook.id,
        "url": hook.url,
        "description": hook.description,
        "event_types": list(hook.event_types),
        "active": hook.active,
        "created_at": _iso(hook.created_at),
        "deliveries": counts or {},
    }


def delivery_view(item: OutboxItem, attempts: list[DeliveryAttempt]) -> dict[str, Any]:
    return {
        "id": item.id,
        "webhook_id": item.webhook_id,
        "key": item.key,
        "event_id": item.event_id,
        "event_type": item.event_type,
        "state": item.state,
        "attempts": item.attempts,
        "next_attempt_at": _iso(item.next_attempt_at) if item.state == "pending" else None,
        "last_error": item.last_error,
        "created_at": _iso(item.created_at),
        "delivered_at": _iso(item.delivered_at),
        "tries": [
            {
                "at": _iso(a.at),
                "status_code": a.status_code,
                "response": a.response,
                "error": a.error,
                "milliseconds": a.milliseconds,
            }
            for a in attempts
        ],
    }


class WebhookService:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def _admin(self, user: User) -> None:
        audit.require_role(user, Role.ADMIN, "Only admins manage webhooks.")

    def _get(self, webhook_id: int) -> Webhook:
        hook = self.session.get(Webhook, webhook_id)
        if hook is None:
            raise NotFound(f"There is no webhook {webhook_id}.")
        return hook

    @staticmethod
    def _check(url: str | None, event_types: list[str] | None) -> None:
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise Invalid(
                    "A webhook URL is http:// or https:// with a host.",
                    fields={"url": ["An http or https URL with a host."]},
                )
        if event_types is not None:
            unknown = sorted(set(event_types) - set(EVENT_TYPES))
            if not event_types or unknown:
                message = (
                    f"Unknown event types: {', '.join(unknown)}."
                    if unknown
                    else ("Choose at least one event type.")
                )
                raise Invalid(message, fields={"event_types": [message]})

    def create(
        self, user: User, url: str, event_types: list[str], description: str = ""
    ) -> tuple[dict[str, Any], str]:
        self._admin(user)
        self._check(url, event_types)
        secret = new_secret()
        with audit.audited_change(self.session):
            hook = Webhook(
                url=url,
                description=description,
                event_types=sorted(set(event_types)),
                secret=secret,
                active=True,
                created_by=user.id,
                created_at=self.clock.now(),
            )
            self.session.add(hook)
            self.session.flush()
            audit.record(
                self.session,
                hook.created_at,
                AuditAction.WEBHOOK_CREATED,
                actor=user,
                webhook_id=hook.id,
                url=url,
                event_types=hook.event_types,
            )
        return webhook_view(hook), secret

    def list(self, user: User) -> list[dict[str, Any]]:
        self._admin(user)
        hooks = self.session.scalars(select(Webhook).order_by(Webhook.id)).all()
        counts: dict[int, dict[str, int]] = {}
        rows = self.session.execute(
            select(OutboxItem.webhook_id, OutboxItem.state, func.count()).group_by(
                OutboxItem.webhook_id, OutboxItem.state
            )
        )
        for webhook_id, state, n in rows:
            counts.setdefault(webhook_id, {})[state] = n
        return [webhook_view(h, counts.get(h.id, {})) for h in hooks]

    def update(self, user: User, webhook_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        self._admin(user)
        self._check(changes.get("url"), changes.get("event_types"))
        with audit.audited_change(self.session):
            hook = self._get(webhook_id)
            for name in ("url", "description", "active"):
                if name in changes:
                    setattr(hook, name, changes[name])
            if "event_types" in changes:
                hook.event_types = sorted(set(changes["event_types"]))
            audit.record(
                self.session,
                self.clock.now(),
                AuditAction.WEBHOOK_CHANGED,
                actor=user,
                webhook_id=hook.id,
                **{k: v for k, v in changes.items() if k in ("url", "event_types", "active")},
            )
        return webhook_view(hook)

    def delete(self, user: User, webhook_id: int) -> None:
        self._admin(user)
        with audit.audited_change(self.session):
            hook = self._get(webhook_id)
            audit.record(
                self.session,
                self.clock.now(),
                AuditAction.WEBHOOK_REMOVED,
                actor=user,
                webhook_id=hook.id,
                url=hook.url,
            )
            self.session.delete(hook)

    def deliveries(
        self, user: User, webhook_id: int, state: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        self._admin(user)
        self._get(webhook_id)
        query = select(OutboxItem).where(OutboxItem.webhook_id == webhook_id)
        if state:
            query = query.where(OutboxItem.state == state)
        items = self.session.scalars(query.order_by(OutboxItem.id.desc()).limit(limit)).all()
        tries: dict[int, list[DeliveryAttempt]] = {item.id: [] for item in items}
        if items:
            attempts = self.session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.item_id.in_(tries))
                .order_by(DeliveryAttempt.id)
            )
            for attempt in attempts:
                tries[attempt.item_id].append(attempt)
        return [delivery_view(item, tries[item.id]) for item in items]

    def send_again(self, user: User, delivery_id: int) -> dict[str, Any]:
        """A delivered or dead delivery goes out once more, with a fresh series of attempts
        (and the same ``webhook-id``: a receiver that already took it may drop it)."""
        self._admin(user)
        begin_write(self.session)
        item = self.session.get(OutboxItem, delivery_id)
        if item is None:
            raise NotFound(f"There is no delivery {delivery_id}.")
        if item.state in (OutboxState.PENDING, OutboxState.DELIVERING):
            raise IllegalTransition("This delivery is already waiting to go out.")
        item.state, item.attempts = OutboxState.PENDING, 0
        item.next_attempt_at, item.locked_until = self.clock.now(), None
        self.session.commit()
        return delivery_view(item, [])
