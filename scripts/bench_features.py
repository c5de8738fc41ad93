#!/usr/bin/env python3
"""Feature benchmarks on the database built by scripts/bench.py.

Prints wall time and SQL query count for:

- mover: 1,000 employees change job position at once (one write), each job
  mapped to a role, so the old role ends and the new one starts;
- grant cron: 1,000 due approved grants activated, then expired, by one run
  of ``_cron_process_grants`` each;
- detectors: each detector at 1,000 and 10,000 users with realistic
  holdings (see ``prepare_holdings``), a first run and a second one;
- review campaign: start a campaign over every internal user.

Every measurement runs in its own transaction and is rolled back, so the
database is unchanged and the run can be repeated. Crons run with the
thread's ``testing`` flag so that they do not commit their batches.

Usage: python3 scripts/bench_features.py --db-host H --db-port P
       --db-user U --addons-path PATH [--db NAME] [--employees 1000]
       [--grants 1000]
"""

import argparse
import contextlib
import os
import sys
import threading
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Sibling script: connection and Odoo set-up.
import bench


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-host", required=True)
    parser.add_argument("--db-port", required=True, type=int)
    parser.add_argument("--db-user", required=True)
    parser.add_argument("--db-password", default=os.environ.get("PGPASSWORD"))
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--db", default="access_governance_bench")
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--grants", type=int, default=1000)
    parser.add_argument(
        "--tracking",
        action="store_true",
        help="keep field tracking on (chatter messages of state changes), "
        "as the scheduled action runs; off by default",
    )
    parser.add_argument(
        "--detector-sizes",
        default="1000,10000",
        help="user counts at which each detector runs (default 1000,10000)",
    )
    parser.add_argument(
        "--only",
        choices=("mover", "grants", "review", "detectors"),
        help="run one benchmark only",
    )
    parser.add_argument("--data-dir")
    parser.add_argument("--log-level", default="warn")
    return parser.parse_args(argv)


class Runner:
    def __init__(self, registry, tracking=False):
        self.registry = registry
        self.tracking = tracking
        self.rows = []

    @contextlib.contextmanager
    def transaction(self):
        from odoo import SUPERUSER_ID, api

        cr = self.registry.cursor()
        thread = threading.current_thread()
        testing = getattr(thread, "testing", False)
        thread.testing = True  # crons: no batch commits, no mail sent
        try:
            context = {} if self.tracking else {"tracking_disable": True}
            yield api.Environment(cr, SUPERUSER_ID, context)
        finally:
            thread.testing = testing
            cr.rollback()
            cr.close()
            self.registry.clear_cache()

    def measure(self, env, label, count, func):
        env.flush_all()
        queries = env.cr.sql_log_count
        start = time.perf_counter()
        result = func()
        env.flush_all()
        seconds = time.perf_counter() - start
        queries = env.cr.sql_log_count - queries
        self.rows.append((label, count, seconds, queries))
        bench.progress(f"{label}: {seconds:.2f} s, {queries} queries")
        return result


def internal_users(env, limit=None):
    return env["res.users"].search(
        [
            ("share", "=", False),
            ("id", ">", 2),
            ("login", "=like", bench.LOGIN_PREFIX + "%"),
        ],
        limit=limit,
        order="id",
    )


def governed_groups(env, count):
    return env["res.groups"].search(
        [("governance_scope", "=", "governed"), ("name", "like", "Bench")],
        limit=count,
        order="id desc",
    )


def bench_mover(runner, count):
    with runner.transaction() as env:
        users = internal_users(env, count)
        groups = governed_groups(env, 4)
        Job = env["hr.job"]
        job_a = Job.create({"name": "Bench Sales Rep"})
        job_b = Job.create({"name": "Bench Sales Manager"})
        Role = env["access.governance.role"]
        Role.create(
            {
                "name": "Bench Rep",
                "code": "BENCH_REP",
                "group_ids": [(6, 0, groups[:2].ids)],
                "job_ids": [(6, 0, job_a.ids)],
            }
        )
        Role.create(
            {
                "name": "Bench Manager",
                "code": "BENCH_MGR",
                "group_ids": [(6, 0, groups[1:4].ids)],
                "job_ids": [(6, 0, job_b.ids)],
            }
        )
        employees = runner.measure(
            env,
            "joiner: employees with users created in job A",
            len(users),
            lambda: env["hr.employee"].create(
                [
                    {"name": user.name, "user_id": user.id, "job_id": job_a.id}
                    for user in users
                ]
            ),
        )
        runner.measure(
            env,
            "mover: job A -> job B, one write",
            len(employees),
            lambda: employees.write({"job_id": job_b.id}),
        )
        held = env["res.users"].browse(users.ids).mapped("groups_id")
        assert groups[3] in held, "mover did not apply the new role"


def bench_grants(runner, count):
    with runner.transaction() as env:
        users = internal_users(env, count)
        group = governed_groups(env, 1)
        Grant = env["access.governance.grant"]
        now = env.cr.now()
        grants = Grant.create(
            [
                {
                    "beneficiary_id": user.id,
                    "requested_group_ids": [(6, 0, group.ids)],
                    "reason": "bench",
                    "date_start": now - timedelta(minutes=5),
                    "date_end": now + timedelta(days=2),
                }
                for user in users
            ]
        )
        # Approved already, through the grant's own trusted path (the approval
        # flow is measured by the tests, the cron is measured here).
        for grant in grants:
            grant._grant_write(
                {"state": "approved", "approved_group_ids": [(6, 0, group.ids)]}
            )
        runner.measure(
            env,
            "grant cron: activate due approved grants",
            len(grants),
            Grant._cron_process_grants,
        )
        assert set(grants.mapped("state")) == {"active"}, grants.mapped("state")
        grants._grant_write({"date_end": now - timedelta(minutes=1)})
        runner.measure(
            env,
            "grant cron: expire due active grants",
            len(grants),
            Grant._cron_process_grants,
        )
        assert set(grants.mapped("state")) == {"expired"}, grants.mapped("state")


# Stock groups whose ACLs let their holders create or write records (the
# unused-access detector needs that), drawn 1-3 per user; hr_manager implies
# hr_user. The SoD rule of the benchmark: manage employees vs. export data.
HOLDING_XMLIDS = (
    "hr.group_hr_user",
    "hr.group_hr_manager",
    "base.group_partner_manager",
    "base.group_allow_export",
    "base.group_multi_currency",
)
SOD_XMLIDS = ("hr.group_hr_user", "base.group_allow_export")
DETECTORS = (
    "stale_account",
    "sod_conflict",
    "over_privileged",
    "admin_without_2fa",
    "shared_account",
    "unused_access",
    "out_of_band_change",
    "unmapped_access",
    "apikey",
    "failed_signin",
    "admin_daily_use",
)


def prepare_holdings(env, size, seed=15):
    """Realistic holdings on the first ``size`` benchmark users (the other
    users are archived for the measurement): 1-3 ACL-bearing stock groups
    each, 10% holding both sides of an SoD rule, 5% stale (created and last
    seen long ago), 95% with a recent login, 2% shared (two addresses in the
    same hour), 1% administrators, 2% with API keys, 1% with a burst of
    failed sign-ins. Accounts are 200 days old and nobody wrote a business
    record: the unused-access detector finds everyone (the worst case).
    Everything is inserted by SQL and rolled back with the transaction."""
    import random

    rng = random.Random(seed)
    cr = env.cr
    user_ids = internal_users(env).ids
    keep, archive = user_ids[:size], user_ids[size:]
    cr.execute("UPDATE res_users SET active = false WHERE id = ANY(%s)", [archive])
    groups = [env.ref(xmlid) for xmlid in HOLDING_XMLIDS]
    cr.execute(
        "UPDATE res_groups SET governance_scope = 'governed' WHERE id = ANY(%s)",
        [[g.id for g in groups]],
    )
    sod_a, sod_b = (env.ref(xmlid) for xmlid in SOD_XMLIDS)
    env["access.governance.sod.rule"].create(
        {
            "name": "Bench: employees vs. export",
            "group_a_ids": [(6, 0, sod_a.ids)],
            "group_b_ids": [(6, 0, sod_b.ids)],
            "severity": "high",
        }
    )
    closure = {g.id: [g.id, *g.trans_implied_ids.ids] for g in groups}
    now = env.cr.now()
    pairs = set()
    logins, devices, keys, signins = [], [], [], []
    admin = env.ref("base.group_system")
    admin_closure = [admin.id, *admin.trans_implied_ids.ids]
    for index, uid in enumerate(keep):
        picks = rng.sample(groups, rng.randint(1, 3))
        if index % 10 == 0:
            picks = [sod_a, sod_b]
        for group in picks:
            pairs.update((uid, gid) for gid in closure[group.id])
        if index % 100 == 7:
            pairs.update((uid, gid) for gid in admin_closure)
        if index % 20 != 3:
            logins.append((uid, now - timedelta(days=rng.randint(0, 10))))
            devices.append((uid, f"bench-{uid}", "198.51.100.1", 30))
        if index % 50 == 11:
            devices.append((uid, f"bench-{uid}-b", "203.0.113.9", 20))
        if index % 50 == 13:
            keys.append(uid)
        if index % 100 == 17:
            signins.extend([uid] * 12)
    cr.execute(
        "INSERT INTO res_groups_users_rel (uid, gid) "
        "SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING",
        [[p[0] for p in pairs], [p[1] for p in pairs]],
    )
    cr.execute(
        "UPDATE res_users SET create_date = %s WHERE id = ANY(%s)",
        [now - timedelta(days=200), keep],
    )
    cr.execute(
        "INSERT INTO res_users_log (create_uid, create_date, write_uid, write_date) "
        "SELECT u, d, u, d FROM unnest(%s::int[], %s::timestamp[]) AS t(u, d)",
        [[u for u, _d in logins], [d for _u, d in logins]],
    )
    cr.execute(
        """
        INSERT INTO res_device_log (session_identifier, platform, browser,
            ip_address, device_type, user_id, first_activity, last_activity,
            revoked)
        SELECT s, 'linux', 'firefox', ip, 'computer', u,
               %s - make_interval(mins => m + 5), %s - make_interval(mins => m),
               false
        FROM unnest(%s::int[], %s::varchar[], %s::varchar[], %s::int[])
             AS t(u, s, ip, m)
        """,
        [now, now, *map(list, zip(*devices))],
    )
    cr.execute(
        """
        INSERT INTO res_users_apikeys (name, user_id, index, key, create_date,
            governance_last_used)
        SELECT 'bench', u, lpad(u::text, 8, '0'), 'x', %s, %s
        FROM unnest(%s::int[]) AS u
        """,
        [now - timedelta(days=400), now - timedelta(days=100), keys],
    )
    cr.execute(
        """
        INSERT INTO access_governance_signin (login, user_id, date, reason,
            ip_address, create_uid, write_uid, create_date, write_date)
        SELECT 'bench', u, %s, 'password', '192.0.2.1', 1, 1, %s, %s
        FROM unnest(%s::int[]) AS u
        """,
        [now, now, now, signins],
    )
    env.invalidate_all()
    env.registry.clear_cache()
    return len(keep)


def bench_detectors(runner, sizes):
    """Each detector at each size: a first run (findings created) and a
    second run (nothing changes), in one transaction per size."""
    results = {}
    for size in sizes:
        with runner.transaction() as env:
            count = prepare_holdings(env, size)
            Detector = env["access.governance.detector"]
            for finding_type in DETECTORS:
                for label in ("first", "rerun"):
                    # Each run as a new transaction would: no table scan or
                    # group rank reused from the previous one.
                    env.cr.cache.clear()
                    runner.measure(
                        env,
                        f"detector {finding_type} ({label})",
                        count,
                        lambda t=finding_type, d=Detector: d._detectors_run([t]),
                    )
                    found = env["access.governance.finding"].search_count(
                        [
                            ("finding_type", "=", finding_type),
                            ("state", "in", ("open", "accepted")),
                        ]
                    )
                    results[(finding_type, label, size)] = (
                        *runner.rows[-1][2:],
                        found,
                    )
    header = f"{'detector':<22} {'run':<6}" + "".join(
        f" | {size:>6} users: {'s':>6} {'queries':>7} {'found':>6}" for size in sizes
    )
    bench.say("")
    bench.say(header)
    bench.say("-" * len(header))
    for finding_type in DETECTORS:
        for label in ("first", "rerun"):
            line = f"{finding_type:<22} {label:<6}"
            for size in sizes:
                seconds, queries, found = results[(finding_type, label, size)]
                line += f" | {'':>13} {seconds:>6.2f} {queries:>7} {found:>6}"
            bench.say(line)
    return results


def bench_review(runner):
    with runner.transaction() as env:
        users = internal_users(env)
        review = env["access.governance.review"].create(
            {
                "name": "Bench campaign",
                "access_scope": "all",
                "reviewer_mode": "named",
                "reviewer_id": 2,
                "fallback_reviewer_id": 2,
            }
        )
        runner.measure(
            env,
            "review: start a campaign over all users",
            len(users),
            review.action_start,
        )
        lines = len(review.line_ids)
        bench.say(f"  review lines generated: {lines}")


def main(argv=None):
    args = parse_args(argv)
    odoo = bench.import_odoo()
    bench.configure(odoo, args)
    if not bench.database_exists(odoo, args.db):
        sys.exit(
            f"bench_features: database {args.db} does not exist: run bench.py --keep first."
        )
    from odoo.modules.registry import Registry

    registry = Registry(args.db)
    runner = Runner(registry, tracking=args.tracking)
    bench.say(f"\naccess_governance feature benchmarks on {args.db}")
    sizes = [int(size) for size in args.detector_sizes.split(",") if size]
    benches = {
        "mover": lambda: bench_mover(runner, args.employees),
        "grants": lambda: bench_grants(runner, args.grants),
        "review": lambda: bench_review(runner),
        "detectors": lambda: bench_detectors(runner, sizes),
    }
    for name, run in benches.items():
        if args.only in (None, name):
            run()
    bench.say("")
    header = f"{'operation':<50} {'N':>6} {'wall s':>8} {'queries':>8} {'q/1000':>8}"
    bench.say(header)
    bench.say("-" * len(header))
    for label, count, seconds, queries in runner.rows:
        per = queries * 1000 / count if count else 0
        bench.say(f"{label:<50} {count:>6} {seconds:>8.2f} {queries:>8} {per:>8.1f}")


if __name__ == "__main__":
    main()
