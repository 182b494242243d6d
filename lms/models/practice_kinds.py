"""What a practice record of each kind asks, in one place: the fields, which are required, their
labels. The form shows only these, the service refuses any other, and every page showing a
record shows these (issue 13).

A field is one of ASKABLE (a form field and, but for `amount` and `quantity`+`unit`, a column of
practice_records of the same name). Happened on, channel, note and photo are asked of every kind;
the kind only words them. Kinds with a link take a screenshot instead: one of the two is needed.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from lms.models.curriculum import PracticeKind

# The fields a kind may ask, in the order a form shows them. `quantity` brings `unit` along.
ASKABLE = ("product", "quantity", "amount", "minutes", "viewers", "orders", "people", "link")

# Each whole-number field's bounds (the CHECK constraints hold the lower ones): a livestream
# is within a day, a short video's views may run into millions.
NUMBER_BOUNDS = {
    "minutes": (1, 24 * 60),
    "viewers": (0, 100_000_000),
    "orders": (0, 1_000_000),
    "people": (1, 10_000),
}


# What a field is called inside a sentence ("上架记录不用填金额。"): its own context, so English
# says "amount" there and "Amount" in a table's heading.
FIELD_NOUNS = {
    "product": lazy_pgettext("in a sentence", "商品"),
    "quantity": lazy_pgettext("in a sentence", "数量"),
    "unit": lazy_pgettext("in a sentence", "单位"),
    "amount": lazy_pgettext("in a sentence", "金额"),
    "minutes": lazy_pgettext("in a sentence", "直播时长"),
    "viewers": lazy_pgettext("in a sentence", "观看人数"),
    "orders": lazy_pgettext("in a sentence", "订单数"),
    "people": lazy_pgettext("in a sentence", "人数"),
    "link": lazy_pgettext("in a sentence", "链接"),
}


@dataclass(frozen=True)
class Ask:
    """One field a kind asks: its label on that kind's form, and whether it must be filled."""

    name: str
    label: object  # a lazy string
    required: bool = False
    hint: object | None = None
    placeholder: str = ""
    shown: object | None = None  # how a page shows a count: "直播%(n)s分钟"


@dataclass(frozen=True)
class KindForm:
    """A kind's form: the fields it asks, and how it words the ones every kind has."""

    noun: object  # "上架记录": the record in a sentence
    asks: tuple[Ask, ...]
    channel_label: object
    note_label: object = _l("备注（可不填）")
    photo_hint: object = _l("可以拍一张订单、收款或发货的照片，不超过 2 MB。")
    link_or_photo: bool = False  # a screenshot counts where the link is missing
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {a.name: a for a in self.asks})

    def asks_for(self, name: str) -> bool:
        return name in self.by_name or (name == "unit" and "quantity" in self.by_name)

    def required(self, name: str) -> bool:
        ask = self.by_name.get("quantity" if name == "unit" else name)
        return ask is not None and ask.required


LINK_HINT = _l("在 App 里点“分享”→“复制链接”，粘贴到这里。没有链接就在下面拍一张截图。")
SCREENSHOT_HINT = _l("链接或截图至少一个：可以截一张屏，不超过 2 MB。")

KIND_FORMS: dict[PracticeKind, KindForm] = {
    PracticeKind.SALE: KindForm(
        noun=_l("销售记录"),
        asks=(
            Ask("product", _l("卖了什么？"), True, placeholder=_l("比如：土鸡蛋")),
            Ask("quantity", _l("卖了多少？"), True, placeholder="20"),
            Ask("amount", _l("收了多少钱？（元）"), True, placeholder="128.50"),
        ),
        channel_label=_l("在哪里卖的？"),
    ),
    PracticeKind.LIVESTREAM: KindForm(
        noun=_l("直播记录"),
        asks=(
            Ask(
                "minutes", _l("直播了多少分钟？"), True, placeholder="60", shown=_l("直播%(n)s分钟")
            ),
            Ask(
                "viewers",
                _l("最多的时候有多少人在看？"),
                True,
                placeholder="35",
                shown=_l("最多%(n)s人在看"),
            ),
            Ask(
                "orders", _l("直播间下了几单？"), True, _l("没有人下单就填 0。"), "3", _l("%(n)s单")
            ),
            Ask("amount", _l("直播间收了多少钱？（元，可不填）"), placeholder="128.50"),
        ),
        channel_label=_l("在哪个平台直播？"),
        photo_hint=_l("可以截一张直播间或直播数据的图，不超过 2 MB。"),
    ),
    PracticeKind.SHORT_VIDEO: KindForm(
        noun=_l("短视频记录"),
        asks=(
            Ask("link", _l("视频的链接"), hint=LINK_HINT, placeholder="https://"),
            Ask(
                "viewers",
                _l("播放了多少次？（可不填）"),
                placeholder="500",
                shown=_l("播放%(n)s次"),
            ),
        ),
        channel_label=_l("发在哪个平台？"),
        photo_hint=SCREENSHOT_HINT,
        link_or_photo=True,
    ),
    PracticeKind.SHOP_OPENED: KindForm(
        noun=_l("开店记录"),
        asks=(Ask("link", _l("网店的链接"), hint=LINK_HINT, placeholder="https://"),),
        channel_label=_l("在哪个平台开的店？"),
        photo_hint=SCREENSHOT_HINT,
        link_or_photo=True,
    ),
    PracticeKind.PRODUCT_LISTING: KindForm(
        noun=_l("上架记录"),
        asks=(
            Ask("product", _l("上架了什么商品？"), True, placeholder=_l("比如：土鸡蛋")),
            Ask("link", _l("商品的链接"), hint=LINK_HINT, placeholder="https://"),
        ),
        channel_label=_l("在哪个平台上架？"),
        photo_hint=SCREENSHOT_HINT,
        link_or_photo=True,
    ),
    PracticeKind.TAUGHT_OTHERS: KindForm(
        noun=_l("带教记录"),
        asks=(Ask("people", _l("教会了几个人？"), True, placeholder="2", shown=_l("教会%(n)s人")),),
        channel_label=_l("教的是哪个平台？"),
        note_label=_l("教了谁、教了什么？（可不填）"),
        photo_hint=_l("可以拍一张一起学的照片，不超过 2 MB。"),
    ),
    PracticeKind.COOPERATIVE_WORK: KindForm(
        noun=_l("合作记录"),
        asks=(
            Ask("people", _l("带动了几户农户？"), True, placeholder="5", shown=_l("带动%(n)s户")),
            Ask("product", _l("一起卖的是什么？"), True, placeholder=_l("比如：土鸡蛋")),
            Ask("amount", _l("一共收了多少钱？（元，可不填）"), placeholder="128.50"),
        ),
        channel_label=_l("通过哪里卖的？"),
    ),
}
