"""What makes the app work where the signal doesn't: the web app manifest and icons, the
service worker (served from the site root so its scope is the whole app), the offline page and
the list of entries waiting on this phone.

The worker (templates/offline/sw.js) keeps the app shell and static files, every lesson a
trainee opened and the next ones of their course, and a mentor's caseload and trainee files,
and answers from them when the network does not; the page script (static/js/offline.js) keeps
forms sent without a connection in IndexedDB and syncs them through POST /api/v1/sync. Neither
is needed: without JavaScript every page and form works online as before.
"""

from pathlib import Path

from flask import Flask, Response, current_app, render_template, url_for
from flask_babel import gettext as _

from lms.clock import utcnow

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"

# Pages the worker keeps for the person who opened them (private pages: revalidated each time
# the network answers; dropped at logout). Anything else is never stored.
KEPT_PREFIXES = ("/learn/", "/mentor/")


def init_offline(app: Flask) -> None:
    app.add_url_rule("/manifest.webmanifest", "manifest", manifest)
    app.add_url_rule("/sw.js", "service_worker", service_worker)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    app.add_url_rule("/offline", "offline", offline_page)
    app.add_url_rule("/pending", "pending", pending_page)
    app.jinja_env.globals["offline_text"] = offline_text
    app.jinja_env.globals["rendered_at"] = lambda: utcnow().isoformat(timespec="seconds") + "Z"


def offline_text() -> dict[str, str]:
    """The words static/js/offline.js shows, in the user's language."""
    return {
        "waiting": _("待上传 {n} 条"),
        "none": _("没有待上传的记录"),
        "last": _("上次同步：{t}"),
        "never": _("这台手机还没有同步过"),
        "others": _("另有 {n} 条是别的账号在这台手机上填的，等他们登录后上传。"),
        "saved": _("没有网络，已存在这台手机上，有网时会自动上传。"),
        "state_waiting": _("待上传"),
        "state_rejected": _("要修改"),
        "state_conflict": _("没能上传"),
        "open": _("打开修改"),
        "discard": _("删除"),
        "confirm_discard": _("确定删除这条吗？删除后找不回来。"),
        "uploading": _("正在上传…"),
        "uploaded": _("已上传 {n} 条。"),
        "offline_now": _("现在没有网络，有网时会自动上传。"),
        "failed": _("这次没能上传，稍后会再试。"),
        "copy": _("这是 {t} 存在手机上的副本，有网时会更新。"),
        "draft": _("这是存在手机上、还没上传的记录。改好后按保存。"),
        "draft_photo": _("照片已存在手机上。"),
    }


def manifest():
    asset_url = current_app.jinja_env.globals["asset_url"]
    body = {
        "name": _("乡村电商学堂"),
        "short_name": _("电商学堂"),
        "lang": "zh-CN",
        "start_url": url_for("auth.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#fbfaf6",
        "theme_color": "#2f7d32",
        "icons": [
            {"src": asset_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": asset_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": asset_url("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    response.cache_control.no_cache = True
    return response


def service_worker():
    asset_url = current_app.jinja_env.globals["asset_url"]
    shell = [
        url_for("offline"),
        url_for("pending"),
        asset_url("css/app.css"),
        asset_url("js/offline.js"),
        asset_url("js/read-aloud.js"),
        asset_url("js/vendor/idb-keyval.js"),
        asset_url("icons/icon-192.png"),
        url_for("favicon"),
    ]
    body = render_template(
        "offline/sw.js",
        shell=shell,
        idb=asset_url("js/vendor/idb-keyval.js"),
        kept=KEPT_PREFIXES,
        offline=url_for("offline"),
    )
    # A new deploy changes the asset names in the worker, so the browser installs it anew.
    response = Response(body, mimetype="text/javascript")
    response.cache_control.no_cache = True
    return response


def favicon():
    response = Response((ICONS / "favicon.ico").read_bytes(), mimetype="image/vnd.microsoft.icon")
    response.cache_control.max_age = 7 * 24 * 3600
    return response


def offline_page():
    return render_template("offline/offline.html")


def pending_page():
    return render_template("offline/pending.html")
