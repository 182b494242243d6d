"""Static files with fingerprinted names, cached for a year; nothing comes from outside.

`asset_url("css/app.css")` gives `/static/css/app.3f2a1b9c0d.css`. The hash changes whenever the
file does, so browsers may keep every fingerprinted file forever (`immutable`), which matters on
slow, metered mobile data. Files are small and read into memory, so responses are compressed
like pages are.
"""

import hashlib
import mimetypes
import re
from functools import cache
from pathlib import Path

from flask import Flask, Response, abort, request, url_for

FINGERPRINT = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})(?P<suffix>\.[A-Za-z0-9]+)$")
ONE_YEAR = 365 * 24 * 3600


def init_assets(app: Flask, folder: Path) -> None:
    root = folder.resolve()

    def read(filename: str) -> tuple[bytes, str] | None:
        path = (root / filename).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        data = path.read_bytes()
        return data, hashlib.sha256(data).hexdigest()[:10]

    cached_read = cache(read)

    def load(filename: str) -> tuple[bytes, str] | None:
        return read(filename) if app.debug else cached_read(filename)

    def asset_url(filename: str) -> str:
        found = load(filename)
        if found is None:
            raise FileNotFoundError(filename)
        path = Path(filename)
        return url_for(
            "static", filename=str(path.with_name(f"{path.stem}.{found[1]}{path.suffix}"))
        )

    def static(filename: str):
        match = FINGERPRINT.match(filename)
        real = f"{match['stem']}{match['suffix']}" if match else filename
        found = load(real)
        if found is None:
            abort(404)
        data, digest = found
        response = Response(
            data, mimetype=mimetypes.guess_type(real)[0] or "application/octet-stream"
        )
        response.set_etag(digest)
        if match and match["hash"] == digest:
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.public = True
            response.cache_control.immutable = True
        else:
            response.cache_control.no_cache = True
        return response.make_conditional(request)

    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=static)
    app.jinja_env.globals["asset_url"] = asset_url
