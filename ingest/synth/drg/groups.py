"""A CHS-DRG-like payment catalogue: ADRGs split by complications, with weights and payments.

CHS-DRG (国家医疗保障疾病诊断相关分组, NHSA 2019, version 2.0 2021) names a group by
MDC letter, a letter for the kind of care, a two-digit ADRG number and a last digit for
complications: 1 with severe complications or comorbidities (伴严重并发症或合并症, MCC),
3 with ordinary ones (伴一般并发症或合并症, CC), 5 without (不伴并发症或合并症), 9 not
split.  Names below follow that pattern; weights are in the range provinces publish
(0.3-3) and are drawn afresh per seed around these centres, so no screen can lean on one
table.  The rate (yuan per unit of weight, 费率) is drawn per seed too.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ringscope.ingest.synth import formats

# ADRG, MDC, name, principal ICD-10 it groups in this generator, base weight, median stay, levels
_ADRGS: tuple[tuple[str, str, str, float, int, str], ...] = (
    ("ES3", "MDCE", "呼吸系统感染/炎症", 0.66, 8, "135"),
    ("BR2", "MDCB", "脑缺血性疾患", 0.95, 11, "135"),
    ("HC3", "MDCH", "胆囊切除手术", 1.10, 7, "135"),
    ("ET2", "MDCE", "慢性阻塞性肺病", 0.82, 10, "135"),
    ("FR2", "MDCF", "心力衰竭、休克", 0.90, 10, "135"),
    ("KS1", "MDCK", "糖尿病", 0.62, 9, "135"),
    ("IU2", "MDCI", "颈腰背疾患", 0.56, 10, "135"),
    ("LX1", "MDCL", "肾及泌尿道结石", 0.50, 5, "35"),
    ("GZ1", "MDCG", "其他消化系统诊断", 0.36, 4, "135"),
    ("XJ1", "MDCX", "其他损伤、中毒及医疗并发症", 0.70, 6, "35"),
    ("FM3", "MDCF", "冠状动脉粥样硬化性心脏病（不稳定型心绞痛）", 0.95, 7, "9"),
    ("IC2", "MDCI", "髋、膝关节置换术", 3.10, 14, "9"),
    ("GD1", "MDCG", "阑尾切除术", 0.85, 6, "9"),
    ("BU1", "MDCB", "脑血管病其他", 0.70, 9, "9"),
    ("OC1", "MDCO", "阴道分娩", 0.45, 3, "9"),
    ("OB1", "MDCO", "剖宫产术", 0.85, 5, "9"),
    ("LL1", "MDCL", "肾透析", 0.06, 0, "9"),
    ("CB3", "MDCC", "晶体手术", 0.55, 2, "9"),
    ("RE1", "MDCR", "恶性增生性疾患的化学治疗", 0.60, 3, "9"),
)
LEVEL_FACTOR = {"1": 1.85, "3": 1.30, "5": 1.0, "9": 1.0}
"""Weight (and typical cost) of a level relative to the group without complications."""
LEVEL_STAY = {"1": 1.6, "3": 1.25, "5": 1.0, "9": 1.0}
LEVEL_NAME = {"1": "，伴严重并发症或合并症", "3": "，伴一般并发症或合并症", "5": "，不伴并发症或合并症", "9": ""}


def drg_group_codes() -> list[str]:
    """Every group code of the catalogue (the generator's code table must hold them all)."""
    return [adrg + level for adrg, _m, _n, _w, _s, levels in _ADRGS for level in levels]


@dataclass(frozen=True)
class DrgGroups:
    """The catalogue, columnar, indexed by position; ``code_index`` finds a group."""

    code: np.ndarray
    name: np.ndarray
    adrg: np.ndarray
    mdc: np.ndarray
    level: np.ndarray          # "1", "3", "5" or "9"
    weight: np.ndarray         # 4 decimals
    payment_cents: np.ndarray  # rate method: weight x rate, to the cent
    median_stay: np.ndarray
    min_los: np.ndarray
    max_los: np.ndarray
    rate_cents: int

    def index(self, code: str) -> int:
        return int(np.flatnonzero(self.code == code)[0])

    def sibling(self, code: str, level: str) -> int:
        """The group of ``code``'s ADRG at ``level``."""
        return self.index(str(self.adrg[self.index(code)]) + level)

    def table(self) -> pa.Table:
        """``drg_groups`` as the contract lists it (section 1, contract 1.1)."""
        return pa.table({
            "drg_code": formats.texts(self.code),
            "name": formats.texts(self.name),
            "adrg": formats.texts(self.adrg),
            "mdc": formats.texts(self.mdc),
            "weight": formats.texts(np.array([f"{w:.4f}" for w in self.weight])),
            "base_payment": formats.money(self.payment_cents),
            "min_los": formats.integers(self.min_los),
            "max_los": formats.integers(self.max_los),
        })


def build_groups(rng: np.random.Generator) -> DrgGroups:
    """The catalogue for one seed: weights jittered (order within an ADRG kept), a fresh rate."""
    rows = []
    for adrg, mdc, name, weight, stay, levels in _ADRGS:
        jitter = float(rng.lognormal(0, 0.08))
        for level in levels:
            w = round(weight * jitter * LEVEL_FACTOR[level] * float(rng.uniform(0.96, 1.04)), 4)
            median = int(round(stay * LEVEL_STAY[level]))
            rows.append((adrg + level, name + LEVEL_NAME[level], adrg, mdc, level, w, median,
                         max(0, median // 2) if median > 1 else 0, max(2, int(round(median * 2.5)))))
    rate = int(rng.integers(900_000, 1_300_000))  # cents per unit of weight
    weights = np.array([r[5] for r in rows])
    return DrgGroups(
        code=np.array([r[0] for r in rows]), name=np.array([r[1] for r in rows]),
        adrg=np.array([r[2] for r in rows]), mdc=np.array([r[3] for r in rows]),
        level=np.array([r[4] for r in rows]), weight=weights,
        payment_cents=np.round(weights * rate).astype(np.int64),
        median_stay=np.array([r[6] for r in rows]), min_los=np.array([r[7] for r in rows]),
        max_los=np.array([r[8] for r in rows]), rate_cents=rate)
