"""Flask extensions, created unbound and initialised in create_app()."""

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()  # gzip/brotli for HTML and CSS on slow mobile data
migrate = Migrate()
# Storage from RATELIMIT_STORAGE_URI: memory in one process, Redis for several workers.
limiter = Limiter(key_func=get_remote_address)
