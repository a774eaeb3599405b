"""The smallest app that holds requests the way the waiting room does (bench/holding.py): /hold waits
until /release or its time is up, /ping answers at once. Only the standard library's threading, which
gunicorn's gevent worker makes cooperative."""
import threading
import time

from flask import Flask, request

app = Flask(__name__)
_news = threading.Condition()
_version = 0


@app.get("/hold")
def hold():
    seen = _version
    deadline = time.monotonic() + float(request.args.get("t", "60"))
    with _news:
        while _version == seen and (left := deadline - time.monotonic()) > 0:
            _news.wait(left)
    return {"version": _version}


@app.post("/release")
def release():
    global _version
    with _news:
        _version += 1
        _news.notify_all()
    return {"version": _version}


@app.get("/ping")
def ping():
    return "pong"
