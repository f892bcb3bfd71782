"""Car shuttle: a judged cohort as a ring, its indications and explanations as sentences.

Every sentence states the cohort's share against its baseline's, in English and
Chinese, so an investigator can check the number behind the score.
"""
from __future__ import annotations

from ringscope.analytics.detectors.car_shuttle.cohorts import Cohort
from ringscope.analytics.detectors.car_shuttle.coordination import NAME
from ringscope.analytics.detectors.car_shuttle.explanations import Judgement
from ringscope.analytics.detectors.car_shuttle.indications import Count
from ringscope.analytics.ring import Evidence, Member, Ring

# --- evidence and rings ---------------------------------------------------------------------

def _pct(count: Count) -> str:
    return f"{count.hits / count.total:.0%}" if count.total else "?"


def _base(count: Count) -> str:
    return f"{count.base_share:.0%}" if count.base_share is not None else "?"


def _indication_evidence(kind: str, c: Count) -> Evidence:
    """One sentence per indication, cohort against its baseline."""
    pct, base = _pct(c), _base(c)
    pair = [*c.detail.split("|"), "", ""]
    settler = "操作员" if c.detail == "operator" else "终端"
    texts = {
        "fee_waiver": (
            (f"{pct} of their admissions were nearly free for them (median self-paid {pair[0]}; "
            f"other inpatients {pair[1]}, {base} of them as cheap)."),
            f"{pct}的住院几乎未自付（自付比例中位数{pair[0]}，其他住院患者{pair[1]}，其中{base}如此）。"),
        "same_origin": (
            f"{pct} of them live in region {c.detail}; {base} of the comparison inpatients do.",
            f"{pct}来自同一地区{c.detail}，对照住院患者中仅{base}。"),
        "uniform_diagnosis": (
            f"{pct} of their admissions carry {c.detail}; {base} of the comparison inpatients'.",
            f"{pct}的住院诊断为{c.detail}，对照住院患者中为{base}（诊断雷同）。"),
        "short_stay": (
            (f"{pct} of their stays are shorter than the usual {pair[1]} days (their median {pair[0]}); "
            f"{base} of the comparison stays are."),
            f"{pct}的住院短于常见的{pair[1]}天（中位数{pair[0]}天），对照为{base}。"),
        "elderly": (
            f"{pct} are elderly (median age {c.detail}); {base} of the comparison inpatients are.",
            f"{pct}为老年人（年龄中位数{c.detail}岁），对照住院患者中为{base}。"),
        "no_prior_care": (
            f"{pct} of their admissions had no earlier care for that condition; {base} of the comparison had none.",
            f"{pct}的住院此前无该病种就诊记录，对照为{base}。"),
        "readmissions": (
            (f"{pct} were admitted there again and again (on average {c.detail} times); {base} of the comparison "
            "patients were."),
            f"{pct}在该机构反复住院（平均{c.detail}次），对照为{base}。"),
        "same_settlers": (
            (f"Two {c.detail}s settled {pct} of their admissions; at the comparison institutions their own two "
            f"commonest settle {base}."),
            f"两个{settler}结算了其中{pct}的住院，对照机构为{base}。"),
    }
    en, zh = texts[kind]
    return Evidence(kind, en, zh, round(c.hits / c.total, 4) if c.total else None)


_EXPLANATION_TEXT = {
    "household": ("Many of them share one address (a family or care home); this lowers the score.",
                  "其中多人同一住址（家庭或养老机构），降低可疑度。"),
    "treatment_course": ("Each of them comes back on a fixed interval of their own, like treatment cycles; "
                         "this lowers the score.",
                         "每人按各自固定间隔反复入院，类似周期性治疗，降低可疑度。"),
    "campaign": ("They were all admitted on one trip and came back at most once, like a campaign with a "
                 "follow-up round; this lowers the score.",
                 "均在同一批入院、至多复诊一次，类似义诊手术及复查，降低可疑度。"),
    "fits_history": ("Most stays follow earlier care for the same condition; this lowers the score.",
                     "多数住院此前已有同病种就诊记录，降低可疑度。"),
}


def cohort_ring(cohort: Cohort, judgement: Judgement, counts: dict[str, dict[int, Count]]) -> Ring:
    facility = ", ".join(cohort.facilities)
    n, trips = len(cohort.patients), len(cohort.trip_days)
    evidence = [Evidence(
        "co_admission",
        f"{n} patients were admitted to {facility} together on {trips} separate trips "
        f"(pairs admitted together on {cohort.pair_trips:.1f} trips on average, more than chance allows).",
        f"{n}名参保人分{trips}批集中入住{facility}（每对患者平均共同入院{cohort.pair_trips:.1f}次，远超偶然）。",
        float(n),
    )]
    evidence += [_indication_evidence(k, counts[k][cohort.grp]) for k in judgement.shown]
    evidence += [Evidence(k, *_EXPLANATION_TEXT[k]) for k in judgement.explained]
    span = (max(cohort.trip_days) - min(cohort.trip_days)).days if cohort.trip_days else 0
    waiver = counts["fee_waiver"].get(cohort.grp)
    return Ring(
        scheme=NAME,
        members=[Member("facility", f, "institution") for f in cohort.facilities]
        + [Member("patient", p, "shuttled") for p in cohort.patients],
        settlement_ids=list(cohort.settlement_ids),
        evidence=evidence,
        features={
            "size": float(n + len(cohort.facilities)),
            "evidence_count": float(len(cohort.settlement_ids)),
            "per_member": cohort.pair_trips,
            "baseline_ratio": (waiver.hits / waiver.total) if waiver and waiver.total else 0.0,
            "active_days": float(span),
            "signal_strength": min(1.0, 0.3 + 0.1 * trips + 0.1 * judgement.score),
        },
    )
