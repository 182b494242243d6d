"""The figures kept for a period (lms.reporting.figures) equal the live computation, follow every
write, and stay bounded. (Every test also checks, after it ends, that kept rows claiming to be
current equal a live computation: tests/conftest.py.)"""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update

from lms.db import db
from lms.jobs.tick import tick
from lms.models import HouseholdCategory, PeriodFigures, PeriodSales, ReportPeriod, TraineeFacts
from lms.reporting import dashboard as dash
from lms.reporting import figures
from lms.reporting.scope import Period, Scope
from lms.reporting.tables import BUILDERS
from tests.factories import make_record
from tests.services.test_time_rule import TODAY, world  # noqa: F401  (the dated scenario)

PERIODS = [
    Period(date(2026, 1, 1), date(2026, 12, 1)),
    Period(date(2026, 6, 15), date(2026, 7, 3)),  # within two months, no whole one
    Period(date(2026, 3, 10), date(2026, 7, 31)),  # partial start, whole months, whole end
    Period(date(2026, 6, 1), date(2026, 6, 30)),  # the late verification's month
]


def contexts(scope, period):
    kept = dash.build_context(scope, period, today=TODAY, locale="zh")
    live = dash.build_context(scope, period, today=TODAY, locale="zh", live=True)
    assert kept.figures is not None and live.figures is None
    return kept, live


def cells(ctx):
    return {
        key: [[(c.text, c.link) for c in row] for row in build(ctx).rows]
        for key, build in BUILDERS.items()
    }


def listed(ctx, indicator, arg=None):
    total, found = dash.listing(ctx, indicator, arg, {}, offset=0, limit=100)
    return total, [(row.name, row.sales, row.sales_fen) for row in found]


def test_every_table_and_list_from_kept_figures_equals_the_live_computation(world):  # noqa: F811
    programme = world["programme"]
    scopes = [
        Scope(programme.id),
        Scope(programme.id, cohort_id=world["second"].id),
        Scope(programme.id, village="大坪村"),
    ]
    for scope in scopes:
        for period in PERIODS:
            kept, live = contexts(scope, period)
            assert cells(kept) == cells(live), (scope, period)
            for indicator in ("sold", "visited", "pac", "all"):
                assert listed(kept, indicator) == listed(live, indicator), (scope, period)
            month = f"{period.end.year}-{period.end.month:02d}"
            assert listed(kept, "active_in", month) == listed(live, "active_in", month)


def sold(ctx):
    return ctx.counts.n("sold")


def test_a_write_after_a_dashboard_shows_in_the_next_one(world):  # noqa: F811
    scope, period = Scope(world["programme"].id), PERIODS[0]
    kept, _live = contexts(scope, period)
    assert sold(kept) == 1  # only 晚核实 sold
    moved = world["moved"]
    version = db.session.get(TraineeFacts, moved.id).version
    make_record(moved, happened_on=date(2026, 11, 20), amount_fen=3300, status="verified")
    db.session.commit()  # the refresh gives the trainee a new version: their row is out of date
    assert db.session.get(TraineeFacts, moved.id).version == version + 1
    again, live = contexts(scope, period)
    assert again.figures == kept.figures  # the same period, brought up to date
    assert sold(again) == sold(live) == 2
    row = db.session.get(PeriodFigures, (kept.figures, moved.id))
    assert (row.version, row.sales, row.sales_fen) == (version + 1, 1, 3300)
    november = db.session.get(PeriodSales, (kept.figures, moved.id, 2026, 11))
    assert (november.n, november.fen) == (1, 3300)


def test_only_the_most_recently_used_periods_are_kept(world):  # noqa: F811
    scope = Scope(world["programme"].id)
    first = Period(date(2026, 1, 1), date(2026, 1, 31))
    ids = [dash.build_context(scope, first, today=TODAY, locale="zh").figures]
    for day in range(1, figures.KEEP + 2):
        period = Period(date(2026, 2, day), date(2026, 11, 30))
        ids.append(dash.build_context(scope, period, today=TODAY, locale="zh").figures)
    kept = set(db.session.scalars(select(ReportPeriod.id)))
    assert len(kept) == figures.KEEP and kept == set(ids[-figures.KEEP :])
    assert db.session.scalar(select(func.count()).select_from(PeriodFigures)) == 3 * figures.KEEP
    forgotten = select(func.count()).where(PeriodFigures.period_id.in_(ids[:2]))
    assert db.session.scalar(forgotten) == 0
    # Asked for again, a forgotten period is computed again, the same as live.
    kept_ctx, live = contexts(scope, first)
    assert cells(kept_ctx) == cells(live)


def test_the_tick_keeps_the_dashboard_presets_current(world):  # noqa: F811
    now = datetime(2026, 12, 1, 1)  # 09:00 in China
    report = tick(now=now)
    assert report.periods == len(figures.PRESETS)
    found = db.session.execute(
        select(ReportPeriod.starts_on, ReportPeriod.ends_on).order_by(ReportPeriod.starts_on)
    ).all()
    today = date(2026, 12, 1)
    assert sorted(found) == sorted(
        (today - timedelta(days=days - 1), today) for days in figures.PRESETS.values()
    )
    rows = select(func.count()).select_from(PeriodFigures)
    assert db.session.scalar(rows) == 3 * len(figures.PRESETS)  # every member, each period
    tick(now=now)  # a second tick in the same day has nothing to compute and keeps them
    assert db.session.scalar(rows) == 3 * len(figures.PRESETS)


def test_facts_check_reports_a_kept_row_changed_behind_the_apps_back(app, world):  # noqa: F811
    kept = dash.build_context(Scope(world["programme"].id), PERIODS[0], today=TODAY, locale="zh")
    db.session.execute(
        update(PeriodFigures).where(PeriodFigures.trainee_id == world["moved"].id).values(sales=7)
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["facts", "check"])
    assert result.exit_code == 1 and "report period" in result.output
    assert "kept figures checked for 1 periods: 1 differ" in result.output
    # The trainee's next write makes the row out of date; the next page computes it again.
    make_record(
        world["moved"], happened_on=date(2026, 11, 2), amount_fen=None, kind="product_listing"
    )
    db.session.commit()
    again = dash.build_context(kept.scope, kept.period, today=TODAY, locale="zh")
    assert db.session.get(PeriodFigures, (again.figures, world["moved"].id)).sales == 0
    result = app.test_cli_runner().invoke(args=["facts", "check"])
    assert result.exit_code == 0 and "1 periods: 0 differ" in result.output


def test_a_profile_change_after_a_dashboard_shows_in_the_next_one(world):  # noqa: F811
    scope, period = Scope(world["programme"].id), PERIODS[0]
    kept = dash.build_context(scope, period, today=TODAY, locale="zh")
    assert kept.counts.n("all", category="monitored") == 0
    moved = world["moved"]
    moved.profile.household_category = HouseholdCategory.MONITORED
    moved.profile.baseline_monthly_income_fen = 50_000
    db.session.commit()
    again, live = contexts(scope, period)
    assert (
        again.counts.n("all", category="monitored")
        == live.counts.n("all", category="monitored")
        == 1
    )
    row = db.session.get(PeriodFigures, (again.figures, moved.id))
    assert (row.category, row.baseline_income_fen) == (HouseholdCategory.MONITORED, 50_000)
