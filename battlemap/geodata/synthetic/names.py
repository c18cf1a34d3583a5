"""Plausible Chinese place and person names for synthetic regions and households."""

from __future__ import annotations

import numpy as np

__all__ = ["person_names", "place_names"]

# Characters common in southwestern Chinese place names (坝, 寨, 坡, 冲, 田 …).
_PLACE_FIRST = list(
    "大小新老上下东西南北中高龙凤马牛羊石金银铜铁木水火土云山河江沙平安长青白黑红黄"
    "花竹松柏桃李梨杨柳茶桑麻谷米乐兴和顺福寿康宁德仁义礼智信永昌盛隆丰"
)
_PLACE_SECOND = list("坝寨坡冲田湾沟场岩洞溪河塘坪屯堡关桥口头岭岗林园庄营铺哨坎湖洲井泉阳山水")
_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆龙"
)
_GIVEN = list("国建明华志永军平德文光金海春秀英兰芳玉珍桂凤云富贵荣发成生林忠兴福祥")


def place_names(rng: np.random.Generator, count: int, suffix: str) -> list[str]:
    """``count`` distinct two-character names with a suffix (镇/乡/村)."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        first = rng.choice(_PLACE_FIRST, size=count * 2)
        second = rng.choice(_PLACE_SECOND, size=count * 2)
        for a, b in zip(first, second, strict=True):
            name = f"{a}{b}{suffix}"
            if name not in seen:
                seen.add(name)
                names.append(name)
                if len(names) == count:
                    break
    return names


def person_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` household-head names (surname + one or two given characters)."""
    surname = np.asarray(_SURNAMES)[rng.integers(0, len(_SURNAMES), count)]
    given1 = np.asarray(_GIVEN)[rng.integers(0, len(_GIVEN), count)]
    given2 = np.where(
        rng.random(count) < 0.7, np.asarray(_GIVEN)[rng.integers(0, len(_GIVEN), count)], ""
    )
    return np.char.add(np.char.add(surname, given1), given2)
