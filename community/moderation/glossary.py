"""A bilingual car-domain glossary, so a Chinese draft finds its English duplicate and the reverse.

Character n-grams cannot see that 方向盘加热 is "steering wheel heating". ``concepts`` names the glossary ideas
a text mentions, the same ones whichever language mentions them; the duplicate suggestions add the overlap
of a draft's ideas with a proposal's to their character n-gram cosine. (Appending the other language's words
to the text instead made every expanded Chinese text share Latin-letter n-grams with every English one.) No model
and nothing to download: the entries are written here, for the ideas owners actually raise (the demo's
topics and the service pledge's teams). Measured by bench/duplicates_eval.py (same-language and
cross-language precision@5).
"""
from __future__ import annotations

import math
import re

# (Chinese terms, English terms) for one idea. Matching is substring for Chinese and whole words,
# case-insensitive, for English.
ENTRIES: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("方向盘加热",), ("steering wheel heating", "heated steering wheel")),
    (("独立开关", "单独开关", "单独控制"), ("separate switch",)),
    (("座椅通风",), ("seat ventilation", "ventilated seats")),
    (("座椅加热",), ("seat heating", "heated seats")),
    (("档位",), ("levels",)),
    (("蓝牙钥匙", "手机钥匙"), ("bluetooth key", "phone key")),
    (("连接", "配对"), ("pairing", "connect")),
    (("多辆车", "多车", "两台车", "两辆车"), ("several cars", "multiple cars")),
    (("切换",), ("switch between",)),
    (("远程空调", "远程开空调"), ("remote climate", "remote air conditioning")),
    (("定时", "预约"), ("timers", "schedule", "scheduled")),
    (("超充站", "超充", "充电站", "充电桩", "充电"), ("supercharger", "supercharging", "charging station",
                                                   "charger", "charging")),
    (("雨棚", "遮雨棚"), ("roofs", "roof", "canopy")),
    (("排队",), ("queue",)),
    (("谷电",), ("off-peak",)),
    (("家充",), ("home charging",)),
    (("城市领航", "城市 NOA", "城市NOA", "城市导航"), ("city navigation assist", "city navigation", "city noa")),
    (("老车型", "老车"), ("older cars", "old cars")),
    (("自动泊车",), ("auto-park", "auto park", "automatic parking")),
    (("斜列车位", "斜车位", "斜列"), ("angled bays", "angled parking")),
    (("变道",), ("lane changes", "lane change")),
    (("高速领航",), ("highway pilot",)),
    (("前备箱",), ("frunk",)),
    (("排水孔", "进水"), ("drain holes", "drain")),
    (("快充",), ("fast charging",)),
    (("后排",), ("rear",)),
    (("空气悬架",), ("air suspension",)),
    (("露营模式", "露营"), ("camping mode", "camping")),
    (("维修进度",), ("repair progress",)),
    (("取送车",), ("pick-up and delivery",)),
    (("技师",), ("technician",)),
    (("保养预约", "预约保养"), ("booking service",)),
    (("儿童遗留", "遗留检测", "孩子留在车里"), ("child presence detection", "child left in the car")),
    (("开门预警",), ("door-opening warning", "door opening warning")),
    (("声音提示", "提示音"), ("sound alert",)),
    (("亲子",), ("family-friendly", "family")),
    (("车主活动",), ("owner events",)),
    (("直播",), ("livestream",)),
    (("共创会", "理事会"), ("council sessions", "council")),
    (("电子版", "手册"), ("owner's manual", "manual")),
    (("搜索",), ("searchable", "search")),
    (("保险理赔", "理赔"), ("insurance claims",)),
    (("在线查询", "查询"), ("track online", "track")),
    (("OTA",), ("ota update",)),
    (("微信小程序",), ("wechat mini-programmes", "mini-programs")),
    (("哨兵模式",), ("sentry mode",)),
    (("胎压",), ("tyre pressure", "tire pressure")),
    (("辅助驾驶",), ("assisted driving", "driver assistance")),
]

_ZH = [(term, i) for i, (zh, _en) in enumerate(ENTRIES) for term in zh]
_EN = [(re.compile(r"(?<![a-z])" + re.escape(term) + r"(?![a-z])"), i) for i, (_zh, en) in enumerate(ENTRIES)
       for term in en]


def concepts(text: str) -> frozenset[int]:
    """The glossary ideas ``text`` names (Chinese terms as substrings, English ones as whole words), as
    indexes into ENTRIES: the same set whichever language names them.

    >>> concepts("希望方向盘加热有独立开关") == concepts("Separate switch for steering wheel heating")
    True
    """
    text = text or ""
    lower = text.lower()
    return frozenset({i for term, i in _ZH if term in text} | {i for pattern, i in _EN if pattern.search(lower)})


def overlap(a: frozenset[int], b: frozenset[int]) -> float:
    """Cosine of two concept sets as binary vectors: 0.0 (nothing shared, or either empty) to 1.0."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))
