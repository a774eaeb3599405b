"""How news of a change reaches held status requests (status_hold.Watcher, status_news), without a
database: the watcher's bookkeeping and the news's wire format."""
import threading
import time

from patientapp import status_hold, status_news


def _watcher(**kwargs):
    # No engine: with the safety poll an hour away, nothing here reads a database.
    return status_hold.Watcher(None, safety_interval=3600, **kwargs)


def _held(watch, invitation_id, timeout=5.0, read_at=None):
    result = {}
    thread = threading.Thread(target=lambda: result.update(
        changed=watch.wait(invitation_id, None, ("waiting",), timeout, read_at=read_at)), daemon=True)
    thread.start()
    return thread, result


def _until(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.01)


def test_news_wakes_the_requests_held_on_that_invitation_only():
    watch = _watcher()
    first, first_result = _held(watch, 1)
    second, second_result = _held(watch, 2, timeout=0.5)
    _until(lambda: watch.waiting == 2)
    watch.notify({1, 99})
    first.join(5)
    assert first_result == {"changed": True}
    second.join(5)
    assert second_result == {"changed": False}  # its own hold ran out: no news of invitation 2
    assert watch.waiting == 0


def test_news_between_reading_and_sleeping_is_not_lost():
    """The request read its signature, then the change and its news came, then it sleeps: it wakes at once."""
    watch = _watcher()
    read_at = time.monotonic()
    watch.notify({7})
    started = time.monotonic()
    assert watch.wait(7, None, ("waiting",), 5.0, read_at=read_at) is True
    assert time.monotonic() - started < 1
    # News older than what the request read does not wake it: it already saw that change.
    assert watch.wait(7, None, ("waiting",), 0.2, read_at=time.monotonic()) is False


def test_a_full_waiting_room_answers_at_once():
    watch = _watcher(capacity=1)
    thread, _result = _held(watch, 1, timeout=1)
    _until(lambda: watch.waiting == 1)
    assert not watch.has_room()
    assert watch.wait(2, None, None, 5) is None
    watch.notify({1})
    thread.join(5)
    assert watch.has_room()


def test_holding_places_follow_the_worker():
    # gevent: connections less a tenth (at least 100); threads: threads less an eighth (at least 8).
    assert status_hold.holding_places("gevent", 600, 6000) == 5400
    assert status_hold.holding_places("gunicorn.workers.ggevent.GeventWorker", 1, 1000) == 900
    assert status_hold.holding_places("gthread", 600, 6000) == 525
    assert status_hold.holding_places("sync", 4, 1000) == 0


def test_the_news_carries_invitation_and_clinic_ids_and_nothing_else():
    assert status_news.encode([3, 1, 3]) == "1,3"
    assert status_news.encode([3, 1], [2]) == "1,3,c2"
    assert status_news.decode(b"1,3,c2") == ({1, 3}, {2})
    # Whatever else arrives on the channel is ignored, never an error.
    assert status_news.decode("1,x,-2,,<script>,99999999999999999999,4,c,cc5,c-1,c7") == ({1, 4}, {7})
    assert status_news.decode("") == (set(), set())


def test_news_of_a_clinic_is_remembered_for_its_dashboards():
    watch = _watcher()
    before = time.monotonic()
    watch.notify({5}, {2})
    assert watch.news_since(before, clinic_ids=[2]) and watch.news_since(before, invitation_ids=[5])
    assert not watch.news_since(before, clinic_ids=[3]) and not watch.news_since(before, invitation_ids=[6])
    assert not watch.news_since(time.monotonic() + 1, clinic_ids=[2])


def test_the_channel_follows_the_database():
    deliver = lambda ids, clinics: None  # noqa: E731
    assert status_news.for_database(deliver, "sqlite:///x.db").name == "in-process"
    assert status_news.for_database(deliver, "sqlite:///x.db", "redis://127.0.0.1:6379/0").name == "redis"
    assert status_news.for_database(deliver, "postgresql://u@h/db", "redis://127.0.0.1:6379/0").name == "postgresql"
