"""Quiz balance across the whole tree: a learner must not pass by guessing from where the right
answer sits, how long it is, how many options are ticked, or by always answering 'false'.

The rules apply to trees of at least MIN_TREE_ITEMS quiz items (small test trees are exempt),
and each rule to at least MIN_RULE_ITEMS items of its kind. Each problem is reported once, at the
item a trainer can change: the first item beyond the allowed share, or the first item that could
take the missing answer. The thresholds are written in curricula/README.md.
"""

import math
from collections import Counter
from collections.abc import Callable

from lms.services.curricula.lessons import LETTERS, QuizSpec
from lms.services.curricula.yamlfile import Problem

MIN_TREE_ITEMS = 50
MIN_RULE_ITEMS = 10
POSITION_SPREAD = 0.10  # single choice: each letter within 10 points of an even spread (1 in n)
LONGEST_RIGHT_MAX = 0.40  # single choice: the right option is the longest (or tied) at most this
# ... and at least this share of the items whose options differ in length, or "never pick the
# longest" becomes the clue instead.
LONGEST_RIGHT_MIN = 0.15
COUNT_MAX = 0.50  # multiple choice: one number of right answers in at most this share of items
SET_MAX = 0.25  # multiple choice: one set of right letters in at most this share of items
LETTER_RIGHT = (0.25, 0.75)  # multiple choice: each letter right in this share of items having it
TRUE_SHARE = (0.40, 0.60)  # true/false: share of items whose answer is true


def check_quiz_balance(items: list[QuizSpec], problems: list[Problem]) -> None:
    """Report every imbalance of the quiz items of a tree (in tree order) into `problems`."""
    if len(items) < MIN_TREE_ITEMS:
        return
    report = _Reporter(problems)
    single = [q for q in items if q.kind == "single"]
    multiple = [q for q in items if q.kind == "multiple"]
    true_false = [q for q in items if q.kind == "true_false"]
    _positions(single, report)
    _longest(single, report)
    _counts_and_sets(multiple, report)
    _letters(multiple, report)
    _true_false(true_false, report)


class _Reporter:
    def __init__(self, problems: list[Problem]):
        self.problems = problems

    def at(self, item: QuizSpec, message: str) -> None:
        self.problems.append(Problem(item.file, item.line, message))

    def over(self, items, matches: Callable[[QuizSpec], bool], high: float, what: str) -> None:
        """Report at the first matching item beyond the `high` share of `items`."""
        hits = [q for q in items if matches(q)]
        allowed = math.floor(high * len(items) + 1e-9)
        if len(hits) > allowed:
            self.at(
                hits[allowed],
                f"{what} in {len(hits)} of {len(items)} items "
                f"({len(hits) / len(items):.0%}), above "
                f"the {high:.0%} limit; change at least {len(hits) - allowed} of them, "
                "from this item on",
            )

    def under(self, items, matches, low: float, what: str, candidate) -> None:
        """Report at the first item that could take the missing answer."""
        hits = [q for q in items if matches(q)]
        needed = math.ceil(low * len(items) - 1e-9)
        if len(hits) < needed:
            first = next((q for q in items if candidate(q)), items[0])
            self.at(
                first,
                f"{what} in {len(hits)} of {len(items)} items "
                f"({len(hits) / len(items):.0%}), below "
                f"the {low:.0%} minimum; change at least {needed - len(hits)} more, "
                "this item for example",
            )


def _positions(single: list[QuizSpec], report: _Reporter) -> None:
    for index, letter in enumerate(LETTERS):
        having = [q for q in single if len(q.options) > index]
        if len(having) < MIN_RULE_ITEMS:
            continue
        even = sum(1 / len(q.options) for q in having) / len(having)
        high, low = even + POSITION_SPREAD, max(even - POSITION_SPREAD, 0)
        what = f"single choice: the right answer is {letter}"
        report.over(having, lambda q, i=index: q.answer == [i], high, what)
        report.under(having, lambda q, i=index: q.answer == [i], low, what, _most_common(having))


def _most_common(items: list[QuizSpec]):
    """A candidate for a missing letter: an item answered with the most used letter."""
    common = Counter(q.answer[0] for q in items).most_common(1)[0][0]
    return lambda q: q.answer == [common]


def _is_longest_right(q: QuizSpec) -> bool:
    # Options all of one length (prices, counts) give a guesser nothing to go on.
    lengths = [len(o) for o in q.options]
    return lengths[q.answer[0]] == max(lengths) > min(lengths)


def _has_a_longest(q: QuizSpec) -> bool:
    return len({len(o) for o in q.options}) > 1


def _longest(single: list[QuizSpec], report: _Reporter) -> None:
    what = "the right option is the longest (or tied for longest)"
    if len(single) >= MIN_RULE_ITEMS:
        report.over(single, _is_longest_right, LONGEST_RIGHT_MAX, f"single choice: {what}")
    # The minimum counts only items with a longest option: one whose options are all one
    # length can be neither a clue nor a counterweight.
    varied = [q for q in single if _has_a_longest(q)]
    if len(varied) >= MIN_RULE_ITEMS:
        report.under(
            varied,
            _is_longest_right,
            LONGEST_RIGHT_MIN,
            f"single choice, options of different lengths: {what}",
            lambda q: not _is_longest_right(q),
        )


def _counts_and_sets(multiple: list[QuizSpec], report: _Reporter) -> None:
    if len(multiple) < MIN_RULE_ITEMS:
        return
    count, _ = Counter(len(q.answer) for q in multiple).most_common(1)[0]
    report.over(
        multiple,
        lambda q: len(q.answer) == count,
        COUNT_MAX,
        f"multiple choice: {count} right answers",
    )
    right, _ = Counter(tuple(q.answer) for q in multiple).most_common(1)[0]
    letters = ", ".join(LETTERS[i] for i in right)
    report.over(
        multiple,
        lambda q: tuple(q.answer) == right,
        SET_MAX,
        f"multiple choice: the right answers are exactly [{letters}]",
    )


def _letters(multiple: list[QuizSpec], report: _Reporter) -> None:
    low, high = LETTER_RIGHT
    for index, letter in enumerate(LETTERS):
        having = [q for q in multiple if len(q.options) > index]
        if len(having) < MIN_RULE_ITEMS:
            continue
        what = f"multiple choice: {letter} is a right answer"
        report.over(having, lambda q, i=index: i in q.answer, high, what)
        report.under(
            having,
            lambda q, i=index: i in q.answer,
            low,
            what,
            lambda q, i=index: i not in q.answer,
        )


def _true_false(items: list[QuizSpec], report: _Reporter) -> None:
    if len(items) < MIN_RULE_ITEMS:
        return
    low, high = TRUE_SHARE
    report.over(items, lambda q: q.answer == [1], high, "true/false: the answer is true")
    report.over(items, lambda q: q.answer == [0], 1 - low, "true/false: the answer is false")
