"""Login throttling: failed logins are counted per (account, client) and per client, on storage
every worker shares (RATELIMIT_STORAGE_URI), instead of locking the account.

- One phone from one client: 5 failures a minute, 20 an hour. A stranger elsewhere cannot lock
  a real user out: their failures count against their own address.
- One client: 60 failures a minute, 600 an hour, and 120 attempts a minute of any kind. A
  classroom of 40 behind one village Wi-Fi address all log in, typos included; a script
  guessing many phones from one address is stopped.

Only failures count toward the first two (a successful login costs nothing). The client is
the connecting address, or — behind a reverse proxy — the one ProxyFix takes from the
configured number of X-Forwarded-For hops (LMS_PROXY_COUNT). A request over a limit is
answered 429 with the login page and a message in the user's language.
"""

import math
import time

from flask import make_response, render_template, request
from flask_babel import gettext as _
from flask_limiter import RequestLimit

from lms.errors import ValidationError
from lms.services.accounts import normalise_phone

PER_ACCOUNT_AND_CLIENT = "5 per minute; 20 per hour"
PER_CLIENT = "60 per minute; 600 per hour"
ATTEMPTS_PER_CLIENT = "120 per minute"


def client() -> str:
    return request.remote_addr or "unknown"


def account_and_client() -> str:
    raw = request.form.get("phone", "")
    try:
        phone = normalise_phone(raw)
    except ValidationError:
        phone = raw.strip()[:20]
    return f"{phone}@{client()}"


def failed(response) -> bool:
    return response.status_code == 401


def too_many(limit: RequestLimit):
    from .forms import LoginForm

    form = LoginForm()
    minutes = max(1, math.ceil((limit.reset_at - time.time()) / 60))
    form.password.errors = [_("尝试次数太多了，请%(n)d分钟后再试，或请管理员重置密码。", n=minutes)]
    return make_response(render_template("auth/login.html", form=form), 429)
