"""gunicorn's settings for production: `gunicorn catalog.wsgi` reads this file.

Every value can be overridden by the environment variable named beside it. The README's
"Production" section explains each choice.
"""

import json
import os

from gunicorn import util

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads: a client that sends its body slowly holds one thread, not a whole worker, so
# a few stalled uploads cannot stop the service from answering everyone else. A
# buffering proxy in front (nginx with proxy_request_buffering on) removes even that.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request that takes longer than this is cut off, and its worker replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Workers are recycled after this many requests (with jitter, so not all at once):
# memory a request leaves behind cannot pile up.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10

# Request limits: a longer request line is answered 414, more or longer headers 431 or
# 400, each as the API's JSON error document (below).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Which peers may set X-Forwarded-For/-Proto (and so the client address the throttle
# sees): only the proxy in front, never any client. Set FORWARDED_ALLOW_IPS to the
# proxy's address; the default trusts no one but this host.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

# An empty GUNICORN_ACCESS_LOG turns the access log off.
# No runtime control socket: one shared path would collide between several servers on
# one host, and workers are managed by the process supervisor.
control_socket_disable = True

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None


def write_json_error(sock, status_int, reason, mesg):
    """gunicorn's own refusals (a request line or header over the limits above, a
    malformed request) in the API's error shape instead of gunicorn's HTML page."""
    body = json.dumps(
        {
            "status": status_int,
            "code": reason.lower().replace(" ", "_"),
            "detail": f"{reason}: {mesg}"[:500] if mesg else reason,
            "errors": {},
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


# gunicorn writes these answers before any application code runs; this is its one hook.
util.write_error = write_json_error
