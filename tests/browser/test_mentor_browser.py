"""A demo mentor on a 360 px phone with JavaScript off: verify a sale, log a visit, sign off."""

from tests.browser.conftest import log_in, screenshot


def test_mentor_verifies_a_sale_logs_a_visit_and_signs_off_a_promotion(live_server, phone):
    # The demo's 刘春梅 has done the courses for rung 4 and has a sale waiting for her mentor.
    page = phone
    log_in(page, live_server, "13800000002")
    assert page.locator("h1").inner_text() == "我的学员"
    screenshot(page, "mentor-caseload-360")

    # Verify the pending sale straight from the caseload.
    pending = page.locator("#pending li", has_text="猕猴桃礼盒")
    assert "¥312.00" in pending.inner_text()
    pending.locator("button:has-text('核实')").click()
    assert "已核实：刘春梅 的 猕猴桃礼盒。" in page.locator(".flash").inner_text()

    page.click("a:has-text('刘春梅')")
    assert page.locator("h1").inner_text() == "刘春梅"
    assert page.locator("text=确认晋级到第4级").count() == 1

    page.click("text=记录这次回访")
    page.check("input[name=mode][value=in_person]")
    for dimension, level in [
        ("tool_use", "independent"),
        ("info_analysis", "with_help"),
        ("online_coordination", "independent"),
        ("resource_innovation", "not_yet"),
    ]:
        page.check(f"input[name=level_{dimension}][value={level}]")
    page.check("input[name=problem_tags][value=logistics]")
    page.fill("textarea[name=actions]", "下次试试县物流中心的冷链")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "mentor-visit-form-360")
    page.click("button:has-text('保存回访记录')")
    assert "回访记录已保存。" in page.locator(".flash").inner_text()

    page.click("text=确认晋级到第4级")
    assert "确认 刘春梅 晋升到第4级" in page.locator("h1").inner_text()
    page.click("button:has-text('我确认晋级')")
    assert "已确认：刘春梅 晋升到第4级。" in page.locator(".flash").inner_text()
    assert page.locator(".ladder li.here").inner_text().startswith("4")
    assert "晋级：第3级 → 第4级" in page.locator(".timeline").inner_text()
    screenshot(page, "mentor-trainee-file-360")
