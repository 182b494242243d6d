"""Compressed weight of the trainee pages (HTML + CSS + JavaScript), against the budgets: a
lesson page's first load ≤ 50 KB, all JavaScript ≤ 30 KB.

    .venv/bin/python bench/page_weight.py

Builds a throwaway SQLite database with the shipped curricula and the demo programme, logs in as
demo trainee 13900000001 and fetches each page as a phone would (Accept-Encoding: gzip). Lesson
pictures are excluded, as the budget says. A return visit to a kept lesson downloads only its
HTML (every asset from the cache): tests/browser/test_offline_browser.py checks that.
"""

import gzip
import logging
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from lms import create_app  # noqa: E402
from lms.config import ROOT  # noqa: E402
from lms.db import db  # noqa: E402
from lms.devdata import demo  # noqa: E402
from lms.services import curricula  # noqa: E402

BUDGET = 50 * 1024
JS_BUDGET = 30 * 1024


def main() -> int:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                "UPLOAD_FOLDER": tmp,
            }
        )
        with app.app_context():
            upgrade()
            curricula.import_tree(ROOT / "curricula")
            demo.create_demo()
            db.session.commit()
        client = app.test_client()
        client.post("/login", data={"phone": "13900000001", "password": demo.DEMO_PASSWORD})
        pages = [
            "/learn/",
            "/learn/courses",
            "/learn/courses/phone-basics",
            "/learn/lessons/pay-common-scams",
            "/learn/lessons/live-get-ready",
            "/learn/courses/mobile-payment-safety/quiz",
            "/learn/practice",
            "/learn/practice/new",
            "/learn/cards",
            "/learn/cards/taobao",
        ]
        # Lessons of later courses are locked until their prerequisites are done: measure as a
        # trainee who has completed every course, so each page renders in full.
        with app.app_context():
            from sqlalchemy import select

            from lms.models import Course, CourseCompletion, User

            user = db.session.scalar(select(User).where(User.phone == "13900000001"))
            done = set(
                db.session.scalars(
                    select(CourseCompletion.course_id).where(CourseCompletion.trainee_id == user.id)
                )
            )
            for course_id in db.session.scalars(select(Course.id)):
                if course_id not in done:  # the demo may have completed some already
                    db.session.add(CourseCompletion(trainee_id=user.id, course_id=course_id))
            db.session.commit()

        headers = {"Accept-Encoding": "gzip"}
        first = client.get(pages[0], headers=headers)
        html = gzip.decompress(first.data).decode()
        css_url = re.search(r'href="(/static/css/[^"]+)"', html)[1]
        css = client.get(css_url, headers=headers)
        css_bytes = len(css.data)
        js_bytes = 0
        for js_url in re.findall(r'<script src="(/static/js/[^"]+)"', html):
            js = client.get(js_url, headers=headers)
            print(f"{js_url}: {len(js.data):,} bytes compressed")
            js_bytes += len(js.data)
        worker = client.get("/sw.js", headers=headers)
        print(f"/sw.js (installed once, not on the page): {len(worker.data):,} bytes compressed")
        print(f"all JavaScript on a page: {js_bytes:,} of {JS_BUDGET:,} bytes")
        assets = css_bytes + js_bytes
        print(f"{'page':<46} {'html raw':>9} {'html gz':>8} {'+css+js':>8}  budget")
        worst = 0
        for url in pages:
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.status_code)
            encoded = response.headers.get("Content-Encoding")
            raw = gzip.decompress(response.data) if encoded == "gzip" else response.data
            total = len(response.data) + assets
            worst = max(worst, total)
            ok = "ok" if total <= BUDGET else "OVER"
            print(f"{url:<46} {len(raw):>9,} {len(response.data):>8,} {total:>8,}  {ok}")
        print(
            f"css {css_url} compressed: {css_bytes:,} bytes; "
            f"heaviest first load (html + css + js): {worst:,} of {BUDGET:,} bytes"
        )
        # Every lesson with the pictures it lazy-loads when scrolled through, as served.
        with app.app_context():
            from lms.models import Lesson

            slugs = list(
                db.session.scalars(select(Lesson.slug).where(Lesson.archived_at.is_(None)))
            )
        lessons = []
        for slug in slugs:
            page = client.get(f"/learn/lessons/{slug}", headers=headers)
            assert page.status_code == 200, (slug, page.status_code)
            html = gzip.decompress(page.data).decode()
            srcs = re.findall(r'<img[^>]+src="([^"]+)"', html)
            pics = sum(len(client.get(src, headers=headers).data) for src in srcs)
            lessons.append((len(page.data) + assets + pics, slug, len(page.data), len(srcs), pics))
        lessons.sort(reverse=True)
        print(
            f"{'lesson, with its pictures':<46} {'html gz':>8} {'pics':>4} "
            f"{'pics gz':>8} {'total':>8}"
        )
        for total, slug, html_gz, n, pics in lessons[:5]:
            print(f"{slug:<46} {html_gz:>8,} {n:>4} {pics:>8,} {total:>8,}")
        print(f"{len(lessons)} lessons; with pictures: {sum(n > 0 for *_, n, _ in lessons)}")
        return 0 if worst <= BUDGET and js_bytes <= JS_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
