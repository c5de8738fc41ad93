#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Concurrency benchmark: parallel workers approving grants.

N worker processes (each with its own registry and database connections,
as Odoo's prefork workers) approve submitted grants for a fixed time, each
approval in its own transaction through Odoo's own retry loop
(``odoo.service.model.retrying``: up to 5 tries on a serialization failure,
deadlock or lock timeout, as an HTTP request gets). Each approval activates
the grant: claims, group changes and several audit entries.

Prints calls per second, failed calls (failed after the retries; target 0),
retried calls, latency, and the state of the audit trail afterwards (chain
intact, entries pending, the oldest pending entry seen during the run).

The database: a copy of ``--db`` (the one ``bench.py --keep`` builds) when it
exists, otherwise a fresh install without demo data; the copy is dropped at
the end unless ``--keep``. Works on any version of the addon, so that the
same figure can be measured before and after a change.

Usage: python3 scripts/bench_concurrency.py --db-host H --db-port P
       --db-user U --addons-path PATH [--db NAME] [--workers 4]
       [--seconds 60] [--grants 3000]
"""

import argparse
import logging
import multiprocessing
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Sibling script: connection and Odoo set-up.
import bench

WORK_DB_SUFFIX = "_concurrency"
LOGIN_PREFIX = "bench.conc."
SETUP_BATCH = 200
MONITOR_EVERY = 0.5  # seconds between looks at the pending audit entries


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-host", required=True)
    parser.add_argument("--db-port", required=True, type=int)
    parser.add_argument("--db-user", required=True)
    parser.add_argument("--db-password", default=os.environ.get("PGPASSWORD"))
    parser.add_argument("--addons-path", required=True)
    parser.add_argument(
        "--db",
        default="access_governance_bench",
        help="database to copy (a fresh one is installed when it does not exist)",
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--grants",
        type=int,
        default=3000,
        help="submitted grants prepared (one beneficiary each); the run stops "
        "early if the workers approve them all",
    )
    parser.add_argument("--keep", action="store_true", help="keep the copy")
    parser.add_argument("--data-dir")
    parser.add_argument("--log-level", default="warn")
    return parser.parse_args(argv)


def create_work_database(odoo, args):
    """A copy of ``args.db`` when it exists, else a fresh install."""
    name = args.db + WORK_DB_SUFFIX
    bench.drop_database(odoo, name)
    if bench.database_exists(odoo, args.db):
        odoo.sql_db.close_db(args.db)
        with odoo.sql_db.db_connect("postgres").cursor() as cr:
            cr._cnx.autocommit = True
            cr.execute(f'CREATE DATABASE "{name}" TEMPLATE "{args.db}"')
        bench.say(f"database: {name}, a copy of {args.db}")
    else:
        _registry, elapsed = bench.install(odoo, name)
        bench.say(
            f"database: {name}, access_governance installed without demo data "
            f"in {elapsed:.1f} s ({args.db} does not exist)"
        )
    return name


def prepare(registry, args):
    """Approvers (one per worker), beneficiaries and submitted grants, all
    committed. Returns (approver ids, grant ids)."""
    from odoo import SUPERUSER_ID, api
    from odoo.fields import Command

    context = dict(bench.BUILD_CONTEXT)
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, context)
        Users = env["res.users"]
        manager = env.ref("access_governance.group_governance_manager")
        internal = env.ref("base.group_user")
        approvers = Users.create(
            [
                {
                    "name": f"Bench Approver {index}",
                    "login": f"{LOGIN_PREFIX}approver{index}",
                    "groups_id": [Command.set((internal | manager).ids)],
                }
                for index in range(args.workers)
            ]
        )
        group = env["res.groups"].create(
            {
                "name": "Bench Concurrency",
                "governance_scope": "governed",
                "governance_risk": "high",
            }
        )
        profile = env["access.governance.profile"].create(
            {
                "name": "Bench concurrency",
                "group_ids": [Command.set(group.ids)],
                "default_duration_hours": 8,
                "max_duration_hours": 24,
                "approver_user_ids": [Command.set(approvers.ids)],
            }
        )
        approver_ids, profile_id = approvers.ids, profile.id
    grant_ids = []
    for offset in range(0, args.grants, SETUP_BATCH):
        count = min(SETUP_BATCH, args.grants - offset)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, context)
            users = env["res.users"].create(
                [
                    {
                        "name": f"Bench Beneficiary {offset + index}",
                        "login": f"{LOGIN_PREFIX}user{offset + index}",
                        "groups_id": [Command.set(internal.ids)],
                    }
                    for index in range(count)
                ]
            )
            grants = env["access.governance.grant"].create(
                [
                    {
                        "profile_id": profile_id,
                        "beneficiary_id": user.id,
                        "reason": "Concurrency benchmark",
                    }
                    for user in users
                ]
            )
            grants.action_submit()
            grant_ids += grants.ids
        bench.progress(f"prepared {len(grant_ids)} submitted grants")
    bench.say(
        f"prepared: {len(approver_ids)} approvers, {len(grant_ids)} submitted "
        f"grants for as many users in {time.perf_counter() - start:.1f} s"
    )
    return approver_ids, grant_ids


def worker(db, approver_id, grant_ids, deadline, queue):
    """Approve grants until the deadline; report counts and latencies."""
    import psycopg2

    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.service.model import retrying

    # Conflicts are counted below; Odoo logs each failed query as an error.
    logging.getLogger("odoo.sql_db").setLevel(logging.CRITICAL)
    registry = Registry(db)
    done = failed = retried = 0
    latencies, errors = [], {}
    for grant_id in grant_ids:
        if time.time() >= deadline:
            break
        tries = 0
        start = time.perf_counter()
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, approver_id, {})

                def approve(env=env, grant_id=grant_id):
                    nonlocal tries
                    tries += 1
                    env["access.governance.grant"].browse(grant_id).action_approve()

                retrying(approve, env)
            done += 1
        except (psycopg2.Error, Exception) as error:  # noqa: BLE001 - counted
            failed += 1
            key = type(error).__name__
            errors[key] = errors.get(key, 0) + 1
        latencies.append(time.perf_counter() - start)
        retried += tries > 1
    queue.put(
        {
            "done": done,
            "failed": failed,
            "retried": retried,
            "latencies": latencies,
            "errors": errors,
        }
    )


def monitor_pending(registry, deadline, processes):
    """Largest age of a pending audit entry seen while the workers run, in
    seconds (None when the addon does not seal after commit)."""
    from odoo import SUPERUSER_ID, api

    oldest = None
    while any(process.is_alive() for process in processes):
        with registry.cursor() as cr:
            Audit = api.Environment(cr, SUPERUSER_ID, {})["access.governance.audit"]
            if not hasattr(Audit, "_audit_pending_status"):
                return None
            status = Audit._audit_pending_status()
            now = cr.now().replace(microsecond=0)
            if status["pending"]:
                age = (now - status["pending_since"]).total_seconds()
                oldest = max(oldest or 0, age)
            else:
                oldest = oldest or 0
        time.sleep(MONITOR_EVERY)
        if time.time() > deadline + 600:
            break
    return oldest


def audit_state(registry):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        Audit = api.Environment(cr, SUPERUSER_ID, {})["access.governance.audit"]
        pending = Audit._audit_pending_status() if hasattr(Audit, "_audit_seal") else {}
    start = time.perf_counter()
    if hasattr(Audit, "_audit_seal"):
        with registry.cursor() as cr:
            Audit = api.Environment(cr, SUPERUSER_ID, {})["access.governance.audit"]
            Audit._audit_seal()
    sealed_in = time.perf_counter() - start
    with registry.cursor() as cr:
        Audit = api.Environment(cr, SUPERUSER_ID, {})["access.governance.audit"]
        result = Audit._audit_verify_chain()
    return pending, sealed_in, result


def grant_states(registry, grant_ids):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM access_governance_grant "
            "WHERE id = ANY(%s) GROUP BY state ORDER BY state",
            [grant_ids],
        )
        return dict(cr.fetchall())


def main(argv=None):
    args = parse_args(argv)
    odoo = bench.import_odoo()
    bench.configure(odoo, args)
    from odoo.modules.registry import Registry

    bench.say(
        f"\naccess_governance concurrency benchmark: {args.workers} workers "
        f"approving grants for {args.seconds:.0f} s"
    )
    name = create_work_database(odoo, args)
    registry = Registry(name)
    approver_ids, grant_ids = prepare(registry, args)
    # Each worker process opens its own connections.
    odoo.sql_db.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    shares = [grant_ids[index :: args.workers] for index in range(args.workers)]
    start = time.time()
    deadline = start + args.seconds
    processes = [
        context.Process(
            target=worker, args=(name, approver_ids[index], share, deadline, queue)
        )
        for index, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
    oldest_pending = monitor_pending(registry, deadline, processes)
    reports = [queue.get() for _process in processes]
    for process in processes:
        process.join()
    elapsed = time.time() - start
    done = sum(report["done"] for report in reports)
    failed = sum(report["failed"] for report in reports)
    retried = sum(report["retried"] for report in reports)
    latencies = sorted(latency for report in reports for latency in report["latencies"])
    errors = {}
    for report in reports:
        for key, count in report["errors"].items():
            errors[key] = errors.get(key, 0) + count
    calls = done + failed
    bench.say(
        f"calls: {calls} in {elapsed:.1f} s = {calls / elapsed:.1f} calls/s "
        f"({done / elapsed:.1f} approvals/s committed); failed: {failed}"
        + (f" {errors}" if errors else "")
        + f"; retried (serialization failure or deadlock, then committed or "
        f"failed): {retried}"
    )
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        bench.say(
            f"latency per call: median {statistics.median(latencies):.2f} s, "
            f"95th percentile {p95:.2f} s, max {latencies[-1]:.2f} s"
        )
    if calls >= len(grant_ids):
        bench.say(
            "note: every prepared grant was approved before the time was up; "
            "raise --grants for a full run"
        )
    bench.say(f"grants: {grant_states(registry, grant_ids)}")
    pending, sealed_in, result = audit_state(registry)
    if pending:
        bench.say(
            f"audit: {pending['pending']} entries pending when the workers "
            f"stopped, sealed in {sealed_in:.2f} s; oldest pending entry seen "
            f"during the run: {oldest_pending:.0f} s old (second resolution)"
        )
    bench.say(
        f"audit chain: {result['state']}, {result['checked']} entries verified, "
        f"{result.get('pending', 0)} pending"
    )
    if not args.keep:
        registry = None
        bench.drop_database(odoo, name)
    return 1 if failed or result["state"] != "intact" else 0


if __name__ == "__main__":
    sys.exit(main())
