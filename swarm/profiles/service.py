"""Catalogue and profile use cases.

Admins keep the taxonomy (skills, ``is_a`` and ``related_to`` relations); every agent keeps
their own profile (proficiency 0–5 and learning goals), and managers may adjust anyone's. Each
change is validated against the whole taxonomy before it is committed (an ``is_a`` cycle or a
duplicate name is refused with a sentence), and each profile change is written to the growth
log. ``on_change`` is called after a commit that routing must see at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.dispatch.snapshot import load_skill_graph
from swarm.models import AgentSkill, Skill, SkillGrowth, SkillRelation, User
from swarm.models.users import Role
from swarm.skills.graph import SkillGraphError
from swarm.skills.proficiency import ProficiencyError, validate_level
from swarm.tickets.errors import Conflict, Forbidden, Invalid, NotFound


@dataclass(frozen=True)
class ProfileEntry:
    skill_id: int
    proficiency: int
    wants_to_learn: bool


class ProfileService:
    def __init__(
        self, session: Session, clock: Clock, on_change: Callable[[], None] | None = None
    ) -> None:
        self.session = session
        self.clock = clock
        self.on_change = on_change or (lambda: None)

    # ------------------------------------------------------------------ catalogue

    def skills(self) -> list[Skill]:
        return list(self.session.scalars(select(Skill).order_by(Skill.name)))

    def relations(self) -> list[SkillRelation]:
        return list(self.session.scalars(select(SkillRelation).order_by(SkillRelation.id)))

    def create_skill(
        self,
        actor: User,
        *,
        name: str,
        category: str | None = None,
        description: str = "",
        aliases: Sequence[str] = (),
    ) -> Skill:
        _require_admin(actor)
        skill = Skill(
            name=name.strip(),
            category=(category or "").strip() or None,
            description=description.strip(),
            aliases=_clean_aliases(aliases),
        )
        self.session.add(skill)
        return self._commit_checked(skill)

    def update_skill(self, actor: User, skill_id: int, changes: dict[str, Any]) -> Skill:
        _require_admin(actor)
        skill = self._skill(skill_id)
        if "name" in changes:
            skill.name = str(changes["name"]).strip()
        if "category" in changes:
            skill.category = (changes["category"] or "").strip() or None
        if "description" in changes:
            skill.description = str(changes["description"] or "").strip()
        if "aliases" in changes:
            skill.aliases = _clean_aliases(changes["aliases"])
        return self._commit_checked(skill)

    def delete_skill(self, actor: User, skill_id: int) -> None:
        """Remove a skill with its relations, proficiencies and ticket requirements."""
        _require_admin(actor)
        self.session.delete(self._skill(skill_id))
        self._commit_checked(None)

    def add_relation(
        self, actor: User, *, source_id: int, target_id: int, kind: str, weight: float = 1.0
    ) -> SkillRelation:
        _require_admin(actor)
        if kind not in ("is_a", "related_to"):
            raise Invalid("A relation is is_a or related_to.", fields={"kind": ["Unknown."]})
        if not 0 < weight <= 1:
            raise Invalid("A weight is above 0 and at most 1.", fields={"weight": ["Range."]})
        if source_id == target_id:
            raise Invalid("A skill cannot relate to itself.", fields={"target_id": ["Same."]})
        for field_name, skill_id in (("source_id", source_id), ("target_id", target_id)):
            if self.session.get(Skill, skill_id) is None:
                raise Invalid(f"There is no skill {skill_id}.", fields={field_name: ["Unknown."]})
        relation = SkillRelation(source_id=source_id, target_id=target_id, kind=kind, weight=weight)
        self.session.add(relation)
        return self._commit_checked(relation)

    def delete_relation(self, actor: User, relation_id: int) -> None:
        _require_admin(actor)
        relation = self.session.get(SkillRelation, relation_id)
        if relation is None:
            raise NotFound(f"There is no relation {relation_id}.")
        self.session.delete(relation)
        self._commit_checked(None)

    def graph(self) -> dict[str, Any]:
        """Nodes (with how many agents know each skill) and edges, for the explorer."""
        experts: dict[int, int] = {}
        for skill_id, level in self.session.execute(
            select(AgentSkill.skill_id, AgentSkill.proficiency)
        ):
            if level >= 3:
                experts[skill_id] = experts.get(skill_id, 0) + 1
        learners: dict[int, int] = {}
        for (skill_id,) in self.session.execute(
            select(AgentSkill.skill_id).where(AgentSkill.wants_to_learn.is_(True))
        ):
            learners[skill_id] = learners.get(skill_id, 0) + 1
        return {
            "nodes": [
                {
                    "id": s.id,
                    "name": s.name,
                    "category": s.category,
                    "aliases": list(s.aliases or []),
                    "experts": experts.get(s.id, 0),
                    "learners": learners.get(s.id, 0),
                }
                for s in self.skills()
            ],
            "edges": [
                {
                    "id": r.id,
                    "source": r.source_id,
                    "target": r.target_id,
                    "kind": r.kind,
                    "weight": r.weight,
                }
                for r in self.relations()
            ],
        }

    def people_with(self, skill_id: int) -> list[tuple[User, AgentSkill]]:
        """Agents who know or want to learn a skill, strongest first."""
        self._skill(skill_id)
        rows = self.session.execute(
            select(User, AgentSkill)
            .join(AgentSkill, AgentSkill.user_id == User.id)
            .where(AgentSkill.skill_id == skill_id, User.active.is_(True))
            .order_by(AgentSkill.proficiency.desc(), User.name)
        )
        return [(user, row) for user, row in rows.unique()]

    # ------------------------------------------------------------------ profiles

    def profile(self, viewer: User, agent_id: int) -> tuple[User, list[AgentSkill]]:
        if not viewer.is_staff:
            raise Forbidden("Only agents see skill profiles.")
        agent = self._agent(agent_id)
        rows = self.session.scalars(
            select(AgentSkill)
            .where(AgentSkill.user_id == agent.id)
            .order_by(AgentSkill.proficiency.desc(), AgentSkill.skill_id)
        )
        return agent, list(rows.unique())

    def set_profile(
        self, actor: User, agent_id: int, entries: Sequence[ProfileEntry]
    ) -> tuple[User, list[AgentSkill]]:
        """Replace an agent's profile with ``entries``; the agent themself or a manager.

        Evidence and last use are kept for skills that stay; a skill left out is removed. Every
        difference is written to the growth log (``self`` or ``manager``, or ``removed``).
        """
        agent = self._agent(agent_id)
        if actor.id != agent.id and not actor.has_role(Role.MANAGER):
            raise Forbidden("You can change your own skill profile; a manager can change others'.")
        seen: set[int] = set()
        for entry in entries:
            if entry.skill_id in seen:
                raise Invalid(
                    f"Skill {entry.skill_id} is listed twice.", fields={"skills": ["Twice."]}
                )
            seen.add(entry.skill_id)
            try:
                validate_level(entry.proficiency)
            except ProficiencyError as exc:
                raise Invalid(
                    f"Proficiency is 0 to 5; got {entry.proficiency!r}.",
                    fields={"skills": ["Proficiency 0–5."]},
                ) from exc
        known = set(self.session.scalars(select(Skill.id).where(Skill.id.in_(seen))))
        if seen - known:
            unknown = ", ".join(map(str, sorted(seen - known)))
            raise Invalid(f"Unknown skill ids: {unknown}.", fields={"skills": ["Unknown."]})

        now = self.clock.now()
        cause = "self" if actor.id == agent.id else "manager"
        current = {
            row.skill_id: row
            for row in self.session.scalars(
                select(AgentSkill).where(AgentSkill.user_id == agent.id)
            )
        }
        for entry in entries:
            row = current.pop(entry.skill_id, None)
            before = None if row is None else (row.proficiency, row.wants_to_learn)
            if before == (entry.proficiency, entry.wants_to_learn):
                continue
            if row is None:
                row = AgentSkill(user_id=agent.id, skill_id=entry.skill_id, evidence=0)
                self.session.add(row)
            row.proficiency = entry.proficiency
            row.wants_to_learn = entry.wants_to_learn
            row.updated_at = now
            self._grow(agent, entry.skill_id, cause, before, row, actor)
        for row in current.values():
            self._grow(
                agent, row.skill_id, "removed", (row.proficiency, row.wants_to_learn), None, actor
            )
            self.session.delete(row)
        self.session.commit()
        self.on_change()
        return self.profile(actor, agent.id)

    def growth(self, viewer: User, agent_id: int, limit: int = 200) -> list[SkillGrowth]:
        self.profile(viewer, agent_id)
        query = (
            select(SkillGrowth)
            .where(SkillGrowth.user_id == agent_id)
            .order_by(SkillGrowth.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    # ------------------------------------------------------------------ internals

    def _grow(
        self,
        agent: User,
        skill_id: int,
        cause: str,
        before: tuple[int, bool] | None,
        row: AgentSkill | None,
        actor: User,
    ) -> None:
        self.session.add(
            SkillGrowth(
                user_id=agent.id,
                skill_id=skill_id,
                at=self.clock.now(),
                cause=cause,
                proficiency_before=None if before is None else before[0],
                proficiency_after=None if row is None else row.proficiency,
                wants_to_learn=False if row is None else row.wants_to_learn,
                evidence=0 if row is None else row.evidence,
                actor_id=actor.id,
            )
        )

    def _skill(self, skill_id: int) -> Skill:
        skill = self.session.get(Skill, skill_id)
        if skill is None:
            raise NotFound(f"There is no skill {skill_id}.")
        return skill

    def _agent(self, agent_id: int) -> User:
        agent = self.session.get(User, agent_id)
        if agent is None or not agent.is_staff:
            raise NotFound(f"There is no agent {agent_id}.")
        return agent

    def _commit_checked(self, result: Any) -> Any:
        """Flush, validate the whole taxonomy as it would be, then commit — or roll back."""
        if isinstance(result, Skill) and not result.name:
            self.session.rollback()
            raise Invalid("A skill needs a name.", fields={"name": ["Empty."]})
        try:
            self.session.flush()
            load_skill_graph(self.session)
        except SkillGraphError as exc:
            self.session.rollback()
            raise Invalid(f"That would break the taxonomy: {exc}.") from exc
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict("That skill or relation exists already.") from exc
        self.session.commit()
        self.on_change()
        return result


def _require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can change the skill taxonomy.")


def _clean_aliases(aliases: Sequence[str] | Any) -> list[str]:
    cleaned: list[str] = []
    for alias in aliases or ():
        text = str(alias).strip()
        if text and text.casefold() not in {a.casefold() for a in cleaned}:
            cleaned.append(text)
    return cleaned
