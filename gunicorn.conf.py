"""gunicorn's settings for the service: ``make run`` starts ``gunicorn -c gunicorn.conf.py``.

Values come from config.py (the environment), so the server and the app agree on ports.
"""

from config import Config

# The portal's port, and the content origin's (core/origins.py): uploaded content and the
# player's runtime run on CONTENT_PORT, another origin than the portal's.
bind = [f"{Config.HOST}:{Config.PORT}"]
if Config.CONTENT_PORT:
    bind.append(f"{Config.HOST}:{Config.CONTENT_PORT}")
workers = Config.WORKERS
# One greenlet per connection: a client that trickles its request (or never finishes it)
# holds a greenlet, not a worker, so the others are still answered (core/bodies.py reads
# every body before the app runs). PostgreSQL's driver (psycopg 3) waits cooperatively
# under gevent.
worker_class = "gevent"
worker_connections = 1000
accesslog = "-"
# Launch tokens, xAPI ``auth=`` and other secrets in request lines are redacted.
logger_class = "core.accesslog.RedactingLogger"


def when_ready(server: object) -> None:
    """Say where the service is, once it listens."""
    log = server.log  # type: ignore[attr-defined]
    log.info("Kompetens: the portal is at http://127.0.0.1:%s/", Config.PORT)
    if Config.CONTENT_PORT:
        log.info("Uploaded content is served from port %s (another origin)", Config.CONTENT_PORT)
