"""Settings of the over_prescription detector (``[detection.over_prescription]``), each with the reason for its default."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OverPrescriptionSettings:
    min_supply_ratio: float = 1.5
    """Days of supply (units / max_daily_units) over days elapsed for a patient and drug, as a
    multiple of the drug's own baseline: at twice what the drug's patients usually get the
    patient holds far more than they can take; chronic patients refilling a little early stay
    below.  Only such patients are candidates (a scheme is about the surplus)."""
    grace_days: int = 30
    """Days added to the elapsed span so that a single large, legal 30-day fill is not
    counted as excess."""
    min_fills: int = 3
    """Fills of the drug needed before the ratio is trusted."""
    min_patients: int = 3
    """Over-supplied patients a ring (its prescribers together) needs before it is reported:
    one or two patients with a surplus are individual care, three through one flow a pattern.
    Late patients (too few fills to measure, an early refill of the ring's drug at its
    pharmacy) count towards it but never make a group on their own."""
    core_min_repeats: int = 2
    """A group needs at least one prescriber who repeats the surplus: over at least this many
    over-supplied patients, or through repeated flows to this many pharmacies (a patient sent
    round the ring's pharmacies in turn).  Colleagues with a single patient at a single place
    may join such a core, but on their own they are individual care: a large practice has many
    doctors with one over-supplied patient by chance, all near the same pharmacy, and their
    number grows with the practice, not with any scheme."""
    baseline_min_prescribers: int = 5
    """A drug's own baselines are used when enough wrote it: the supply ratio when at least this
    many practices did (one vote each), the early-refill rate when this many peer prescribers
    (no repeated surplus flow) did, the usual diagnoses when this many prescribers did;
    otherwise the clinical maximum (ratio 1.0) stands and no early refill is usual."""
    baseline_quantile: float = 0.25
    """Which of the practices' votes sets a drug's baseline supply: the lower quartile, so
    that where most practices over-supply a drug (the drugs table's maximum is off) the bar
    moves, but rings writing a good part of a rare drug cannot lift it (a ring's doctors share
    a practice and vote once)."""
    baseline_prior_patients: float = 20.0
    """The peers' over-supply rate for a drug (the chance indication; peers are its prescribers
    without a repeated surplus flow) is shrunk towards their rate over all drugs by this many
    pseudo-patients, so a drug few peers prescribe does not get a rate of 0 or 1."""
    flow_min_patients: int = 1
    """Coordination: a prescriber's surplus to one filling place links them when it carries at
    least this many over-supplied patients; one is enough when it repeats over days (a small
    ring's second doctor may have one patient filling again and again at the ring's pharmacy;
    on 13 development drops 1 found three more rings and no false one)..."""
    flow_min_days: int = 3
    """...on at least this many different days (repetition over time, never one co-occurrence),
    by the prescriber alone or by the prescriber's practice: at least two colleagues' surplus
    reaching the pharmacy on this many days together (a ring of three doctors with one patient
    each, filling in turn at two pharmacies)."""
    pharmacy_share: float = 0.05
    """...and at least this share of the prescriber's surplus fills: a pharmacy a patient used
    once on holiday is not the ring's."""
    unit_min_shared_places: int = 2
    """Prescribers of different practices (each with repeated surplus flows) are one ring when
    their flows reach at least this many pharmacies in common (repetition across places).
    A single busy pharmacy filling for two rings and for honest doctors is no tie, nor is the
    same common drug filled there (honest doctors write it too): rings are split by what their
    prescribers do, not by where they fill.  Colleagues of one practice already share a place,
    so one pharmacy in common ties them.  On the v3 drops 2 split every pair of rings sharing
    a pharmacy."""
    handover_min_patients: int = 2
    """Prescribers (each with repeated surplus flows) are one ring when at least this many
    over-supplied patients had their surplus drug written repeatedly by both: a ring that took
    over another ring's patients (or a doctor who moved to a partner's practice) keeps writing
    the same people's surplus.  A doctor shopper's doctors share one patient; two is already a
    pattern of the same people passing between the same two prescribers."""
    handover_min_fills: int = 2
    """Fills of the patient's surplus drug each of two colleagues of one practice must have
    written for the patient to count as shared (once is a stand-in, twice is writing it).
    Prescribers of different practices do not stand in for each other: one fill each counts."""
    market_region_digits: int = 4
    """The drug's market around a pharmacy: facilities whose region code shares this many
    leading digits with it (4 = the city).  A specialist (DTP) pharmacy that fills a rare drug
    for the whole city takes most of that market, so a prescriber sending it there is no sign."""
    early_refill_fraction: float = 0.5
    """A refill is early when it comes before this share of the previous fill's days of supply
    has passed: at half the supply left the patient cannot have needed it.  Compared with the
    drug's usual early-refill rate (its prescribers' median)."""
    declared_cover_tolerance: float = 1.25
    """A fill's declared days (dispensings.days_supply) cover its units when the units are at
    most this multiple of declared days x the daily maximum (a box rounds up): a long
    prescription the prescriber stated openly.  Units far above the declared days are the
    scheme's signature; without declared days the explanation is simply unavailable."""
    indication_fit_share: float = 0.2
    """A diagnosis is one of a drug's usual indications when at least this share of the drug's
    prescribers use it on its fills (one vote each, so a ring cannot define its own drug's
    indications).  Patients none of whose diagnoses fit are an indication of the scheme."""
    palliative_days: int = 90
    """Patients who died within this many days of their last fill were in end-of-life care,
    where doses beyond the usual maximum are legitimate (palliative opioids)."""
    weight_surplus: float = 1.0
    """Weight of the surplus against the drug's baseline in the combined score (1 at four
    times the baseline)."""
    weight_unusual: float = 1.0
    """Weight of the prescribers' over-supplied patients against the drug's peers (its
    prescribers without a repeated surplus flow; binomial chance; 1 at 1 in 10,000)."""
    weight_concentration: float = 1.0
    """Weight of the surplus's concentration on the ring's places, against where the
    prescribers' other fills and other prescribers' fills of the drug go."""
    weight_early: float = 1.0
    """Weight of early refills against the drug's usual rate among its peers."""
    weight_costly: float = 0.5
    """Weight of the drugs' daily cost (percentile among drugs): resale pays for costly drugs.
    Half weight: many legitimate chronic drugs are costly too."""
    weight_unfit: float = 0.5
    """Weight of patients whose diagnoses fit none of the drug's usual indications.  Half
    weight: diagnoses are often missing on pharmacy fills."""
    weight_focus: float = 1.0
    """Weight of the share of everything the group's prescribers wrote for its patients that
    was surplus of its main drugs: a scheme is about pushing a drug, a practice's multi-morbid
    patients get a little too much of many different chronic drugs now and then."""
    focus_drugs: int = 2
    """How many of the group's most over-supplied drugs count as its main drugs (schemes push
    one or two)."""
    long_prescription_weight: float = 0.5
    """Subtracted from the score times the share of surplus fills whose declared days cover
    their units: long prescriptions for chronic patients (60-90 days, refilled at visits)."""
    roster_min_prescribers: int = 3
    """A patient's drug is on a roster when at least this many prescribers wrote it: dialysis,
    chemotherapy or infusion sessions given at the hospital by whichever colleague is on shift,
    a clinic whose patients see its doctors in turn.  A scheme's patient has one doctor (two
    after a handover)."""
    roster_weight: float = 0.5
    """Subtracted from the score times the share of the group's patients on a treatment roster:
    an institution's routine, not one prescriber's flow."""
    palliative_weight: float = 0.5
    """Subtracted times the share of patients who died soon after their last fill."""
    min_score: float = 0.5
    """A group is reported when its weighted indications minus explanations reach this: on
    average every indication half-way to clear."""
    leiden_above: int = 40
    """Prescriber-patient-place components larger than this are tried for a Leiden split: a
    busy pharmacy may receive the flows of two separate rings."""
    leiden_resolution: float = 1.0
    """Resolution for that split."""
    split_min_modularity: float = 0.5
    """The split is kept only when its modularity reaches this (clear sub-rings); a single
    dense ring stays whole.  Each doctor's patients form a star, so one ring of several
    doctors already scores 0.3-0.45: only a clearly higher value means separate rings."""
    attach_min_ratio: float = 1.5
    """Once a ring is found, a further patient of its prescribers joins it with a milder
    surplus (at least this many times the drug's baseline, a sustained half-again surplus,
    far above early refills) when the ring's places filled most of it: the ring's context
    makes a weaker signal meaningful.  Set it to ``min_supply_ratio`` to switch it off."""
    attach_pharmacy_share: float = 0.5
    """Share of such a patient's fills of the drug that the ring's places must have made."""
    exclude_resale_sellers: bool = True
    """Patients who first bought boxes that were later reimbursed again (at least
    ``trace_resale.min_resold_boxes_per_seller``) are left to the trace_resale detector:
    their surplus is stock for resale, with no prescriber in on it."""

    @property
    def indication_weights(self) -> tuple[float, ...]:
        """The weights in the order surplus, unusual, concentration, early, costly, unfit, focus."""
        return (self.weight_surplus, self.weight_unusual, self.weight_concentration, self.weight_early,
                self.weight_costly, self.weight_unfit, self.weight_focus)
