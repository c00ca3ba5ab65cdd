"""Stop words: function words and the boilerplate every report carries (反映, 希望, 尽快 …).

Boilerplate is not what residents ask about; leaving it in would put
"反映" and "处理" at the top of every area's list.
"""

from __future__ import annotations

CHINESE = frozenset(
    """
    的 了 在 是 和 与 及 或 有 无 被 把 对 向 从 到 给 让 由 为 于 将 就 都 也 还 又 很 更 最 已 已经 正在 一直 没有 不能
    一个 一些 这个 那个 这些 那些 这里 那里 这样 其中 以及 并且 而且 但是 但 因为 所以 如果 如何 什么 怎么 是否 可以
    之后 以后 以前 左右 附近 一带 周边 沿线 现场 目前 至今 近期 最近 今天 昨天 昨晚 今晚 上午 下午 中午 早上 傍晚 每天
    反映 来电 来电人 致电 市民 群众 居民 当事人 联系人 联系电话 电话 座机 手机 身份证 身份证号 具体地址 地址 某 某某 先生 女士
    希望 要求 请求 请 尽快 及时 相关 有关 部门 相关部门 有关部门 处理 解决 核实 查看 派人 给予 答复 协调 落实 帮助
    发现 巡查 日常 网格 网格员 走访 入户 了解 上报 反应 称 表示 情况 问题 存在 出现 造成 导致 进行 开展 多次 几天 连续
    热线 12345 app 市民通过 城市服务 随手拍 留言 用户 视频 智能 识别 监控 抓拍 时间 移交 转来 调解室 来访 服务站 申请
    影响 较大 意见 数日 持续 拍照 已经 数量 较多 面积 平方米 约 多 个 号 室 单元 栋 楼 东侧 西侧 南侧 北侧 东门 西门
    地点 位置 大道 公寓 新村 家园 花园 小区 社区 区内 交叉口 东门外 门外 路边 以来 随手 发生 有人 通过 门前 门口 东北角 西北角 东南角 西南角 内 外 旁 处
    """.split()
)

ENGLISH = frozenset(
    """
    a an the and or but of to in on at for from by with without about into over under near is are was were be been
    being it its this that these those there here i we you he she they my our your their me us them please pls
    request requests reported report resident caller called call via app case cases new open closed issue issues
    not no yes have has had do does did can could would should will shall may might also still again very just
    street st ave avenue rd road corner between
    """.split()
)
