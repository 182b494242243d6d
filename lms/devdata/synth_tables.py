"""The fixed tables behind the synthetic programme (lms.devdata.synth_story): weights of
households, rungs, channels and outcomes, the products with their units and prices, and the
words mentors and trainees write."""

from collections import defaultdict
from itertools import accumulate


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines()]


def weight_table(text: str) -> dict[str, tuple[list[str], list[int]]]:
    """Lines of "name item:weight …" (a name may go on over several lines) → per name, the items
    and their cumulative weights, for `pick`."""
    specs = defaultdict(list)
    for line in lines(text):
        name, *pairs = line.split()
        specs[name] += [pair.split(":") for pair in pairs]
    return {
        name: ([item for item, _ in pairs], list(accumulate(int(w) for _, w in pairs)))
        for name, pairs in specs.items()
    }


WEIGHTS = weight_table("""
    household ordinary:55 formerly_poor:25 monitored:8 demonstration:12
    rung 0:16 1:24 2:28 3:20 4:11 5:1
    mode in_person:50 phone:35 video:15
    tag connectivity:10 device:8 logistics:12 product_quality:6 platform_rules:8 pricing:8
    tag confidence:14 family_time:12 other:4
    sale wechat_moments:35 wechat_group:25 community_group_buying:10 douyin:10 kuaishou:7
    sale pinduoduo:6 taobao:5 other:2
    product_listing pinduoduo:35 taobao:25 wechat_moments:25 douyin:15 wechat_shop:5
    livestream douyin:55 kuaishou:35 other:10
    short_video douyin:50 kuaishou:30 wechat_moments:20
    shop_opened pinduoduo:45 taobao:35 douyin:20 kuaishou:5 wechat_shop:5
    taught_others wechat_group:40 other:60
    cooperative_work other:70 wechat_group:30
    outcome employed:30 shop_opened:45 business_started:25""")  # tags in ProblemTag order
# product: unit, yuan a unit (low, high), quantity (low, high), steps a unit (2: by the half)
PRODUCTS = {
    name: (unit, *map(float, numbers))
    for name, unit, *numbers in map(
        str.split,
        lines("""
        茶叶 斤 120 600 1 5 2
        土鸡蛋 个 1.5 2.5 30 300 1
        猕猴桃 斤 6 15 5 60 2
        香菇 斤 25 60 1 20 2
        笋干 斤 40 90 1 10 2
        蜂蜜 瓶 60 150 1 12 1
        竹编 件 30 300 1 6 1
        黄桃 箱 50 120 1 15 1
        杨梅 箱 80 200 1 10 1
        土鸡 只 120 260 1 8 1
        番薯干 斤 15 30 2 20 2
        山核桃 斤 50 110 1 10 2
        茶油 斤 80 150 1 10 2
        高山蔬菜 斤 4 10 5 50 2
        木耳 斤 40 90 1 10 2"""),
    )
}
LEVELS = ("not_yet", "with_help", "independent")
THRESHOLDS = {  # the rungs from which a mentor usually sees a dimension done with help, alone
    "tool_use": (2, 4),
    "info_analysis": (3, 5),
    "online_coordination": (3, 4),
    "resource_innovation": (4, 6),
}
NOTES = ("老顾客回购", "村里微信群接龙", "邻居帮忙一起打包", "买家收到后发来好评")
REJECTIONS = ("照片看不清，请补一张清楚的照片", "金额和数量对不上，请核对", "这条和前一条重复了")
ACTIONS = lines("""
    下次回访前在朋友圈发三条{p}的真实照片
    把{p}上架到拼多多，标题再改短一点
    一起去快递点谈{p}的寄件价格
    先练一次20分钟的直播
    把订单本整理好，下次带来看看
    请家里人帮忙照看，每天留出半小时学习
    在村里的微信群发起一次{p}接龙
    给老买家回个电话，问问{p}收到后满不满意""")
CORRECTIONS = ("基线评估偏高：自己还不会用微信付款", "基线时由子女代填，实际还需要帮助")
OUTCOMES = {
    "employed": ("在县电商服务中心做客服", "在合作社负责网店发货", "在本地电商企业做主播助理"),
    "shop_opened": ("在拼多多开了网店", "在抖音开了小店", "在淘宝开了网店"),
    "business_started": ("办起了农产品加工作坊", "和邻居合办了电商合作社", "开了村里的快递代收点"),
}
