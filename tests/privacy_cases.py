"""Labelled strings for the masking recall test: personal data in every form the issue lists (zh and en),
each string with the exact spans that must disappear, and ordinary case descriptions that must stay
as they are. Values are drawn from a seeded generator, so the set is the same on every run; the
labels are the values the generator inserted (not anything the masking code produced).
"""

from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏"
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "夏侯", "司徒")
GIVEN = (
    "秀英",
    "建华",
    "志强",
    "丽",
    "伟",
    "敏",
    "海燕",
    "国平",
    "红梅",
    "晓东",
    "玉兰",
    "浩然",
    "俊杰",
    "美玲",
    "金凤",
    "娜",
)
FIRST = (
    "John",
    "Mary",
    "James",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Susan",
    "Kevin",
    "Maria",
)
LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "O'Brien",
    "Murphy",
    "Nguyen",
    "Lee",
    "Kim",
)
ISSUES_ZH = ("楼道堆物", "噪声扰民", "楼上漏水", "路灯不亮", "垃圾未清运", "占道经营", "下水道堵塞", "高空抛物")
ISSUES_EN = ("pothole on the street", "missed trash pickup", "noise complaint", "broken streetlight", "graffiti")
PROVINCES = "京沪浙苏粤川鲁鄂湘皖"
ESTATES = ("阳光小区", "枫林雅苑", "幸福家园", "金色花园", "翠苑一区")
ROADS = ("幸福路", "解放街", "长乐路", "文三路", "建国巷")


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _fullwidth(text: str) -> str:
    return text.translate({ord(str(d)): chr(0xFF10 + d) for d in range(10)})


def _luhn_card(rng: random.Random, prefix: str = "6222") -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(18 - len(prefix)))
    total = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return body + str((10 - total % 10) % 10)


def _id_card(rng: random.Random) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = f"{rng.choice((110101, 330106, 440305, 320583))}{rng.randrange(1950, 2005)}{rng.randrange(1, 13):02d}"
    body += f"{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


def _zh_name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND) if rng.random() < 0.25 else rng.choice(SURNAMES)
    return surname + rng.choice(GIVEN)


def _forms(rng: random.Random) -> list:
    """One (text, spans) per template; each template is one written form of personal data."""
    m, name, issue = _mobile(rng), _zh_name(rng), rng.choice(ISSUES_ZH)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    area, local = rng.choice(("0571", "010", "021", "0755")), f"{rng.randrange(2, 9)}{rng.randrange(10**7):07d}"
    us = f"{rng.choice(('617', '212', '718', '415'))}", f"{rng.randrange(200, 999)}", f"{rng.randrange(10**4):04d}"
    idc, card = _id_card(rng), _luhn_card(rng)
    plate = f"{rng.choice(PROVINCES)}{rng.choice('ABCDE')}{rng.randrange(10**5):05d}"
    unit = f"{rng.randrange(1, 30)}栋{rng.randrange(1, 6)}单元{rng.randrange(1, 30)}0{rng.randrange(1, 5)}室"
    lane = f"{rng.randrange(10, 900)}弄{rng.randrange(1, 60)}号"
    return [
        (f"居民反映{issue}，联系电话{m}", [m]),
        (f"手机 {m[:3]} {m[3:7]} {m[7:]}，{issue}", [f"{m[:3]} {m[3:7]} {m[7:]}", m[3:7] + " " + m[7:]]),
        (f"来电号码{m[:3]}.{m[3:7]}.{m[7:]}，反映{issue}", [f"{m[:3]}.{m[3:7]}.{m[7:]}"]),
        (f"联系方式{m[:3]}-{m[3:7]}-{m[7:]}", [f"{m[:3]}-{m[3:7]}-{m[7:]}"]),
        (f"手机{_fullwidth(m)}多次来电", [_fullwidth(m)]),
        (f"回拨号码0086{m}未接通", [m]),
        (f"来电+86 {m}反映{issue}", [m]),
        (f"座机{area}-{local}，{issue}", [local]),
        (f"电话（{area}）{local[:4]} {local[4:]}", [f"{local[:4]} {local[4:]}", local]),
        (f"电话({area}){local}反映{issue}", [local]),
        (f"座机{local}，请回电", [local]),
        (f"身份证号{idc}，请核实", [idc, idc[6:]]),
        (f"身份证 {idc[:6]} {idc[6:14]} {idc[14:]}", [f"{idc[6:14]} {idc[14:]}", idc[6:14]]),
        (f"报告人{name}称{issue}", [name]),
        (f"投诉人{name}反映{issue}已三次", [name]),
        (f"户主{name}家中{issue}", [name]),
        (f"{name}同志反映{issue}", [name]),
        (f"联系人{name}，电话{m}", [name, m]),
        (f"当事人{name}与邻居因{issue}发生纠纷", [name]),
        (f"{name}师傅已到场处理{issue}", [name]),
        (f"Caller {first} {last} reported a {rng.choice(ISSUES_EN)}", [f"{first} {last}"]),
        (f"Resident Mr. {last} says the {rng.choice(ISSUES_EN)} is back", [last]),
        (f"Contact: {first} {last}, {us[0]}-{us[1]}-{us[2]}", [f"{first} {last}", f"{us[0]}-{us[1]}-{us[2]}"]),
        (f"Please call ({us[0]}) {us[1]}-{us[2]} about the {rng.choice(ISSUES_EN)}", [f"({us[0]}) {us[1]}-{us[2]}"]),
        (
            f"Reported by {first} {last} via app; callback {us[0]}.{us[1]}.{us[2]}",
            [f"{first} {last}", us[1] + "." + us[2]],
        ),
        (f"email {first.lower()}.{last.lower().replace(chr(39), '')}@example.com for updates", [f"{first.lower()}."]),
        (f"微信号：{first.lower()}_{rng.randrange(100, 999)}，{issue}", [f"{first.lower()}_"]),
        (f"QQ：{rng.randrange(10**7, 10**10)}，反映{issue}", None),  # span filled below
        (f"车牌{plate}长期占用消防通道", [plate]),
        (f"车牌{plate[:2]}·{plate[2:]}违停", [plate[2:]]),
        (f"退款至银行卡{card}", [card]),
        (
            f"卡号{card[:4]} {card[4:8]} {card[8:12]} {card[12:16]} {card[16:]}",
            [f"{card[4:8]} {card[8:12]} {card[12:16]}"],
        ),
        (f"住址：{rng.choice(ESTATES)}{unit}，{issue}", [unit]),
        (f"{rng.choice(ROADS)}{lane}{issue}", [lane]),
        (f"具体地址：{rng.choice(ROADS)}{rng.randrange(1, 400)}号{unit}", [unit]),
    ]


def labelled(count_per_form: int = 7, seed: int = 20251128) -> list[tuple[str, list[str]]]:
    """``count_per_form`` strings of every form (35 forms): text and the spans that must be gone."""
    rng = random.Random(seed)
    out = []
    for _ in range(count_per_form):
        for text, spans in _forms(rng):
            if spans is None:  # the QQ form: the number is the span
                spans = [text.split("：", 1)[1].split("，")[0]]
            out.append((text, spans))
    return out


ORDINARY_HAND = [
    "12345热线反映：2025年3月5日晚8时，路灯3盏不亮，编号A-102",
    "3号楼电梯故障，已通知物业维修，预计2小时内修复",
    "小区东门垃圾桶满溢，请环卫于今日18:00前清运",
    "雨水井盖缺失，位于解放街与建国路交叉口西侧约50米",
    "周边群众反映夜间施工噪声大，22:00后仍在作业",
    "工单号202503050012已办结，回访满意",
    "共享单车乱停放约30辆，影响行人通行",
    "绿化带杂草高约40厘米，需修剪",
    "菜市场门口占道经营，早7点至9点较严重",
    "下水道堵塞，污水外溢面积约10平方米",
    "消防通道被杂物堵塞，已现场督促清理",
    "路面塌陷直径约1.5米，已设置围挡",
    "广场舞音响音量过大，影响周边居民休息",
    "老旧小区加装电梯意见征集，同意率85%",
    "社区卫生服务站周末开放时间咨询",
    "公交站台顶棚破损，存在安全隐患",
    "高架桥下积水约20厘米，车辆通行困难",
    "王府井附近交通拥堵，建议增设信号灯",
    "林荫道两侧树木枝叶遮挡路灯",
    "违建搭建约15平方米，已下达整改通知书",
    "供暖温度仅16度，低于标准18度",
    "燃气管道异味，燃气公司已于14:30到场处置",
    "河道漂浮物较多，需安排保洁船打捞",
    "学校门口早高峰拥堵，7:30-8:10最严重",
    "退休金发放时间咨询，已答复",
    "Pothole on Main St near #45, about 2 ft wide",
    "Streetlight out at the corner of Elm and 3rd Ave since 03/05/2025",
    "Missed trash pickup for the whole block on Tuesday",
    "Graffiti on the north wall of the park restroom",
    "Noise from construction after 10 PM, ref #311-4521",
    "Case 101004123456 closed: sidewalk repaired",
    "Abandoned vehicle reported; towed at 14:20",
    "Tree limb down blocking 2 lanes of traffic",
    "Water main break, crews on site, ETA 4 hours",
    "Request for 3 new recycling bins at Building 12",
    "Rodent activity in the alley behind 200 block",
    "Illegal dumping of 5 mattresses near the bridge",
    "Heat complaint: apartment at 58 degrees F",
    "Sidewalk snow not cleared, 48 hours after storm",
    "Traffic signal timing issue at Route 9 and Main",
]
PLACES = ("小区北门", "幸福路口", "社区广场", "农贸市场", "学校门口", "公园东侧", "地铁站出口", "商业街")
PROBLEMS = ("路灯不亮", "垃圾堆放", "占道经营", "噪声扰民", "污水外溢", "井盖破损", "违章停车", "树木倒伏")
ACTIONS = ("已派单处理", "已现场核实", "已联系相关部门", "待进一步处置", "已整改完成", "已转交街道办理")
EN_PLACES = ("Main St", "Elm Ave", "Park Rd", "Harbor Blvd", "Oak St", "5th Ave")
EN_PROBLEMS = ("pothole", "broken streetlight", "graffiti", "missed recycling", "blocked drain", "illegal parking")


def ordinary(count: int = 200, seed: int = 7) -> list[str]:
    """Ordinary descriptions with no personal data: the hand-written ones, then generated ones."""
    rng = random.Random(seed)
    out = list(ORDINARY_HAND)
    while len(out) < count:
        if rng.random() < 0.7:
            out.append(
                f"{rng.choice(PLACES)}{rng.choice(PROBLEMS)}，{rng.randrange(1, 13)}月{rng.randrange(1, 29)}日"
                f"{rng.randrange(6, 22)}时{rng.choice(('00', '15', '30', '45'))}分发现，涉及约{rng.randrange(2, 60)}处，"
                f"{rng.choice(ACTIONS)}"
            )
        else:
            out.append(
                f"{rng.choice(EN_PROBLEMS).capitalize()} at {rng.randrange(1, 999)} {rng.choice(EN_PLACES)}, "
                f"reported {rng.randrange(1, 13)}/{rng.randrange(1, 29)}/2025 at {rng.randrange(1, 12)}:"
                f"{rng.choice(('00', '15', '30'))} PM, {rng.randrange(2, 9)} units affected"
            )
    return out
