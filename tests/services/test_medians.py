"""One median, on both databases: percentile_cont on PostgreSQL, our own aggregate on SQLite."""

from decimal import Decimal

from sqlalchemy import Integer, literal, select, union_all

from lms.reporting.medians import summarise


def values(*pairs):
    """A subquery of (g, v) rows; v may be None."""
    return union_all(
        *(select(literal(g).label("g"), literal(v, Integer).label("v")) for g, v in pairs)
    ).subquery()


def test_the_middle_value_or_the_mean_of_the_middle_two_kept_exact(ctx):
    found = summarise(
        values((1, 7), (1, 1), (1, 4), (2, 3), (2, 10), (2, 2), (2, 1), (3, 5)),
        keys=("g",),
        medians=("v",),
        sums=("v",),
    )
    assert found == {
        (1,): {"count": 3, "sum_v": 12, "median_v": Decimal("4")},
        (2,): {"count": 4, "sum_v": 16, "median_v": Decimal("2.5")},  # a half stays a half
        (3,): {"count": 1, "sum_v": 5, "median_v": Decimal("5")},
    }


def test_rows_without_a_value_are_counted_but_not_in_the_median(ctx):
    found = summarise(values((1, None), (1, 9), (1, None), (1, 2), (2, None)), ("g",), ("v",))
    assert found[(1,)] == {"count": 4, "median_v": Decimal("5.5")}
    assert found[(2,)] == {"count": 1, "median_v": None}


def test_one_group_for_no_keys_and_negative_values(ctx):
    found = summarise(values((0, -3), (0, -1), (0, 4), (0, -2)), medians=("v",))
    assert found == {(): {"count": 4, "median_v": Decimal("-1.5")}}
