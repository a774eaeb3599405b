"""The yardstick for bench/page_cost.py: a bare Flask route returning a 10 KB string, served by the
same gunicorn settings as the app (gunicorn.conf.py)."""
from flask import Flask

BODY = "x" * 10 * 1024

app = Flask(__name__)


@app.get("/")
def bare():
    return BODY
