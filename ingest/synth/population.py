"""Insured people, their households, phones, devices and cards.

Households matter for realism and for false alarms: family members share an
address and sometimes one phone, so their electronic credentials come from
one device, which a naive "shared device" rule would flag as card lending.
Deaths matter for borrowed-card rings (cards used after the holder died).
Everything is drawn with numpy in bulk; a million people take seconds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ringscope.ingest.synth import formats, idnumbers, names
from ringscope.ingest.synth.catalogue import Catalogue
from ringscope.ingest.synth.regions import RegionTable, VillageTable, street_parts, village_table
from ringscope.ingest.synth.settings import GeneratorSettings

NO_DAY = np.iinfo(np.int32).max
"""Sentinel epoch day for 'never' (no death, no card replacement)."""

_AGE_BINS = np.array([0, 15, 25, 35, 45, 55, 65, 75, 85, 96])
_AGE_SHARE = np.array([0.16, 0.11, 0.15, 0.14, 0.16, 0.13, 0.09, 0.045, 0.015])
_PHONE_PREFIXES = np.array([130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153,
                            155, 156, 157, 158, 159, 170, 173, 175, 176, 177, 178, 180, 181, 182,
                            183, 184, 185, 186, 187, 188, 189, 191, 195, 198, 199])


@dataclass
class Population:
    """One row per insured person (index = internal patient number)."""

    female: np.ndarray
    birth: np.ndarray          # epoch day
    county: np.ndarray         # index into RegionTable
    village: np.ndarray        # index into VillageTable, -1 for urban
    household: np.ndarray
    phone: np.ndarray          # 11-digit int, 0 = none recorded
    device: np.ndarray         # device number of own/household phone, -1 none
    employee: np.ndarray       # employee insurance (else resident)
    death_day: np.ndarray      # epoch day, NO_DAY if alive
    chronic: np.ndarray        # chronic condition index, -1 none
    long_prescription: np.ndarray
    name: pa.Array
    id_number: pa.Array
    address: np.ndarray        # object array of str (planters may rewrite some)
    shared_phone_household: np.ndarray  # bool per person
    # cards: index < n is the person's first card; replacements are appended
    card_holder: np.ndarray
    card_issued: np.ndarray
    card_cancelled_on: np.ndarray   # epoch day the card was cancelled, NO_DAY if not
    replacement_card: np.ndarray    # per person: index of the new card or -1
    villages: VillageTable

    @property
    def size(self) -> int:
        return len(self.female)

    def age_at(self, epoch_day: int) -> np.ndarray:
        return (epoch_day - self.birth) / 365.25

    def card_for(self, person: int, epoch_day: int) -> int:
        """Scalar ``card_on`` for planters."""
        new = int(self.replacement_card[person])
        return new if new >= 0 and epoch_day >= self.card_issued[new] else int(person)

    def age_on(self, person: int, epoch_day: int) -> float:
        return (epoch_day - int(self.birth[person])) / 365.25

    def card_on(self, person: np.ndarray, epoch_day: np.ndarray) -> np.ndarray:
        """The card a person presents on a day (new card after replacement)."""
        new = self.replacement_card[person]
        switched = (new >= 0) & (epoch_day >= self.card_issued[np.maximum(new, 0)])
        return np.where(switched, new, person)


def build_population(settings: GeneratorSettings, n: int, rng: np.random.Generator,
                     regions: RegionTable, catalogue: Catalogue, start: int, days: int) -> Population:
    """Draw ``n`` people in households spread over the counties by weight."""
    sizes = rng.choice(np.arange(1, 6), size=n // 2 + 10, p=np.array(settings.household_size_probs))
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n) + 1]
    sizes[-1] -= sizes.sum() - n
    household = np.repeat(np.arange(len(sizes)), sizes).astype(np.int32)
    n_households = len(sizes)

    hh_county = rng.choice(regions.size, size=n_households, p=regions.weight)
    per_county = np.bincount(np.repeat(hh_county, sizes), minlength=regions.size)
    villages = village_table(regions, per_county, settings.villages_patients, rng)
    hh_village = np.full(n_households, -1, dtype=np.int32)
    v_start = np.searchsorted(villages.county, np.arange(regions.size), side="left")
    v_count = np.bincount(villages.county, minlength=regions.size)
    rural_hh = regions.rural[hh_county]
    hh_village[rural_hh] = (v_start[hh_county[rural_hh]]
                            + (rng.random(rural_hh.sum()) * v_count[hh_county[rural_hh]]).astype(np.int32))

    county = hh_county[household].astype(np.int16)
    village = hh_village[household]
    female = rng.random(n) < 0.49
    age_bin = rng.choice(len(_AGE_SHARE), size=n, p=_AGE_SHARE / _AGE_SHARE.sum())
    age_days = ((_AGE_BINS[age_bin] + rng.random(n) * (_AGE_BINS[age_bin + 1] - _AGE_BINS[age_bin]))
                * 365.25).astype(np.int32)
    birth = (start - age_days).astype(np.int32)
    age = age_days / 365.25

    # phones: unique 8-digit tails per person; children under 12 and some of
    # the very old have none; a few households register one phone for all.
    phone = (rng.choice(_PHONE_PREFIXES, n).astype(np.int64) * 10**8
             + formats.scramble(np.arange(n), 10**8, int(rng.integers(10**7))))
    phone[(age < 12) | ((age > 85) & (rng.random(n) < 0.5))] = 0
    hh_first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    sharing_hh = (sizes >= 2) & (rng.random(n_households) < settings.shared_phone_household_share)
    shared = sharing_hh[household]
    head = hh_first[household]
    phone = np.where(shared, phone[head], phone)
    phone[shared & (phone == 0)] = (rng.choice(_PHONE_PREFIXES) * 10**8 + 9_000_000 + np.arange(
        (shared & (phone == 0)).sum()))
    device = np.where(phone > 0, np.where(shared, head, np.arange(n)), -1).astype(np.int64)

    working = (age >= 18) & (age < 60)
    employee = (working & (rng.random(n) < settings.employee_insured_share)) | (
        (age >= 60) & (rng.random(n) < 0.35))

    # deaths: hazard rises ~exp(age/12); during the period, and before it
    hazard = np.exp((age - 50) / 12)
    hazard /= hazard.mean()
    death_day = np.full(n, NO_DAY, dtype=np.int32)
    dies = rng.random(n) < settings.death_in_period_rate * hazard
    death_day[dies] = start + 1 + (rng.random(dies.sum()) * (days - 2)).astype(np.int32)
    died_before = (~dies) & (rng.random(n) < settings.died_before_start_rate * hazard) & (age > 30)
    death_day[died_before] = start - 1 - (rng.random(died_before.sum()) * 700).astype(np.int32)

    chronic = np.full(n, -1, dtype=np.int16)
    p_chronic = settings.chronic_prevalence_over_40 * np.clip((age - 30) / 35, 0, 1.6)
    has = rng.random(n) < p_chronic
    chronic[has] = rng.choice(len(catalogue.chronic_weight), size=has.sum(), p=catalogue.chronic_weight)
    prostate = np.flatnonzero(catalogue.diagnosis_code[catalogue.chronic_diag] == "N40")[0]
    chronic[(chronic == prostate) & female] = 0
    long_rx = (chronic >= 0) & (rng.random(n) < settings.long_prescription_share)

    name = names.person_names(rng, names.draw_surnames(rng, n), female)
    id_number = _id_numbers(rng, regions, county, birth, female)
    address = _addresses(rng, regions, villages, hh_county, hh_village)[household]

    replaced = (rng.random(n) < settings.card_replacement_rate) & (death_day == NO_DAY)
    n_new = int(replaced.sum())
    replacement_card = np.full(n, -1, dtype=np.int64)
    replacement_card[replaced] = n + np.arange(n_new)
    card_holder = np.concatenate([np.arange(n), np.flatnonzero(replaced)])
    first_issue = np.maximum(birth, start - 365 * 12) + (rng.random(n) * 600).astype(np.int32)
    first_issue = np.minimum(first_issue, start - 30)
    new_issue = start + 7 + (rng.random(n_new) * (days - 21)).astype(np.int32)
    card_issued = np.concatenate([first_issue, new_issue]).astype(np.int32)
    card_cancelled = np.full(n + n_new, NO_DAY, dtype=np.int32)
    card_cancelled[np.flatnonzero(replaced)] = new_issue
    cancel_dead = died_before & (rng.random(n) < 0.6)
    card_cancelled[np.flatnonzero(cancel_dead)] = death_day[cancel_dead] + 20

    return Population(
        female=female, birth=birth, county=county, village=village, household=household,
        phone=phone, device=device, employee=employee, death_day=death_day, chronic=chronic,
        long_prescription=long_rx, name=name, id_number=id_number, address=address,
        shared_phone_household=shared, card_holder=card_holder, card_issued=card_issued,
        card_cancelled_on=card_cancelled, replacement_card=replacement_card, villages=villages,
    )


def _id_numbers(rng, regions: RegionTable, county, birth, female) -> pa.Array:
    """IDs registered mostly in the home county (10% born elsewhere), unique."""
    born_in = np.where(rng.random(len(county)) < 0.9, county, rng.integers(0, regions.size, len(county)))
    region_code = regions.code.astype(np.int64)[born_in]
    birth_d = birth.astype("datetime64[D]")
    seq = idnumbers.sequence_for_sex(rng, female)
    body = idnumbers.id_bodies(region_code, birth_d, seq)
    for _ in range(20):  # same county, birthday and sequence: redraw the sequence
        _, first, counts = np.unique(body, return_index=True, return_counts=True)
        dup = np.ones(len(body), dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        seq[dup] = idnumbers.sequence_for_sex(rng, female[dup])
        body[dup] = idnumbers.id_bodies(region_code[dup], birth_d[dup], seq[dup])
    return idnumbers.id_numbers(body)


def _addresses(rng, regions: RegionTable, villages: VillageTable, hh_county, hh_village) -> np.ndarray:
    """One address per household: village + house number in the countryside,
    road + compound + building/unit/room in towns."""
    m = len(hh_county)
    roads, stems, kinds = street_parts()
    prefix = pa.array(regions.prefix()).take(pa.array(hh_county))
    rural = hh_village >= 0
    v = np.maximum(hh_village, 0)
    village_text = pc.binary_join_element_wise(
        pa.array(villages.town).take(pa.array(v)) if len(villages.town) else pa.nulls(m, pa.string()),
        pa.array(villages.name).take(pa.array(v)) if len(villages.name) else pa.nulls(m, pa.string()),
        formats.integers(rng.integers(1, 300, m)), "号", "")
    urban_text = pc.binary_join_element_wise(
        pa.array(roads).take(pa.array(rng.integers(0, len(roads), m))),
        formats.integers(rng.integers(1, 500, m)), "号",
        pa.array(stems).take(pa.array(rng.integers(0, len(stems), m))),
        pa.array(kinds).take(pa.array(rng.integers(0, len(kinds), m))),
        formats.integers(rng.integers(1, 30, m)), "栋",
        formats.integers(rng.integers(1, 6, m)), "单元",
        formats.integers(rng.integers(1, 33, m) * 100 + rng.integers(1, 5, m)), "室", "")
    text = pc.if_else(pa.array(rural), village_text, urban_text)
    return pc.binary_join_element_wise(prefix, text, "").to_numpy(zero_copy_only=False)
