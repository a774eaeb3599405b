"""The invitations list with 10,000 invitations in a clinic (and as many in two other clinics): how
long the page takes for the questions a nurse asks, and whether the database uses its index.

    .venv/bin/python bench/invitation_list.py                 # SQLite in a temporary folder
    .venv/bin/python bench/invitation_list.py --postgres postgresql+psycopg://127.0.0.1/test

Each view is asked `--repeat` times through the app (Flask's test client: the view, the query, the
template; no network), after one warm-up; the median and the 95th percentile are printed as a
Markdown table for bench/README.md.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LABELS = ["AB", "KN", "Ref", "OH", "MJ", "TK", "SL", "PB"]


def fill(app, per_clinic: int, clinics: int = 3) -> tuple[int, str, str]:
    """`clinics` clinics with `per_clinic` invitations each, from yesterday to 120 days ahead, in every
    state; returns the first clinic's id, a signed-in admin's session token and a label to look for."""
    from sqlalchemy import insert

    from patientapp import i18n, invitations, links, staff_access
    from patientapp.models import Clinic, Invitation, InvitationLink, Staff, utcnow

    rng = random.Random(7)
    languages = list(i18n.LANGUAGES)
    database = app.extensions["patientapp.db"]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with database.sessions() as session, session.begin():
        ids = []
        for c in range(clinics):
            clinic = Clinic(slug=f"bench-list-{c}", display_name=f"Bench {c}", phone="+4712345678",
                            time_zone="Europe/Oslo", room_settings={"rooms": [
                                {"key": "room-1", "label": "Rom 1", "provider": "whereby", "subdomain": "x",
                                 "room": "y"}]})
            session.add(clinic)
            session.flush()
            ids.append(clinic.id)
            rows = []
            for i in range(per_clinic):
                start = now + timedelta(minutes=rng.randrange(-24 * 60, 120 * 24 * 60, 5))
                rows.append({"ref": links.new_ref(), "clinic_id": clinic.id, "starts_at": start,
                             "ends_at": start + timedelta(minutes=20), "language": rng.choice(languages),
                             "state": rng.choice(invitations.STATES), "label": f"{rng.choice(LABELS)} {i}",
                             "room_ref": "room-1", "created_at": now, "updated_at": now, "link_generation": 1})
            session.execute(insert(Invitation), rows)
        # One link each, as staff make them (the list itself never reads them).
        all_ids = session.scalars(Invitation.__table__.select().with_only_columns(Invitation.id)).all()
        session.execute(insert(InvitationLink), [{"invitation_id": i, "token_hash": links.hash_token(links.new_token()),
                                                  "created_at": now} for i in all_ids])
        staff = Staff(clinic_id=ids[0], email="bench@example.no", display_name="Bench", role="admin",
                      language="nb", user_handle=staff_access.new_user_handle())
        session.add(staff)
        session.flush()
        token = staff_access.start_session(session, staff, utcnow())
    return ids[0], token, f"{LABELS[1].lower()} 12"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invitations", type=int, default=10_000, help="per clinic (three clinics)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres", help="a PostgreSQL URL (its tables are emptied first)")
    args = parser.parse_args()

    from patientapp import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-" * 4, "RATE_LIMITS": False,
                          "PUBLIC_BASE_URL": "http://localhost"})
        database = app.extensions["patientapp.db"]
        if args.postgres:
            from sqlalchemy import text

            with database.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        database.upgrade()
        started = time.perf_counter()
        clinic_id, token, label = fill(app, args.invitations)
        print(f"filled {3 * args.invitations:,} invitations in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        client = app.test_client()
        client.set_cookie("__Host-staff", token, domain="localhost")
        views = {
            "today": "/staff/invitations",
            "coming days, page 1": "/staff/invitations?period=upcoming",
            "coming days, page 100": "/staff/invitations?period=upcoming&page=100",
            "a label": f"/staff/invitations?period=upcoming&label={label}",
            "a state": "/staff/invitations?period=upcoming&state=cancelled",
            "one day": f"/staff/invitations?day={(datetime.now(UTC) + timedelta(days=7)):%Y-%m-%d}",
        }
        print(f"\n| view ({args.invitations:,} invitations in the clinic, "
              f"{'PostgreSQL' if args.postgres else 'SQLite'}) | median | p95 | rows |")
        print("|---|---|---|---|")
        for name, path in views.items():
            response = client.get(path, base_url="https://localhost")
            assert response.status_code == 200, (path, response.status_code)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(path, base_url="https://localhost")
                times.append((time.perf_counter() - start) * 1000)
            rows = response.get_data(as_text=True).count('href="/staff/invitations/') - 1
            times.sort()
            p95 = times[int(0.95 * (len(times) - 1))]
            print(f"| {name} | {statistics.median(times):.1f} ms | {p95:.1f} ms | {rows} |")
        plan(database, clinic_id, bool(args.postgres))
        database.dispose()


def plan(database, clinic_id: int, postgres: bool) -> None:
    """How the database answers the coming-days page: by the clinic-and-time index, not a full scan."""
    from sqlalchemy import text

    query = ("SELECT id FROM invitations WHERE clinic_id = :c AND starts_at >= :t "
             "ORDER BY starts_at, id LIMIT 50")
    with database.engine.connect() as connection:
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        rows = connection.execute(text(explain + query), {"c": clinic_id, "t": datetime.now(UTC).replace(tzinfo=None)})
        print("\nplan for the coming-days page:")
        for row in rows:
            print("   ", row[-1])


if __name__ == "__main__":
    main()
