"""Names for 6-digit administrative division codes (GB/T 2260).

The first two digits name the province, the first four the city
(prefecture); the explorer aggregates rings at both levels.  Provinces are
complete; cities cover the provincial capitals and the cities seen in the
synthetic and sample drops, and fall back to the bare 4-digit code.
"""
from __future__ import annotations

# code -> (Chinese, English)
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "Beijing"), "12": ("天津市", "Tianjin"), "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"), "15": ("内蒙古自治区", "Inner Mongolia"), "21": ("辽宁省", "Liaoning"),
    "22": ("吉林省", "Jilin"), "23": ("黑龙江省", "Heilongjiang"), "31": ("上海市", "Shanghai"),
    "32": ("江苏省", "Jiangsu"), "33": ("浙江省", "Zhejiang"), "34": ("安徽省", "Anhui"),
    "35": ("福建省", "Fujian"), "36": ("江西省", "Jiangxi"), "37": ("山东省", "Shandong"),
    "41": ("河南省", "Henan"), "42": ("湖北省", "Hubei"), "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"), "45": ("广西壮族自治区", "Guangxi"), "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"), "51": ("四川省", "Sichuan"), "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"), "54": ("西藏自治区", "Tibet"), "61": ("陕西省", "Shaanxi"),
    "62": ("甘肃省", "Gansu"), "63": ("青海省", "Qinghai"), "64": ("宁夏回族自治区", "Ningxia"),
    "65": ("新疆维吾尔自治区", "Xinjiang"), "71": ("台湾省", "Taiwan"),
    "81": ("香港特别行政区", "Hong Kong"), "82": ("澳门特别行政区", "Macao"),
}

CITIES: dict[str, tuple[str, str]] = {
    "1101": ("北京市辖区", "Beijing"), "3101": ("上海市辖区", "Shanghai"), "1201": ("天津市辖区", "Tianjin"),
    "5001": ("重庆市辖区", "Chongqing"), "1301": ("石家庄市", "Shijiazhuang"), "1401": ("太原市", "Taiyuan"),
    "1501": ("呼和浩特市", "Hohhot"), "2101": ("沈阳市", "Shenyang"), "2201": ("长春市", "Changchun"),
    "2301": ("哈尔滨市", "Harbin"), "2302": ("齐齐哈尔市", "Qiqihar"), "2303": ("鸡西市", "Jixi"),
    "3201": ("南京市", "Nanjing"), "3301": ("杭州市", "Hangzhou"), "3401": ("合肥市", "Hefei"),
    "3501": ("福州市", "Fuzhou"), "3601": ("南昌市", "Nanchang"), "3701": ("济南市", "Jinan"),
    "3702": ("青岛市", "Qingdao"), "3713": ("临沂市", "Linyi"), "3717": ("菏泽市", "Heze"),
    "4101": ("郑州市", "Zhengzhou"), "4113": ("南阳市", "Nanyang"), "4115": ("信阳市", "Xinyang"),
    "4116": ("周口市", "Zhoukou"), "4201": ("武汉市", "Wuhan"), "4202": ("黄石市", "Huangshi"),
    "4209": ("孝感市", "Xiaogan"), "4210": ("荆州市", "Jingzhou"), "4211": ("黄冈市", "Huanggang"),
    "4301": ("长沙市", "Changsha"), "4311": ("永州市", "Yongzhou"), "4331": ("湘西州", "Xiangxi"),
    "4401": ("广州市", "Guangzhou"), "4403": ("深圳市", "Shenzhen"), "4414": ("梅州市", "Meizhou"),
    "4418": ("清远市", "Qingyuan"), "4452": ("揭阳市", "Jieyang"), "4501": ("南宁市", "Nanning"),
    "4601": ("海口市", "Haikou"), "5101": ("成都市", "Chengdu"), "5113": ("南充市", "Nanchong"),
    "5119": ("巴中市", "Bazhong"), "5120": ("资阳市", "Ziyang"), "5201": ("贵阳市", "Guiyang"),
    "5301": ("昆明市", "Kunming"), "5329": ("大理州", "Dali"), "5401": ("拉萨市", "Lhasa"),
    "6101": ("西安市", "Xi'an"), "6201": ("兰州市", "Lanzhou"), "6301": ("西宁市", "Xining"),
    "4102": ("开封市", "Kaifeng"), "4103": ("洛阳市", "Luoyang"), "4203": ("十堰市", "Shiyan"),
    "4402": ("韶关市", "Shaoguan"), "5103": ("自贡市", "Zigong"), "6503": ("克孜勒苏州", "Kizilsu"),
    "6401": ("银川市", "Yinchuan"), "6501": ("乌鲁木齐市", "Urumqi"), "6502": ("克拉玛依市", "Karamay"),
}


def province_name(code: str | None, lang: str = "zh") -> str:
    """Province of a region code (``"420104"`` -> ``"湖北省"``); the 2-digit code when unknown."""
    if not code or len(code) < 2:
        return "—"
    names = PROVINCES.get(code[:2])
    return names[0 if lang == "zh" else 1] if names else code[:2]


def city_name(code: str | None, lang: str = "zh") -> str:
    """City of a region code; falls back to ``<province> <4-digit code>``."""
    if not code or len(code) < 4:
        return "—"
    names = CITIES.get(code[:4])
    if names:
        return names[0 if lang == "zh" else 1]
    return f"{province_name(code, lang)} {code[:4]}"
