#!/usr/bin/env python3
"""Feature benchmarks on the database built by scripts/bench.py.

Prints wall time and SQL query count for:

- mover: 1,000 employees change job position at once (one write), each job
  mapped to a role, so the old role ends and the new one starts;
- grant cron: 1,000 due approved grants activated, then expired, by one run
  of ``_cron_process_grants`` each;
- audits: each scheduled audit over every user of the database;
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
        "--only",
        choices=("mover", "grants", "audits", "review"),
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


def bench_audits(runner):
    methods = [
        "_audit_stale_accounts",
        "_audit_sod",
        "_audit_over_privileged",
        "_audit_shared_account",
        "_audit_unused_access",
        "_audit_out_of_band_change",
        "_audit_unmapped_access",
    ]
    with runner.transaction() as env:
        count = len(internal_users(env))
    for method in methods:
        with runner.transaction() as env:
            Finding = env["access.governance.finding"]
            runner.measure(env, f"audit {method[7:]}", count, getattr(Finding, method))


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
    benches = {
        "mover": lambda: bench_mover(runner, args.employees),
        "grants": lambda: bench_grants(runner, args.grants),
        "audits": lambda: bench_audits(runner),
        "review": lambda: bench_review(runner),
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
