"""The simulated world every stage reads: reference tables, calendar, counters.

Built once per run from the seed.  Background generation and the planters
only read it, except that planters may append entities (shell employers,
gang devices), reserve people so that no one is in two rings, and record the
days of planted DRG episodes so that the background keeps its stays off them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ringscope.ingest.synth.catalogue import Catalogue, build_catalogue
from ringscope.ingest.synth.employers import Employers, Employments, build_employers, draw_deliveries
from ringscope.ingest.synth.facilities import (
    CHC,
    MAJOR_HOSPITAL,
    PHARMACY,
    VILLAGE_CLINIC,
    Facilities,
    build_facilities,
)
from ringscope.ingest.synth.facts import Counters
from ringscope.ingest.synth.population import Population, build_population
from ringscope.ingest.synth.regions import RegionTable, region_table
from ringscope.ingest.synth.settings import GeneratorSettings


def _unset() -> np.ndarray:
    """Placeholder for the arrays :func:`build_world` fills once the population exists."""
    return np.empty(0, dtype=np.int64)


@dataclass
class World:
    settings: GeneratorSettings
    seed: int
    start: int                 # epoch day of the first day
    days: int
    regions: RegionTable
    catalogue: Catalogue
    pop: Population
    facilities: Facilities
    employers: Employers
    jobs: Employments
    delivery: np.ndarray       # per person epoch day or NO_DAY
    counters: Counters = field(default_factory=Counters)
    reserved: np.ndarray = field(default_factory=_unset)  # people already given a planted role
    ring_facilities: np.ndarray = field(default_factory=_unset)  # facilities used by a ring
    extra_devices: int = 0
    _by_county: list | None = None       # gang/nursing-home devices beyond personal phones
    home_primary: np.ndarray = field(default_factory=_unset)
    home_hospital: np.ndarray = field(default_factory=_unset)
    home_pharmacy: np.ndarray = field(default_factory=_unset)
    home_doctor: np.ndarray = field(default_factory=_unset)
    chronic_drugs: np.ndarray = field(default_factory=_unset)  # [person, 2] drug indices, -1 none
    records_device: np.ndarray = field(default_factory=_unset)    # per facility: its settlements carry the device
    records_operator: np.ndarray = field(default_factory=_unset)  # per facility: its settlements carry the operator
    drg_coding: dict = field(default_factory=dict)
    """settlement number -> (secondary_diagnoses, procedure_codes) of a coded DRG episode (contract 1.1)."""
    drg_days: list = field(default_factory=list)
    """(person, first day, last day) of every settlement the DRG planter wrote (a stay: admission to
    discharge; a visit: its day).  The background writes no stay over these days: a patient is not in
    two hospitals at once, nor buying at a pharmacy while admitted elsewhere."""

    @property
    def end(self) -> int:
        """First epoch day after the period."""
        return self.start + self.days

    def rng(self, *stream: int) -> np.random.Generator:
        """Independent, reproducible random stream per stage/chunk."""
        return np.random.default_rng([self.seed, *stream])

    def new_device(self) -> int:
        """A device number outside the personal-phone range."""
        self.extra_devices += 1
        return self.pop.size + self.extra_devices

    def people_in(self, county: int) -> np.ndarray:
        """People living in ``county`` (cached index)."""
        if self._by_county is None:
            order = np.argsort(self.pop.county, kind="stable")
            bounds = np.searchsorted(self.pop.county[order], np.arange(self.regions.size + 1))
            self._by_county = [order[bounds[c]:bounds[c + 1]] for c in range(self.regions.size)]
        return self._by_county[county]

    def seen_device(self, facility: int, device: int) -> int:
        """The device as the facility's settlement records it (-1 if it records none)."""
        return int(device) if device >= 0 and self.records_device[facility] else -1

    def reserve(self, people: np.ndarray) -> None:
        self.reserved[np.asarray(people, dtype=np.int64)] = True

    def candidates(self, mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask & ~self.reserved)


def build_world(settings: GeneratorSettings, patients: int, seed: int, start: int, days: int) -> World:
    regions = region_table()
    catalogue = build_catalogue()
    pop = build_population(settings, patients, np.random.default_rng([seed, 1]), regions, catalogue,
                           start, days)
    per_county = np.bincount(pop.county, minlength=regions.size)
    facilities = build_facilities(settings, np.random.default_rng([seed, 2]), regions, pop.villages,
                                  per_county)
    employers, jobs = build_employers(settings, np.random.default_rng([seed, 3]), regions, pop,
                                      start, days)
    delivery = draw_deliveries(settings, np.random.default_rng([seed, 4]), pop, start, days)
    world = World(settings=settings, seed=seed, start=start, days=days, regions=regions,
                  catalogue=catalogue, pop=pop, facilities=facilities, employers=employers,
                  jobs=jobs, delivery=delivery)
    # households that share a phone and long-prescription patients are hard
    # negatives: keep them out of rings so a false alarm stays a false alarm
    world.reserved = pop.shared_phone_household | pop.long_prescription
    world.ring_facilities = np.zeros(facilities.size, dtype=bool)
    recording = np.random.default_rng([seed, 7])
    world.records_operator = recording.random(facilities.size) >= settings.facility_no_operator_share
    world.records_device = recording.random(facilities.size) >= settings.facility_no_device_share
    _assign_homes(world, np.random.default_rng([seed, 5]))
    return world


def _assign_homes(world: World, rng: np.random.Generator) -> None:
    """Each person's usual primary facility, hospital, pharmacy and doctor:
    people are loyal to a few places, which is what makes ring patterns
    (many strangers converging on one place) stand out."""
    pop, fac = world.pop, world.facilities
    n = pop.size
    county = pop.county.astype(np.int64)
    v_first = np.searchsorted(pop.villages.county, np.arange(world.regions.size))
    local_v = np.maximum(pop.village - v_first[county], 0)
    n_vc = fac.count[county, VILLAGE_CLINIC]
    village_clinic = fac.start[county, VILLAGE_CLINIC] + np.minimum(local_v // 2, np.maximum(n_vc - 1, 0))
    chc = fac.pick(rng, county, CHC)
    world.home_primary = np.where((pop.village >= 0) & (n_vc > 0), village_clinic, chc)
    world.home_hospital = fac.pick(rng, county, MAJOR_HOSPITAL)
    world.home_pharmacy = fac.pick(rng, county, PHARMACY)
    chronic_at = np.where(rng.random(n) < 0.6, world.home_hospital, world.home_primary)
    world.home_doctor = fac.pick_prescriber(rng, chronic_at)
    cat = world.catalogue
    drugs = np.full((n, 2), -1, dtype=np.int64)
    has = pop.chronic >= 0
    pool = cat.chronic_pool[pop.chronic[has]]
    size = (pool >= 0).sum(axis=1)
    a = (rng.random(has.sum()) * size).astype(np.int64)
    b = (rng.random(has.sum()) * size).astype(np.int64)
    rows = np.arange(len(pool))
    drugs[has, 0] = pool[rows, a]
    second = (rng.random(has.sum()) < 0.5) & (b != a)
    drugs[np.flatnonzero(has)[second], 1] = pool[rows[second], b[second]]
    world.chronic_drugs = drugs
