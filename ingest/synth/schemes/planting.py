"""Plants every scheme's rings, in a fixed order (determinism)."""
from __future__ import annotations

from ringscope.ingest.synth.facts import FactBuilder
from ringscope.ingest.synth.schemes import SCHEMES
from ringscope.ingest.synth.schemes.lifecycle import plan_rings
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World


def plant_rings(world: World, builder: FactBuilder, truth: Truth) -> dict[str, int]:
    from ringscope.ingest.synth.schemes import (borrowed_cards, car_shuttle, maternity,
                                                over_prescription, trace_resale)
    planters = {
        "trace_resale": trace_resale.plant, "borrowed_cards": borrowed_cards.plant,
        "car_shuttle": car_shuttle.plant, "over_prescription": over_prescription.plant,
        "maternity": maternity.plant,
    }
    counts = {}
    for number, scheme in enumerate(SCHEMES):
        rng = world.rng(200, number)
        plans = plan_rings(world, scheme, rng)
        for plan in plans:
            truth.ring(plan.ring_id, scheme)
            if plan.survivor is not None:
                truth.merges[plan.ring_id] = (plan.survivor.ring_id, plan.merge_day)
        # survivors first, so an absorbed ring can use their hub
        ordered = [p for p in plans if p.survivor is None] + [p for p in plans if p.survivor is not None]
        planters[scheme](world, ordered, builder, truth, rng)
        counts[scheme] = len(plans)
    return counts
