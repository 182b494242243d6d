"""A demo trainee on a 360 px phone with JavaScript off: a lesson, a quiz, a sale."""

import re

from lms.clock import local_today
from tests.browser.conftest import log_in, open_page, screenshot


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


def test_a_trainee_chooses_a_kind_first_and_logs_a_livestream_without_javascript(
    live_server, phone
):
    page = phone
    log_in(page, live_server, "13900000002")
    page.click("text=记其他实践")
    assert page.locator("main form[method=post]").count() == 0  # the kind first, as links
    screenshot(page, "trainee-practice-kinds-360")
    page.click("a.button:has-text('直播')")
    assert page.locator("input[name=amount]").count() == 1  # optional in a livestream
    assert page.locator("input[name=product], input[name=quantity]").count() == 0
    page.fill("input[name=minutes]", "60")
    page.fill("input[name=viewers]", "-3")
    page.fill("input[name=orders]", "2")
    page.click("button:has-text('保存')")
    assert "观看人数不能是负数。" in page.locator("main").inner_text()
    assert page.input_value("input[name=minutes]") == "60"  # what was typed is kept
    screenshot(page, "trainee-livestream-form-360")
    page.fill("input[name=viewers]", "35")
    page.click("button:has-text('保存')")
    assert page.url.split("#")[0].endswith("/learn/practice")
    assert "直播60分钟 · 最多35人在看 · 2单" in page.locator("ul.records").inner_text()


SPEECH_STUB = """
window.__spoken = []; window.__cancelled = 0;
function Utterance(text) { this.text = text; }
Object.defineProperty(window, "SpeechSynthesisUtterance", {value: Utterance});
Object.defineProperty(window, "speechSynthesis", {value: {
  speak: function (u) { window.__spoken.push({text: u.text, lang: u.lang, rate: u.rate}); },
  cancel: function () { window.__cancelled += 1; },
}});
"""


def test_a_lesson_is_read_aloud_by_the_phones_speech_engine(live_server, browser, phone):
    # Without JavaScript the button is not there to press (the page is the same as before).
    log_in(phone, live_server, "13900000002")
    phone.click("text=继续学习")
    assert phone.locator("p.read-aloud").is_hidden()
    lesson_url = phone.url

    # With it, the phone's engine (stood in for here: a test browser has no voices) is given
    # the lesson a paragraph at a time, in Chinese, and can be stopped.
    page = open_page(browser, js=True)
    page.add_init_script(SPEECH_STUB)
    log_in(page, live_server, "13900000002")
    page.goto(lesson_url)
    button = page.locator("p.read-aloud button")
    assert button.inner_text() == "读给我听" and button.get_attribute("aria-pressed") == "false"
    button.click()
    spoken = page.evaluate("window.__spoken")
    article = page.locator("article.lesson").inner_text()
    assert len(spoken) > 1 and all(s["lang"] == "zh-CN" and s["rate"] == 0.9 for s in spoken)
    assert spoken[0]["text"] in article and spoken[-1]["text"] in article
    assert button.inner_text() == "停止朗读" and button.get_attribute("aria-pressed") == "true"
    button.click()
    assert button.inner_text() == "读给我听" and page.evaluate("window.__cancelled") >= 2
    assert len(page.evaluate("window.__spoken")) == len(spoken)  # stopped, nothing more queued
    page.context.close()
