"""Response headers every page carries: a strict Content-Security-Policy, no framing, no MIME
sniffing, a same-origin referrer, and the caching contract of DESIGN §5.

Caching: fingerprinted static files say so themselves (immutable for a year). One-time passwords
and exports are `no-store` (views wrap them in `no_store`). Everything else a person is shown
may hold personal data and is `private, no-cache`: the browser (and the service worker) may keep
it, but must ask again before using it.
"""

from flask import Flask, make_response, request

# Scripts and styles come from static/ only: no inline script, no inline style attribute.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# A lesson figure drawn as SVG, opened on its own: it may draw, and nothing else.
FIGURE_CSP = "default-src 'none'; sandbox"


def no_store(rv):
    """A response that no cache may keep: one-time passwords, exports."""
    response = make_response(rv)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if "Cache-Control" not in headers and request.endpoint != "static":
            headers["Cache-Control"] = "private, no-cache"
        return response
