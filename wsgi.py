"""Entry point for gunicorn and `flask --app wsgi`."""

import gc

from lms import create_app

app = create_app()

# Everything built so far (modules, the app, its templates and tables: about 146,000 objects)
# lives as long as the worker. Frozen, it is left out of the collector's full passes, which
# would otherwise walk it all (70-140 ms on a 2-core machine) in the middle of some request.
gc.collect()
gc.freeze()
