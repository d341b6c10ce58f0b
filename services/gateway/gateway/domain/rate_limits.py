"""Fixed-window rate limits: at most ``limit`` requests per subject in each window of ``window`` seconds.

The counters live in the gateway's database, so every worker and every replica sharing that database counts
against the same limit. A fixed window lets a client send up to twice the limit across a window boundary;
that is the price of one row per subject and window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    start: int  # epoch seconds, a multiple of the window length
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length


def window_at(now: float, length: int) -> Window:
    return Window(start=int(now // length) * length, length=length)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window ends; meaningful when not allowed


def judge(count: int, limit: int, window: Window, now: float) -> Verdict:
    """``count`` is this request's number in the window (1 for the first)."""
    retry_after = max(1, math.ceil(window.end - now))
    return Verdict(allowed=count <= limit, limit=limit, remaining=max(0, limit - count), retry_after=retry_after)
