"""gunicorn settings for patientapp. Override with the environment (PORT, WEB_CONCURRENCY, …)."""
import logging
import os

from gunicorn.glogging import Logger

bind = os.environ.get("PATIENTAPP_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
# Rate-limit counts are shared between workers only through Redis (R45): one worker without it.
workers = int(os.environ.get("WEB_CONCURRENCY") or (2 if os.environ.get("PATIENTAPP_REDIS_URL") else 1))
# The worker (SECURITY.md R61, issue 15). A waiting patient's status request is held open until
# something changes (patientapp/status_hold.py). Under gevent each held request is a sleeping greenlet
# (about 20 KB, bench/holding.py): one worker holds thousands, up to worker_connections, and its
# requests never queue behind each other for the interpreter lock. psycopg 3 waits cooperatively
# under gevent's patching; SQLite's calls are short and its writers take turns on a lock that
# yields (patientapp/db.py). PATIENTAPP_WORKER_CLASS=gthread keeps the thread worker: a held request
# then sleeps in one of `threads`. Either way the holding places follow the worker (post_worker_init).
worker_class = os.environ.get("PATIENTAPP_WORKER_CLASS", "gevent")
threads = int(os.environ.get("PATIENTAPP_THREADS", "600"))
worker_connections = int(os.environ.get("PATIENTAPP_WORKER_CONNECTIONS", "6000"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Behind the TLS proxy: trust its X-Forwarded-* only from its address.
forwarded_allow_ips = os.environ.get("PATIENTAPP_FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Refuse several workers with in-memory rate-limit counts (R45), whatever set the count (-w too)."""
    from patientapp import config, limits

    # A RuntimeError: gunicorn prints "Error: <why>" and exits with status 1.
    limits.refuse_memory_with_workers(server.cfg.workers, config.from_environment())
    _allow_open_files(server.cfg.worker_connections * server.cfg.workers + 1000)


def post_worker_init(worker):
    """In each worker: hold as many status requests as it can, and listen for news of changes."""
    from patientapp import size_for_worker

    if "patientapp.watch" in getattr(worker.wsgi, "extensions", {}):  # our app, not another WSGI callable
        size_for_worker(worker.wsgi, worker.cfg.worker_class_str, worker.cfg.threads, worker.cfg.worker_connections)


def _allow_open_files(wanted: int) -> None:
    """Every held request is an open socket: raise the soft limit on open files toward the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


# Logs are JSON, one object per line (patientapp/logs.py, R51). The error log (gunicorn's own
# records and the app's) goes to stderr unless PATIENTAPP_ERROR_LOG names a file. The access log is
# off unless PATIENTAPP_ACCESS_LOG is set ("-" for stdout, or a file); when on, each line has the
# method, the path with tokens redacted, status, bytes, duration and request id: never the request
# line, the query string, the Referer, the address or the user agent (R5, R50).
accesslog = os.environ.get("PATIENTAPP_ACCESS_LOG") or None
errorlog = os.environ.get("PATIENTAPP_ERROR_LOG") or "-"
# Not used by JsonLogger below; safe should another logger class ever be set: no %(r)s, no %(f)s.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


class JsonLogger(Logger):
    """gunicorn's logs as JSON, and the app's records (werkzeug's, SQLAlchemy's…) in its error log."""

    def setup(self, cfg):
        super().setup(cfg)
        from patientapp.logs import JsonFormatter

        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
        # Every other logger propagates to the root: give it the error log's handlers (replacing
        # those of an earlier setup, which a configuration reload runs again).
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "_gunicorn", False):
                root.removeHandler(handler)
        for handler in self.error_log.handlers:
            root.addHandler(handler)

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        from patientapp.logs import redact

        try:
            method = str(environ.get("REQUEST_METHOD") or req.method)[:16]
            path = redact(str(environ.get("PATH_INFO") or req.path or "-"))
            status = _status(resp.status)
            request_id = next((str(v) for k, v in resp.headers if k.lower() == "x-request-id"), None)
            fields = {"method": method, "path": path, "status": status,
                      "bytes": getattr(resp, "sent", None),
                      "duration_ms": round(request_time.total_seconds() * 1000, 1)}
            self.access_log.info("%s %s %s", method, path, status, extra={"http": fields, "request_id": request_id})
        except Exception:
            self.error("access log line failed", exc_info=True)


def _status(status) -> int | None:
    try:
        return int(str(status).split(None, 1)[0])
    except (TypeError, ValueError, IndexError):
        return None


logger_class = JsonLogger
