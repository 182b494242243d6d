"""Short dates, remembered once formatted, read as Flask-Babel formats them in each language."""

from datetime import date, datetime, timedelta

import pytest
from flask import session
from flask_babel import format_date

from lms.clock import local_today
from lms.display import format_short_date
from lms.models import OutcomeKind, PracticeKind


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_short_dates_are_flask_babels(app, language):
    today = local_today()
    days = [today + timedelta(days=n) for n in range(-400, 400, 7)] + [date(2024, 2, 29)]
    with app.test_request_context():
        session["locale"] = language
        for _ in range(2):  # formatted, then remembered
            for day in days:
                same_year = day.year == today.year
                if language == "en":
                    pattern = "MMM d" if same_year else "MMM d, y"
                else:
                    pattern = "M月d日" if same_year else "y年M月d日"
                assert format_short_date(day) == format_date(day, pattern), day
        assert format_short_date(datetime(2024, 2, 29, 20)) == format_date(
            datetime(2024, 2, 29, 20), "MMM d, y" if language == "en" else "y年M月d日"
        )  # a datetime is moved to China's time zone first: 1 March
        assert format_short_date(None) == ""


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_labels_remembered_once_translated_read_as_translated_in_each_language(app, language):
    # Two enums share the value "shop_opened": each keeps its own label (in Chinese they differ).
    with app.test_request_context():
        session["locale"] = language
        for _ in range(2):  # translated, then remembered
            for kind in (*PracticeKind, *OutcomeKind):
                assert kind.label == str(type(kind).labels[kind]), kind
