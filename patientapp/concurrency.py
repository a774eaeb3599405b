"""At most a few requests at work at once in each process; the rest wait their turn, asleep.

gunicorn's gthread workers run every request on its own thread, and a waiting room needs hundreds of
threads (each held status request sleeps in one). Sleeping threads cost nothing, but working ones
share one interpreter lock: with dozens at work at once, every database call gives the lock away and
waits a whole round to get it back, so a write transaction that needs 5 ms holds SQLite's write lock
for a second and the writers behind it time out (measured with 1,000 patients arriving). A small
number of working places keeps each request's work short, and requests queue here instead of inside
the database. A held status request gives its place back while it sleeps (`step_aside`).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from flask import Flask, current_app, g, jsonify, request
from werkzeug.exceptions import ServiceUnavailable

from . import paths

_PLACE = "patientapp.concurrency"


class Busy(ServiceUnavailable):
    """Every working place stayed taken for too long: a calm 503 with Retry-After."""


def init_app(app: Flask) -> None:
    places = int(app.config.get("MAX_ACTIVE_REQUESTS") or 0)
    if places <= 0:
        return
    app.extensions[_PLACE] = threading.BoundedSemaphore(places)
    # Registered before every other hook, so that the session, the staff guard and the view itself
    # all run inside a working place.
    app.before_request_funcs.setdefault(None, []).insert(0, _enter)
    app.teardown_request(_leave)

    @app.errorhandler(Busy)
    def _busy(_error):
        if request.path.startswith(paths.JSON_APIS):
            response = jsonify(error="busy")
        else:
            from .errors import render_error

            response, _code = render_error(503)
        return response, 503, {"Retry-After": "5"}


def _places():
    return current_app.extensions.get(_PLACE)


def _take(places) -> None:
    """Wait for a working place, up to ACTIVE_REQUEST_WAIT_SECONDS; then a calm 503."""
    if not places.acquire(timeout=float(current_app.config.get("ACTIVE_REQUEST_WAIT_SECONDS", 20))):
        raise Busy()
    g.workload_place = True


def _enter() -> None:
    places = _places()
    if places is not None:
        _take(places)


def _leave(_exc=None) -> None:
    if g.pop("workload_place", False):
        _places().release()


class _Aside:
    urgent = False


@contextmanager
def step_aside():
    """Give the working place back while this request sleeps; take one again to finish.

    Set `.urgent` on the yielded object when the sleep ended with news the patient is waiting for
    (let in: the page is about to leave for the video room). Such a request does not queue behind
    new arrivals for a place: it finishes at once, a short overshoot of the limit. A request that
    merely timed out queues like any other.
    """
    places = _places()
    held = g.pop("workload_place", False)
    if places is not None and held:
        places.release()
    aside = _Aside()
    try:
        yield aside
    finally:
        if places is not None and held:
            if places.acquire(blocking=False):
                g.workload_place = True
            elif not aside.urgent:
                _take(places)
