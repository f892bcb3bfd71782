"""Over-prescription: judged groups as rings, with their evidence in plain sentences.

Each sentence names the measured surplus, share or chance in English and Chinese, so an
investigator can check the number behind the score.
"""
from __future__ import annotations

from ringscope.analytics.detectors.over_prescription.assessment import Assessment, assess, clip, group_chance
from ringscope.analytics.detectors.over_prescription.group_facts import GroupFacts
from ringscope.analytics.detectors.over_prescription.settings import OverPrescriptionSettings
from ringscope.analytics.detectors.over_prescription.supply import NAME
from ringscope.analytics.link_analysis import centrality, top_node
from ringscope.analytics.ring import Evidence, Member, Ring


def verdicts(groups: list[list[str]], facts: dict[int, GroupFacts], views: dict[str, tuple[int, int, float]],
              cfg: OverPrescriptionSettings) -> list[tuple[int, list[str], Assessment]]:
    """The groups whose combined score reaches ``min_score``, with their group number and assessment."""
    keep = []
    for grp, group in enumerate(groups):
        f = facts.get(grp)
        # the group's patients: over-supplied ones and late ones (too few fills to measure yet)
        if f is None or sum(k.startswith("patient:") for k in group) < cfg.min_patients:
            continue
        prescribers = [k.split(":", 1)[1] for k in group if k.startswith("prescriber:")]
        verdict = assess(f, group_chance(prescribers, views), cfg)
        if verdict.score >= cfg.min_score:
            keep.append((grp, list(group), verdict))
    return keep


def group_ring(group: list[str], a: Assessment, f: GroupFacts, settlement_ids: list[str], ratios: dict[str, float],
          period: tuple | None, edge_rows: list[tuple]) -> Ring:
    """The reported ring: members with roles, evidence an investigator reads, features for scoring."""
    prescribers = [k.split(":", 1)[1] for k in group if k.startswith("prescriber:")]
    patients = [k.split(":", 1)[1] for k in group if k.startswith("patient:")]
    pharmacies = [k.split(":", 1)[1] for k in group if k.startswith("facility:")]
    keys = set(group)
    ring_edges = [e for e in edge_rows if e[0] in keys and e[1] in keys]
    organizer = top_node(centrality(ring_edges), "prescriber:")
    members = [Member("prescriber", p, "organizer" if f"prescriber:{p}" == organizer else "prescriber") for p in prescribers]
    members += [Member("facility", ph, "pharmacy") for ph in pharmacies]
    members += [Member("patient", p, "patient") for p in patients]
    pat_ratios = sorted(ratios.get(p, 0.0) for p in patients)
    median_ratio = pat_ratios[len(pat_ratios) // 2]
    first_at, last_at = period or (None, None)
    return Ring(
        scheme=NAME, members=members, settlement_ids=settlement_ids, evidence=_evidence(len(prescribers), patients, pharmacies, median_ratio, a, f),
        features={
            "size": float(len(group)),
            "evidence_count": float(len(settlement_ids)),
            "per_member": median_ratio,
            "baseline_ratio": f.median_excess,
            "active_days": ((last_at - first_at).total_seconds() / 86400) if first_at else 0.0,
            "signal_strength": clip(a.score),
        },
    )


def _evidence(n_prescribers: int, patients: list[str], pharmacies: list[str], median_ratio: float,
              a: Assessment, f: GroupFacts) -> list[Evidence]:
    """The indications in an investigator's words, each with its baseline."""
    n = len(patients)
    out = [
        Evidence("excess_supply",
                 f"{n} patients of {n_prescribers} prescriber(s) received a median {median_ratio:.1f} times the supply "
                 f"the clinical daily maximum allows for the time that passed ({f.median_excess:.1f} times what the "
                 f"drug's prescribers usually give).",
                 f"{n_prescribers}名医师的{n}名患者获得的药量中位数为按最大日用量计算应有量的{median_ratio:.1f}倍"
                 f"（为该药一般处方量的{f.median_excess:.1f}倍）。",
                 round(median_ratio, 2)),
        Evidence("unusual_prescriber",
                 f"So many over-supplied patients among the prescriber(s)' patients of the drug would happen by chance "
                 f"at the rate of the drug's ordinary prescribers (no repeated surplus flow of their own) with "
                 f"strength {a.unusual:.2f} (1 = less than 1 in 10,000).",
                 f"与同药的普通医师（自身无反复超量流向）相比，该医师超量患者之多难以用偶然解释（强度{a.unusual:.2f}）。",
                 round(a.unusual, 3)),
        Evidence("pharmacy_concentration",
                 f"{f.flow_share:.0%} of the surplus was filled at the ring's "
                 f"{'pharmacies' if pharmacies else 'practice'}; the prescribers' other fills and other prescribers' "
                 f"fills of the same drugs go there {f.flow_ref:.0%}.",
                 f"超量处方中{f.flow_share:.0%}集中在该团伙的取药机构，而该医师其他处方及同药其他医师处方仅{f.flow_ref:.0%}。",
                 round(f.flow_share, 3)),
        Evidence("early_refills",
                 f"{f.early_share:.0%} of refills came before the previous supply could have been used up "
                 f"(usual for these drugs: {f.early_base:.0%}).",
                 f"{f.early_share:.0%}的续药发生在上次药量用完之前（该药一般为{f.early_base:.0%}）。",
                 round(f.early_share, 3)),
        Evidence("costly_drug",
                 f"The drugs' daily cost ranks above {f.cost_rank:.0%} of the drugs dispensed; "
                 f"{f.unfit:.0%} of the patients have no diagnosis that fits the drug's usual indications.",
                 f"该药日费用高于{f.cost_rank:.0%}的药品；{f.unfit:.0%}的患者无与该药常见适应症相符的诊断。",
                 round(f.cost_rank, 3)),
    ]
    if f.declared_cover > 0 or f.died_soon > 0 or f.roster > 0:
        out.append(Evidence("explanations_weighed",
                            f"Weighed against: {f.declared_cover:.0%} of the fills were long prescriptions whose declared "
                            f"days cover the units; {f.died_soon:.0%} of the patients died soon after (palliative care); "
                            f"{f.roster:.0%} got the drug from several colleagues in turn (a roster).",
                            f"已考虑的合理解释：{f.declared_cover:.0%}的处方为申报天数覆盖药量的长处方；"
                            f"{f.died_soon:.0%}的患者在末次取药后不久死亡（安宁疗护）；"
                            f"{f.roster:.0%}的患者由多名医师轮流开药（排班）。",
                            round(f.declared_cover, 3)))
    return out
