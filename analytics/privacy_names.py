"""Personal names in free text (Chinese and English), for :mod:`analytics.privacy`.

Chinese: a surname (single or compound: 欧阳, 司马, 诸葛 …) and one or two given characters, where
the text says it is a person: after 联系人, 居民, 报告人, 投诉人, 户主 … (the name's end found by
jieba's segmentation), before 同志, 先生, 女士, 师傅 …, or tagged as a person name (``nr``) by jieba
right before 反映, 来电, 投诉 …. The name becomes surname + 某 (张伟 → 张某). English: capitalised
names after Mr/Mrs/Ms/Dr, caller, resident, contact, "reported by" … become ``***``.
jieba (pinned 0.42.1) is loaded on first use, only when a Chinese cue is present.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

SINGLE = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝"
    "路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "端木",
    "南宫",
    "独孤",
    "西门",
    "百里",
    "呼延",
    "澹台",
    "申屠",
    "钟离",
)
SURNAME = "(?:" + "|".join(COMPOUND) + f"|[{SINGLE}])"
HAN = "[\u4e00-\u9fff]"
CUES = (
    "联系人|居民|市民|业主|姓名|当事人|来电人|租户|报案人|报告人|投诉人|户主|反映人|求助人|申请人|举报人|"
    "被投诉人|房东|住户|家属|网格员|负责人|经办人|承租人|车主|店主|老板|邻居|丈夫|妻子|儿子|女儿"
)
TITLES = "同志|先生|女士|小姐|师傅|阿姨|大爷|大妈|老师|奶奶|爷爷|老伯|大姐|大哥|老人|医生|经理|主任|书记"
VERBS = "反映|来电|投诉|称|表示|报称|诉称|举报|求助|说"
AFTER_NAME = rf"(?={VERBS}|与|和|及|等|家|在|于|的|同|因|、|，|,|。|；|;|：|:|\s|$|电话|手机|联系|身份证|住|户|系|为|是|现|已|未|要求)"
CUE_NAME = re.compile(rf"({CUES})([:：]?\s*)({SURNAME})({HAN}{{1,2}})")
TITLED = re.compile(rf"({SURNAME})({HAN}{{1,2}}?)({TITLES})")
BEFORE_VERB = re.compile(rf"(?<![\u4e00-\u9fff])?({SURNAME})({HAN}{{1,2}}?)(?={VERBS})")
BARE = re.compile(rf"^\s*({SURNAME}){HAN}{{1,2}}\s*$")
EN_CUE = re.compile(
    r"\b(Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?|[Cc]aller|[Rr]esident|[Cc]ontact(?: person)?|[Tt]enant|[Oo]wner|[Cc]omplainant|"
    r"[Rr]eported by|[Nn]ame(?: is)?|[Ll]andlord|[Nn]eighbou?r)(\s*[:：]?\s+(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?)"
    r"([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s+(?:[A-Z]\.\s+)?[A-Z][a-z]*(?:[-'][A-Z]?[a-z]+)?){0,2})"
)
EN_BARE = re.compile(r"^\s*[A-Z][a-z]+(?:\s+[A-Z]\.?)?\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?\s*$")
_JIEBA_LOCK = threading.Lock()
# Common second characters after a surname-like first character that never make a name here
NOT_GIVEN = frozenset("边围部门方面区域群众")


@lru_cache(maxsize=1)
def _posseg():
    import jieba
    import jieba.posseg as posseg

    jieba.setLogLevel(logging.WARNING)
    return posseg


@lru_cache(maxsize=65536)
def _segment(text: str) -> list[tuple[str, str]]:
    with _JIEBA_LOCK:  # jieba's lazy dictionary load is not thread-safe
        return [(w.word, w.flag) for w in _posseg().cut(text)]


@lru_cache(maxsize=1)
def preload() -> threading.Thread:
    """Load jieba and its part-of-speech model in a background thread, once per process, and return the thread.

    A page that will mask a case list calls it first: the load (2.2 s idle, a one-time cost of the process)
    then overlaps the page's queries instead of following them; a masking call meanwhile waits for it under
    the module's lock (:func:`_segment`)."""
    thread = threading.Thread(target=_segment, args=("张三反映",), name="gridscope-name-model", daemon=True)
    thread.start()
    return thread


def wait_preloaded(timeout: float | None = None) -> None:
    """Wait (up to ``timeout`` seconds) for the load :func:`preload` started; nothing when none was started."""
    if preload.cache_info().currsize:
        preload().join(timeout)


def _given_length(surname: str, rest: str) -> int:
    """How many of the (up to two) characters after ``surname`` belong to the name."""
    if re.match(AFTER_NAME, rest[1:]):
        return 1
    if len(rest) >= 2 and re.match(AFTER_NAME, rest[2:]):
        return 2
    words = _segment(surname + rest[:4])
    if words and words[0][0].startswith(surname) and 2 <= len(words[0][0]) <= len(surname) + 2:
        return len(words[0][0]) - len(surname)
    if len(words) >= 2 and words[0][0] == surname and words[1][1].startswith("nr") and len(words[1][0]) <= 2:
        return len(words[1][0])
    return min(2, len(rest))


def _cue_names(text: str) -> str:
    out, last = [], 0
    for m in CUE_NAME.finditer(text):
        surname = m.group(3)
        rest = text[m.start(4) : m.start(4) + 6]
        if rest.startswith("某"):
            continue
        given = _given_length(surname, rest)
        out.append(text[last : m.start(4)] + "某")
        last = m.start(4) + given
    return "".join(out) + text[last:]


def _verb_names(text: str) -> str:
    """Names right before 反映/来电/投诉 … that jieba tags as a person name (``周边反映`` is not one)."""

    def replace(m: re.Match) -> str:
        if m.group(2) == "某" or m.group(2) in NOT_GIVEN:
            return m.group()
        words = _segment(m.group(1) + m.group(2))
        if len(words) <= 2 and any(flag.startswith("nr") for _, flag in words):
            return m.group(1) + "某"
        return m.group()

    return BEFORE_VERB.sub(replace, text)


def mask_names(text: str, bare: bool = False) -> str:
    """``text`` with personal names masked; ``bare`` also masks a value that is nothing but a name
    (a separate name column in a rejected row)."""
    if bare and (BARE.match(text) or EN_BARE.match(text)):
        return "***"
    if re.search(CUES, text):
        text = _cue_names(text)
    text = TITLED.sub(lambda m: m.group(1) + ("某" if m.group(2) else "") + m.group(3), text)
    if re.search(VERBS, text):
        text = _verb_names(text)
    return EN_CUE.sub(lambda m: m.group(1) + m.group(2) + "***", text)


def warm_up() -> None:
    """Load jieba's dictionary now (a second or more), so the first masked table does not wait for it."""
    _segment("张伟反映")
