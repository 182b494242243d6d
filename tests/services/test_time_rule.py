"""The one rule for time, on dated scenarios computed by hand: as it stood at the end of the
period (docs/indicators.md, "Scope and period")."""

from datetime import date, datetime

import pytest

from lms.db import db
from lms.models import Role, RungPromotion
from lms.reporting import dashboard as dash
from lms.reporting.scope import Period, Scope
from lms.reporting.tables import BUILDERS
from lms.services import programmes
from tests.factories import enroll, make_cohort, make_programme, make_record, make_user

TODAY = date(2026, 12, 1)


def noon(day: date) -> datetime:  # 04:00 UTC is noon in China, the same date
    return datetime(day.year, day.month, day.day, 4)


def context(programme, end: date, start: date = date(2026, 1, 1), **scope):
    return dash.build_context(
        Scope(programme.id, **scope), Period(start, end), today=TODAY, locale="zh"
    )


def names(ctx, indicator, arg=None, **groups):
    _total, found = dash.listing(ctx, indicator, arg, groups, offset=0, limit=100)
    return sorted(row.name for row in found)


def cells(ctx, key):
    return [[c.text for c in row] for row in BUILDERS[key](ctx).rows]


@pytest.fixture
def world(ctx):
    lead, mentor = make_user(Role.LEAD), make_user(Role.MENTOR)
    programme = make_programme(lead, name="时间规则")
    first = make_cohort(programme, name="一期", starts_on=date(2026, 1, 1))
    second = make_cohort(programme, name="二期", starts_on=date(2026, 4, 1))

    moved = make_user(name="搬家")  # enrolled 1 Jan, moved to the second cohort on 1 April
    enroll(moved, first)
    db.session.add(
        RungPromotion(
            trainee_id=moved.id,
            step=1,
            kind="promotion",
            from_rung=0,
            to_rung=1,
            signed_by_id=mentor.id,
            signed_at=noon(date(2026, 5, 10)),  # 129 days after 1 January
        )
    )
    listed_on = date(2026, 3, 20)  # day 78 after 1 January
    make_record(moved, kind="product_listing", happened_on=listed_on, amount_fen=None)
    programmes.move_trainee(lead, moved, second, today=date(2026, 4, 1))

    leaver = make_user(name="七月走")  # left on 15 July
    enroll(leaver, first).left_on = date(2026, 7, 15)

    late = make_user(name="晚核实")  # sold on 20 June, verified on 5 July
    enroll(late, first)
    make_record(
        late,
        happened_on=date(2026, 6, 20),
        amount_fen=101,
        status="verified",
        reviewed_at=noon(date(2026, 7, 5)),
    )
    make_record(late, happened_on=date(2026, 7, 2), amount_fen=100, status="verified")
    db.session.commit()
    return {"programme": programme, "first": first, "second": second, "moved": moved}


def test_a_move_never_restarts_a_clock_and_the_cohort_is_the_one_at_the_end(world):
    programme = world["programme"]
    june = context(programme, date(2026, 6, 30))
    # Still practising at day 90 counts from 1 January (a listing on day 78, in days 61–90).
    assert cells(june, "lasting")[0] == ["入学90天后仍在实践", "33% (1/3)"]
    assert names(june, "practising", "90") == ["搬家"]
    # Days to climb: from the first enrolment (1 January), not the move (1 April).
    assert cells(june, "climb_days")[0][1:] == ["1", "129"]
    march = context(programme, date(2026, 3, 31), cohort_id=world["second"].id)
    assert names(march, "all") == []  # on 31 March the mover was still in the first cohort
    assert names(context(programme, date(2026, 3, 31), cohort_id=world["first"].id), "all") == [
        "七月走",
        "搬家",
        "晚核实",
    ]
    assert names(context(programme, date(2026, 6, 30), cohort_id=world["second"].id), "all") == [
        "搬家"
    ]


def test_a_trainee_who_left_after_the_period_counts_in_it(world):
    programme = world["programme"]
    assert "七月走" in names(context(programme, date(2026, 6, 30)), "all")
    assert "七月走" not in names(context(programme, date(2026, 7, 31)), "all")
    assert context(programme, date(2026, 7, 31)).total == 2


def test_a_record_verified_after_the_period_does_not_change_it(world):
    programme = world["programme"]
    june = context(programme, date(2026, 6, 30))
    assert names(june, "sold") == []  # the 20 June sale was verified on 5 July
    assert cells(june, "sales") == [["本期有核实销售的学员", "0", "", "", ""]]
    july = context(programme, date(2026, 7, 31))
    assert names(july, "sold") == ["晚核实"]
    assert cells(july, "sales")[:2] == [
        ["2026-06", "1", "¥1.01", "1", "¥1.01"],
        ["2026-07", "1", "¥1.00", "1", "¥1.00"],
    ]


def test_halves_round_away_from_zero_on_the_page_and_in_the_export(world):
    programme = world["programme"]
    july = context(programme, date(2026, 7, 31), start=date(2026, 6, 1))
    # Income now: verified sales from 2 to 31 July, per trainee in scope on 31 July (the leaver
    # has gone): 0 fen and 100 fen, median 50 fen.
    income = dict((row[0], row[1]) for row in cells(july, "income"))
    assert income["现在月收入（中位数）"] == "¥0.50"
    make_record(world["moved"], happened_on=date(2026, 7, 20), amount_fen=1, status="verified")
    db.session.commit()
    july = context(programme, date(2026, 7, 31), start=date(2026, 6, 1))
    income = dict((row[0], row[1]) for row in cells(july, "income"))
    assert income["现在月收入（中位数）"] == "¥0.51"  # the median of 1 and 100 fen is 50.5
    table = BUILDERS["income"](july)
    assert table.rows[1][1].value == 0.51  # exported in yuan, rounded the same way
    assert dash.share(1, 8).text == "13% (1/8)" and dash.share(1, 8).value == 0.125
    assert dash.share(3, 8).text == "38% (3/8)"


def test_sales_from_monthly_rollups_equal_the_records_for_any_period(world):
    """Whole months come from sales_months, edges from the records, late verifications are
    taken back out: for any start and end the sums equal a count over the records."""
    from itertools import product

    from sqlalchemy import select

    from lms.models import PracticeRecord

    programme, moved = world["programme"], world["moved"]
    for day, fen, reviewed in [
        (date(2026, 5, 31), 7, date(2026, 6, 1)),
        (date(2026, 6, 1), 11, date(2026, 6, 30)),
        (date(2026, 6, 30), 13, date(2026, 8, 2)),
        (date(2026, 8, 1), 17, date(2026, 8, 1)),
    ]:
        make_record(
            moved, happened_on=day, amount_fen=fen, status="verified", reviewed_at=noon(reviewed)
        )
    db.session.commit()
    records = db.session.scalars(select(PracticeRecord)).all()
    starts = [date(2026, 1, 1), date(2026, 5, 31), date(2026, 6, 1), date(2026, 6, 15)]
    ends = [date(2026, 6, 20), date(2026, 6, 30), date(2026, 7, 1), date(2026, 7, 31)]
    for start, end in product(starts, ends):
        ctx = context(programme, end, start=start)
        t = ctx.trainees(("activity",))
        got = {row.trainee_id: row.sales_fen for row in db.session.execute(select(t)) if row.sales}
        expected = {}
        for r in records:
            counted = (
                r.kind.value == "sale"
                and r.status.value == "verified"
                and start <= r.happened_on <= end
                and r.reviewed_at < datetime(end.year, end.month, end.day, 16)  # end, in UTC
            )
            if counted:
                expected[r.trainee_id] = expected.get(r.trainee_id, 0) + r.amount_fen
        in_scope = {row.trainee_id for row in db.session.execute(select(t))}
        expected = {k: v for k, v in expected.items() if k in in_scope}
        assert got == expected, (start, end)


def test_mentor_attention_per_household_category_by_hand(world):
    """The equity table's attention columns: visits dated in the period and records verified by
    its end, per trainee of each group; the gap row is demonstration households less the others."""
    from lms.models import FollowUpVisit, HouseholdCategory

    programme, moved = world["programme"], world["moved"]
    mentor = make_user(Role.MENTOR)
    moved.profile.household_category = HouseholdCategory.DEMONSTRATION
    for day in (date(2026, 6, 30), date(2026, 7, 1), date(2026, 7, 31), date(2026, 8, 1)):
        db.session.add(
            FollowUpVisit(
                trainee_id=moved.id, mentor_id=mentor.id, visited_on=day, mode="in_person"
            )
        )
    make_record(
        moved, happened_on=date(2026, 7, 3), status="verified", reviewed_at=noon(date(2026, 7, 4))
    )
    db.session.commit()
    # July: 搬家 (demonstration) has 2 visits and 1 verified record; 晚核实 (ordinary) has the
    # 2 July sale verified in July (the 20 June one is dated before the period): 0 visits, 1
    # record. 七月走 left on 15 July and is out of scope.
    july = context(programme, date(2026, 7, 31), start=date(2026, 7, 1))
    rows = {row[0]: row[-2:] for row in cells(july, "equity")}
    assert rows["全部学员"] == ["1.0", "1.0"]
    assert rows["示范户"] == ["2.0", "1.0"]
    assert rows["示范户 − 其他（百分点）"] == ["+2.0", "+0.0"]
    # June to July: 七月走 is out of scope on 31 July either way; the 20 June sale was verified
    # on 5 July, by the end: it counts now.
    summer = context(programme, date(2026, 7, 31), start=date(2026, 6, 1))
    rows = {row[0]: row[-2:] for row in cells(summer, "equity")}
    assert rows["全部学员"] == ["1.5", "1.5"]  # 3 visits and 3 records over 2 trainees


def test_activity_from_monthly_rollups_equals_the_records_for_any_period(world):
    """Each trainee's sales, income now, visits and verified records over a period, read from
    the monthly rollup and the edges, equal the same figures counted from the records for any
    start and end: a month's edges, a record verified after the end, one before enrolment."""
    from datetime import timedelta
    from itertools import product

    from sqlalchemy import select

    from lms.models import FollowUpVisit, PracticeRecord
    from lms.reporting import activity, sales

    programme, moved = world["programme"], world["moved"]
    mentor = make_user(Role.MENTOR)
    for day in (date(2025, 12, 30), date(2026, 5, 31), date(2026, 6, 1), date(2026, 7, 15)):
        db.session.add(
            FollowUpVisit(
                trainee_id=moved.id, mentor_id=mentor.id, visited_on=day, mode="in_person"
            )
        )
    for day, reviewed, kind, fen in [
        (date(2025, 12, 20), date(2026, 1, 2), "sale", 700),  # before the first enrolment
        (date(2026, 5, 31), date(2026, 6, 1), "livestream", None),
        (date(2026, 6, 1), date(2026, 6, 1), "sale", 1250),
        (date(2026, 6, 20), date(2026, 7, 3), "sale", 999),
        (date(2026, 6, 30), date(2026, 8, 2), "livestream", None),
        (date(2026, 7, 1), date(2026, 7, 1), "sale", 300),
    ]:
        make_record(
            moved,
            happened_on=day,
            kind=kind,
            amount_fen=fen,
            status="verified",
            reviewed_at=noon(reviewed),
        )
    db.session.commit()
    first_enrolled = date(2026, 1, 1)  # everyone of the world, the moved trainee included
    visits = db.session.scalars(select(FollowUpVisit)).all()
    records = db.session.scalars(select(PracticeRecord)).all()
    starts = [
        date(2025, 12, 1),
        date(2025, 12, 15),
        date(2026, 5, 31),
        date(2026, 6, 1),
        date(2026, 6, 15),
    ]
    ends = [date(2026, 6, 20), date(2026, 6, 30), date(2026, 7, 1), date(2026, 7, 31)]
    for start, end in product(starts, ends):
        period = Period(start, end)
        found = activity.per_trainee(programme.id, period)
        got = {
            r.trainee_id: tuple(getattr(r, c) for c in activity.COLUMNS)
            for r in db.session.execute(select(found))
        }
        expected: dict[int, list[int]] = {}

        def add(trainee_id, column, n=1, expected=expected):
            row = expected.setdefault(trainee_id, [0] * len(activity.COLUMNS))
            row[activity.COLUMNS.index(column)] += n

        for v in visits:
            if max(start, first_enrolled) <= v.visited_on <= end:
                add(v.trainee_id, "visits")
        for r in records:
            if r.status.value != "verified" or r.happened_on < first_enrolled:
                continue
            if r.reviewed_at >= datetime(end.year, end.month, end.day, 16):  # after the end
                continue
            if start <= r.happened_on <= end:
                add(r.trainee_id, "verified")
                if r.kind.value == "sale":
                    add(r.trainee_id, "sales")
                    add(r.trainee_id, "sales_fen", r.amount_fen)
            if r.kind.value == "sale" and end - timedelta(days=29) <= r.happened_on <= end:
                add(r.trainee_id, "income_now_fen", r.amount_fen)
        got = {k: v for k, v in got.items() if any(v)}
        assert got == {k: tuple(v) for k, v in expected.items()}, (start, end)

        # The same sales month by month (the sales table and its active sellers).
        months = sales.sales_by_month(programme.id, period)
        by_month: dict[tuple, list[int]] = {}
        for row in db.session.execute(select(months)):
            key = (row.trainee_id, int(row.y), int(row.m))
            total = by_month.setdefault(key, [0, 0])
            total[0], total[1] = total[0] + row.n, total[1] + row.fen
        wanted: dict[tuple, list[int]] = {}
        for r in records:
            if (
                r.kind.value == "sale"
                and r.status.value == "verified"
                and max(start, first_enrolled) <= r.happened_on <= end
                and r.reviewed_at < datetime(end.year, end.month, end.day, 16)
            ):
                total = wanted.setdefault(
                    (r.trainee_id, r.happened_on.year, r.happened_on.month), [0, 0]
                )
                total[0], total[1] = total[0] + 1, total[1] + r.amount_fen
        assert {k: v for k, v in by_month.items() if v != [0, 0]} == wanted, (start, end)


def test_the_active_sellers_of_a_month_are_the_monthly_figure(world):
    """The list behind a month's active sellers: a partial month at the edge, a whole month, a
    sale verified after the end, a month outside the period."""
    programme = world["programme"]
    summer = context(programme, date(2026, 7, 31), start=date(2026, 6, 15))
    sellers = {month: n for month, _sales, _fen, n, _median in dash.monthly_sales(summer)}
    assert sellers == {"2026-06": 1, "2026-07": 1}
    assert names(summer, "active_in", "2026-06") == ["晚核实"]  # 20 June, verified 5 July
    assert names(summer, "active_in", "2026-07") == ["晚核实"]
    assert names(summer, "active_in", "2026-03") == []  # not a month of the period
    june = context(programme, date(2026, 6, 30), start=date(2026, 6, 1))
    assert dash.monthly_sales(june) == []
    assert names(june, "active_in", "2026-06") == []  # verified only after the end
    with pytest.raises(ValueError):
        names(june, "active_in", "2026-13")
