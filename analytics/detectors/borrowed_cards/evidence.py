"""Borrowed cards: a pool as a ring, with its coordination and signs in plain sentences.

Each sentence names the measured share or ratio in English and Chinese, so an
investigator can check the number behind the score.
"""
from __future__ import annotations

import math
from collections import defaultdict

from ringscope.analytics.detectors.borrowed_cards.assessment import Assessment, Device, used_far
from ringscope.analytics.detectors.borrowed_cards.copresence import NAME
from ringscope.analytics.detectors.borrowed_cards.settings import BorrowedCardsSettings
from ringscope.analytics.detectors.borrowed_cards.signs import CardSigns
from ringscope.analytics.link_analysis import centrality, top_node
from ringscope.analytics.ring import Evidence, Member, Ring


def _evidence(cards: list[CardSigns], a: Assessment, mean_days: float, devices: list[str],
              cfg: BorrowedCardsSettings) -> list[Evidence]:
    """Plain-language evidence: the coordination, then each indication and explanation present."""
    n = len(cards)
    households = len({c.household for c in cards})
    operators = sorted({o for c in cards for o in c.operators})
    via = f"operator(s) {', '.join(operators[:3])}" if operators else "shared devices or one counter"
    ev = [Evidence(
        "card_pool",
        f"{n} cards of {households} households were presented together by {via}, minutes apart, "
        f"on {mean_days:.1f} days per card pair on average (far more often than the facilities' volume explains).",
        f"{n}张分属{households}个家庭的医保卡被集中在几分钟内连续结算，每对卡平均共同出现{mean_days:.1f}天，远超机构就诊量可解释的程度。",
        float(n))]
    counts = {
        "far_from_home": (sum(used_far(c, cfg) for c in cards), ("were used mostly far from the holder's home region, "
                          "well above the facilities' usual share"), "主要在参保地以外使用，明显高于机构平时的异地比例"),
        "after_death": (sum(c.after_death > 0 for c in cards), "were used after the holder's recorded death",
                        "在持卡人死亡后仍被使用"),
        "other_person": (sum(c.other_person > 0 for c in cards), "were used for someone other than the holder",
                         "的就诊人与持卡人不一致"),
        "care_mismatch": (sum(c.care_mismatch > 0 for c in cards), "were used for care not fitting the holder's sex or age",
                          "的诊疗与持卡人性别或年龄不符"),
        "two_places": (sum(c.overlaps > 0 for c in cards), "were also used in another city within hours",
                       "在数小时内又在另一城市使用"),
    }
    for kind, (k, en, zh) in counts.items():
        if k:
            ev.append(Evidence(kind, f"{k} of {n} cards {en}.", f"{n}张卡中有{k}张{zh}。", float(k)))
    graded = [
        ("amount_above_facility", a.amount_facility, "Amounts in the batches are above the facilities' usual payments.",
         "批量结算金额高于机构平时水平。"),
        ("amount_above_own", a.amount_own, "Amounts are above what the same cards are paid otherwise.",
         "批量结算金额高于同一张卡平时的水平。"),
        ("care_not_in_history", a.care_misfit, "The batches bring care the holders do not get otherwise.",
         "批量结算的诊疗或药品不符合持卡人自己的就医史。"),
        ("roaming_device", a.roaming_device, (f"{len(devices)} device(s) presented cards of more unrelated households, "
         "at several places, than phones normally do."), f"{len(devices)}台设备在多处为多个无关家庭的卡结算，远超一般手机。"),
        ("explained_household", -a.one_household, "Part of the pool is one household or one address (explanation).",
         "部分卡属于同一家庭或同一地址（可解释因素）。"),
        ("explained_history", -a.care_fits_history, "Part of the batches is care the holders always get (explanation).",
         "部分结算是持卡人一贯的诊疗（可解释因素）。"),
    ]
    for kind, value, en, zh in graded:
        if abs(value) >= 0.2:
            ev.append(Evidence(kind, en, zh, round(value, 3)))
    return ev


def ring(cards: list[CardSigns], a: Assessment, pool: dict[int, list[tuple[str, str]]],
          edge_rows: list[tuple[str, str, float]], devices: dict[str, Device], cfg: BorrowedCardsSettings) -> Ring:
    """One reported pool: members, settlements, evidence and scoring features."""
    n = len(cards)
    kept = {c.card_id for c in cards}
    pool_ids = sorted({sid for g in {c.grp for c in cards} for sid, card in pool.get(g, []) if card in kept})
    device_cards: dict[str, set[str]] = defaultdict(set)
    for c in cards:
        for d in c.devices:
            device_cards[d].add(c.card_id)
    pool_devices = sorted(d for d, cs in device_cards.items() if len(cs) >= 2)
    keys = {f"card:{c}" for c in kept}
    ring_edges = [e for e in edge_rows if e[0] in keys and e[1] in keys]
    hub = top_node(centrality(ring_edges), "card:")
    members = [Member("card", c.card_id, "hub" if f"card:{c.card_id}" == hub else "borrowed") for c in cards]
    members += [Member("device", d, "device") for d in pool_devices]
    mean_days = sum(e[2] for e in ring_edges) / len(ring_edges) if ring_edges else 0.0
    score = a.score(cfg)
    first_at, last_at = min(c.first_at for c in cards), max(c.last_at for c in cards)
    far_base = max((c.far_base for c in cards), default=0.0)
    return Ring(
        scheme=NAME, members=members, settlement_ids=pool_ids,
        evidence=_evidence(cards, a, mean_days, pool_devices, cfg),
        features={
            "size": float(n), "evidence_count": float(len(pool_ids)), "per_member": mean_days,
            "baseline_ratio": a.far / max(far_base, 0.01),
            "active_days": (last_at - first_at).total_seconds() / 86400,
            "signal_strength": round(1.0 / (1.0 + math.exp(-(score - cfg.report_score) * 2.0)), 4),
        },
    )
