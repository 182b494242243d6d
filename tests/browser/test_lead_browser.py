"""The demo programme lead: the dashboard at 1280 px, the trainee list at 360 px."""

from datetime import timedelta

from sqlalchemy import select

from lms.clock import local_today
from lms.db import db
from lms.models import FollowUpVisit, Role, User
from tests.browser.conftest import log_in, open_page, screenshot
from tests.factories import make_record


def add_activity(app) -> None:
    today = local_today()
    with app.app_context():
        mentor = db.session.scalar(select(User).where(User.phone == "13800000002"))
        trainees = db.session.scalars(
            select(User).where(User.role == Role.TRAINEE).order_by(User.id)
        ).all()
        for i, trainee in enumerate(trainees):
            for k in range(i % 4):
                make_record(
                    trainee,
                    happened_on=today - timedelta(days=20 * k + i),
                    status="verified",
                    amount_fen=3000 + 1500 * i + 700 * k,
                )
            if i % 3:
                db.session.add(
                    FollowUpVisit(
                        trainee_id=trainee.id,
                        mentor_id=mentor.id,
                        visited_on=today - timedelta(days=i * 2),
                        mode="in_person",
                        observations={},
                    )
                )
        db.session.commit()


def test_lead_dashboard_and_trainee_list(app, live_server, browser):
    add_activity(app)
    laptop = open_page(browser, width=1280, height=900)
    log_in(laptop, live_server, "13800000001")
    laptop.click("text=看数据")
    assert laptop.locator("h1").inner_text() == "项目数据"
    assert laptop.locator("svg.chart").count() >= 3
    assert "范围内学员：20" in laptop.locator(".summary").inner_text()
    screenshot(laptop, "lead-dashboard-1280")
    laptop.context.close()

    phone = open_page(browser)
    log_in(phone, live_server, "13800000001")
    phone.click("text=丽水山区农村电商人才培训（演示）")
    phone.click("text=学员名单")
    assert "共 20 人" in phone.locator("main").inner_text()
    assert "****" in phone.locator(".trainee-list li").first.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "lead-trainees-360")
    phone.context.close()
