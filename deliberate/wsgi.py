"""The WSGI entry point for production servers: `gunicorn 'deliberate.wsgi:app'`."""

import gc

from deliberate.app import create_app
from deliberate.security import refuse_insecure_configuration, warn_unknown_worker_count

app = create_app()
# Fail when the server starts, not on each request: the default secret key, no DELIBERATE_BASE_URL, or throttles
# counted per process while several workers serve.
refuse_insecure_configuration(app)
warn_unknown_worker_count(app)

# Everything loaded at start-up (numpy, the app) lives for the whole process: move it out of the
# garbage collector's reach so full collections stay short. The demands-list benchmark shows the tail latency
# drop from about 150 ms to about 25 ms at the 90th percentile with 1,000 demands.
gc.freeze()
