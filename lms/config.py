"""Settings, read from the environment with safe local defaults."""

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# A key that is in this repository signs nothing real: a server refuses to start with it.
DEVELOPMENT_KEYS = {"", "dev-only-change-me"}


def _secret_key() -> str | None:
    """LMS_SECRET_KEY, else the key `make run` keeps in instance/secret_key, else None."""
    if key := os.environ.get("LMS_SECRET_KEY"):
        return key
    path = ROOT / "instance" / "secret_key"
    return path.read_text().strip() if path.is_file() else None


class Config:
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "LMS_DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'lms.sqlite3'}"
    )
    # Parameters may be phone numbers, names or password hashes: never in a log or an error.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    CURRICULA_PATH = os.environ.get("LMS_CURRICULA_PATH", str(ROOT / "curricula"))
    UPLOAD_FOLDER = os.environ.get("LMS_UPLOAD_FOLDER", str(ROOT / "instance" / "uploads"))

    # Shared phones: a session lives 14 days and is renewed on every request.
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    SESSION_REFRESH_EACH_REQUEST = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("LMS_SECURE_COOKIES", "0") == "1"
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024

    # A mentor may keep a form open for hours in a village: the CSRF token lives as long as the
    # session does instead of expiring after an hour.
    WTF_CSRF_TIME_LIMIT = None

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    # argon2id at the OWASP Password Storage Cheat Sheet's setting (19 MiB, 2 passes, 1 lane):
    # meets ASVS 5 and costs ~20 ms, so a 300-row roster import or a burst of logins stays quick
    # on 2 cores. Stored hashes are upgraded on login whenever these change.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19456
    ARGON2_PARALLELISM = 1

    # Login throttling (lms.auth.throttle) counts failed logins where every worker sees them:
    # memory on the embedded default (one process), Redis in production.
    RATELIMIT_STORAGE_URI = os.environ.get("LMS_RATELIMIT_STORAGE_URL", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    # Reverse proxies in front of the app (nginx: 1): how many X-Forwarded-For hops to trust
    # for the client's address. 0 trusts none.
    PROXY_COUNT = int(os.environ.get("LMS_PROXY_COUNT", "0"))

    # Background jobs (lms.jobs): RQ on this Redis when it is set, run by `flask --app wsgi
    # worker`; unset (the embedded default), a thread of the web process runs them.
    JOB_QUEUE_URL = os.environ.get("LMS_JOB_QUEUE_URL") or None
    JOB_QUEUE_NAME = os.environ.get("LMS_JOB_QUEUE_NAME", "lms")


def engine_options(url: str, options: dict) -> dict:
    """The engine options for this database. PostgreSQL connections run without JIT
    compilation: the read side's statements aggregate a whole programme, so the planner costs
    them high enough to compile, which added 0.1–0.3 s to each at 100,000 trainees for nothing
    (docs/performance.md). It is the connection's own setting: no server needs tuning."""
    if url.startswith("postgresql"):
        return {**options, "connect_args": {"options": "-c jit=off"}}
    return options


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    SQLALCHEMY_DATABASE_URI = os.environ.get("LMS_TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    JOB_QUEUE_URL = None  # jobs run in-process unless a test asks for Redis
    # Cheap hashing keeps the suite fast; production parameters are tested separately.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
