"""Car-shuttle schemes: the same villagers bussed to one institution again and again.

Organisers collect (mostly elderly) villagers, drive them to a clinic or
hospital that admits them together and bills the fund for short, uniform
stays; the patient's share is often waived (NHSA 2023-2024 notices on
"免费接送、免费住院").  A bureau's data rarely records the waiver (the
hospital simply does not collect the share), so nothing here hangs on it.

1. **Coordination** (what the scheme cannot avoid): the *same* patients
   admitted to the same institution together (same or adjacent day) on
   several separate trips.  Only patients admitted there on several days can
   take part, and pairs are formed day by day, so a busy hospital costs its
   daily volume squared, never all its patients squared.  A pair is kept when
   its joint trips are beyond chance: with patients admitted ``n1`` and
   ``n2`` times over the institution's working days, ``k`` joint trips are
   expected about ``n1 * n2 * window / days`` times, and a patient co-admitted
   with ``m`` different people there must not find such a partner among them
   by chance (``max_chance_partners``).  At a regional referral centre two
   patients meet twice by chance; they do not meet on four separate trips.
2. Graph: linked pairs form cohorts (components, Leiden when large); a member
   needs ``min_links`` partners inside its cohort, so chance pairs never chain.
   Cohorts then grow by behaviour: riders of their trips join (beyond chance,
   or on bus days at a quiet institution), cohorts sharing trips are one bus,
   cohorts of one operation (same institution, period, region, diagnoses) and
   villagers who moved together to another cohort's institution join.  Rings
   are never joined merely for sharing an institution.
3. **Indications**, each against its own baseline (the institution's other
   inpatients; its peers of the same kind and level when it has too few), combined into
   one score, none required: fee waiver, same origin, uniform diagnoses,
   short stays, elderly patients, stays with no prior care for the condition,
   many readmissions, the same staff or terminals settling the cohort.
4. **Explanations** lower the score: one household or care home (one
   address); a course of treatment (each patient keeps a fixed interval of
   their own: chemotherapy or rehabilitation cycles, weekly shifts; a bus
   may keep a weekday, its villagers do not); a one-off campaign (each
   patient admitted at most twice, and most of the intake never came back:
   cataract operations with a second-eye round); stays that fit the
   patients' own earlier care.  Outbreaks and campaigns admitting people
   together once never pass step 1.

Rings sharing a hospital stay apart unless handled alike there (diagnoses,
doctors, operators): one organiser's busloads are billed alike, another
ring that meets its bus by chance on a day or two is not.
"""
from __future__ import annotations

import duckdb

from ringscope.analytics.community import CommunityEngine, WeightedEdges, find_groups
from ringscope.analytics.detectors.base import (
    rows,
    temp_tables,
    union_groups,
)
from ringscope.analytics.detectors.car_shuttle.cohorts import cohort_rows, grown_cohorts, register
from ringscope.analytics.detectors.car_shuttle.coordination import TEMP, coordinated_pairs, cores
from ringscope.analytics.detectors.car_shuttle.evidence import cohort_ring
from ringscope.analytics.detectors.car_shuttle.explanations import Profile, judge, patient_schedules, trip_intakes
from ringscope.analytics.detectors.car_shuttle.groups import group_seeds, with_seeds
from ringscope.analytics.detectors.car_shuttle.indications import HOUSEHOLD_SQL, indication_counts
from ringscope.analytics.detectors.car_shuttle.operations import home_regions, institution_visits, one_operation
from ringscope.analytics.detectors.car_shuttle.settings import CarShuttleSettings
from ringscope.analytics.ring import Ring
from ringscope.analytics.settings import DetectionSettings


def _operation_links(profile: Profile, regions: dict[int, set[str]], cfg: CarShuttleSettings) -> list[tuple[int, int]]:
    """Cohorts that are one operation: same institution, same time, same villages, same diagnoses.

    A bus seats fewer than the organiser's pool, so it brings different villagers on
    alternate trips and leaves cohorts that never ride together, and villagers come and
    go.  Cohorts at one institution whose trips there run over the same months (or follow
    each other within the longest interval between their own trips), whose patients come
    from the same home regions (a ring recruiting in two counties leaves fragments whose
    commonest county differs) and whose commonest diagnoses there overlap are one
    operation; a dialysis or chemotherapy group at the same hospital differs in
    diagnoses, another organiser's villagers in region.
    """
    links = set()
    for visits in profile.visits.values():
        for i, a in enumerate(visits):
            for b in visits[i + 1:]:
                if _same_villages(regions.get(a.grp), regions.get(b.grp)) and one_operation(a, b, cfg):
                    links.add((min(a.grp, b.grp), max(a.grp, b.grp)))
    return sorted(links)


def _same_villages(a: set[str] | None, b: set[str] | None) -> bool:
    """Both cohorts draw on one home region, judged only where both have one recorded (an
    extract without the patients' regions leaves handling and time to tell two operations apart)."""
    return a is None or b is None or bool(a & b)


def _profile(con: duckdb.DuckDBPyConnection, cfg: CarShuttleSettings, edge_rows: list[tuple]) -> Profile:
    """The registered cohorts, every indication's counts, the largest household and the schedules."""
    return Profile(cohort_rows(con, cfg, edge_rows), indication_counts(con, cfg), dict(rows(con, HOUSEHOLD_SQL)),
                   patient_schedules(con), trip_intakes(con, cfg), institution_visits(con, cfg))


def detect_car_shuttle(
    con: duckdb.DuckDBPyConnection, settings: DetectionSettings, engine: CommunityEngine | None = None
) -> list[Ring]:
    """Cohorts admitted together on repeated trips, with indications beyond their explanations.

    Members are the shuttled patients (role ``shuttled``) and the admitting
    institutions (role ``institution``).
    """
    cfg = settings.car_shuttle
    with temp_tables(con, *TEMP):
        edge_rows = coordinated_pairs(con, cfg)
        groups = []
        if edge_rows:
            groups = find_groups(WeightedEdges.from_rows(edge_rows), engine, cfg.leiden_above,
                                 cfg.leiden_resolution, settings.seed)
            groups = cores(groups, edge_rows, cfg.min_links, cfg.min_patients)
        if cfg.group_test:
            groups = with_seeds(con, groups, group_seeds(con, cfg), cfg)
        if not groups:
            return []
        groups = grown_cohorts(con, cfg, groups)
        profile = _profile(con, cfg, edge_rows)
        links = _operation_links(profile, home_regions(con, cfg), cfg) if cfg.join_same_operation else []
        if links:
            register(con, cfg, union_groups(groups, links))
            profile = _profile(con, cfg, edge_rows)
    rings = []
    for cohort in profile.cohorts:
        if len(cohort.patients) < cfg.min_patients or len(cohort.trip_days) < cfg.min_shared_trips:
            continue
        judgement = judge(cohort, profile, cfg)
        if judgement.score < judgement.bar:
            continue
        if cfg.require_fee_waiver and "fee_waiver" not in judgement.shown:
            continue
        rings.append(cohort_ring(cohort, judgement, profile.counts))
    return rings
