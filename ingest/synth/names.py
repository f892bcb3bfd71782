"""Chinese personal names, drawn in bulk.

Surnames follow the published frequency ranking (王, 李, 张, 刘, 陈 ... cover
about a third of the population); given names take one or two characters
from gendered pools.  Names repeat a lot in China, so name equality is weak
evidence: detectors must not lean on it, and realistic repetition keeps
them honest.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
             "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹"
             "薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_MALE_CHARS = "伟强磊军勇杰涛明超华平刚辉鹏斌波宇浩俊峰建国志文海林东亮健凯龙飞成晨洋博"
_FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲桂英慧燕红梅琳雪萍婷倩颖洁丹兰佳欣怡璐晶莉凤琴云悦"


def _surname_weights() -> np.ndarray:
    # Zipf-like: rank r gets weight 1/(r+4); the top five hold ~30%.
    ranks = np.arange(len(_SURNAMES))
    weights = 1.0 / (ranks + 4.0)
    return weights / weights.sum()


def draw_surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    """Surname indices (into ``surname_array()``) by frequency."""
    return rng.choice(len(_SURNAMES), size=n, p=_surname_weights())


def surname_array() -> pa.Array:
    return pa.array(list(_SURNAMES))


def person_names(rng: np.random.Generator, surname_idx: np.ndarray, female: np.ndarray) -> pa.Array:
    """Full names: surname + one or two given-name characters (70% two)."""
    n = len(surname_idx)
    male_pool = pa.array(list(_MALE_CHARS))
    female_pool = pa.array(list(_FEMALE_CHARS))
    first = rng.integers(0, 40, n)
    second = rng.integers(0, 40, n)
    two = rng.random(n) < 0.7
    pool_first = pc.if_else(pa.array(female), female_pool.take(pa.array(first % len(_FEMALE_CHARS))),
                            male_pool.take(pa.array(first % len(_MALE_CHARS))))
    pool_second = pc.if_else(pa.array(female), female_pool.take(pa.array(second % len(_FEMALE_CHARS))),
                             male_pool.take(pa.array(second % len(_MALE_CHARS))))
    pool_second = pc.if_else(pa.array(two), pool_second, pa.scalar("", pa.string()))
    return pc.binary_join_element_wise(surname_array().take(pa.array(surname_idx)),
                                       pool_first, pool_second, "")
