"""gunicorn settings for patientapp. Override with the environment (PORT, WEB_CONCURRENCY, …)."""
import os

from gunicorn.glogging import Logger

bind = os.environ.get("PATIENTAPP_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads (SECURITY.md R61). A waiting patient's status request is held open until something
# changes (patientapp/waiting_watch.py), and a held request sleeps in one of these threads: size
# them for the patients waiting at once (2 workers x 600 hold ~1,050 of them; threads are started
# only when needed). Patients beyond that fall back to polling every few seconds.
worker_class = "gthread"
threads = int(os.environ.get("PATIENTAPP_THREADS", "600"))
worker_connections = int(os.environ.get("PATIENTAPP_WORKER_CONNECTIONS", "1000"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Behind the TLS proxy: trust its X-Forwarded-* only from its address.
forwarded_allow_ips = os.environ.get("PATIENTAPP_FORWARDED_ALLOW_IPS", "127.0.0.1")

# The access log is off unless asked for; when on, it never has the request line (%(r)s)
# or the Referer (%(f)s), which could carry a link token (R5, R50).
accesslog = os.environ.get("PATIENTAPP_ACCESS_LOG") or None
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"


class RedactingLogger(Logger):
    """Replaces /i/<token> and /d/<signed> in the logged path with a placeholder."""

    def atoms(self, resp, req, environ, request_time):
        from patientapp.logs import redact

        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "f", "{raw_uri}e"):
            if key in atoms and isinstance(atoms[key], str):
                atoms[key] = redact(atoms[key])
        return atoms


logger_class = RedactingLogger
