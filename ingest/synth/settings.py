"""Every knob of the synthetic generator, in one place.

The generator has many tunable rates (visits per patient, fund shares, ring
sizes...).  Keeping them in one frozen dataclass means a benchmark, a test or
the CLI can change one rate without hunting through modules, and the numbers
carry their reason next to them instead of being magic constants in code.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class SchemeShapes:
    """How each fraud scheme behaves (ranges are drawn uniformly per ring or event)."""

    # trace_resale: sellers buy, collectors buy back, a pharmacy re-settles
    resale_purchase_every_days: tuple[int, int] = (10, 30)
    resale_boxes_per_drug: tuple[int, int] = (1, 3)
    resale_share_of_boxes: tuple[float, float] = (0.5, 0.8)
    """Share of a seller's traced boxes re-scanned; the rest are sold for cash."""
    resale_low_evidence_rings: float = 0.2
    """Rings that re-scan only 10-30% of boxes (weak evidence)."""
    resale_silent_sellers: float = 0.15
    """Sellers none of whose boxes is ever re-scanned."""
    resale_delay_days: tuple[int, int] = (3, 24)
    resale_two_city_share: float = 0.35
    """Rings re-selling through pharmacies in two cities of a province."""
    resale_partial_rescan_share: float = 0.4
    """Rings whose sellers each have only part of their boxes re-scanned
    (a rate per seller drawn from ``resale_partial_rescan_rate``)."""
    resale_partial_rescan_rate: tuple[float, float] = (0.05, 0.4)
    resale_spread_thin_share: float = 0.25
    """Rings whose sellers' boxes each come back only once or twice, late
    (held back a further ``resale_spread_delay_days``)."""
    resale_spread_delay_days: tuple[int, int] = (20, 180)
    # borrowed_cards: sessions of several cards in minutes
    borrowed_session_every_days: tuple[int, int] = (2, 7)
    borrowed_cards_per_session: tuple[int, int] = (2, 8)
    borrowed_seconds_between_cards: tuple[int, int] = (40, 420)
    borrowed_rings_without_devices: float = 0.33
    borrowed_dead_holders: tuple[float, float] = (0.0, 0.25)
    borrowed_far_holders: tuple[float, float] = (0.5, 0.9)
    borrowed_misfit_care: tuple[float, float] = (0.05, 0.3)
    borrowed_local_living_share: float = 0.35
    """Rings renting cards of LIVING neighbours in their own city: no far use,
    no dead holder and care that fits the holder's sex and age, so the
    detector must rely on repetition and the holders' own history."""
    borrowed_presentation_shares: tuple[float, float] = (0.25, 0.25)
    """(phones only, one counter only): gangs presenting e-credentials from
    phones where no operator is recorded, or stacks of physical cards at one
    counter by one operator and no device; the rest mix both."""
    borrowed_own_use_share: float = 0.5
    """Rings whose (living) holders also use their own card normally at the
    gang's facilities between sessions, so a card there is not always the gang's."""
    borrowed_own_visits: tuple[int, int] = (1, 4)
    """Ordinary own-use visits per holder in such rings."""
    borrowed_sparse_recording_share: float = 0.3
    """Rings one of whose facilities records neither device nor operator
    (the bureau's data gap): only time and place remain."""
    borrowed_pace_shares: tuple[float, float] = (0.2, 0.3)
    """(fast, slow) batch spacing: cards seconds apart, or up to ~20 minutes
    apart; the rest keep ``borrowed_seconds_between_cards``."""
    borrowed_fast_seconds: tuple[int, int] = (5, 60)
    borrowed_slow_seconds: tuple[int, int] = (240, 1_200)
    borrowed_shared_counter_share: float = 0.25
    """Gangs presenting at a facility another gang also uses (one colluding
    clinic or pharmacy serving two gangs, each on its own days), so two
    gangs' cards meet at one counter now and then and stay two rings."""
    # car_shuttle: cohorts of villagers admitted together, fees waived
    shuttle_round_every_days: tuple[int, int] = (7, 18)
    shuttle_cohort_size: tuple[int, int] = (2, 12)
    shuttle_full_waiver_share: float = 0.7
    shuttle_min_age: int = 58
    shuttle_total_yuan: tuple[int, int] = (1_500, 5_200)
    shuttle_waiver_shares: tuple[float, float] = (0.25, 0.3)
    """(partial waiver, waiver not recorded): rings waiving only part of the
    patient's share, and hospitals that record self_paid as owed (normal
    share) although they never collect it; the rest record a full waiver."""
    shuttle_partial_waiver: tuple[float, float] = (0.3, 0.8)
    """Fraction of the patient's normal share waived by a partial-waiver ring."""
    shuttle_shared_institution_share: float = 0.3
    """Rings bringing villagers to an institution another ring also uses
    (two brokers, one private hospital), among its honest inpatients."""
    shuttle_two_county_share: float = 0.3
    """Rings whose cohorts come from villages of two neighbouring counties."""
    shuttle_pace_shares: tuple[float, float] = (0.25, 0.3)
    """(fixed weekly/fortnightly schedule, irregular 3-35 day gaps); the
    rest draw each gap from ``shuttle_round_every_days``."""
    shuttle_irregular_days: tuple[int, int] = (3, 35)
    shuttle_fixed_weekly_share: float = 0.6
    """Fixed-schedule rings running weekly (the others fortnightly)."""
    shuttle_ward_rota_share: float = 0.3
    """Rings whose villagers the ward admits under a rota of its doctors
    (``shuttle_rota_doctors``) on shifts of unequal length, settled by its
    clerks in turn (``shuttle_rota_clerks``): no one contact doctor or clerk."""
    shuttle_rota_doctors: tuple[int, int] = (3, 6)
    shuttle_rota_clerks: tuple[int, int] = (1, 3)
    shuttle_bystanders_per_round: tuple[int, int] = (0, 2)
    """Honest local patients admitted to the ring's institution on a round's
    day (normal share, their own diagnosis): the crowd a cohort hides in."""
    # over_prescription: fills far above max_daily_units, refilled early
    overprescribe_excess: tuple[float, float] = (1.3, 4.0)
    """Dispensed units / (max_daily_units x stated days) per fill."""
    overprescribe_refill_fraction: tuple[float, float] = (0.4, 0.9)
    """Next fill after this fraction of the stated days."""
    overprescribe_mild_share: float = 0.3
    """Rings keeping the surplus mild, so it hides among honest variation."""
    overprescribe_mild_excess: tuple[float, float] = (1.5, 2.5)
    overprescribe_mild_refill_fraction: tuple[float, float] = (0.6, 0.95)
    overprescribe_shared_pharmacy_share: float = 0.35
    """Rings filling at a pharmacy another ring (and honest prescribers'
    patients) also use: a pharmacy is not a ring's own."""
    overprescribe_multi_city_share: float = 0.25
    """Rings whose patients and pharmacies span two cities of a province."""
    overprescribe_fill_near_home: float = 0.8
    """Share of a multi-city ring's fills that the far city's patients make
    at the ring's pharmacy in their own city."""
    # maternity: shell employers, salary bases near the 300% cap
    maternity_salary_multiple: tuple[float, float] = (2.0, 3.0)
    maternity_registered_days_before: tuple[int, int] = (120, 240)
    maternity_hired_days_before_delivery: tuple[int, int] = (30, 150)
    maternity_shared_contact_share: float = 0.7
    maternity_agent_share: float = 0.7
    maternity_old_shell_share: float = 0.35
    """Rings using OLD companies bought up (registered years ago, a few
    former employees), so employer age says nothing."""
    maternity_old_shell_years: tuple[int, int] = (2, 15)
    maternity_genuine_staff_share: float = 0.35
    """Rings whose shells keep a few genuine, non-claimant employees on
    ordinary salaries hired months before the first claim."""
    maternity_genuine_staff: tuple[int, int] = (2, 6)
    maternity_former_staff: tuple[int, int] = (1, 3)
    """Jobs a bought-up dormant company had, ended over a year ago."""
    maternity_unlinked_share: float = 0.3
    """Rings with no shared phone, address or agent: one shell on its own."""


@dataclass(frozen=True)
class LookalikeShapes:
    """How the legitimate look-alikes behave (ranges inclusive, drawn per
    look-alike or per person).  Sizes are what makes each one look like a
    ring; the rates are what an investigator would find on checking."""

    family_joint_visit_days: tuple[int, int] = (2, 5)
    """Days a shared-phone household visits together: repeated, like a gang."""
    busy_counter_regulars: tuple[int, int] = (10, 25)
    busy_counter_attendance: float = 0.6
    """Share of regulars at each market day."""
    dialysis_patients: tuple[int, int] = (6, 16)
    dialysis_attendance: float = 0.97
    dialysis_fund_share: tuple[float, float] = (0.85, 0.95)
    """End-stage renal disease is a special outpatient illness with a high
    fund share: a small self-paid share, like a partial waiver."""
    rehab_patients: tuple[int, int] = (5, 10)
    rehab_weeks: tuple[int, int] = (8, 20)
    rehab_attendance: float = 0.93
    """Rehabilitation shift after a stroke: elderly patients of one county, new to
    the condition, one diagnosis, day cases on the ward's two fixed weekdays
    (Tuesday and Friday, or Monday and Thursday), each attending nearly every
    session with their normal co-payment: every indication of a shuttle but
    the waiver, explained by the ward's weekly timetable."""
    campaign_patients: tuple[int, int] = (15, 40)
    campaign_villages: tuple[int, int] = (2, 4)
    campaign_second_eye_share: float = 0.4
    """Patients coming back for the second eye: a repeated co-admission."""
    campaign_covered_share: float = 0.5
    """Campaigns whose settlements record the patient's share as covered
    (self_paid 0), like a waiver; the others record it as paid."""
    referral_patients: tuple[int, int] = (20, 50)
    referral_cohort_size: int = 5
    """Patients starting a treatment course together, so admitted together each cycle."""
    referral_cycles: tuple[int, int] = (3, 6)
    dtp_patients: tuple[int, int] = (8, 25)
    dtp_specialists: tuple[int, int] = (1, 3)
    palliative_patients: tuple[int, int] = (5, 14)
    palliative_peak_dose: tuple[float, float] = (1.0, 1.6)
    """Highest daily dose reached, in multiples of max_daily_units."""
    returns_per_pharmacy: tuple[int, int] = (2, 5)
    return_within_days: int = 4
    accounting_agent_clients: tuple[int, int] = (8, 20)
    accounting_agent_births: tuple[int, int] = (2, 5)
    incubator_firms: tuple[int, int] = (4, 8)
    incubator_staff: tuple[int, int] = (1, 3)
    job_change_days_before_delivery: tuple[int, int] = (60, 199)
    """When the new job starts: after conception, as in a shell hiring."""


@dataclass(frozen=True)
class GeneratorSettings:
    """Rates and sizes that shape a generated drop.

    Defaults aim at a plausible Chinese urban/rural mix over half a year:
    about ten reimbursed encounters per patient, a third of adults on
    employee insurance, and roughly one ring per scheme per four thousand
    patients (at least three per scheme so small test drops cover them all).
    """

    # --- population -----------------------------------------------------
    chunk_patients: int = 50_000
    """Background facts are generated and written per block of patients so
    that memory stays flat at a million patients."""
    household_size_probs: tuple[float, ...] = (0.22, 0.30, 0.22, 0.16, 0.10)
    """P(size = 1..5): mainland household sizes average a little under three."""
    shared_phone_household_share: float = 0.04
    """Multi-person households whose members all register one phone (and so
    present e-credentials from one device): a classic false alarm."""
    employee_insured_share: float = 0.55
    """Of working-age adults, the share on employee (rather than resident)
    insurance."""
    electronic_credential_share: float = 0.35
    """Share of outpatient/pharmacy settlements presented with the phone
    e-credential, which records the device."""
    death_in_period_rate: float = 0.004
    died_before_start_rate: float = 0.002
    """Deceased holders whose cards were never cancelled (a real loophole)."""
    card_replacement_rate: float = 0.01
    """Patients who get a new card mid-period; the old one is cancelled."""

    # --- background activity ------------------------------------------
    acute_visits_per_patient: float = 9.3
    """Mean acute outpatient/pharmacy encounters over 182 days, before age
    weighting; with chronic refills this gives ~10 settlements a patient."""
    chronic_prevalence_over_40: float = 0.30
    chronic_refill_days: tuple[int, int] = (26, 35)
    long_prescription_share: float = 0.05
    """Chronic patients on legitimate 12-week prescriptions (hard negatives)."""
    inpatient_rate: float = 0.035
    """P(an inpatient stay in 182 days), multiplied by an age factor."""
    delivery_rate_women_22_40: float = 0.012
    """P(delivery in 182 days) for women aged 22-40."""
    trace_coded_share: float = 0.85
    """Share of dispensed items scanned box by box with a 20-digit trace code."""
    days_supply_share: float = 0.45
    """Share of dispensing lines whose days_supply is recorded."""
    outpatient_lines_share: float = 0.45
    """Share of outpatient encounters that also dispense drugs."""

    # --- facilities -----------------------------------------------------
    patients_per_pharmacy: int = 700
    patients_per_clinic: int = 1_800
    patients_per_chc: int = 3_000
    villages_patients: int = 260
    """Patients per village in rural counties (a village has ~1,000 people,
    of whom our sample holds a fraction)."""
    chain_pharmacy_share: float = 0.45
    chain_shared_staff_share: float = 0.5
    """Chains whose stores share floating staff (operators): hard negatives."""
    facility_no_operator_share: float = 0.2
    """Facilities whose settlements never record the operator (many bureaus
    only get operator ids from a few systems)."""
    facility_no_device_share: float = 0.15
    """Facilities whose settlements never record the device (old terminals)."""

    # --- employers --------------------------------------------------------
    patients_per_employer: int = 40
    agent_registered_share: float = 0.15
    employer_mobile_phone_share: float = 0.3
    """Employers registered with the owner's mobile number rather than a
    landline (common for small firms), so a mobile number is not a shell's mark."""

    # --- rings -------------------------------------------------------------
    patients_per_ring: int = 4_000
    """One ring per scheme per this many patients."""
    min_rings_per_scheme: int = 3
    ring_size: tuple[int, int] = (3, 40)
    merge_pairs_per_rings: float = 0.2
    """Share of rings (per scheme, when at least four) absorbed by another."""
    stop_early_share: float = 0.3
    """Share of rings that go quiet well before the end of the period."""

    plant_rings: bool = True
    """False gives a clean drop: legitimate activity and look-alikes only,
    to count false rings per 100,000 patients."""

    # --- hard negatives (legitimate look-alikes) ------------------------
    # Each count is ``max(2, patients // patients_per_...)`` so that every
    # 20k drop has at least two of every kind.
    patients_per_nursing_home: int = 15_000
    patients_per_outbreak: int = 15_000
    patients_per_correction: int = 1_500
    legit_maternity_employers: int = 3
    patients_per_family_joint_visits: int = 2_000
    """Shared-phone households who also visit together (one operator, one
    phone, minutes apart) on several days: the card-lending pattern."""
    patients_per_busy_counter: int = 10_000
    """Village/community clinics whose one clerk settles the same regulars'
    cards minutes apart every market day (their own chronic care)."""
    patients_per_dialysis_unit: int = 10_000
    """Dialysis shifts: the same patients admitted together (day cases)
    three times a week with one diagnosis."""
    patients_per_rehab_shift: int = 10_000
    """Rehabilitation shifts at a township or county hospital (see
    ``rehab_patients``): the chronic-care look-alike of a shuttle."""
    patients_per_charity_campaign: int = 10_000
    """Charity cataract campaigns: elderly villagers bussed in and operated
    on together, fees covered, a second-eye round for some."""
    patients_per_referral_centre: int = 10_000
    """Referral centres admitting patients of many counties on a fixed
    weekly day, in treatment cycles that start together."""
    patients_per_dtp_pharmacy: int = 10_000
    """DTP specialist pharmacies filling one rare drug for a region's
    patients of a few specialists, monthly, at the clinical dose."""
    patients_per_palliative_doctor: int = 10_000
    """Palliative doctors escalating opioids for terminal cancer patients,
    legitimately above the usual maximum daily dose."""
    patients_per_job_change: int = 10_000
    """Women who change employer a few months before delivering and claim
    through the new one (continuous insurance, similar salary)."""
    patients_per_accounting_agent: int = 10_000
    """Accounting agencies registering many honest, long-established
    employers, some with ordinary maternity claims."""
    patients_per_incubator: int = 10_000
    """Business incubators: several young small firms at one address."""
    patients_per_returned_box: int = 5_000
    """Pharmacies re-selling a returned, unopened box to another customer
    within days: a trace code in two settlements without resale."""
    patients_per_branch_transfer: int = 5_000
    """Chain pharmacies moving returned boxes to a sister branch, which sells
    them on: a trace code settled at two stores of one chain."""

    schemes: SchemeShapes = field(default_factory=SchemeShapes)
    lookalikes: LookalikeShapes = field(default_factory=LookalikeShapes)

    @classmethod
    def textbook(cls) -> GeneratorSettings:
        """Settings with every ring variant and recording gap switched off:
        each ring follows its scheme's textbook form (as before issue 14),
        the look-alikes stay.  For tests that need easy rings, and to
        measure how much the variants cost a detector."""
        shapes = replace(
            SchemeShapes(), borrowed_local_living_share=0.0, borrowed_presentation_shares=(0.0, 0.0),
            borrowed_own_use_share=0.0, borrowed_sparse_recording_share=0.0, borrowed_pace_shares=(0.0, 0.0),
            borrowed_shared_counter_share=0.0,
            shuttle_waiver_shares=(0.0, 0.0), shuttle_shared_institution_share=0.0, shuttle_two_county_share=0.0,
            shuttle_ward_rota_share=0.0,
            shuttle_pace_shares=(0.0, 0.0), shuttle_bystanders_per_round=(0, 0), overprescribe_mild_share=0.0,
            overprescribe_shared_pharmacy_share=0.0, overprescribe_multi_city_share=0.0,
            maternity_old_shell_share=0.0, maternity_genuine_staff_share=0.0, maternity_unlinked_share=0.0,
            resale_two_city_share=0.0, resale_partial_rescan_share=0.0, resale_spread_thin_share=0.0)
        return cls(schemes=shapes, facility_no_operator_share=0.0, facility_no_device_share=0.0)

    scheme_weights: dict[str, float] = field(
        default_factory=lambda: {
            "trace_resale": 1.0,
            "borrowed_cards": 1.2,
            "car_shuttle": 0.8,
            "over_prescription": 1.0,
            "maternity": 0.7,
        }
    )
    """Relative ring counts per scheme, after NHSA's published case mix."""
