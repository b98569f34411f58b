"""Infer a ticket's required skills from its text, each with a weight and a reason.

Two sources, combined per skill by taking the stronger:

* **names and aliases** of the taxonomy found as whole words in the text ("AnyConnect" → VPN),
  weighed by the role the mention plays (:mod:`swarm.skills.mentions`): 1.0 in the subject line,
  less in the body, much less as context ("on Windows 11"), as a consequence ("my Teams calls
  drop too") or as something said to work; why ``mentions "AnyConnect" (VPN)``, followed by the
  role when it is not the subject. A skill named beside one of its ``is_a`` ancestors takes the
  ancestor's weight and replaces it (the most specific name says which Windows);
* a **text model** learned from labelled tickets (resolved tickets' skills, and corrections made
  by hand): :class:`TextModel`, TF-IDF over word 1–2-grams and character 1–4-grams inside word
  boundaries, then a linear SVM per label. On the 8,500 real tickets of the assignment-group data
  set it beats a plain TF-IDF + logistic regression by about 9 points of top-1 accuracy (see
  ``docs/matching.md`` and :mod:`swarm.skills.evaluation`). The weight is a confidence
  ``1 / (1 + exp(−3·margin))`` — monotone in the SVM margin, not a calibrated probability — and
  the why names the words that pushed the decision.

Skills weighing less than :data:`THRESHOLD` are not required. Text in which nothing reaches it
gives an empty list; the caller turns that into triage.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from scipy import sparse  # type: ignore[import-untyped]  # no stubs in the pinned venv
from sklearn.feature_extraction.text import (  # type: ignore[import-untyped]  # no stubs
    ENGLISH_STOP_WORDS,
    TfidfVectorizer,
)
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]  # no stubs

from swarm.skills.graph import SkillGraph
from swarm.skills.mentions import MentionFinder, Role

Label = TypeVar("Label", bound=Hashable)

#: Slope of the margin → confidence map; margin 0 (the SVM's boundary) maps to 0.5.
CONFIDENCE_SLOPE = 3.0
#: A skill is required from this weight up. Measured, not guessed: swept from 0.05 to 1.0 in
#: steps of 0.05 over the 96 labelled tickets (``python -m swarm eval-routing --sweep``, the
#: demo taxonomy and its trained model), micro F1 peaks at 0.85 (0.788; macro F1 0.776 there,
#: tied with 0.70). In effect a skill must be named in the subject line, or in the body as what
#: fails with no other problem in the subject, or be predicted by the model with confidence
#: ≥ 0.85. An organisation whose model learned from many more tickets should sweep again; see
#: docs/matching.md.
THRESHOLD = 0.85


@dataclass(frozen=True)
class InferredSkill:
    """A skill the ticket seems to need, how strongly (0–1], and why we think so."""

    skill_id: int
    weight: float
    why: str


@dataclass(frozen=True)
class Prediction(Generic[Label]):
    """One label from :meth:`TextModel.rank` with its margin, confidence and telling words."""

    label: Label
    margin: float
    confidence: float
    words: tuple[str, ...]


class TextModel(Generic[Label]):
    """Word + character TF-IDF and a linear SVM per label; labels are any hashable values.

    Each label gets its own binary one-vs-rest model, so a text may get several labels (a
    ticket needing several skills) or none (every margin negative). With one label per example
    (assignment groups) this is exactly scikit-learn's multi-class ``LinearSVC``, which is
    one-vs-rest too. A label present in every example, or in none, gets no model: it carries no
    information.

    Parameters
    ----------
    c : float
        Inverse regularisation of the SVMs; 0.5 measured best on the real tickets.
    char_ngrams : tuple of int
        Range of character n-grams (within word boundaries); they catch misspellings, inflections
        and fragments of codes that whole words miss.

    Examples
    --------
    >>> model = TextModel().fit(
    ...     ["vpn tunnel down", "cannot connect vpn", "printer jammed", "printer out of toner"],
    ...     [["net"], ["net"], ["print"], ["print"]],
    ... )
    >>> [p.label for p in model.rank("the vpn is down again")]
    ['net', 'print']
    """

    def __init__(self, c: float = 0.5, char_ngrams: tuple[int, int] = (1, 4)) -> None:
        self.c = c
        self.char_ngrams = char_ngrams
        self.labels: list[Label] = []
        self._fitted = False

    def fit(
        self, texts: Sequence[str], label_sets: Sequence[Collection[Label]]
    ) -> TextModel[Label]:
        """Learn from ``texts`` and their label sets; returns self."""
        if len(texts) != len(label_sets):
            raise ValueError("texts and label_sets differ in length")
        # On a handful of examples min_df=2 would prune everything; on many it drops noise.
        min_df = 2 if len(texts) >= 100 else 1
        self._words = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
        self._chars = TfidfVectorizer(
            sublinear_tf=True, analyzer="char_wb", ngram_range=self.char_ngrams, min_df=min_df
        )
        features = self._fit_features(texts)
        self._word_names = self._words.get_feature_names_out()
        present = sorted({label for labels in label_sets for label in labels}, key=repr)
        rows, biases, labels = [], [], []
        for label in present:
            target = np.array([label in labels for labels in label_sets])
            if target.all() or not target.any():
                continue
            svm = LinearSVC(C=self.c, max_iter=5000).fit(features, target)
            rows.append(np.asarray(svm.coef_)[0])
            biases.append(float(svm.intercept_[0]))
            labels.append(label)
        self.labels = labels
        width = features.shape[1]
        # float32 halves the memory of a dense labels × features matrix (71 × 165k on the real
        # tickets: 47 MB) and changes no ranking that matters.
        self._coef = np.array(rows, dtype=np.float32) if rows else np.zeros((0, width), np.float32)
        self._intercept = np.array(biases)
        self._fitted = True
        return self

    def _fit_features(self, texts: Sequence[str]) -> Any:
        return sparse.hstack(
            [self._words.fit_transform(texts), self._chars.fit_transform(texts)]
        ).tocsr()

    def _features(self, texts: Sequence[str]) -> Any:
        return sparse.hstack([self._words.transform(texts), self._chars.transform(texts)]).tocsr()

    def margins(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Decision values, one row per text and one column per label in ``self.labels``."""
        if not self._fitted:
            raise RuntimeError("the model has not been fitted")
        if not self.labels:
            return np.zeros((len(texts), 0))
        result = self._features(texts) @ self._coef.T + self._intercept
        return np.asarray(result, dtype=np.float64)

    def rank(self, text: str, k: int = 3, explain: int = 3) -> list[Prediction[Label]]:
        """The ``k`` most likely labels for one text, best first, with telling words."""
        if not self._fitted or not self.labels:
            return []
        row = self._features([text])
        margins = np.asarray(row @ self._coef.T + self._intercept).ravel()
        words = row[:, : len(self._word_names)]
        best = np.argsort(-margins, kind="stable")[:k]
        predictions = []
        for j in best:
            # What each word present in the text contributes to this label's margin.
            contribution = words.data * self._coef[j, words.indices]
            order = np.argsort(-contribution, kind="stable")
            telling: list[str] = []
            for i in order:
                if contribution[i] <= 0 or len(telling) == explain:
                    break
                name = str(self._word_names[words.indices[i]])
                # Stop words can carry weight in the model but explain nothing to a person.
                if not set(name.split()) <= ENGLISH_STOP_WORDS:
                    telling.append(name)
            margin = float(margins[j])
            predictions.append(
                Prediction(self.labels[j], margin, confidence(margin), tuple(telling))
            )
        return predictions


def confidence(margin: float) -> float:
    """Map an SVM margin to (0, 1): 0.5 on the boundary, monotone, not a probability.

    Examples
    --------
    >>> confidence(0.0), round(confidence(1.0), 3)
    (0.5, 0.953)
    """
    return 1.0 / (1.0 + math.exp(-CONFIDENCE_SLOPE * margin))


class SkillInferer:
    """Infers required skills from ticket text with names, aliases and a learned model.

    Build it with :func:`train_inferer`; feed corrections back with :meth:`corrected`, which
    returns a new inferer (this one is not changed, so a request in flight keeps a stable model).

    Parameters
    ----------
    skills : SkillGraph
    examples : sequence of (text, skill ids)
        The labelled tickets the model was trained on.
    min_confidence : float
        Model suggestions below this confidence are not candidates (0.5 is the SVM's own
        boundary).
    threshold : float
        Candidates weighing less are not required (:data:`THRESHOLD`, chosen by measurement).
    max_skills : int
        At most this many skills are returned.

    Examples
    --------
    >>> from swarm.skills.graph import Skill, build_skill_graph
    >>> g = build_skill_graph([Skill(1, "VPN", aliases=("AnyConnect",)), Skill(2, "Printing")])
    >>> inferer = train_inferer(g, [
    ...     ("tunnel keeps dropping", [1]), ("cannot reach the office network from home", [1]),
    ...     ("paper jam on floor 2", [2]), ("toner empty", [2]),
    ...     ("lunch order for friday", []), ("please update my phone number", []),
    ... ])
    >>> [(s.skill_id, s.weight, s.why) for s in inferer.infer("AnyConnect fails")]
    [(1, 1.0, 'mentions "AnyConnect" (VPN)')]
    >>> inferer.infer("lunch menu?")
    []

    The model's guesses are candidates; below the threshold they are not required:

    >>> [(s.skill_id, s.why) for s in inferer.candidates("home office tunnel drops")]
    [(1, 'words "tunnel", "home", "office" resemble 2 tickets labelled VPN (confidence 0.74)')]
    >>> inferer.infer("home office tunnel drops")
    []

    A skill named only as the setting of the fault is a candidate, but too weak to be required:

    >>> [(g.name(s.skill_id), s.weight) for s in inferer.candidates(
    ...     "Printing fails\\nthe printer is offline since I came back on AnyConnect")]
    [('Printing', 1.0), ('VPN', 0.147)]
    """

    def __init__(
        self,
        skills: SkillGraph,
        examples: Sequence[tuple[str, frozenset[int]]] = (),
        model: TextModel[int] | None = None,
        *,
        min_confidence: float = 0.5,
        threshold: float = THRESHOLD,
        max_skills: int = 5,
    ) -> None:
        self.skills = skills
        self.examples = tuple(examples)
        self.model = model
        self.min_confidence = min_confidence
        self.threshold = threshold
        self.max_skills = max_skills
        self._support_counts = Counter(label for _text, labels in self.examples for label in labels)
        self._mentions = MentionFinder(skills.names)

    def infer(self, text: str) -> list[InferredSkill]:
        """Skills the text needs, strongest first; empty when nothing is inferable.

        The first line of ``text`` is taken for the ticket's subject (``subject + "\\n" +
        body``, as the product joins them).
        """
        return [s for s in self.candidates(text) if s.weight >= self.threshold][: self.max_skills]

    def candidates(self, text: str) -> list[InferredSkill]:
        """Every skill the text gives any evidence for, strongest first, before the threshold.

        For measuring where to put the threshold; the product uses :meth:`infer`.
        """
        found: dict[int, tuple[float, list[str]]] = {}

        def note(skill_id: int, weight: float, why: str) -> None:
            previous, whys = found.get(skill_id, (0.0, []))
            if why not in whys:
                whys.append(why)
            found[skill_id] = (max(previous, weight), whys)

        mentions = self._mentions.find(text)
        for mention in mentions:
            why = f'mentions "{mention.surface}" ({self.skills.name(mention.skill_id)})'
            if mention.role is not Role.SUBJECT:
                why += f" {mention.role.value} (weight {mention.weight:.2f})"
            note(mention.skill_id, mention.weight, why)
        self._specialise(found, {m.skill_id for m in mentions})

        if self.model is not None:
            for prediction in self.model.rank(text, k=self.max_skills):
                if prediction.confidence < self.min_confidence:
                    break
                hint = (
                    "words " + ", ".join(f'"{word}"' for word in prediction.words) + " resemble"
                    if prediction.words
                    else "the wording resembles"
                )
                note(
                    prediction.label,
                    round(prediction.confidence, 3),
                    f"{hint} {self._support(prediction.label)} labelled "
                    f"{self.skills.name(prediction.label)} "
                    f"(confidence {prediction.confidence:.2f})",
                )

        ranked = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))
        return [
            InferredSkill(skill_id, weight, "; ".join(whys)) for skill_id, (weight, whys) in ranked
        ]

    def _specialise(self, found: dict[int, tuple[float, list[str]]], named: set[int]) -> None:
        """Hand a named skill's weight down to a more specific skill the text also names.

        "Windows update stuck … the Windows 11 24H2 feature update" is a Windows 11 problem:
        the specific name says which Windows, even where it reads as context. The general skill
        is dropped, since the specific one already draws people near it in the graph.
        """
        for skill_id in sorted(named):
            ancestors = self._ancestors(skill_id) & named
            for ancestor in ancestors:
                if ancestor not in found or skill_id not in found:
                    continue
                general, whys = found.pop(ancestor)
                weight, own = found[skill_id]
                if general > weight:
                    own.append(f"a kind of {self.skills.name(ancestor)} ({whys[0]})")
                found[skill_id] = (max(weight, general), own)

    def _ancestors(self, skill_id: int) -> set[int]:
        seen: set[int] = set()
        todo = self.skills.parents(skill_id)
        while todo:
            parent = todo.pop()
            if parent not in seen:
                seen.add(parent)
                todo.extend(self.skills.parents(parent))
        return seen

    def _support(self, skill_id: int) -> str:
        count = self._support_counts[skill_id]
        return f"{count} ticket{'s' if count != 1 else ''}"

    def corrected(self, corrections: Iterable[tuple[str, Collection[int]]]) -> SkillInferer:
        """A new inferer trained on the old examples plus hand corrections.

        A correction of a text already among the examples replaces its labels (compared after
        collapsing whitespace and case), so an agent fixing a wrong inference un-teaches it.
        """
        return train_inferer(
            self.skills,
            [*self.examples, *corrections],
            min_confidence=self.min_confidence,
            threshold=self.threshold,
            max_skills=self.max_skills,
        )


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def train_inferer(
    skills: SkillGraph,
    examples: Iterable[tuple[str, Collection[int]]],
    *,
    min_confidence: float = 0.5,
    threshold: float = THRESHOLD,
    max_skills: int = 5,
) -> SkillInferer:
    """Train a :class:`SkillInferer` from ``(text, skill ids)`` pairs.

    Later pairs for the same text replace earlier ones; pairs with an empty skill set still
    teach the model what needs none of the skills. With fewer than two distinct skills among
    the examples there is nothing to learn and only names and aliases are used.

    Raises
    ------
    UnknownSkillError
        An example names a skill the taxonomy lacks.
    """
    latest: dict[str, tuple[str, frozenset[int]]] = {}
    for text, skill_ids in examples:
        labels = frozenset(skill_ids)
        skills.require(labels, "training examples")
        latest[_key(text)] = (text, labels)
    kept = list(latest.values())
    model: TextModel[int] | None = None
    if len({label for _text, labels in kept for label in labels}) >= 2:
        model = TextModel[int]().fit([text for text, _ in kept], [labels for _, labels in kept])
    return SkillInferer(
        skills,
        kept,
        model,
        min_confidence=min_confidence,
        threshold=threshold,
        max_skills=max_skills,
    )
