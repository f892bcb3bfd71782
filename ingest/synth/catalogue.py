"""Drug catalogue and diagnosis tables.

The drugs are real products on the national reimbursement list, with unit
prices at roughly post-volume-based-procurement levels, clinically plausible
``max_daily_units`` and box sizes.  Expensive chronic drugs (targeted cancer
drugs, biologics, 安宫牛黄丸, 片仔癀) are what trace-code resale rings buy;
controlled psychotropics and opioids are what over-prescription rings push.
Diagnoses use ICD-10 codes as Chinese insurers do (国家医保版 ICD-10), and
inpatient stays carry CHS-DRG style group codes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ringscope.ingest.synth.drg.groups import drg_group_codes

# name, category, ATC or TCM class, unit price (yuan), max_daily_units,
# typical daily units (internal only), units per box, controlled, group
_DRUGS: tuple[tuple, ...] = (
    ("苯磺酸氨氯地平片", "降压药", "C08CA01", 0.45, 2, 1, 28, False, "htn"),
    ("缬沙坦胶囊", "降压药", "C09CA03", 0.90, 2, 1, 28, False, "htn"),
    ("厄贝沙坦片", "降压药", "C09CA04", 0.80, 2, 1, 28, False, "htn"),
    ("硝苯地平控释片", "降压药", "C08CA05", 1.20, 2, 1, 30, False, "htn"),
    ("氯沙坦钾片", "降压药", "C09CA01", 1.10, 2, 1, 28, False, "htn"),
    ("琥珀酸美托洛尔缓释片", "降压药", "C07AB02", 1.40, 2, 1, 28, False, "htn"),
    ("吲达帕胺片", "降压药", "C03BA11", 0.30, 1, 1, 30, False, "htn"),
    ("盐酸二甲双胍缓释片", "降糖药", "A10BA02", 0.35, 4, 2, 30, False, "dm"),
    ("格列美脲片", "降糖药", "A10BB12", 1.00, 3, 1, 30, False, "dm"),
    ("阿卡波糖片", "降糖药", "A10BF01", 0.80, 6, 3, 30, False, "dm"),
    ("磷酸西格列汀片", "降糖药", "A10BH01", 3.50, 1, 1, 28, False, "dm"),
    ("达格列净片", "降糖药", "A10BK01", 4.20, 1, 1, 28, False, "dm"),
    ("甘精胰岛素注射液", "胰岛素", "A10AE04", 0.20, 80, 24, 300, False, "dm"),
    ("门冬胰岛素30注射液", "胰岛素", "A10AD05", 0.15, 80, 30, 300, False, "dm"),
    ("利拉鲁肽注射液", "降糖药", "A10BJ02", 16.50, 2, 1.2, 18, False, "dm"),
    ("阿托伐他汀钙片", "调脂药", "C10AA05", 0.25, 2, 1, 28, False, "lipid"),
    ("瑞舒伐他汀钙片", "调脂药", "C10AA07", 0.30, 2, 1, 28, False, "lipid"),
    ("依折麦布片", "调脂药", "C10AX09", 2.80, 1, 1, 10, False, "lipid"),
    ("非诺贝特胶囊", "调脂药", "C10AB05", 1.00, 1, 1, 20, False, "lipid"),
    ("阿司匹林肠溶片", "抗血小板药", "B01AC06", 0.15, 1, 1, 30, False, "cad"),
    ("硫酸氢氯吡格雷片", "抗血小板药", "B01AC04", 1.20, 1, 1, 28, False, "cad"),
    ("替格瑞洛片", "抗血小板药", "B01AC24", 3.00, 2, 2, 14, False, "cad"),
    ("单硝酸异山梨酯缓释片", "抗心绞痛药", "C01DA14", 0.90, 2, 1, 24, False, "cad"),
    ("沙库巴曲缬沙坦钠片", "抗心衰药", "C09DX04", 4.50, 4, 2, 28, False, "hf"),
    ("呋塞米片", "利尿药", "C03CA01", 0.10, 4, 1, 100, False, "hf"),
    ("螺内酯片", "利尿药", "C03DA01", 0.10, 4, 1, 100, False, "hf"),
    ("利伐沙班片", "抗凝药", "B01AF01", 3.50, 2, 1, 14, False, "af"),
    ("达比加群酯胶囊", "抗凝药", "B01AE07", 8.00, 2, 2, 30, False, "af"),
    ("华法林钠片", "抗凝药", "B01AA03", 0.25, 3, 1, 100, False, "af"),
    ("恩替卡韦分散片", "抗病毒药", "J05AF10", 1.20, 1, 1, 28, False, "hbv"),
    ("富马酸丙酚替诺福韦片", "抗病毒药", "J05AF13", 9.60, 1, 1, 30, False, "hbv"),
    ("甲磺酸奥希替尼片", "抗肿瘤药", "L01EB04", 165.00, 1, 1, 30, False, "onc"),
    ("盐酸埃克替尼片", "抗肿瘤药", "L01EB03", 63.00, 3, 3, 21, False, "onc"),
    ("甲磺酸伊马替尼片", "抗肿瘤药", "L01EA01", 15.00, 8, 4, 60, False, "onc"),
    ("来那度胺胶囊", "免疫调节药", "L04AX04", 32.00, 1, 1, 21, False, "onc"),
    ("醋酸阿比特龙片", "抗肿瘤药", "L02BX03", 8.00, 4, 4, 60, False, "onc"),
    ("阿达木单抗注射液", "生物制剂", "L04AB04", 1290.00, 1, 0.072, 2, False, "ra"),
    ("塞来昔布胶囊", "解热镇痛抗炎药", "M01AH01", 1.80, 2, 1, 18, False, "ra"),
    ("噻托溴铵粉吸入剂", "平喘药", "R03BB04", 6.50, 1, 1, 30, False, "copd"),
    ("沙美特罗替卡松吸入粉雾剂", "平喘药", "R03AK06", 2.60, 2, 2, 60, False, "copd"),
    ("布地奈德福莫特罗吸入粉雾剂", "平喘药", "R03AK07", 2.40, 8, 2, 60, False, "copd"),
    ("孟鲁司特钠片", "平喘药", "R03DC03", 1.50, 1, 1, 10, False, "copd"),
    ("氨茶碱片", "平喘药", "R03DA05", 0.05, 6, 3, 100, False, "copd"),
    ("奥美拉唑肠溶胶囊", "消化系统用药", "A02BC01", 0.30, 2, 1, 28, False, "gi"),
    ("雷贝拉唑钠肠溶片", "消化系统用药", "A02BC04", 1.80, 2, 1, 14, False, "gi"),
    ("铝碳酸镁咀嚼片", "消化系统用药", "A02AD01", 0.35, 8, 6, 20, False, "gi"),
    ("蒙脱石散", "止泻药", "A07BC05", 0.80, 9, 6, 12, False, "gi"),
    ("双歧杆菌三联活菌胶囊", "微生态制剂", "A07FA01", 0.60, 12, 6, 24, False, "gi"),
    ("多潘立酮片", "消化系统用药", "A03FA03", 0.30, 3, 3, 30, False, "gi"),
    ("坦索罗辛缓释胶囊", "泌尿系统用药", "G04CA02", 1.20, 1, 1, 10, False, "uro"),
    ("非那雄胺片", "泌尿系统用药", "G04CB01", 1.00, 1, 1, 30, False, "uro"),
    ("左甲状腺素钠片", "甲状腺用药", "H03AA01", 0.30, 3, 1, 100, False, "thyroid"),
    ("非布司他片", "抗痛风药", "M04AA03", 1.60, 2, 1, 16, False, "gout"),
    ("别嘌醇片", "抗痛风药", "M04AA01", 0.06, 6, 2, 100, False, "gout"),
    ("连花清瘟胶囊", "中成药", "ZA01", 0.55, 12, 12, 24, False, "cold"),
    ("感冒灵颗粒", "中成药", "ZA01", 1.20, 3, 3, 9, False, "cold"),
    ("蓝芩口服液", "中成药", "ZA01", 2.20, 3, 3, 12, False, "cold"),
    ("蒲地蓝消炎口服液", "中成药", "ZA01", 2.00, 4, 3, 10, False, "cold"),
    ("布洛芬缓释胶囊", "解热镇痛抗炎药", "M01AE01", 0.60, 2, 2, 20, False, "cold"),
    ("对乙酰氨基酚片", "解热镇痛抗炎药", "N02BE01", 0.10, 8, 3, 20, False, "cold"),
    ("复方氨酚烷胺片", "感冒用药", "N02BE51", 0.40, 2, 2, 12, False, "cold"),
    ("盐酸氨溴索片", "祛痰药", "R05CB06", 0.30, 6, 3, 20, False, "cold"),
    ("氢溴酸右美沙芬片", "镇咳药", "R05DA09", 0.30, 8, 3, 12, False, "cold"),
    ("复方甘草片", "镇咳药", "R05FA02", 0.05, 9, 9, 100, True, "cough_ctrl"),
    ("阿莫西林胶囊", "抗菌药", "J01CA04", 0.20, 8, 6, 24, False, "abx"),
    ("头孢克肟胶囊", "抗菌药", "J01DD08", 1.50, 4, 2, 12, False, "abx"),
    ("头孢呋辛酯片", "抗菌药", "J01DC02", 1.20, 2, 2, 12, False, "abx"),
    ("左氧氟沙星片", "抗菌药", "J01MA12", 0.80, 2, 1, 10, False, "abx"),
    ("阿奇霉素片", "抗菌药", "J01FA10", 1.50, 2, 1, 6, False, "abx"),
    ("双氯芬酸钠缓释片", "解热镇痛抗炎药", "M01AB05", 0.40, 2, 1, 20, False, "pain"),
    ("洛索洛芬钠片", "解热镇痛抗炎药", "M01AE51", 0.60, 3, 3, 20, False, "pain"),
    ("硫酸氨基葡萄糖胶囊", "骨关节用药", "M01AX05", 0.80, 6, 6, 24, False, "pain"),
    ("盐酸曲马多缓释片", "镇痛药", "N02AX02", 1.50, 4, 2, 10, True, "opioid"),
    ("氨酚羟考酮片", "镇痛药", "N02AJ17", 2.20, 6, 3, 10, True, "opioid"),
    ("普瑞巴林胶囊", "神经系统用药", "N03AX16", 3.20, 8, 2, 28, False, "opioid"),
    ("艾司唑仑片", "镇静催眠药", "N05CD04", 0.10, 2, 1, 20, True, "psy"),
    ("阿普唑仑片", "抗焦虑药", "N05BA12", 0.15, 4, 2, 20, True, "psy"),
    ("地西泮片", "抗焦虑药", "N05BA01", 0.05, 4, 2, 100, True, "psy"),
    ("右佐匹克隆片", "镇静催眠药", "N05CF04", 2.00, 1, 1, 12, True, "psy"),
    ("酒石酸唑吡坦片", "镇静催眠药", "N05CF02", 3.00, 1, 1, 14, True, "psy"),
    ("盐酸舍曲林片", "抗抑郁药", "N06AB06", 2.60, 4, 1, 14, False, "psy"),
    ("糠酸莫米松乳膏", "皮肤科用药", "D07AC13", 18.00, 1, 0.1, 1, False, "derm"),
    ("莫匹罗星软膏", "皮肤科用药", "D06AX09", 14.00, 1, 0.1, 1, False, "derm"),
    ("玻璃酸钠滴眼液", "眼科用药", "S01XA20", 15.00, 1, 0.1, 1, False, "eye"),
    ("左氧氟沙星滴眼液", "眼科用药", "S01AE05", 8.00, 1, 0.1, 1, False, "eye"),
    ("安宫牛黄丸", "中成药", "ZA05", 380.00, 1, 1, 1, False, "tcm_rare"),
    ("片仔癀", "中成药", "ZA06", 620.00, 1, 1, 1, False, "tcm_rare"),
    ("血塞通软胶囊", "中成药", "ZA12", 0.90, 6, 6, 24, False, "tcm"),
    ("脑心通胶囊", "中成药", "ZA12", 0.80, 12, 12, 48, False, "tcm"),
    ("银杏叶片", "中成药", "ZA12", 0.60, 9, 6, 24, False, "tcm"),
    ("速效救心丸", "中成药", "ZA12", 0.25, 15, 6, 150, False, "cad"),
    ("复方丹参滴丸", "中成药", "ZA12", 0.05, 30, 30, 180, False, "cad"),
    ("六味地黄丸", "中成药", "ZA10", 0.04, 24, 24, 200, False, "tcm"),
    ("注射用血栓通", "中成药注射剂", "ZA12", 15.00, 4, 2, 10, False, "inj"),
    ("注射用头孢曲松钠", "抗菌药", "J01DD04", 8.00, 4, 2, 10, False, "inj"),
    ("注射用奥美拉唑钠", "消化系统用药", "A02BC01", 12.00, 2, 2, 1, False, "inj"),
    ("氯化钠注射液", "电解质", "B05XA03", 3.50, 6, 2, 1, False, "inj"),
    ("叶酸片", "维生素", "B03BB01", 0.05, 2, 1, 31, False, "ob"),
    ("缩宫素注射液", "产科用药", "H01BB02", 2.50, 4, 2, 10, False, "ob"),
    ("琥珀酸亚铁片", "抗贫血药", "B03AA02", 0.50, 6, 3, 20, False, "ob"),
    ("小儿氨酚黄那敏颗粒", "儿科用药", "N02BE51", 0.80, 3, 3, 10, False, "peds"),
    ("碳酸钙D3片", "维生素", "A12AX01", 0.70, 2, 1, 60, False, "tcm"),
)

# (ICD-10, label, drug groups, inpatient DRG or "", age_min, sex: M/F/"")
_CHRONIC: tuple[tuple, ...] = (
    ("I10", "原发性高血压", ("htn",), 0.34),
    ("E11.9", "2型糖尿病", ("dm",), 0.18),
    ("E78.5", "高脂血症", ("lipid",), 0.10),
    ("I25.1", "冠状动脉粥样硬化性心脏病", ("cad", "lipid"), 0.08),
    ("B18.1", "慢性乙型病毒性肝炎", ("hbv",), 0.05),
    ("J44.9", "慢性阻塞性肺疾病", ("copd",), 0.06),
    ("K21.9", "胃食管反流病", ("gi",), 0.04),
    ("I48.9", "心房颤动", ("af",), 0.025),
    ("I50.9", "心力衰竭", ("hf",), 0.02),
    ("C34.9", "肺恶性肿瘤", ("onc",), 0.012),
    ("M06.9", "类风湿关节炎", ("ra",), 0.01),
    ("N40", "前列腺增生", ("uro",), 0.03),
    ("E03.9", "甲状腺功能减退症", ("thyroid",), 0.02),
    ("M10.9", "痛风", ("gout",), 0.02),
    ("G47.0", "失眠", ("psy",), 0.013),
)

_ACUTE: tuple[tuple, ...] = (
    ("J06.9", ("cold",), 0.20), ("J20.9", ("cold", "abx"), 0.08), ("J02.9", ("cold", "abx"), 0.07),
    ("K29.7", ("gi",), 0.07), ("A09", ("gi",), 0.05), ("K30", ("gi",), 0.04),
    ("M54.5", ("pain",), 0.07), ("M17.9", ("pain", "tcm"), 0.05), ("R51", ("cold",), 0.04),
    ("L30.9", ("derm",), 0.04), ("N39.0", ("abx",), 0.03), ("H10.9", ("eye",), 0.03),
    ("R05", ("cold", "cough_ctrl"), 0.04), ("Z00.0", ("tcm",), 0.05), ("R50.9", ("cold",), 0.05),
    ("I67.9", ("tcm",), 0.04), ("G47.0", ("psy",), 0.01),
)

# ICD-10, DRG, median total cost (yuan), median stay days
_INPATIENT: tuple[tuple, ...] = (
    ("J18.9", "ES35", 7_800, 8), ("I63.9", "BR25", 14_500, 11), ("I20.0", "FM39", 11_000, 7),
    ("K80.2", "HC35", 16_000, 7), ("J44.1", "ET25", 10_500, 10), ("S72.0", "IC29", 38_000, 14),
    ("N20.0", "LX15", 6_200, 5), ("K35.8", "GD19", 9_800, 6), ("I50.9", "FR25", 12_500, 10),
    ("E11.9", "KS15", 7_200, 9), ("M51.2", "IU25", 8_600, 10), ("I67.9", "BU19", 6_900, 9),
    ("A05.9", "GZ15", 3_400, 4),
)
DELIVERY = ("O80", "OC19", 4_800, 3)
CAESAREAN = ("O82", "OB19", 9_500, 5)
DIALYSIS = ("N18.5", "LL19", 480, 0)
"""Haemodialysis session of end-stage renal disease, settled as a day case."""
CATARACT = ("H25.9", "CB39", 4_800, 2)
"""Senile cataract, phacoemulsification with lens implant."""
CHEMOTHERAPY = ("Z51.1", "RE19", 6_500, 3)
"""An admission for a course of chemotherapy."""
DRG_EXTRA_DIAGNOSES = ("T81.4", "M17.0")
"""Principal diagnoses only the DRG planters use: an infection after a procedure (a
readmission for a complication) and bilateral knee arthrosis (staged replacements)."""
OBSTETRIC_MISFIT = ("O26.9", "O99.8", "O80")
"""Pregnancy codes, used by borrowed-card gangs on cards that cannot be
pregnant (men, the elderly)."""


@dataclass(frozen=True)
class Catalogue:
    """Columnar drug catalogue plus diagnosis tables, indexed by position."""

    drug_code: np.ndarray
    drug_name: np.ndarray
    category: np.ndarray
    unit_price_cents: np.ndarray
    max_daily_units: np.ndarray
    typical_daily: np.ndarray
    box_units: np.ndarray
    controlled: np.ndarray
    group: np.ndarray
    trace_prefix: np.ndarray         # 7-digit product code in trace codes
    diagnosis_code: np.ndarray       # every ICD-10 code we ever write
    drg_code: np.ndarray             # every DRG code we ever write
    chronic_diag: np.ndarray         # diagnosis index per chronic condition
    chronic_weight: np.ndarray
    chronic_pool: np.ndarray         # [condition, k] drug indices, -1 padded
    acute_diag: np.ndarray
    acute_weight: np.ndarray
    acute_pool: np.ndarray           # [acute diagnosis, k] drug indices
    inpatient_diag: np.ndarray
    inpatient_drg: np.ndarray
    inpatient_cost: np.ndarray
    inpatient_stay: np.ndarray

    def drugs_in(self, *groups: str) -> np.ndarray:
        return np.flatnonzero(np.isin(self.group, groups))

    @cached_property
    def _index(self) -> dict[tuple[str, str], int]:
        index = {("diag", str(c)): i for i, c in enumerate(self.diagnosis_code)}
        index.update({("drg", str(c)): i for i, c in enumerate(self.drg_code)})
        index.update({("drug", str(c)): i for i, c in enumerate(self.drug_name)})
        return index

    def diag(self, code: str) -> int:
        return self._index[("diag", code)]

    def drg(self, code: str) -> int:
        return self._index[("drg", code)]

    def drug(self, name: str) -> int:
        return self._index[("drug", name)]


def _pool(groups_per_row, group: np.ndarray) -> np.ndarray:
    rows = [np.flatnonzero(np.isin(group, g)) for g in groups_per_row]
    width = max(len(r) for r in rows)
    out = np.full((len(rows), width), -1, dtype=np.int32)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def build_catalogue() -> Catalogue:
    n = len(_DRUGS)
    atc = [d[2] for d in _DRUGS]
    codes = [
        (f"Z{a[2:]}{i:07d}" if a.startswith("ZA") else f"X{a}{i:03d}")
        for i, a in enumerate(atc)
    ]
    group = np.array([d[8] for d in _DRUGS])
    diag_codes = sorted({c[0] for c in _CHRONIC} | {a[0] for a in _ACUTE} | {p[0] for p in _INPATIENT}
                        | {DELIVERY[0], CAESAREAN[0]} | set(OBSTETRIC_MISFIT)
                        | {DIALYSIS[0], CATARACT[0], CHEMOTHERAPY[0]} | set(DRG_EXTRA_DIAGNOSES))
    diagnosis_code = np.array(diag_codes)
    drg_code = np.array(sorted({p[1] for p in _INPATIENT} | {DELIVERY[1], CAESAREAN[1]}
                               | {DIALYSIS[1], CATARACT[1], CHEMOTHERAPY[1]} | set(drg_group_codes())))
    index = {c: i for i, c in enumerate(diag_codes)}
    drg_index = {c: i for i, c in enumerate(drg_code)}
    chronic_weight = np.array([c[3] for c in _CHRONIC])
    acute_weight = np.array([a[2] for a in _ACUTE])
    return Catalogue(
        drug_code=np.array(codes),
        drug_name=np.array([d[0] for d in _DRUGS]),
        category=np.array([d[1] for d in _DRUGS]),
        unit_price_cents=np.round(np.array([d[3] for d in _DRUGS]) * 100).astype(np.int64),
        max_daily_units=np.array([d[4] for d in _DRUGS], dtype=np.int64),
        typical_daily=np.array([d[5] for d in _DRUGS], dtype=float),
        box_units=np.array([d[6] for d in _DRUGS], dtype=np.int64),
        controlled=np.array([d[7] for d in _DRUGS]),
        group=group,
        trace_prefix=(8_100_000 + (np.arange(n) * 7_919 + 1_234) % 900_000).astype(np.int64),
        diagnosis_code=diagnosis_code,
        drg_code=drg_code,
        chronic_diag=np.array([index[c[0]] for c in _CHRONIC]),
        chronic_weight=chronic_weight / chronic_weight.sum(),
        chronic_pool=_pool([c[2] for c in _CHRONIC], group),
        acute_diag=np.array([index[a[0]] for a in _ACUTE]),
        acute_weight=acute_weight / acute_weight.sum(),
        acute_pool=_pool([a[1] for a in _ACUTE], group),
        inpatient_diag=np.array([index[p[0]] for p in _INPATIENT]),
        inpatient_drg=np.array([drg_index[p[1]] for p in _INPATIENT]),
        inpatient_cost=np.array([p[2] for p in _INPATIENT], dtype=float),
        inpatient_stay=np.array([p[3] for p in _INPATIENT]),
    )
