"""Where a ticket names a skill, and whether that mention is the problem or only its context.

A requester writes "VPN drops every 10 minutes on Windows 11 … my Teams calls drop too": three
skills are named, one is the problem. Finding names is easy (:class:`MentionFinder`); telling the
problem from the setting it happened in is what this module adds, with a few cues read around
each mention, no parser and no training:

========================  ==========================================  ==========
cue                       example                                     weight
========================  ==========================================  ==========
subject line              **VPN** drops every 10 minutes              1.0
body, what fails          my **VPN** drops, **Excel** freezes         0.9
body, named               please install **Visio** …                  0.6
context                   on **Windows 11**, during **Teams** calls   × 0.35
consequence               … my **Teams** calls drop *too*             × 0.5
said to work              **Outlook** on the same laptop works fine   × 0.2
subject names another     body mentions when the subject names a      × 0.7
                          problem skill
========================  ==========================================  ==========

A mention's weight is its line's (subject 1.0; body 0.6, 0.9 when a failure word follows it in
its clause), times the factor of the first damping cue found around it (context, else
consequence, else said to work), times 0.7 in the body when the subject names another skill as
the problem. The numbers encode an order — the subject
states the problem, context and consequences are named in passing — rather than a fit: what is
measured is where to cut (``swarm.skills.inference.THRESHOLD``, chosen by a sweep, see
``docs/matching.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a mention seems to be, from the strongest cue found around it."""

    SUBJECT = "in the subject"
    FAILING = "as what fails"
    NAMED = "in the text"
    CONTEXT = "as context"
    CONSEQUENCE = "as a consequence"
    WORKING = "as working"


SUBJECT_WEIGHT = 1.0
FAILING_WEIGHT = 0.9
NAMED_WEIGHT = 0.6
CONTEXT_FACTOR = 0.35
CONSEQUENCE_FACTOR = 0.5
WORKING_FACTOR = 0.2
SECONDARY_FACTOR = 0.7

#: Words that put what follows them in the setting: "on Windows 11", "during Teams calls".
CONTEXT_WORDS = frozenset(
    "on in during from with via using through over while at inside after across like than".split()  # noqa: SIM905
)
#: Words that may stand between such a preposition and the name: "on **my** laptop".
DETERMINERS = frozenset(
    "the a an my our your his her their its this that same new old company work".split()  # noqa: SIM905
)
#: Words after a mention that say it is what fails: "VPN drops", "Outlook keeps asking".
FAILURE_WORDS = frozenset(
    """
    drop drops dropped dropping disconnect disconnects disconnecting fail fails failed failing
    failure crash crashes crashed crashing freeze freezes frozen hang hangs hanging stuck error
    errors broken stopped stops keep keeps say says shows show showing blocks blocked rejects
    rejected refuses refused missing slow offline down expired locked empty spins spinning black
    lost loses disappeared throws returns prompts asks quarantined flagged full behind corrupt
    not no cannot can't won't doesn't don't isn't aren't didn't wasn't unable denied timeout
    """.split()  # noqa: SIM905  # word lists read better as words than as quoted strings
)
#: Words in a mention's clause that make it a consequence of another fault: anywhere in the
#: clause ("my Teams calls drop too", "… drop each time") or, for the leads, before the mention
#: ("so I can't open Outlook"; but "add me to the AD group so I can …" names AD as the request).
CONSEQUENCE_WORDS = ("too", "also", "as well", "each time", "every time")
CONSEQUENCE_LEADS = ("so", "which means")
#: Words after a mention that say it works: "Outlook on the same laptop works fine".
WORKING_WORDS = frozenset(("works", "work", "worked", "working", "fine", "normally", "ok", "okay"))

# Clause boundaries: sentence ends, semicolons, colons, commas, dashes and line breaks.
_CLAUSE = re.compile(r"[.!?;:,\n]|\s[-–—]\s")
_WORD = re.compile(r"[\w']+")
_LOOK_BACK = 3  # determiners allowed between a context preposition and a mention
_LOOK_AHEAD = 5  # words after a mention searched for a failure or a "works"


@dataclass(frozen=True)
class Mention:
    """One name or alias of ``skill_id`` found at ``start`` in the text, with its role."""

    skill_id: int
    surface: str
    start: int
    role: Role
    weight: float


class MentionFinder:
    """Finds skill names and aliases as whole words and weighs each by its role.

    Parameters
    ----------
    names : mapping of casefolded name or alias to skill id
        Typically ``SkillGraph.names``.

    Examples
    --------
    >>> finder = MentionFinder({"vpn": 1, "windows 11": 2, "teams": 3, "laptop": 4})
    >>> text = "VPN drops every 10 minutes on Windows 11\\nMy Teams calls drop too, on my laptop."
    >>> for mention in finder.find(text):
    ...     print(mention.surface, mention.role.name, mention.weight)
    VPN SUBJECT 1.0
    Windows 11 CONTEXT 0.35
    Teams CONSEQUENCE 0.315
    laptop CONTEXT 0.147
    """

    def __init__(self, names: Mapping[str, int]) -> None:
        self.names = dict(names)
        ordered = sorted(self.names, key=len, reverse=True)
        # One alternation, longest names first, so "Cisco ASA" wins over "ASA" at the same spot.
        self._pattern = (
            re.compile(
                r"(?<!\w)(" + "|".join(re.escape(name) for name in ordered) + r")(?!\w)",
                re.IGNORECASE,
            )
            if ordered
            else None
        )

    def find(self, text: str) -> list[Mention]:
        """Every mention in ``text``, in order; the first line is the subject.

        A text of one line is all subject (a search box, a title): nothing marks it as context
        but its own cues.
        """
        if self._pattern is None:
            return []
        newline = text.find("\n")
        subject_end = len(text) if newline < 0 else newline
        raw = []
        for match in self._pattern.finditer(text):
            skill_id = self.names.get(match.group(1).casefold())
            if skill_id is None:  # a case mapping that casefold and IGNORECASE disagree on
                continue
            raw.append((skill_id, match, match.start() < subject_end))
        # The subject states the problem: once it names one, the body's other skills are
        # more likely its setting or its effects.
        subject_problems = {
            skill_id
            for skill_id, match, in_subject in raw
            if in_subject and _role_cues(text, match.start(), match.end())[0] is None
        }
        mentions = []
        for skill_id, match, in_subject in raw:
            role, weight = _weigh(text, match.start(), match.end(), in_subject)
            if not in_subject and subject_problems - {skill_id}:
                weight *= SECONDARY_FACTOR
            mentions.append(
                Mention(skill_id, match.group(1), match.start(), role, round(weight, 3))
            )
        return mentions


def _clause(text: str, start: int, end: int) -> tuple[str, str]:
    """The text of the mention's clause before and after the mention."""
    before = text[:start]
    cut = max((m.end() for m in _CLAUSE.finditer(before)), default=0)
    after = text[end:]
    stop = _CLAUSE.search(after)
    return before[cut:], after[: stop.start()] if stop else after


def _role_cues(text: str, start: int, end: int) -> tuple[Role | None, bool]:
    """The damping cue of a mention (context, consequence, working or none) and whether a
    failure word follows it."""
    before, after = _clause(text, start, end)
    words_before = _WORD.findall(before.casefold())
    words_after = _WORD.findall(after.casefold())
    ahead = words_after[:_LOOK_AHEAD]
    fails = any(word in FAILURE_WORDS or word.endswith("n't") for word in ahead)
    lead = " ".join(words_before)
    clause = " ".join([lead, *words_after])
    if _governed_by_context(words_before):
        return Role.CONTEXT, fails
    if any(_has(clause, cue) for cue in CONSEQUENCE_WORDS) or any(
        _has(lead, cue) for cue in CONSEQUENCE_LEADS
    ):
        return Role.CONSEQUENCE, fails
    if not fails and any(word in WORKING_WORDS for word in ahead):
        return Role.WORKING, fails
    return None, fails


def _governed_by_context(words_before: list[str]) -> bool:
    """Whether the mention sits in a context phrase: a preposition, then at most a few
    determiners ("on my laptop", but not "on Monday my VPN")."""
    for word in reversed(words_before[-(_LOOK_BACK + 1) :]):
        if word in CONTEXT_WORDS:
            return True
        if word not in DETERMINERS:
            return False
    return False


def _has(words: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){phrase}(?!\w)", words) is not None


def _weigh(text: str, start: int, end: int, in_subject: bool) -> tuple[Role, float]:
    damping, fails = _role_cues(text, start, end)
    if in_subject:
        role, weight = Role.SUBJECT, SUBJECT_WEIGHT
    elif fails:
        role, weight = Role.FAILING, FAILING_WEIGHT
    else:
        role, weight = Role.NAMED, NAMED_WEIGHT
    factor = {
        Role.CONTEXT: CONTEXT_FACTOR,
        Role.CONSEQUENCE: CONSEQUENCE_FACTOR,
        Role.WORKING: WORKING_FACTOR,
        None: 1.0,
    }[damping]
    return (damping or role), weight * factor
