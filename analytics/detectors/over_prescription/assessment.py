"""Over-prescription: the chance of a group's over-supplied patients, and its combined score.

Indications add with their weights and explanations (long declared prescriptions,
palliative care, a treatment roster) subtract; none is a gate, because data lacks one sign or another.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import duckdb
from scipy.stats import binom

from ringscope.analytics.detectors.base import rows
from ringscope.analytics.detectors.over_prescription.group_facts import GroupFacts
from ringscope.analytics.detectors.over_prescription.settings import OverPrescriptionSettings
from ringscope.analytics.detectors.over_prescription.supply import PRESCRIBER_SQL


def chance_of_so_many(k: int, n: int, base_rate: float) -> float:
    """P(at least ``k`` of ``n`` patients over-supplied) if this prescriber were like the others.

    The binomial upper tail: three of three patients at a 9 % drug rate is a 1-in-1,400
    chance, two of two at 55 % is an everyday 1-in-3.  It weighs count and rate together,
    so a doctor with a handful of patients and a hospital with hundreds are judged alike.
    """
    return float(binom.sf(k - 1, n, min(max(base_rate, 1e-9), 1.0)))


def prescriber_views(con: duckdb.DuckDBPyConnection, cfg: OverPrescriptionSettings) -> dict[str, tuple[int, int, float]]:
    """Per prescriber their most telling drug: (over-supplied patients, patients, peers' rate).

    A scheme pushes one or two drugs; the drug whose count is least likely by chance
    against the other prescribers of it is the prescriber's view for the group test.
    """
    best: dict[str, tuple[float, int, int, float]] = {}
    for prescriber, _drug, n, k, rate in rows(con, PRESCRIBER_SQL, {"prior": cfg.baseline_prior_patients}):
        if k == 0:
            continue
        chance = chance_of_so_many(k, n, rate)
        if chance < best.get(prescriber, (2.0,))[0]:
            best[prescriber] = (chance, k, n, rate)
    return {p: (k, n, rate) for p, (_c, k, n, rate) in best.items()}


def group_chance(prescribers: list[str], views: dict[str, tuple[int, int, float]]) -> float:
    """The chance test for a group's prescribers taken together (their telling view each).

    Colleagues who each look only mildly odd can make a very unlikely group; a busy
    doctor with a couple of over-supplied patients among many stays likely.
    """
    known = [views[p] for p in prescribers if p in views]
    k = sum(v[0] for v in known)
    n = sum(v[1] for v in known)
    expected = sum(v[1] * v[2] for v in known)
    return chance_of_so_many(k, n, expected / n) if n else 1.0


class Assessment(NamedTuple):
    """A group's indications (0-1 each), explanations (0-1 each) and combined score."""

    surplus: float
    unusual: float
    concentration: float
    early: float
    costly: float
    unfit: float
    focus: float
    long_prescription: float
    palliative: float
    roster: float
    score: float


def assess(facts: GroupFacts, chance: float, cfg: OverPrescriptionSettings) -> Assessment:
    """Indications against their baselines, averaged with their weights, minus explanations.

    Each indication is scaled to 0-1 at the point where an investigator would call it
    clear: supply four times the drug's baseline, a 1-in-10,000 chance, all surplus at
    places nobody else sends it to, every refill early where the drug's patients are on
    time, the costliest drug, no patient whose diagnoses fit the drug.  None decides
    alone; the weighted mean does.  Explanations then subtract: a long prescription
    whose declared days cover the units, patients in palliative care, treatment given at the
    practice by a roster of colleagues in turn (dialysis, chemotherapy sessions).
    """
    surplus = clip(math.log2(max(facts.median_excess, 1.0)) / 2.0)
    unusual = clip(-math.log10(max(chance, 1e-300)) / 4.0)
    concentration = clip((facts.flow_share - facts.flow_ref) / max(1.0 - facts.flow_ref, 1e-9))
    early = clip((facts.early_share - facts.early_base) / max(1.0 - facts.early_base, 1e-9))
    weights = cfg.indication_weights
    values = (surplus, unusual, concentration, early, facts.cost_rank, facts.unfit, facts.focus)
    mean = sum(w * v for w, v in zip(weights, values)) / sum(weights)
    score = (mean - cfg.long_prescription_weight * facts.declared_cover - cfg.palliative_weight * facts.died_soon
             - cfg.roster_weight * facts.roster)
    return Assessment(surplus, unusual, concentration, early, facts.cost_rank, facts.unfit, facts.focus,
                      facts.declared_cover, facts.died_soon, facts.roster, score)


def clip(x: float) -> float:
    return min(1.0, max(0.0, x))
