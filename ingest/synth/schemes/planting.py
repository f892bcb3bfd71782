"""Plants every scheme's rings, in a fixed order (determinism).

Each scheme module offers ``variant_groups(shape)``: the variants its rings
are drawn from (``variants.py``); a planter records in ``plan.variants``
what each ring really did, and that goes to the truth.  With
``GeneratorSettings.plant_rings`` off nothing is planted (a clean drop).
"""
from __future__ import annotations

from ringscope.ingest.synth.facts import FactBuilder
from ringscope.ingest.synth.schemes import SCHEMES
from ringscope.ingest.synth.schemes.lifecycle import plan_rings
from ringscope.ingest.synth.schemes.variants import draw_variants
from ringscope.ingest.synth.truth import Truth
from ringscope.ingest.synth.world import World


def plant_rings(world: World, builder: FactBuilder, truth: Truth) -> dict[str, int]:
    from ringscope.ingest.synth.schemes import borrowed_cards, car_shuttle, maternity, over_prescription, trace_resale
    modules = {
        "trace_resale": trace_resale, "borrowed_cards": borrowed_cards,
        "car_shuttle": car_shuttle, "over_prescription": over_prescription,
        "maternity": maternity,
    }
    if not world.settings.plant_rings:
        return dict.fromkeys(SCHEMES, 0)
    counts = {}
    for number, scheme in enumerate(SCHEMES):
        rng = world.rng(200, number)
        plans = plan_rings(world, scheme, rng)
        draw_variants(world.rng(210, number), plans, modules[scheme].variant_groups(world.settings.schemes),
                      getattr(modules[scheme], "UNMERGED_ONLY", frozenset()))
        for plan in plans:
            truth.ring(plan.ring_id, scheme)
            if plan.survivor is not None and plan.merge_day is not None:
                truth.merges[plan.ring_id] = (plan.survivor.ring_id, plan.merge_day)
        # survivors first, so an absorbed ring can use their hub
        ordered = [p for p in plans if p.survivor is None] + [p for p in plans if p.survivor is not None]
        modules[scheme].plant(world, ordered, builder, truth, rng)
        for plan in plans:
            truth.variants[plan.ring_id] = tuple(sorted(plan.variants))
        counts[scheme] = len(plans)
    return counts
