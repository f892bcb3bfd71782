"""Administrative divisions the synthetic population lives in.

Region codes follow GB/T 2260 (province 2 digits, city 2, county 2).  A mix
of provinces, urban districts and rural counties is needed because several
schemes are regional: car shuttles recruit in rural villages, borrowed cards
are used far from the holder's home, maternity shells declare salaries far
above the provincial norm.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

# code, province, city, county, rural, population weight
_COUNTIES: tuple[tuple[str, str, str, str, bool, float], ...] = (
    ("110101", "北京市", "", "东城区", False, 0.7),
    ("110105", "北京市", "", "朝阳区", False, 3.4),
    ("110108", "北京市", "", "海淀区", False, 3.1),
    ("110118", "北京市", "", "密云区", True, 0.5),
    ("310104", "上海市", "", "徐汇区", False, 1.1),
    ("310115", "上海市", "", "浦东新区", False, 5.7),
    ("310117", "上海市", "", "松江区", False, 1.9),
    ("440103", "广东省", "广州市", "荔湾区", False, 1.1),
    ("440106", "广东省", "广州市", "天河区", False, 2.2),
    ("440304", "广东省", "深圳市", "福田区", False, 1.6),
    ("440307", "广东省", "深圳市", "龙岗区", False, 4.0),
    ("441823", "广东省", "清远市", "阳山县", True, 0.4),
    ("445281", "广东省", "揭阳市", "普宁市", True, 2.0),
    ("441481", "广东省", "梅州市", "兴宁市", True, 0.9),
    ("420102", "湖北省", "武汉市", "江岸区", False, 1.0),
    ("420106", "湖北省", "武汉市", "武昌区", False, 1.3),
    ("421126", "湖北省", "黄冈市", "蕲春县", True, 0.8),
    ("421022", "湖北省", "荆州市", "公安县", True, 0.8),
    ("420923", "湖北省", "孝感市", "云梦县", True, 0.5),
    ("510104", "四川省", "成都市", "锦江区", False, 0.9),
    ("510107", "四川省", "成都市", "武侯区", False, 1.2),
    ("511321", "四川省", "南充市", "南部县", True, 1.1),
    ("511923", "四川省", "巴中市", "平昌县", True, 0.8),
    ("512022", "四川省", "资阳市", "乐至县", True, 0.7),
    ("410105", "河南省", "郑州市", "金水区", False, 1.6),
    ("411321", "河南省", "南阳市", "南召县", True, 0.6),
    ("411522", "河南省", "信阳市", "光山县", True, 0.8),
    ("411625", "河南省", "周口市", "郸城县", True, 1.3),
    ("370102", "山东省", "济南市", "历下区", False, 0.8),
    ("370212", "山东省", "青岛市", "崂山区", False, 0.5),
    ("371321", "山东省", "临沂市", "沂南县", True, 0.9),
    ("371723", "山东省", "菏泽市", "成武县", True, 0.7),
    ("430102", "湖南省", "长沙市", "芙蓉区", False, 0.6),
    ("430121", "湖南省", "长沙市", "长沙县", True, 1.4),
    ("431122", "湖南省", "永州市", "东安县", True, 0.6),
    ("433123", "湖南省", "湘西土家族苗族自治州", "凤凰县", True, 0.4),
    ("230102", "黑龙江省", "哈尔滨市", "道里区", False, 0.9),
    ("230124", "黑龙江省", "哈尔滨市", "方正县", True, 0.2),
    ("530102", "云南省", "昆明市", "五华区", False, 0.9),
    ("532923", "云南省", "大理白族自治州", "祥云县", True, 0.5),
)

PROVINCE_MONTHLY_WAGE: dict[str, int] = {
    "11": 11_800, "31": 12_200, "44": 9_300, "42": 7_300, "51": 7_000,
    "41": 6_300, "37": 7_600, "43": 6_800, "23": 6_200, "53": 6_900,
}
"""Average monthly social wage per province (CNY, rounded 2024 levels): the
norm the maternity contribution base is compared with; bases are capped at
three times it."""

_TOWN_FIRST = "青柳石龙白金新安永太长双大东西南北三五黄马杨"
_TOWN_SECOND = "河山桥坪口湾溪岭塘源庙集店铺冲"
_VILLAGE_SUFFIX = ("家村", "庄村", "屯", "湾村", "坪村", "沟村", "营村", "寨村", "岗村", "铺村")
_VILLAGE_STEM = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
_ROADS = ("人民路", "解放路", "建设路", "中山路", "和平路", "胜利路", "新华路", "文化路",
          "青年路", "光明路", "长江路", "黄河路", "朝阳路", "友谊路", "东风路", "幸福路")
_COMPOUNDS = ("花园", "小区", "新村", "家园", "苑", "公寓", "华庭", "名都")
_COMPOUND_STEM = ("阳光", "金色", "锦绣", "翠湖", "碧水", "万科", "恒大", "保利", "绿地", "富力",
                  "融创", "桂园", "丽景", "康乐", "和谐", "景泰")


@dataclass(frozen=True)
class RegionTable:
    """Columnar view of the counties (index = county number in the generator)."""

    code: np.ndarray          # str, 6 digits
    province: np.ndarray      # str
    city: np.ndarray          # str ("" for municipalities)
    county: np.ndarray        # str
    rural: np.ndarray         # bool
    weight: np.ndarray        # float, sums to 1
    monthly_wage: np.ndarray  # int, provincial norm

    @property
    def size(self) -> int:
        return len(self.code)

    @cached_property
    def _prefix(self) -> np.ndarray:
        return np.array([p + c + k for p, c, k in zip(self.province, self.city, self.county)])

    def prefix(self) -> np.ndarray:
        """Province+city+county text that starts every address there."""
        return self._prefix


def region_table() -> RegionTable:
    code = np.array([c[0] for c in _COUNTIES])
    weight = np.array([c[5] for c in _COUNTIES], dtype=float)
    return RegionTable(
        code=code,
        province=np.array([c[1] for c in _COUNTIES]),
        city=np.array([c[2] for c in _COUNTIES]),
        county=np.array([c[3] for c in _COUNTIES]),
        rural=np.array([c[4] for c in _COUNTIES]),
        weight=weight / weight.sum(),
        monthly_wage=np.array([PROVINCE_MONTHLY_WAGE[c[0][:2]] for c in _COUNTIES]),
    )


@dataclass(frozen=True)
class VillageTable:
    """Villages of the rural counties; ``town`` and ``name`` are display text."""

    county: np.ndarray  # int, county index
    town: np.ndarray    # str, e.g. 青河镇
    name: np.ndarray    # str, e.g. 王家村


def village_table(regions: RegionTable, patients_per_county: np.ndarray,
                  patients_per_village: int, rng: np.random.Generator) -> VillageTable:
    """At least four villages per rural county, more as the sample grows."""
    counties, towns, names = [], [], []
    for county in np.flatnonzero(regions.rural):
        n = max(4, int(patients_per_county[county] // patients_per_village))
        town_names = [
            _TOWN_FIRST[a] + _TOWN_SECOND[b] + "镇"
            for a, b in zip(rng.integers(0, len(_TOWN_FIRST), n // 6 + 1),
                            rng.integers(0, len(_TOWN_SECOND), n // 6 + 1))
        ]
        stems = rng.integers(0, len(_VILLAGE_STEM), n)
        suffixes = rng.integers(0, len(_VILLAGE_SUFFIX), n)
        for i in range(n):
            counties.append(county)
            towns.append(town_names[i // 6])
            names.append(_VILLAGE_STEM[stems[i]] + _VILLAGE_SUFFIX[suffixes[i]])
    return VillageTable(np.array(counties, dtype=np.int32), np.array(towns), np.array(names))


def street_parts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Road names, compound stems and compound suffixes for urban addresses."""
    return np.array(_ROADS), np.array(_COMPOUND_STEM), np.array(_COMPOUNDS)
