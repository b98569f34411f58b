"""Rules for admins and managers: admins create, change, enable, disable and remove rules;
managers read them and their runs (they answer for what automation does on their desk, but
changing it is an administrator's job, as webhooks are). Every change is in the audit log.

A definition is read by ``swarm.rules.spec.parse_rule`` and the ids it names (skills, people,
webhooks) are checked against the database in the same transaction as the write, so a rule is
stored whole and sound, or not at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from swarm.accounts import audit
from swarm.accounts.audit import AuditAction
from swarm.clock import Clock
from swarm.models import Rule, RuleRun, Skill, User, Webhook
from swarm.models.users import Role
from swarm.rules.spec import (
    NAME_MAX,
    AddSkills,
    CallWebhook,
    InviteHelper,
    Notify,
    RuleError,
    RuleSpec,
    action_json,
    conditions_json,
    parse_rule,
)
from swarm.tickets.errors import Conflict, Invalid, NotFound

RUNS_MAX = 200
STAFF_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def rule_view(
    rule: Rule, runs: dict[str, int] | None = None, last: datetime | None = None
) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "enabled": rule.enabled,
        "trigger": rule.trigger,
        "conditions": dict(rule.conditions or {}),
        "actions": list(rule.actions or []),
        "created_by": rule.created_by,
        "created_at": _iso(rule.created_at),
        "updated_at": _iso(rule.updated_at),
        "version": rule.version,
        "runs": runs or {},
        "last_run_at": _iso(last),
    }


def run_view(run: RuleRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "rule_id": run.rule_id,
        "rule_version": run.rule_version,
        "ticket_id": run.ticket_id,
        "event_id": run.event_id,
        "at": _iso(run.at),
        "outcome": run.outcome,
        "results": list(run.results or []),
        "error": run.error,
    }


def stored_spec(rule: Rule) -> RuleSpec:
    """The stored definition, read again (it was checked when it was saved)."""
    return parse_rule(rule.trigger, rule.conditions, rule.actions)


class RuleService:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # ----------------------------------------------------------------- who may

    @staticmethod
    def require_reader(user: User) -> None:
        audit.require_role(user, Role.MANAGER, "Only managers and admins see automation rules.")

    @staticmethod
    def require_editor(user: User) -> None:
        audit.require_role(
            user, Role.ADMIN, "Only admins change automation rules; managers may read them."
        )

    def _get(self, rule_id: int) -> Rule:
        rule = self.session.get(Rule, rule_id)
        if rule is None:
            raise NotFound(f"There is no rule {rule_id}.")
        return rule

    # ----------------------------------------------------------------- reading

    def list(self, user: User) -> list[dict[str, Any]]:
        self.require_reader(user)
        rules = self.session.scalars(select(Rule).order_by(Rule.id)).all()
        counts: dict[int, dict[str, int]] = {}
        for rule_id, outcome, n in self.session.execute(
            select(RuleRun.rule_id, RuleRun.outcome, func.count()).group_by(
                RuleRun.rule_id, RuleRun.outcome
            )
        ):
            counts.setdefault(rule_id, {})[outcome] = n
        last = dict(
            self.session.execute(
                select(RuleRun.rule_id, func.max(RuleRun.at)).group_by(RuleRun.rule_id)
            ).all()
        )
        return [rule_view(r, counts.get(r.id, {}), last.get(r.id)) for r in rules]

    def get(self, user: User, rule_id: int) -> dict[str, Any]:
        self.require_reader(user)
        rule = self._get(rule_id)
        counts = dict(
            self.session.execute(
                select(RuleRun.outcome, func.count())
                .where(RuleRun.rule_id == rule_id)
                .group_by(RuleRun.outcome)
            ).all()
        )
        last = self.session.scalar(select(func.max(RuleRun.at)).where(RuleRun.rule_id == rule_id))
        return rule_view(rule, {str(k): int(v) for k, v in counts.items()}, last)

    def runs(
        self, user: User, rule_id: int, outcome: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        self.require_reader(user)
        self._get(rule_id)
        query = select(RuleRun).where(RuleRun.rule_id == rule_id)
        if outcome:
            query = query.where(RuleRun.outcome == outcome)
        limit = max(1, min(limit, RUNS_MAX))
        return [
            run_view(r)
            for r in self.session.scalars(query.order_by(RuleRun.id.desc()).limit(limit))
        ]

    def choices(self, user: User) -> dict[str, list[tuple[int, str]]]:
        """What a rule may name, by id, for the admin page's form and sentences: every skill,
        active staff (invited, notified) and the webhooks, each as ``(id, name)``."""
        self.require_reader(user)
        skills = self.session.execute(select(Skill.id, Skill.name).order_by(Skill.name))
        staff = self.session.execute(
            select(User.id, User.name)
            .where(User.active.is_(True), User.role.in_([r.value for r in STAFF_ROLES]))
            .order_by(User.name)
        )
        hooks = self.session.execute(select(Webhook.id, Webhook.url).order_by(Webhook.id))
        return {
            "skills": [(i, n) for i, n in skills],
            "staff": [(i, n) for i, n in staff],
            "webhooks": [(i, u) for i, u in hooks],
        }

    # ----------------------------------------------------------------- writing

    def create(self, user: User, data: dict[str, Any]) -> dict[str, Any]:
        self.require_editor(user)
        name = self._name(data.get("name"))
        spec = self._spec(data.get("trigger"), data.get("conditions"), data.get("actions"))
        with audit.audited_change(self.session):
            self._check_references(spec)
            now = self.clock.now()
            rule = Rule(
                name=name,
                enabled=bool(data.get("enabled", True)),
                trigger=spec.trigger,
                conditions=conditions_json(spec.conditions),
                actions=[action_json(a) for a in spec.actions],
                created_by=user.id,
                created_at=now,
                updated_at=now,
                version=1,
            )
            self.session.add(rule)
            self.session.flush()
            audit.record(
                self.session,
                now,
                AuditAction.RULE_CREATED,
                actor=user,
                rule_id=rule.id,
                name=rule.name,
                trigger=rule.trigger,
                enabled=rule.enabled,
            )
        return rule_view(rule)

    def update(self, user: User, rule_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Change what is given; a definition (trigger, conditions, actions) is checked whole,
        the stored parts with the new ones. ``version``, when given, must be the stored one
        (someone else's change in between is refused, not overwritten)."""
        self.require_editor(user)
        with audit.audited_change(self.session):
            rule = self._get(rule_id)
            if "version" in changes and changes["version"] != rule.version:
                raise Conflict(
                    f"Rule {rule_id} was changed meanwhile (version {rule.version} now, not "
                    f"{changes['version']}); reload it and change it again."
                )
            if "name" in changes:
                rule.name = self._name(changes["name"])
            if any(k in changes for k in ("trigger", "conditions", "actions")):
                spec = self._spec(
                    changes.get("trigger", rule.trigger),
                    changes.get("conditions", rule.conditions),
                    changes.get("actions", rule.actions),
                )
                self._check_references(spec)
                rule.trigger = spec.trigger
                rule.conditions = conditions_json(spec.conditions)
                rule.actions = [action_json(a) for a in spec.actions]
            if "enabled" in changes:
                rule.enabled = bool(changes["enabled"])
            rule.version += 1
            rule.updated_at = self.clock.now()
            audit.record(
                self.session,
                rule.updated_at,
                AuditAction.RULE_CHANGED,
                actor=user,
                rule_id=rule.id,
                version=rule.version,
                changed=sorted(k for k in changes if k != "version"),
                **({"enabled": rule.enabled} if "enabled" in changes else {}),
            )
        return self.get(user, rule_id)

    def delete(self, user: User, rule_id: int) -> None:
        self.require_editor(user)
        with audit.audited_change(self.session):
            rule = self._get(rule_id)
            audit.record(
                self.session,
                self.clock.now(),
                AuditAction.RULE_REMOVED,
                actor=user,
                rule_id=rule.id,
                name=rule.name,
            )
            self.session.delete(rule)

    # ----------------------------------------------------------------- checks

    @staticmethod
    def _name(raw: Any) -> str:
        name = raw.strip() if isinstance(raw, str) else ""
        if not name or len(name) > NAME_MAX:
            raise Invalid(
                f"A rule needs a name of at most {NAME_MAX} characters.",
                fields={"name": [f"1 to {NAME_MAX} characters."]},
            )
        return name

    @staticmethod
    def _spec(trigger: Any, conditions: Any, actions: Any) -> RuleSpec:
        try:
            return parse_rule(trigger, conditions, actions)
        except RuleError as exc:
            raise Invalid(exc.message, fields=exc.fields) from exc

    def _check_references(self, spec: RuleSpec) -> None:
        """Every id the rule names exists (and can do its part) now; each missing one is
        named by its field."""
        errors: dict[str, list[str]] = {}
        skills = set(spec.conditions.skills)
        for action in spec.actions:
            if isinstance(action, AddSkills):
                skills.update(action.skill_ids)
            elif isinstance(action, InviteHelper) and action.skill_id is not None:
                skills.add(action.skill_id)
        known = set(self.session.scalars(select(Skill.id).where(Skill.id.in_(skills))))
        if skills - known:
            errors["skills"] = [
                f"Unknown skill ids: {', '.join(map(str, sorted(skills - known)))}."
            ]
        for index, action in enumerate(spec.actions):
            field = f"actions.{index}"
            if isinstance(action, InviteHelper) and action.agent_id is not None:
                agent = self.session.get(User, action.agent_id)
                if agent is None or not agent.active or not agent.is_staff:
                    errors[f"{field}.agent_id"] = ["No active staff member with that id."]
            elif isinstance(action, Notify):
                person = self.session.get(User, action.user_id)
                if person is None or not person.active:
                    errors[f"{field}.user_id"] = ["No active person with that id."]
            elif (
                isinstance(action, CallWebhook)
                and self.session.get(Webhook, action.webhook_id) is None
            ):
                errors[f"{field}.webhook_id"] = ["No webhook with that id."]
        if errors:
            first = next(iter(errors.items()))
            raise Invalid(f"{first[0]}: {first[1][0]}", fields=errors)
