"""How long a drop-in patient may wait (issue 17): a range from the queue's own recent consultations,
or no estimate at all. No Flask, no database.

An honest estimate is a range, not a minute: the people before you times a short and a long usual
consultation of this queue (its quartiles), rounded out to whole 5 minutes. With too few
consultations to go by, there is no estimate, and the page says so rather than guess.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# Fewer consultations than this and the quartiles say little: no estimate.
MIN_SAMPLES = 5
# The most recent consultations that count (a clinic's habits change), and how far back.
SAMPLES = 30
STEP_MINUTES = 5


@dataclass(frozen=True)
class Estimate:
    low_minutes: int
    high_minutes: int


def estimate(durations_seconds: Sequence[float], people_before: int, serving: int = 1) -> Estimate | None:
    """The wait for someone with `people_before` ahead, from the queue's recent consultation lengths
    (newest first; only the SAMPLES newest count) and the clinicians serving it. None: no estimate
    (too little to go by, or nobody ahead, when the page says "you are next" instead)."""
    if people_before <= 0:
        return None
    recent = [seconds for seconds in durations_seconds[:SAMPLES] if seconds > 0]
    if len(recent) < MIN_SAMPLES:
        return None
    first, _median, third = statistics.quantiles(recent, n=4, method="inclusive")
    rounds = people_before / max(1, serving)
    low = math.floor(rounds * first / 60 / STEP_MINUTES) * STEP_MINUTES
    high = math.ceil(rounds * third / 60 / STEP_MINUTES) * STEP_MINUTES
    return Estimate(low, max(high, low + STEP_MINUTES))
