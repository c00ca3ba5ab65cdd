"""Free-text descriptions as reported, drawn from a pool per (category, channel).

Each pool mixes channel-specific openers, fictional places (roads,
intersections, compounds, landmarks), times and the category's phrases from
the reference tables, with varied phrasing: synonyms, the place before or
after the matter, typos (homophones), and short and long forms. Pools are
built once per build and sampled per case.

Function API for other generators (e.g. department phrases for dispatch):
:func:`description_pools` (all pools), :func:`vary` (one phrasing variant of a
sentence), :func:`emerging_pool` (texts carrying a planted emerging term) and
:func:`repeat_text` (how a resident words a repeat or a rebound).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.demo import names

POOL_SIZE = 32
CORNERS = ("东北角", "西北角", "东南角", "西南角", "东侧", "西侧", "南侧", "北侧")
LANDMARKS = (
    "菜市场",
    "公交站",
    "地铁站出口",
    "幼儿园",
    "社区卫生服务站",
    "农贸市场",
    "小学门口",
    "超市门口",
    "公园南门",
    "社区服务中心",
)
TIMES = (
    "今天上午9点左右",
    "今天早上7点多",
    "昨晚10点以后",
    "近一周以来",
    "最近半个月",
    "每天傍晚",
    "今天中午",
    "本周以来",
    "昨天下午",
    "连续几天",
)
EXTENTS = (
    "面积约10平方米",
    "影响行人通行",
    "已持续数日",
    "周边居民意见较大",
    "现场已拍照",
    "影响市容",
    "存在安全隐患",
    "数量较多",
)
REQUESTS = ("希望相关部门尽快处理", "要求尽快解决", "请相关部门核实处理", "希望给予答复", "请尽快派人查看")
CAUSES = ("公共区域堆放杂物", "装修噪声", "楼上漏水", "宠物扰邻", "停车位占用", "油烟排放")
PARTIES = ("居民赵某", "居民钱某某", "孙某", "李某夫妇", "租户周某", "业主吴某", "辖区居民郑某")
OPENERS = {
    "patrol": ("网格员巡查发现：", "巡查中发现", "日常巡查发现："),
    "camera": ("视频智能识别：", "监控抓拍发现：", "视频巡查发现："),
    "app": ("市民通过城市服务APP上报：", "市民随手拍反映：", "APP用户留言："),
    "hotline": ("市民来电反映：", "来电人反映：", "群众致电12345热线反映："),
    "walk_in": ("当事人到社区调解室反映：", "当事人来访称：", "群众到网格服务站反映："),
    "referral": ("派出所移交：", "诉前调解转来：", "信访部门转来："),
    "visit": ("网格员走访发现：", "网格员入户走访了解到："),
}
DISPUTE_ENDINGS = ("，申请调解。", "，双方情绪激动，需及时介入调解。", "，多次协商未果，请求调解。")


# synonyms swapped in a share of texts: (word, alternatives)
SYNONYMS = (
    ("垃圾", ("垃圾", "废弃物", "生活垃圾")),
    ("尽快", ("尽快", "赶紧", "抓紧")),
    ("损坏", ("损坏", "坏了", "破损")),
    ("噪声", ("噪声", "噪音", "吵闹声")),
    ("占用", ("占用", "占了", "侵占")),
    ("附近", ("附近", "旁边", "周边")),
)
# common homophone typos of hotline transcripts
TYPOS = (("反映", "反应"), ("楼道", "楼到"), ("清理", "清里"), ("已经", "以经"), ("停车", "亭车"))
SHORT_ENDINGS = ("。", "，速处理。", "！")
# planted emerging terms: term -> (category code, templates); the term is new wording residents start using
EMERGING_TERMS = {
    "飞线充电": ("D1702", ("{place}有住户从楼上拉电线飞线充电，存在火灾隐患", "楼下有人飞线充电，电线横穿人行道")),
    "预制菜": ("D0101", ("{place}附近餐馆使用预制菜却未明示，消费者知情权受损", "外卖商家以预制菜冒充现做菜品")),
    "直播带货": ("D0102", ("通过直播带货购买的商品与宣传严重不符，商家拒绝退款", "直播带货买到假冒商品，平台客服推诿")),
}
EMERGING_SHARE_AT_END = 0.03  # of all hotline/app demand cases, per term
REPEAT_OPENERS = ("市民再次来电反映：", "该问题此前已反映过，", "又有居民反映：", "再次反映：")
REBOUND_OPENERS = ("问题再次出现：", "此前处理后又复发：", "整改后反弹：")


def vary(text: str, rng: np.random.Generator) -> str:
    """One phrasing variant: a synonym (half of texts), a homophone typo (one in ten), a short form (one in six)."""
    if rng.random() < 0.5:
        word, options = SYNONYMS[int(rng.integers(len(SYNONYMS)))]
        text = text.replace(word, _pick(options, rng), 1)
    if rng.random() < 0.1:
        right, wrong = TYPOS[int(rng.integers(len(TYPOS)))]
        text = text.replace(right, wrong, 1)
    if rng.random() < 1 / 6 and "，" in text:
        text = text.split("，")[0] + _pick(SHORT_ENDINGS, rng)
    return text


def emerging_pool(rng: np.random.Generator, roads: list[str], estates: list[str], size: int = POOL_SIZE):
    """Per planted term, ``size`` hotline/app texts that carry it: ``{term: array of texts}``."""
    pools = {}
    for term, (_, templates) in EMERGING_TERMS.items():
        texts = []
        for _ in range(size):
            phrase = _pick(templates, rng).format(place=_anchor(rng, roads, estates))
            texts.append(
                vary(f"{_pick(OPENERS['hotline'] + OPENERS['app'], rng)}{phrase}，{_pick(REQUESTS, rng)}。", rng)
            )
        pools[term] = np.array(texts, dtype=object)
    return pools


def repeat_text(parent: np.ndarray, rebound: bool, rng: np.random.Generator) -> np.ndarray:
    """How a second resident words the same matter: a new opener before the parent's body (vectorised)."""
    openers = np.array(REBOUND_OPENERS if rebound else REPEAT_OPENERS, dtype=object)
    body = pd.Series(parent, dtype=object).str.split("：", n=1).str[-1].to_numpy(dtype=object)
    return openers[rng.integers(0, openers.size, parent.size)] + body


def _pick(options: tuple[str, ...] | list[str], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def _place(rng: np.random.Generator, roads: list[str], estates: list[str]) -> str:
    form = int(rng.integers(5))
    road = _pick(roads, rng)
    if form == 0:
        other = _pick([r for r in roads[:8] if r != road], rng)
        return f"{road}与{other}交叉口{_pick(CORNERS, rng)}"
    if form == 1:
        return f"{road}{_pick(LANDMARKS, rng)}附近"
    if form == 2:
        return f"{_pick(estates, rng)}东门外"
    return f"{_pick(estates, rng)}小区内" if form == 3 else f"{road}沿线"


def _anchor(rng: np.random.Generator, roads: list[str], estates: list[str]) -> str:
    """A place to which a phrase adds its own 附近/一带/的."""
    form, road = int(rng.integers(4)), _pick(roads, rng)
    if form == 0:
        return f"{road}与{_pick([r for r in roads[:8] if r != road], rng)}交叉口"
    if form == 1:
        return f"{road}{_pick(LANDMARKS, rng)}"
    return _pick(estates, rng) if form == 2 else road


def _fill(phrase: str, rng: np.random.Generator, roads: list[str], estates: list[str]) -> str:
    if "{" not in phrase:
        return phrase
    return phrase.format(place=_anchor(rng, roads, estates), a=_pick(PARTIES, rng), cause=_pick(CAUSES, rng))


def _one(
    kind: str, source: str, phrases: list[str], rng: np.random.Generator, roads: list[str], estates: list[str]
) -> str:
    phrase = _fill(_pick(phrases, rng), rng, roads, estates)
    opener = _pick(OPENERS["visit" if kind == "dispute" and source == "patrol" else source], rng)
    if kind == "dispute":
        return vary(opener + phrase + _pick(DISPUTE_ENDINGS, rng), rng)
    if kind == "demand":
        when = f"{_pick(TIMES, rng)}，" if rng.random() < 0.4 else ""
        return vary(f"{opener}{when}{phrase}，{_pick(REQUESTS, rng)}。", rng)
    place = _place(rng, roads, estates)
    if source == "camera":
        return f"{opener}{place}{phrase}，抓拍时间{rng.integers(6, 22)}:{rng.integers(0, 60):02d}。"
    if rng.random() < 0.3:  # the matter first, then the place
        return vary(f"{opener}{phrase}，地点：{place}，{_pick(EXTENTS, rng)}。", rng)
    return vary(f"{opener}{place}{phrase}，{_pick(EXTENTS, rng)}。", rng)


def description_pools(
    categories: pd.DataFrame, sources: list[str], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """All pooled texts and the start offset of each (category row, source) pool (-1: none)."""
    roads, estates = names.road_names(rng), names.estate_names(rng)
    texts: list[str] = []
    offsets = np.full((len(categories), len(sources)), -1, dtype=np.int64)
    channels = {
        "incident": ("patrol", "camera", "app"),
        "demand": ("hotline", "app"),
        "dispute": ("walk_in", "referral", "patrol"),
    }
    for row, (kind, phrase) in enumerate(zip(categories["kind"], categories["phrase"])):
        for source in channels[kind]:
            offsets[row, sources.index(source)] = len(texts)
            texts += [_one(kind, source, phrase.split("|"), rng, roads, estates) for _ in range(POOL_SIZE)]
    return np.array(texts, dtype=object), offsets


def road_pool(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Roads and compounds for addresses in personal data."""
    return names.road_names(rng, 60), names.estate_names(rng, 60)
