"""Medical institutions, pharmacies, prescribers and settlement staff.

Each county gets the tiers a Chinese county really has: a city tertiary
hospital in districts, county people's and TCM hospitals, private and
township hospitals (the usual car-shuttle destinations), clinics, community
health centres in towns, village clinics in the countryside, and pharmacies,
many of them stores of regional chains.  Chain stores share floating staff,
so one operator settles at several pharmacies: legitimate, yet the same
pattern a naive "operator shared across facilities" rule would flag.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ringscope.ingest.synth.regions import RegionTable, VillageTable
from ringscope.ingest.synth.settings import GeneratorSettings

MAJOR_HOSPITAL, MINOR_HOSPITAL, CLINIC, CHC, VILLAGE_CLINIC, PHARMACY = range(6)
CATEGORIES = 6
KIND_TEXT = np.array(["hospital", "hospital", "clinic", "community_health_center", "village_clinic", "pharmacy"])

_CHAINS = ("老百姓大药房", "益丰大药房", "大参林", "一心堂", "国大药房", "海王星辰", "漱玉平民", "健之佳")
_PRIVATE = ("仁爱医院", "博爱医院", "济民医院", "康复医院", "和平医院", "同济骨科医院", "华康医院", "安康医院")
_INDEPENDENT = ("百姓", "仁和", "康源", "德仁堂", "福寿", "惠民", "万家", "同心", "长寿", "济生堂")
_SPECIALTIES = np.array(["内科", "外科", "全科", "儿科", "妇产科", "中医科", "骨科", "心血管内科", "内分泌科",
                         "呼吸内科", "消化内科", "神经内科", "肿瘤科", "皮肤科", "眼科", "康复医学科", "精神科"])
_DOCTOR_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_DOCTOR_GIVEN = "建国志明丽华秀英文军伟芳敏静海燕红霞学平春梅晓东玉兰德宏"


@dataclass
class Facilities:
    """Facilities sorted by (county, category) so a county's pharmacies, say,
    are one contiguous slice: ``start[county, category]`` + ``count``."""

    category: np.ndarray
    county: np.ndarray
    area: np.ndarray          # village (village clinics) / town ordinal; -1 otherwise
    level: np.ndarray         # text
    chain: np.ndarray         # chain number, -1 independent
    name: np.ndarray
    start: np.ndarray         # [county, category]
    count: np.ndarray         # [county, category]
    prescriber_start: np.ndarray
    prescriber_count: np.ndarray
    operator_start: np.ndarray
    operator_count: np.ndarray
    chain_shares_staff: np.ndarray  # per chain
    # prescribers
    prescriber_facility: np.ndarray
    prescriber_name: np.ndarray
    prescriber_specialty: np.ndarray
    operator_facility: np.ndarray

    @property
    def size(self) -> int:
        return len(self.category)

    def pick(self, rng: np.random.Generator, county: np.ndarray, category: int | np.ndarray) -> np.ndarray:
        """A random facility of ``category`` in each ``county``, falling back to
        other tiers when a county has none (towns have no village clinics)."""
        county = np.asarray(county)
        category = np.broadcast_to(np.asarray(category), county.shape).copy()
        for fallback in (CHC, CLINIC, MINOR_HOSPITAL, MAJOR_HOSPITAL):
            empty = self.count[county, category] == 0
            category[empty] = fallback
        count = self.count[county, category]
        return self.start[county, category] + (rng.random(len(county)) * count).astype(np.int64)

    def pick_prescriber(self, rng: np.random.Generator, facility: np.ndarray) -> np.ndarray:
        count = self.prescriber_count[facility]
        chosen = self.prescriber_start[facility] + (rng.random(len(facility)) * count).astype(np.int64)
        return np.where(count > 0, chosen, -1)

    def pick_operator(self, rng: np.random.Generator, facility: np.ndarray) -> np.ndarray:
        count = self.operator_count[facility]
        return self.operator_start[facility] + (rng.random(len(facility)) * count).astype(np.int64)


def build_facilities(settings: GeneratorSettings, rng: np.random.Generator, regions: RegionTable,
                     villages: VillageTable, patients_per_county: np.ndarray) -> Facilities:
    rows: list[tuple[int, int, int, str, int, str, int]] = []  # county, category, area, level, chain, name, doctors
    chain_of_province: dict[str, list[int]] = {}
    for county in range(regions.size):
        pop = int(patients_per_county[county])
        prov = regions.code[county][:2]
        cty = regions.county[county]
        city = regions.city[county] or regions.province[county][:-1]
        if not regions.rural[county]:
            rows.append((county, MAJOR_HOSPITAL, -1, "3", -1, f"{city}{cty}第一人民医院"[:20], 15 + pop // 800))
        rows.append((county, MAJOR_HOSPITAL, -1, "2", -1, f"{cty}人民医院", 8 + pop // 1500))
        rows.append((county, MAJOR_HOSPITAL, -1, "2", -1, f"{cty}中医医院", 4 + pop // 3000))
        for i in range(1 + pop // 8000):
            rows.append((county, MINOR_HOSPITAL, -1, "1", -1, f"{cty}{_PRIVATE[(county + i) % len(_PRIVATE)]}", 4))
        v_idx = np.flatnonzero(villages.county == county)
        towns = sorted(set(villages.town[v_idx].tolist()), key=villages.town[v_idx].tolist().index)
        for t, town in enumerate(towns):
            rows.append((county, MINOR_HOSPITAL, t, "1", -1, f"{cty}{town}卫生院", 3))
        for i in range(1 + pop // settings.patients_per_clinic):
            rows.append((county, CLINIC, -1, "", -1, f"{cty}{_DOCTOR_SURNAMES[(i * 7 + county) % 36]}氏诊所"
                         if i % 2 == 0 else f"{cty}第{i}门诊部", 2))
        if not regions.rural[county]:
            for i in range(1 + pop // settings.patients_per_chc):
                rows.append((county, CHC, -1, "1", -1, f"{cty}第{i + 1}社区卫生服务中心", 5))
        for j in range(0, len(v_idx), 2):
            rows.append((county, VILLAGE_CLINIC, int(v_idx[j]), "", -1,
                         f"{villages.town[v_idx[j]]}{villages.name[v_idx[j]]}卫生室", 1))
        chains = chain_of_province.setdefault(
            prov, [int(c) for c in rng.choice(len(_CHAINS), size=3, replace=False)])
        for i in range(2 + pop // settings.patients_per_pharmacy):
            if rng.random() < settings.chain_pharmacy_share:
                chain = chains[int(rng.integers(0, 3))]
                rows.append((county, PHARMACY, -1, "", chain, f"{_CHAINS[chain]}({cty}{i + 1}店)", 0))
            else:
                rows.append((county, PHARMACY, -1, "", -1,
                             f"{cty}{_INDEPENDENT[int(rng.integers(0, len(_INDEPENDENT)))]}大药房{i + 1}店", 0))

    county_a = np.array([r[0] for r in rows], dtype=np.int64)
    category = np.array([r[1] for r in rows], dtype=np.int64)
    order = np.lexsort((np.arange(len(rows)), category, county_a))
    rows = [rows[i] for i in order]
    county_a, category = county_a[order], category[order]
    start = np.zeros((regions.size, CATEGORIES), dtype=np.int64)
    count = np.zeros((regions.size, CATEGORIES), dtype=np.int64)
    key = county_a * CATEGORIES + category
    for k in range(regions.size * CATEGORIES):
        lo, hi = np.searchsorted(key, k), np.searchsorted(key, k, side="right")
        start.flat[k], count.flat[k] = lo, hi - lo

    doctors = np.array([r[6] for r in rows], dtype=np.int64)
    presc_start = np.concatenate([[0], np.cumsum(doctors)[:-1]])
    n_doc = int(doctors.sum())
    prescriber_facility = np.repeat(np.arange(len(rows)), doctors)
    specialty = _SPECIALTIES[rng.integers(0, len(_SPECIALTIES), n_doc)]
    specialty[np.isin(category[prescriber_facility], [VILLAGE_CLINIC, CHC])] = "全科"
    prescriber_name = np.array([
        _DOCTOR_SURNAMES[a] + _DOCTOR_GIVEN[b] + (_DOCTOR_GIVEN[c] if c % 3 else "")
        for a, b, c in zip(rng.integers(0, 36, n_doc), rng.integers(0, len(_DOCTOR_GIVEN), n_doc),
                           rng.integers(0, len(_DOCTOR_GIVEN), n_doc))])

    operators = np.where(category <= MINOR_HOSPITAL, 2 + doctors // 6, rng.integers(1, 4, len(rows)))
    op_start = np.concatenate([[0], np.cumsum(operators)[:-1]])
    chain_shares = rng.random(len(_CHAINS)) < settings.chain_shared_staff_share
    chain_shares[0] = True  # the largest chain always runs floating staff
    return Facilities(
        category=category, county=county_a, area=np.array([r[2] for r in rows]),
        level=np.array([r[3] for r in rows]), chain=np.array([r[4] for r in rows]),
        name=np.array([r[5] for r in rows]), start=start, count=count,
        prescriber_start=presc_start, prescriber_count=doctors,
        operator_start=op_start, operator_count=operators, chain_shares_staff=chain_shares,
        prescriber_facility=prescriber_facility, prescriber_name=prescriber_name,
        prescriber_specialty=specialty, operator_facility=np.repeat(np.arange(len(rows)), operators),
    )


def chain_code(chain: int) -> str:
    return f"CH{chain + 1:03d}"
