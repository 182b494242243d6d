"""A demo trainee on a 360 px phone with JavaScript off: a lesson, a quiz, a sale."""

import re

from lms.clock import local_today
from tests.browser.conftest import log_in, screenshot


def test_trainee_reads_a_lesson_answers_a_quiz_and_logs_a_sale(live_server, phone):
    page = phone
    log_in(page, live_server, "13900000002")  # a demo trainee with no history yet
    assert page.url.endswith("/learn/")
    assert page.locator("h1").inner_text() == "你好，李建国"
    assert page.locator(".ladder li.here").inner_text().startswith("2")
    screenshot(page, "trainee-home-360")

    # Continue learning: the first lesson of the first course the next rung needs.
    page.click("text=继续学习")
    assert page.locator("h1").inner_text() == "设置、充电和流量"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    screenshot(page, "trainee-lesson-360")
    for _ in range(4):
        page.click("button:has-text('学会了')")
    assert page.url.endswith("/learn/courses/phone-basics")

    page.click("text=做小测验")
    for question in page.locator("fieldset.question").all():
        question.locator("label.choice").first.click()
    page.click("button:has-text('交卷')")
    assert page.locator("h1").inner_text() in ("通过了！", "还差一点")
    assert re.match(r"\d+ 分", page.locator(".big-number").inner_text())
    assert page.locator(".explain").count() == 13  # every explanation shown after submitting
    screenshot(page, "trainee-quiz-result-360")

    page.goto(f"{live_server}/learn/")
    page.click("text=记一笔销售")
    page.fill("input[name=product]", "土鸡蛋")
    page.fill("input[name=quantity]", "30")
    page.fill("input[name=unit]", "个")
    page.fill("input[name=amount]", "-5")
    page.click("button:has-text('保存')")
    assert page.locator(".field p.error").inner_text() == "金额不能是负数。"
    assert page.input_value("input[name=product]") == "土鸡蛋"  # what was typed is kept
    page.fill("input[name=amount]", "45.50")
    page.click("button:has-text('保存')")
    assert page.url.split("#")[0].endswith("/learn/practice")
    today = local_today()
    assert f"{today.year}年{today.month}月" in page.locator("table.totals").inner_text()
    assert "¥45.50" in page.locator("table.totals").inner_text()
    screenshot(page, "trainee-practice-360")
