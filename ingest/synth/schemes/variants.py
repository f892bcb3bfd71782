"""Variants: how a ring departs from its scheme's textbook form.

Detectors fitted to one generator learn its rings' habits (every gang uses
far-away cards, every shuttle hospital records the waiver).  Each planter
therefore draws, per ring, variants that break one such habit.  Variants
come in groups of mutually exclusive options (a gang presents from phones
only, OR at one counter only, OR mixes both); each option has a share of
rings, and every option that has a share is forced onto at least one ring
when the drop has enough rings, so that every drop (20k patients and up)
contains a mix.  What a ring really did is written to
``truth/ring_variants.csv`` so that misses can be read per variant.
"""
from __future__ import annotations

import numpy as np

Group = tuple[tuple[str, float], ...]
"""Mutually exclusive options, each (name, share of rings); the shares sum
to at most one and the remainder of rings gets none of them."""


def draw_variants(rng: np.random.Generator, plans: list, groups: list[Group],
                  unmerged_only: frozenset[str] = frozenset()) -> None:
    """Add to each plan's ``variants`` at most one option per group.

    Options in ``unmerged_only`` (sharing another ring's facility, spanning
    another city) go only to rings that are not absorbed by another: an
    absorbed ring works where its survivor does."""
    n = len(plans)
    if n == 0:
        return
    absorbed = np.array([plan.survivor is not None for plan in plans])
    for group in groups:
        names = [name for name, share in group if share > 0]
        shares = np.array([share for _, share in group if share > 0], dtype=float)
        if not names:
            continue
        p = np.append(shares, max(0.0, 1.0 - shares.sum()))
        pick = rng.choice(len(p), size=n, p=p / p.sum())
        barred = np.array([k < len(names) and names[k] in unmerged_only for k in pick]) & absorbed
        pick[barred] = len(names)
        for option in range(len(names)):
            if (pick == option).any():
                continue
            counts = np.bincount(pick, minlength=len(p))
            spare = (pick == len(names)) | (counts[pick] > 1)
            if names[option] in unmerged_only:
                spare &= ~absorbed
            spare = np.flatnonzero(spare)
            if len(spare):  # force the missing option onto a ring that can give its draw up
                pick[int(spare[int(rng.integers(0, len(spare)))])] = option
        for plan, k in zip(plans, pick.tolist()):
            if k < len(names):
                plan.variants.add(names[k])
