"""Headline: two or three plain-English sentences of facts about a run.

How far training got; where the key metrics stand and which way they move; the most important problem with its
step (or that none was found). Facts only: the recommendations carry the advice.
"""

from __future__ import annotations

from collections.abc import Sequence

from runwise.domain.analysis.facts import progress_sentence
from runwise.domain.analysis.health import main_problem
from runwise.domain.analysis.keys import KeyRoles
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import Run


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def headline(run: Run, anomalies: Sequence[Anomaly], keys: KeyRoles, phrases: Sequence[str]) -> str:
    """'Training reached step 2,000, finished. train/loss 2.3→0.08 (falling lately); … Main problem: …'

    `phrases` are the key-metric facts (facts.key_phrases), computed once by the caller.
    """
    sentences = [progress_sentence(run)]
    if phrases:
        sentences.append(_sentence("; ".join(phrases)))
    main = main_problem(anomalies, keys)
    if main is not None:
        sentences.append(_sentence(f"Main problem: {main.message}"))
    else:
        notes = sum(1 for a in anomalies if a.severity == "info")
        sentences.append(
            f"No problems found ({notes} note{'s' if notes != 1 else ''})." if notes else "No problems found."
        )
    return " ".join(sentences)
