"""Settings of the car_shuttle detector (``[detection.car_shuttle]``), each with the reason for its default."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CarShuttleSettings:
    cohort_window_days: int = 1
    """Admissions to the same institution within this many days of each other are one
    busload (a bus arriving late in the evening is admitted the next morning)."""
    occasion_gap_days: int = 3
    """Joint admissions further apart than this are separate trips."""
    min_shared_trips: int = 2
    """A pair must be admitted together on at least this many separate trips, and a cohort
    must have made that many: one joint admission is an outbreak, a screening day or a
    charity campaign; the same people again and again is a shuttle."""
    max_chance_partners: float = 0.05
    """Chance test of a pair's joint trips.  With the two patients admitted ``n1`` and ``n2``
    days at the institution over its working days ``D`` (active span, shrunk when its
    admissions favour some weekdays), one of the first's admissions meets the second by
    chance with probability ``q = n2 * (2 * window + 1) / D``; ``k`` joint trips have chance
    the binomial tail, at most ``C(n1, k) q^k (1 - q)^(n1 - k) / (1 - r)`` with each further
    term bounded by ``r = (n1 - k) q / ((k + 1)(1 - q))`` times the one before (``C(n1, k) q^k``
    when ``r >= 1``; the bare union bound overstated the chance of villagers riding on half
    the weeks).  A patient met ``m`` different people there (``m`` grows with
    the institution's daily volume), each a chance for a coincidence, so the pair is kept
    only when ``m`` times that chance is at most this: fewer than one chance partner in
    twenty patients.  At a regional referral centre admitting a hundred a day, two cardiac
    patients meet on two trips by chance; the same fifteen villagers on four trips do not."""
    group_test: bool = True
    """Also test groups as a whole: an institution's repeat patients from one home region
    admitted by the same usual doctor (drawn without looking at the days), whose windows with
    ``k`` or more of them admitted together are beyond chance given each member's own admissions (Poisson-binomial per window, Poisson tail over
    the windows, times every ``k`` and group tried, at most ``max_chance_partners``).  A
    four-villager shuttle riding two at a time, or a pool of thirty riding a dozen at a time,
    gives no pair enough joint trips, yet the group arrives together again and again."""
    group_weekday_prior: float = 2.0
    """The group test's pseudo-admissions per weekday (``weekday_prior`` for the pair test):
    a group is many people, so the institution's calendar is taken nearly as its ordinary
    intake shows it; a hospital admitting mostly on Mondays makes its Monday regulars meet,
    and they must not pass for a bus."""
    weekday_prior: float = 5.0
    """Pseudo-admissions per weekday added to an institution's weekday profile (the
    admissions by weekday of its ordinary intake, patients admitted there on fewer than
    ``min_shared_trips`` days, each day counting at most its median daily admissions, so
    neither the repeat patients under test nor a busload make their weekday the usual one)
    before the profile's concentration shrinks its working days: a small hospital's few
    admissions must not make it look weekday-only."""
    own_calendar_min_share: float = 0.5
    """An institution's weekday profile is its own ordinary intake only when that intake is
    at least this share of its admissions.  Below it the intake is mostly repeat patients
    (the candidates the chance tests judge) and the few others come on the days they make:
    a township hospital that admits nobody but the Monday bus and the locals who happen to
    ride along would make Monday its only working day, against which every rider of the bus
    meets the others exactly as chance predicts.  Its calendar is then that of institutions
    of the same kind and level keeping their own (pooled ordinary intake of the smallest area,
    county to country, with at least ``baseline_min_admissions``); with none, its own.
    Honest look-alikes on one weekday (a rehabilitation or dialysis timetable, a ward's
    admission day) are then cleared by the explanations and the handling test."""
    ride_along_share: float = 0.9
    """...and only when at least this share of that ordinary intake was admitted on days
    (within ``cohort_window_days``) a repeat patient was: locals riding along on the bus
    days say nothing of the hospital's own week.  A hospital whose one-off patients also
    come on other days shows a calendar of its own, however strongly it favours its
    admission day, and its regulars on that day are judged against it (at a hospital
    truly admitting on one day only, regulars and a bus differ in timing not at all)."""
    min_links: int = 2
    """A cohort member needs this many linked partners inside the cohort (pruned repeatedly):
    a bus carries many people, while a chance pair at a busy hospital has no third partner."""
    attach_max_chance: float = 0.5
    """A repeat patient of the institution who joined at least ``min_shared_trips`` of a
    cohort's trips joins the cohort when, with their admissions falling at random over the
    institution's working days, the patients who joined any of its trips would include
    one joining that many at most this often (half a chance rider per cohort): passengers
    change from trip to trip, so a villager may share few trips with any one other."""
    bus_day_share: float = 0.8
    """Bus days: when at least this share of an institution's admissions in a cohort's trip
    windows exceeds its ordinary intake (its admissions on other days, per day), those
    admitted in them from the cohort's home regions with one of its diagnoses join the
    cohort, even on a single trip (the few ordinary patients admitted that day do not).  A small hospital that
    admits two people a week and twelve on the bus days; at a busy hospital the bus is
    lost in the crowd and nobody is attached this way."""
    grow_rounds: int = 5
    """Rounds of joining cohorts of one bus and attaching riders: each round's new members
    bring trips of their own on which more riders are found."""
    same_bus_share: float = 0.5
    """Two cohorts at one institution are one bus when at least ``min_shared_trips`` and this
    share of the smaller one's trips fell on the other's trip days (or more trips than
    chance allows): passengers change from trip to trip, leaving several cohorts of people
    who rode together often.  Shuttles that merely use one hospital run on their own days."""
    min_patients: int = 3
    """Smallest cohort reported.  Three villagers admitted together again and again are
    already a shuttle; a couple or a family is kept out by the address explanation and
    the link rule, not by the head count."""
    institution_share: float = 0.2
    """An institution belongs to the ring when it admitted at least this share of the
    cohort's joint admissions (one organiser may supply two hospitals)."""
    leiden_above: int = 80
    """Cohort graphs larger than this are split with Leiden, by who travels with whom."""
    leiden_resolution: float = 1.0
    """Resolution for that split."""
    baseline_min_admissions: int = 30
    """Each indication compares the cohort with its institutions' other inpatients when
    there are at least this many; otherwise (a hospital that admits nobody but its
    busloads) with the inpatients of institutions of the same kind in the same county."""
    baseline_max_admissions: int = 2000
    """A baseline larger than this is a fixed pseudo-random sample of this many admissions
    (by a hash of the settlement id): a share is known well enough from two thousand, and
    a regional hospital's or a whole level's inpatients would cost time for nothing."""
    indication_max_chance: float = 0.01
    """A trait counts as an indication only when that many cohort members showing it would
    happen with at most this probability if they were like the baseline (binomial tail)."""
    indication_min_share: float = 0.5
    """...and at least this share of the cohort shows it (most of the busload, not a few)."""
    indication_min_lift: float = 1.5
    """...and that share is at least this multiple of the baseline's share."""
    waiver_ratio: float = 0.35
    """Fee waiver / low self-paid share: an admission whose self-paid share is at most this
    fraction of the baseline's median, while the patient's own stays at other institutions
    are not that cheap (a plan that pays nearly everything is not a waiver).  Reimbursement rates
    differ by hospital level, hence peers of the same level when the baseline is borrowed."""
    baseline_floor: float = 0.5
    """The reference self-paid share is never below this fraction of the median at
    institutions of its kind, so a hospital waiving fees for most inpatients cannot hide
    its cohort inside its own baseline."""
    elderly_age: int = 60
    """Age from which a patient counts as elderly (the villagers shuttles recruit)."""
    readmission_count: int = 3
    """Readmissions: patients admitted at least this many days to the institution, against
    the share of the baseline's patients admitted that often."""
    min_score: float = 2.0
    """Indications weigh 1 (fee waiver, same origin, uniform diagnoses, no prior care, same
    settlers) or 0.5 (short stays, elderly, readmissions: common among honest inpatients);
    explanations subtract 3 (one household), 3 (a treatment routine), 1 (stays fitting the
    patients' earlier care).  A cohort is reported at this score: two strong indications
    or one strong and two supporting, after explanations.  No indication is required.
    This is the bar when every indication can speak; when the data leaves some mute (not
    recorded, or shown by nearly every inpatient there, as the home county at a county
    hospital), the bar falls by their share of the total weight."""
    min_score_floor: float = 1.5
    """The lowest the bar falls however many indications are mute: one strong and one
    supporting indication beyond the cohort's explanations."""
    mute_coordination_factor: float = 2.0
    """The bar falls for mute indications only when the coordination carries the weight:
    a cohort of at least this many times ``min_patients`` patients on this many times
    ``min_shared_trips`` trips.  Less data to judge by asks for more coordination."""
    require_fee_waiver: bool = False
    """Report only cohorts whose fee waiver shows.  Off: most bureaus' data does not record
    the waiver (the share is simply not collected), so requiring it blinds the detector."""
    household_share: float = 0.7
    """Explanation: at least this share of the cohort lives at one address (a family, a
    care home admitted together).  Not half: villagers are bussed as couples, and a couple
    is half of a four-villager cohort."""
    course_min_admissions: int = 3
    """Explanation (treatment course): a patient is on a course when admitted to the cohort's
    institutions at least this many times (two intervals to compare) ..."""
    routine_share: float = 0.8
    """...with this share of their own intervals within ``routine_tolerance_days`` of their
    median interval (chemotherapy every 21 days, rehabilitation every 28, a weekly
    infusion), and the cohort is explained when this share of its patients are on a
    course.  A villager rides whenever the organiser takes them, so their intervals
    wander even when the bus keeps a fixed weekday; a random schedule gives two equal
    intervals in a row rarely, and most of a cohort doing so practically never."""
    routine_tolerance_days: int = 0
    """Days an interval may differ from the patient's median interval and still keep the
    course.  0: a cycle repeats exactly; one delayed cycle in five is still allowed by
    ``routine_share``."""
    timetable_weekdays: int = 3
    """Explanation (treatment course), the other form: a patient keeping a ward's weekly
    timetable, admitted on at most this many fixed weekdays (dialysis three times a week,
    rehabilitation twice) on ``routine_share`` of those weekdays' dates between their first
    and last session: a shift, whose intervals (2, 2, 3) are not one interval.  A villager on
    a weekly bus rides only when given a seat, so misses far more of its weeks."""
    campaign_max_admissions: int = 2
    """Explanation (one-off campaign): a patient admitted to the cohort's institutions at
    most this many times in all: a cataract campaign operates each eye once, a screening
    or an outbreak brings people back once for the follow-up ..."""
    campaign_share: float = 0.8
    """...and the cohort is explained when this share of its patients are such, while fewer
    than this share of the intake of its trips (the patients admitted there in their
    windows with one of the cohort's diagnosis groups) ever came back: the cohort never
    repeats as a whole, some come back for the second eye.  A shuttle brings its
    villagers back trip after trip."""
    history_fit_share: float = 0.7
    """Explanation: at least this share of the cohort's admissions follow earlier care of
    the patient for the same condition (diagnosis group) elsewhere or as an outpatient."""
    habit_share: float = 0.2
    """How a cohort is handled at an institution: the diagnoses, admitting doctors and
    settling operators of at least this share of its admissions there (a stray admission
    is no habit), and its home regions (those of at least this share of its patients).  Fragments of one bus, cohorts of one operation and villagers taken over
    by another organiser are handled alike; two rings that merely use one hospital bring
    their own diagnoses or work with their own doctor or clerk."""
    rota_share: float = 0.5
    """...or of at least this fraction of the even share of the k diagnoses, doctors or
    operators the cohort has there (``rota_share / k``): a ward that admits the bus under a
    rota of five doctors gives each about a fifth, some below ``habit_share``, and all of
    them are how the bus is handled; a stray admission stays far below the rota's share.
    Used last, to attach riders of no cohort once the cohorts are settled: what joins two
    cohorts is judged on their habits."""
    join_same_operation: bool = True
    """Cohorts at one institution whose trips run over the same period (or follow each other
    within the longest interval between their own trips), whose patients share a home
    region (one where at least ``habit_share`` of a cohort's patients live: a ring
    recruiting in two counties leaves fragments each mostly of one) and whose commonest
    diagnoses overlap are one ring: a bus
    seats fewer than the organiser's pool and brings different villagers on alternate
    trips.  Another organiser's villagers (other region) or a treatment group at the same
    hospital (other diagnoses) stay apart.  Turn off for data from one county, where
    everyone shares a region."""
    join_share: float = 0.15
    """Two cohorts are one ring when at least this share of one cohort's villagers, after
    their trips to its institution, came together (a joint admission of movers) to the
    other cohort's institution: an organiser that took over another's villages brings them
    to its own hospital, on trips of their own.  Movers arriving together are no accident,
    so a small share suffices; often the data ends a trip or two after the takeover (1M
    drop: 9 of 33 villagers moved on one trip).  0 turns the join off."""
    join_min_patients: int = 2
    """...and at least this many of them: one villager who changed hospital is no link."""
