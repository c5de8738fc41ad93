#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""How long verifying an evidence pack takes for a long audit trail.

Builds a scratch database with only the audit table's hashed columns, fills
it with N chained entries (the trail's own hash), then times
``verify_trail`` (what the wizard and scripts/verify_evidence_pack.py run)
up to the last one, and once more with one entry altered near the end.

    PGHOST=... PGPORT=... PGUSER=... scripts/bench_evidence_verify.py [N]
"""

import json
import sys
import time
from datetime import datetime, timedelta

import psycopg2
from psycopg2.extras import execute_values
from verify_evidence_pack import load_verifier

DB = "ag_bench_evidence_verify"


def main(count):
    verifier = load_verifier()
    admin = psycopg2.connect("dbname=postgres")
    admin.autocommit = True
    with admin.cursor() as cr:
        cr.execute(f"DROP DATABASE IF EXISTS {DB}")
        cr.execute(f"CREATE DATABASE {DB}")
    conn = psycopg2.connect(f"dbname={DB}")
    try:
        cr = conn.cursor()
        cr.execute(
            """CREATE TABLE access_governance_audit (
                id serial PRIMARY KEY, sequence integer UNIQUE, date timestamp,
                event varchar, actor_uid integer, actor_login varchar,
                user_uid integer, user_login varchar, user_name varchar,
                group_names text, res_model varchar, res_id integer,
                record_name varchar, description text, details text,
                previous_hash varchar, hash varchar)"""
        )
        start = datetime(2026, 7, 1)
        previous, rows = "", []
        for seq in range(1, count + 1):
            values = {
                "sequence": seq,
                "date": start + timedelta(seconds=seq),
                "event": "grant_approval",
                "actor_uid": 2,
                "actor_login": "admin",
                "user_uid": 7,
                "user_login": "emma",
                "user_name": "Emma Employee",
                "group_names": "Accounting / Advisor",
                "res_model": "access.governance.grant",
                "res_id": seq,
                "record_name": f"GR/2026/{seq:05d}",
                "description": f"GR/2026/{seq:05d}: approved by Mark Manager.",
                "details": json.dumps({"approver": 9, "grant": seq}, sort_keys=True),
            }
            digest = verifier.entry_hash(previous, values)
            rows.append((*values.values(), previous, digest))
            previous = digest
        execute_values(
            cr,
            "INSERT INTO access_governance_audit (sequence, date, event, actor_uid, "
            "actor_login, user_uid, user_login, user_name, group_names, res_model, "
            "res_id, record_name, description, details, previous_hash, hash) "
            "VALUES %s",
            rows,
            page_size=2000,
        )
        conn.commit()
        t0 = time.perf_counter()
        result = verifier.verify_trail(cr, count, previous)
        intact = time.perf_counter() - t0
        assert result["ok"], result
        cr.execute(
            "UPDATE access_governance_audit SET description = 'forged' "
            "WHERE sequence = %s",
            [count - 10],
        )
        t0 = time.perf_counter()
        result = verifier.verify_trail(cr, count, previous)
        altered = time.perf_counter() - t0
        assert not result["ok"] and result["sequence"] == count - 10, result
        print(
            f"{count} entries: intact verified in {intact:.2f} s "
            f"({count / intact:,.0f} entries/s); altered entry #{count - 10} "
            f"named in {altered:.2f} s"
        )
    finally:
        conn.close()
        with admin.cursor() as cr:
            cr.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100000)
