"""Routing quality on real tickets: how often the text model names the right resolver group.

The data set is the "Automatic Ticket Assignment" export (8,500 real incidents, 74 assignment
groups; see the data folder's SOURCE.md). It is read from wherever it lies and never copied into
the repository. Groups stand in for skills: the question is the same — from a ticket's words, who
should work on it — and it is answered by the same :class:`~swarm.skills.inference.TextModel`
the product uses to infer skills.

Protocol: the first 80 % of rows in file order train, the last 20 % test (no shuffling, so the
test set is "later" tickets as far as the file tells). Reported: top-1 and top-3 accuracy, the
majority-class baseline (always answer the most common training group) and a plain TF-IDF +
logistic-regression baseline, measured in the same run.
"""

from __future__ import annotations

import csv
import gzip
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import (  # type: ignore[import-untyped]  # no stubs
    TfidfVectorizer,
)
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]  # no stubs

from swarm.skills.inference import TextModel

TRAIN_SHARE = 0.8
COLUMNS = ("Short description", "Description", "Caller", "Assignment group")


def read_tickets(path: str | Path) -> list[tuple[str, str]]:
    """``(text, assignment group)`` per row; text is the short description, a newline, the body.

    Accepts ``.csv.gz`` or plain ``.csv``; the file starts with a byte-order mark, hence
    ``utf-8-sig``.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path} lacks column(s): {', '.join(missing)}")
        return [
            (
                f"{row['Short description'] or ''}\n{row['Description'] or ''}",
                row["Assignment group"],
            )
            for row in reader
        ]


def top_k_accuracy(
    scores: npt.NDArray[np.float64], labels: Sequence[str], truth: Sequence[str], k: int
) -> float:
    """Share of rows whose true label is among the ``k`` highest-scoring labels.

    Examples
    --------
    >>> scores = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.3]])
    >>> top_k_accuracy(scores, ["a", "b", "c"], ["b", "c"], 1), top_k_accuracy(
    ...     scores, ["a", "b", "c"], ["b", "c"], 2)
    (0.5, 1.0)
    """
    best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    names = np.asarray(labels, dtype=object)[best]
    hits = [truth[i] in names[i] for i in range(len(truth))]
    return float(np.mean(hits)) if hits else 0.0


def evaluate_routing(
    path: str | Path, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Train on the first 80 % of the tickets at ``path``, test on the rest, return figures.

    ``progress``, if given, is called with the name of each phase as it starts (``read``,
    ``model``, ``baseline``), for a progress display.

    Returns
    -------
    dict
        ``accuracy_at_1``, ``accuracy_at_3`` (the product's :class:`TextModel`),
        ``majority_baseline``, ``tfidf_linear_baseline_at_1`` / ``_at_3`` (TF-IDF with default
        settings and a logistic regression), the row counts, the number of groups, the model
        description and the seconds each model took to train and predict.
    """
    step = progress or (lambda _phase: None)
    step("read")
    rows = read_tickets(path)
    cut = int(len(rows) * TRAIN_SHARE)
    train, test = rows[:cut], rows[cut:]
    train_texts = [text for text, _ in train]
    train_groups = [group for _, group in train]
    test_texts = [text for text, _ in test]
    truth = [group for _, group in test]

    step("model")
    started = time.perf_counter()
    # Exactly the skills path (one-vs-rest per label), with a group as each ticket's one label.
    model = TextModel[str]().fit(train_texts, [[group] for group in train_groups])
    margins = model.margins(test_texts)
    model_seconds = time.perf_counter() - started

    step("baseline")
    started = time.perf_counter()
    # Library defaults on purpose: this is the "plain" baseline the issue asks to beat.
    vectoriser = TfidfVectorizer()
    baseline = LogisticRegression(max_iter=1000)
    baseline.fit(vectoriser.fit_transform(train_texts), train_groups)
    probabilities = baseline.predict_proba(vectoriser.transform(test_texts))
    baseline_seconds = time.perf_counter() - started
    baseline_labels = [str(label) for label in baseline.classes_]

    # The majority is taken from the training part: the test labels are not ours to peek at.
    majority, _count = Counter(train_groups).most_common(1)[0]
    return {
        "dataset": Path(path).name,
        "rows": len(rows),
        "train_rows": len(train),
        "test_rows": len(test),
        "groups": len(set(train_groups) | set(truth)),
        "model": (
            "TF-IDF word 1-2-grams + char_wb 1-4-grams, one-vs-rest linear SVM (C=0.5) "
            "— swarm.skills.inference.TextModel"
        ),
        "accuracy_at_1": round(top_k_accuracy(margins, model.labels, truth, 1), 4),
        "accuracy_at_3": round(top_k_accuracy(margins, model.labels, truth, 3), 4),
        "majority_baseline": round(sum(group == majority for group in truth) / len(truth), 4),
        "tfidf_linear_baseline_at_1": round(
            top_k_accuracy(probabilities, baseline_labels, truth, 1), 4
        ),
        "tfidf_linear_baseline_at_3": round(
            top_k_accuracy(probabilities, baseline_labels, truth, 3), 4
        ),
        "model_seconds": round(model_seconds, 1),
        "baseline_seconds": round(baseline_seconds, 1),
    }
