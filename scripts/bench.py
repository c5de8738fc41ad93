#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Benchmark of the access_governance claims engine against plain writes.

In one run, this script:

1. creates a fresh database and installs ``access_governance`` without demo
   data (in-process, as ``odoo -i access_governance --without-demo=all``);
2. builds a dataset: governed groups (some with ``implied_ids`` chains) and
   internal users holding ``base.group_user`` plus a few random governed
   groups (seeded, reproducible). By default (``--build sql``) one user is
   created through ``res.users.create`` and the others are SQL copies of it,
   after which the addon's ``_claims_capture_baseline()`` records their
   baseline claims and audit entries; ``--build orm`` creates every user
   through the ORM (about 30 ms per user in Odoo 18);
3. measures, on the first 1,000 and 10,000 users, the claims engine starting
   and ending a 5-group grant claim next to the same change done by a plain
   ``res.users.write`` (wall time and SQL queries), each measurement in its
   own transaction, rolled back afterwards;
4. prints a table, the engine/plain ratios and a verdict;
5. times the verification of the audit hash chain.

Usage::

    python3 scripts/bench.py --db-host /tmp/pg --db-port 5432 --db-user odoo \\
        --addons-path . [--users 10000] [--groups 300] [--db NAME] [--keep]

Without ``--keep`` the database is dropped before (if it exists) and after the
run. With ``--keep`` an existing database built by a previous run is reused
(no install, no build) and left in place afterwards.
"""

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import random
import re
import shutil
import sys
import time
from collections import Counter

BENCH_CATEGORY = "Governance Benchmark"
LOGIN_PREFIX = "bench.user."
GRANT_SOURCE = "bench.grant,1"
# Groups per user drawn from the governed benchmark groups.
MIN_RANDOM_GROUPS = 2
MAX_RANDOM_GROUPS = 6
USER_BATCH = 500
CAPTURE_BATCH = 2000
# Context of the dataset build only: no mail side effects; an explicit
# language so that _() does not look one up per record.
BUILD_CONTEXT = {
    "no_reset_password": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "tracking_disable": True,
    "lang": "en_US",
}
# A chain of implications every CHAIN_EVERY groups: group i+2 implies i+1,
# which implies i.
CHAIN_EVERY = 10
# Marginal queries per extra user from which the count "grows per user"
# (below: the ORM's batch steps, 100 rows per INSERT, 1000 per prefetch).
PER_USER_GROWTH_LIMIT = 0.25
# Engine above plain by less than this is reported as noise, not "slower".
NOISE_RATIO = 0.10
NOISE_SECONDS = 0.25
OPERATIONS = ("engine start", "plain link", "engine end", "plain unlink")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Benchmark the access_governance claims engine against "
        "plain res.users writes on a generated database."
    )
    parser.add_argument("--db-host", required=True, help="host or socket dir")
    parser.add_argument("--db-port", required=True, type=int)
    parser.add_argument("--db-user", required=True)
    parser.add_argument("--db-password", default=os.environ.get("PGPASSWORD"))
    parser.add_argument(
        "--addons-path",
        required=True,
        help="comma-separated addons paths; one must contain access_governance",
    )
    parser.add_argument("--db", default="access_governance_bench")
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--groups", type=int, default=300)
    parser.add_argument(
        "--sizes",
        default="1000,10000",
        help="user counts to measure (capped at --users); default 1000,10000",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each scenario this many times and keep the best wall "
        "time (query counts do not vary); useful on a busy machine",
    )
    parser.add_argument(
        "--build",
        choices=("sql", "orm"),
        default="sql",
        help="sql (default): users inserted by SQL as copies of one ORM-created "
        "user, then the addon's baseline capture; orm: every user through "
        "res.users.create (about 30 ms per user)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="reuse the database if it exists and do not drop it at the end",
    )
    parser.add_argument("--data-dir", help="Odoo data dir (filestore)")
    parser.add_argument("--log-level", default="warn", help="Odoo log level")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="write a cProfile file per measured operation into DIR and print "
        "the top functions of the engine operations",
    )
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", args.db):
        parser.error("--db may contain only letters, digits, '_', '.' and '-'")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.users < 10:
        parser.error("--users must be at least 10")
    if args.groups < 20:
        parser.error("--groups must be at least 20")
    try:
        sizes = sorted({int(size) for size in args.sizes.split(",") if size})
    except ValueError:
        parser.error("--sizes must be comma-separated integers")
    sizes = sorted({min(size, args.users) for size in sizes if size > 0})
    if not sizes:
        parser.error("--sizes gives no positive size")
    args.sizes = sizes
    return args


def say(*parts):
    print(*parts, flush=True)


def progress(message):
    print(f"  .. {message}", file=sys.stderr, flush=True)


def import_odoo():
    try:
        import odoo
        from odoo import release
    except ImportError as exc:
        sys.exit(
            f"bench: Odoo is not importable by {sys.executable} ({exc}). "
            "Install Odoo 18.0 (see requirements.txt) or run with the Python "
            "that has it."
        )
    if release.series != "18.0":
        sys.exit(f"bench: Odoo 18.0 is required, found {release.version}.")
    return odoo


def configure(odoo, args):
    options = [
        "--db_host",
        args.db_host,
        "--db_port",
        str(args.db_port),
        "--db_user",
        args.db_user,
        "--addons-path",
        args.addons_path,
        "--without-demo=all",
        f"--log-level={args.log_level}",
        "--max-cron-threads=0",
        "--no-http",
    ]
    if args.db_password:
        options += ["--db_password", args.db_password]
    if args.data_dir:
        options += ["--data-dir", args.data_dir]
    odoo.tools.config.parse_config(options)
    from odoo.modules.module import get_module_path

    if not get_module_path("access_governance", display_warning=False):
        sys.exit(
            f"bench: access_governance is not in --addons-path {args.addons_path!r}."
        )


def database_exists(odoo, name):
    # Not odoo.service.db.list_dbs(): it answers from the configuration.
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return bool(cr.fetchone())


def drop_database(odoo, name):
    if not database_exists(odoo, name):
        return
    from odoo.modules.registry import Registry

    Registry.delete(name)
    odoo.sql_db.close_db(name)
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        cr.execute(f'DROP DATABASE "{name}"')
    filestore = odoo.tools.config.filestore(name)
    if os.path.isdir(filestore):
        shutil.rmtree(filestore)


def install(odoo, name):
    """Create the database and install the addon without demo data."""
    from odoo.modules.registry import Registry

    config = odoo.tools.config
    odoo.service.db._create_empty_database(name)
    config["init"] = {"base": 1, "access_governance": 1}
    config["demo"] = {}
    config["without_demo"] = "all"
    start = time.perf_counter()
    registry = Registry.new(name, update_module=True)
    elapsed = time.perf_counter() - start
    config["init"] = {}
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state FROM ir_module_module WHERE name = 'access_governance'"
        )
        state = cr.fetchone()
    if not state or state[0] != "installed":
        sys.exit("bench: access_governance did not install; see the log above.")
    return registry, elapsed


# ----------------------------------------------------------------------
# Dataset
# ----------------------------------------------------------------------
def bench_group_ids(env):
    """Benchmark groups in creation order (their names are numbered)."""
    category = env["ir.module.category"].search([("name", "=", BENCH_CATEGORY)])
    if not category:
        return []
    groups = env["res.groups"].search([("category_id", "in", category.ids)])
    return groups.sorted(lambda g: g.with_context(lang="en_US").name).ids


def bench_user_ids(env):
    return (
        env["res.users"]
        .with_context(active_test=False)
        .search([("login", "=like", LOGIN_PREFIX + "%")], order="id")
        .ids
    )


def chain_level(index):
    """0 for a group implying nothing, 1 or 2 for the middle and the head of
    a chain."""
    position = index % CHAIN_EVERY
    return position if position < 3 else 0


def build_groups(env, count):
    """Governed groups; every CHAIN_EVERY groups a chain i+2 -> i+1 -> i.

    Created level by level (three create calls) because each res.groups
    create or implied_ids write regenerates the user form's groups view.
    """
    from odoo.fields import Command

    category = env["ir.module.category"].create(
        {"name": BENCH_CATEGORY, "sequence": 999}
    )
    ids = {}
    for level in (0, 1, 2):
        indexes = [index for index in range(count) if chain_level(index) == level]
        vals_list = []
        for index in indexes:
            vals = {"name": f"Bench Group {index:03d}", "category_id": category.id}
            if level:
                vals["implied_ids"] = [Command.link(ids[index - 1])]
            vals_list.append(vals)
        for index, group in zip(indexes, env["res.groups"].create(vals_list)):
            ids[index] = group.id
    groups = env["res.groups"].browse(ids.values())
    not_governed = groups.filtered(lambda g: g.governance_scope != "governed")
    if not_governed:
        sys.exit(
            "bench: the addon classified benchmark groups as "
            f"{set(not_governed.mapped('governance_scope'))}, expected governed."
        )
    return [ids[index] for index in range(count)]


def random_groups(rng, group_ids, count):
    """{user index: [governed group ids]}, reproducible from the seed."""
    return {
        index: rng.sample(group_ids, rng.randint(MIN_RANDOM_GROUPS, MAX_RANDOM_GROUPS))
        for index in range(count)
    }


def build_users_orm(registry, group_ids, count, seed):
    """Create ``count`` internal users through the ORM, committing per batch."""
    from odoo import SUPERUSER_ID, api
    from odoo.fields import Command

    picks = random_groups(random.Random(seed), group_ids, count)
    done = 0
    while done < count:
        batch = range(done, min(done + USER_BATCH, count))
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, BUILD_CONTEXT)
            group_user = env.ref("base.group_user").id
            env["res.users"].create(
                [
                    {
                        "name": f"Bench User {index:05d}",
                        "login": f"{LOGIN_PREFIX}{index:05d}",
                        "groups_id": [Command.set([group_user, *picks[index]])],
                    }
                    for index in batch
                ]
            )
        done = batch.stop
        progress(f"users created: {done}/{count}")


def build_users_sql(registry, group_ids, count, seed):
    """Create users fast: the first through the ORM, the others as SQL copies
    of it; then the random governed groups (with their implied closure) by
    SQL, then the addon's own baseline capture through the ORM.

    Returns (seconds for the SQL part, seconds for the baseline capture).
    """
    from odoo import SUPERUSER_ID, api
    from odoo.fields import Command

    picks = random_groups(random.Random(seed), group_ids, count)
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, BUILD_CONTEXT)
        template = env["res.users"].create(
            {
                "name": "Bench User 00000",
                "login": f"{LOGIN_PREFIX}00000",
                "groups_id": [Command.set([env.ref("base.group_user").id])],
            }
        )
        env.flush_all()
        names = [f"Bench User {index:05d}" for index in range(1, count)]
        cr.execute(
            """
            INSERT INTO res_partner
                   (name, complete_name, lang, tz, type, active, is_company,
                    partner_share, color, company_id,
                    create_uid, write_uid, create_date, write_date)
            SELECT n.name, n.name, t.lang, t.tz, t.type, t.active, t.is_company,
                   t.partner_share, t.color, t.company_id,
                   t.create_uid, t.write_uid, t.create_date, t.write_date
              FROM unnest(%s::varchar[]) WITH ORDINALITY AS n(name, pos),
                   res_partner t
             WHERE t.id = %s
             ORDER BY n.pos
            RETURNING id
            """,
            [names, template.partner_id.id],
        )
        partner_ids = sorted(row[0] for row in cr.fetchall())
        cr.execute(
            "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
            [partner_ids],
        )
        logins = [f"{LOGIN_PREFIX}{index:05d}" for index in range(1, count)]
        cr.execute(
            """
            INSERT INTO res_users
                   (login, partner_id, company_id, active, share,
                    notification_type, create_uid, write_uid, create_date,
                    write_date)
            SELECT n.login, n.partner_id, t.company_id, t.active, t.share,
                   t.notification_type, t.create_uid, t.write_uid,
                   t.create_date, t.write_date
              FROM unnest(%s::varchar[], %s::int[]) AS n(login, partner_id),
                   res_users t
             WHERE t.id = %s
            """,
            [logins, partner_ids, template.id],
        )
        cr.execute(
            "SELECT id FROM res_users WHERE login = ANY(%s) ORDER BY login",
            [logins],
        )
        user_ids = [template.id] + [row[0] for row in cr.fetchall()]
        copies = user_ids[1:]
        cr.execute(
            "INSERT INTO res_company_users_rel (cid, user_id) "
            "SELECT r.cid, u FROM res_company_users_rel r, unnest(%s::int[]) u "
            "WHERE r.user_id = %s",
            [copies, template.id],
        )
        cr.execute(
            "INSERT INTO res_users_settings (user_id, create_uid, write_uid, "
            "create_date, write_date) "
            "SELECT u, %s, %s, now(), now() FROM unnest(%s::int[]) u",
            [SUPERUSER_ID, SUPERUSER_ID, copies],
        )
        # Technical groups of an internal user, as the ORM gave the template.
        cr.execute(
            "INSERT INTO res_groups_users_rel (uid, gid) "
            "SELECT u, r.gid FROM res_groups_users_rel r, unnest(%s::int[]) u "
            "WHERE r.uid = %s",
            [copies, template.id],
        )
        closure = {
            group.id: (group | group.trans_implied_ids).ids
            for group in env["res.groups"].browse(group_ids)
        }
        uids, gids = [], []
        for index, uid in enumerate(user_ids):
            held = {gid for pick in picks[index] for gid in closure[pick]}
            uids += [uid] * len(held)
            gids += sorted(held)
        cr.execute(
            "INSERT INTO res_groups_users_rel (uid, gid) "
            "SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING",
            [uids, gids],
        )
    sql_time = time.perf_counter() - start
    progress(f"users inserted by SQL: {count} in {sql_time:.1f} s")
    start = time.perf_counter()
    for offset in range(0, count, CAPTURE_BATCH):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, BUILD_CONTEXT)
            users = env["res.users"].browse(user_ids[offset : offset + CAPTURE_BATCH])
            env["access.governance.claim"]._claims_capture_baseline(users)
        progress(f"baseline captured: {min(offset + CAPTURE_BATCH, count)}/{count}")
    registry.clear_cache()
    return sql_time, time.perf_counter() - start


def build_dataset(registry, args):
    from odoo import SUPERUSER_ID, api

    timings = {}
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, BUILD_CONTEXT)
        group_ids = build_groups(env, args.groups)
    timings["groups"] = time.perf_counter() - start
    start = time.perf_counter()
    if args.build == "orm":
        build_users_orm(registry, group_ids, args.users, args.seed)
    else:
        timings["sql"], timings["capture"] = build_users_sql(
            registry, group_ids, args.users, args.seed
        )
    timings["users"] = time.perf_counter() - start
    return timings


# ----------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------
def held_groups(cr, user_ids):
    """{uid: frozenset(gid)} straight from the relation table."""
    cr.execute(
        "SELECT uid, array_agg(gid) FROM res_groups_users_rel "
        "WHERE uid = ANY(%s) GROUP BY uid",
        [list(user_ids)],
    )
    result = {uid: frozenset() for uid in user_ids}
    result.update({uid: frozenset(gids) for uid, gids in cr.fetchall()})
    return result


def distinct_diffs(before, after):
    diffs = Counter()
    for uid, old in before.items():
        new = after[uid]
        if old != new:
            diffs[(frozenset(new - old), frozenset(old - new))] += 1
    return len(diffs)


def make_identical(env, user_ids, governed_ids, template_ids):
    """Give every user exactly the same governed groups (``template_ids`` and
    their implied closure) with matching baseline claims, by SQL (setup only,
    inside the measured transaction, rolled back with it)."""
    cr = env.cr
    env.flush_all()
    groups = env["res.groups"].browse(template_ids)
    closure = (groups | groups.trans_implied_ids).ids
    cr.execute(
        "DELETE FROM res_groups_users_rel WHERE uid = ANY(%s) AND gid = ANY(%s)",
        [user_ids, governed_ids],
    )
    cr.execute(
        "INSERT INTO res_groups_users_rel (uid, gid) "
        "SELECT u, g FROM unnest(%s::int[]) u, unnest(%s::int[]) g",
        [user_ids, closure],
    )
    cr.execute(
        "UPDATE access_governance_claim SET active = false, date_end = now() "
        "WHERE active AND user_id = ANY(%s)",
        [user_ids],
    )
    cr.execute(
        "INSERT INTO access_governance_claim "
        "(user_id, group_id, kind, added, active, date_start, note) "
        "SELECT u, g, 'baseline', false, true, now(), 'bench setup' "
        "FROM unnest(%s::int[]) u, unnest(%s::int[]) g",
        [user_ids, list(template_ids)],
    )
    env.invalidate_all()
    env.registry.clear_cache()


class Bench:
    def __init__(self, registry, args):
        self.registry = registry
        self.args = args
        self.rows = []
        self.notes = []

    @contextlib.contextmanager
    def transaction(self):
        """A fresh cursor and environment, always rolled back."""
        from odoo import SUPERUSER_ID, api

        cr = self.registry.cursor()
        try:
            yield api.Environment(cr, SUPERUSER_ID, {})
        finally:
            cr.rollback()
            cr.close()
            self.registry.clear_cache()

    def timed(self, env, label, func):
        """Run func, flush, return (seconds, queries)."""
        env.flush_all()
        profiler = cProfile.Profile() if self.args.profile else None
        queries = env.cr.sql_log_count
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        func()
        env.flush_all()
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - start
        queries = env.cr.sql_log_count - queries
        if profiler:
            self.dump_profile(profiler, label)
        return elapsed, queries

    def dump_profile(self, profiler, label):
        os.makedirs(self.args.profile, exist_ok=True)
        name = label.replace(" ", "_").replace("/", "-")
        path = os.path.join(self.args.profile, f"{name}.prof")
        profiler.dump_stats(path)
        if "engine" in label:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(
                r"access_governance|models\.py", 25
            )
            say(f"\n--- profile: {label} ({path})")
            say(out.getvalue())

    def run_engine(self, env, users, groups, label):
        """{op: (seconds, queries, distinct diffs)} for the engine."""
        Claim = env["access.governance.claim"]
        env.invalidate_all()
        before = held_groups(env.cr, users.ids)
        start = self.timed(
            env,
            f"{label} engine start",
            lambda: Claim._claims_start(users, groups, "grant", source=GRANT_SOURCE),
        )
        middle = held_groups(env.cr, users.ids)
        end = self.timed(
            env,
            f"{label} engine end",
            lambda: Claim._claims_end_source(GRANT_SOURCE),
        )
        after = held_groups(env.cr, users.ids)
        return {
            "engine start": (*start, distinct_diffs(before, middle)),
            "engine end": (*end, distinct_diffs(middle, after)),
        }

    def run_plain(self, env, users, groups, label):
        """{op: (seconds, queries, distinct diffs)} for plain writes."""
        from odoo.fields import Command

        env.invalidate_all()
        before = held_groups(env.cr, users.ids)
        link = self.timed(
            env,
            f"{label} plain link",
            lambda: users.write(
                {"groups_id": [Command.link(gid) for gid in groups.ids]}
            ),
        )
        middle = held_groups(env.cr, users.ids)
        unlink = self.timed(
            env,
            f"{label} plain unlink",
            lambda: users.write(
                {"groups_id": [Command.unlink(gid) for gid in groups.ids]}
            ),
        )
        after = held_groups(env.cr, users.ids)
        return {
            "plain link": (*link, distinct_diffs(before, middle)),
            "plain unlink": (*unlink, distinct_diffs(middle, after)),
        }

    def scenario(self, population, size, user_ids, five_ids, setup=None):
        """Measure engine and plain on the first ``size`` users, each in its
        own transaction, ``--repeat`` times (best wall time kept)."""
        label = f"{population} N={size}"
        ids = user_ids[:size]
        best = {}
        diffs = {}
        for repeat in range(self.args.repeat):
            with self.transaction() as env:
                if setup:
                    setup(env, ids)
                distinct_sets = len(set(held_groups(env.cr, ids).values()))
                users = env["res.users"].browse(ids)
                groups = env["res.groups"].browse(five_ids)
                measured = self.run_engine(env, users, groups, label)
                if not repeat and size == max(self.args.sizes) and not setup:
                    self.verify_in_transaction(env, label)
            with self.transaction() as env:
                if setup:
                    setup(env, ids)
                users = env["res.users"].browse(ids)
                groups = env["res.groups"].browse(five_ids)
                measured.update(self.run_plain(env, users, groups, label))
            for op, (seconds, queries, diff) in measured.items():
                if op not in best or seconds < best[op][0]:
                    best[op] = (seconds, queries)
                diffs[op] = diff
        self.rows.append(
            {
                "population": population,
                "size": size,
                "distinct_sets": distinct_sets,
                "diffs": diffs,
                **best,
            }
        )
        progress(
            f"{label}: engine {best['engine start'][0] + best['engine end'][0]:.2f}"
            f" s, plain {best['plain link'][0] + best['plain unlink'][0]:.2f} s"
        )

    def verify_in_transaction(self, env, label):
        Audit = env["access.governance.audit"]
        env.flush_all()
        entries = Audit.search_count([])
        seconds, queries = self.timed(env, f"{label} verify", Audit._audit_verify_chain)
        self.notes.append(
            f"Audit chain verification inside the {label} engine transaction "
            f"(after start + end): {entries} entries in {seconds:.2f} s "
            f"({queries} queries)."
        )

    def warm_up(self, user_ids, five_ids, setup):
        """Both populations, both methods, on a few users; not reported."""
        ids = user_ids[:50]
        for prepare in (setup, None):
            with self.transaction() as env:
                if prepare:
                    prepare(env, ids)
                users = env["res.users"].browse(ids)
                groups = env["res.groups"].browse(five_ids)
                self.run_engine(env, users, groups, "warm-up")
            with self.transaction() as env:
                if prepare:
                    prepare(env, ids)
                users = env["res.users"].browse(ids)
                groups = env["res.groups"].browse(five_ids)
                self.run_plain(env, users, groups, "warm-up")


def pick_groups(group_ids):
    """Five measured groups: a chain head (implying two groups) and four
    plain groups spread over the range; all are also drawn at random for
    users, so some users already hold some of them."""
    count = len(group_ids)
    head = group_ids[2]  # implies group_ids[1], which implies group_ids[0]
    others = [group_ids[count * k // 5 + 5] for k in range(1, 5)]
    return [head, *others]


def pick_template(group_ids, five_ids):
    """Three governed groups every user of the identical population holds."""
    candidates = [gid for gid in group_ids[CHAIN_EVERY:] if gid not in five_ids]
    return candidates[3:6]


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------
def report(bench):
    say("")
    header = (
        f"{'population':<14} {'operation':<13} {'N':>6} {'wall s':>8} "
        f"{'queries':>8} {'q/1000u':>8} {'diffs':>6} {'engine/plain':>12}"
    )
    say(header)
    say("-" * len(header))
    pairs = {"engine start": "plain link", "engine end": "plain unlink"}
    for row in bench.rows:
        n = row["size"]
        for op in OPERATIONS:
            seconds, queries = row[op]
            ratio = ""
            if op in pairs:
                plain = row[pairs[op]][0]
                ratio = f"{seconds / plain:.2f}" if plain else "n/a"
            say(
                f"{row['population']:<14} {op:<13} {n:>6} {seconds:>8.2f} "
                f"{queries:>8} {queries * 1000 / n:>8.1f} "
                f"{row['diffs'][op]:>6} {ratio:>12}"
            )
        engine, plain = totals(row)
        say(
            f"{row['population']:<14} {'TOTAL':<13} {n:>6} engine {engine:.2f} s "
            f"vs plain {plain:.2f} s -> engine/plain {engine / plain:.2f}; "
            f"{row['distinct_sets']} distinct group sets among the users"
        )
        say("")
    verdict(bench)


def totals(row):
    engine = row["engine start"][0] + row["engine end"][0]
    plain = row["plain link"][0] + row["plain unlink"][0]
    return engine, plain


def query_growth(rows):
    """[(population, op, N small, q small, N large, q large, marginal)]."""
    by_population = {}
    for row in rows:
        by_population.setdefault(row["population"], []).append(row)
    growth = []
    for population, pop_rows in by_population.items():
        if len(pop_rows) < 2:
            continue
        small, large = pop_rows[0], pop_rows[-1]
        for op in OPERATIONS:
            q_small, q_large = small[op][1], large[op][1]
            marginal = (q_large - q_small) / (large["size"] - small["size"])
            growth.append(
                (
                    population,
                    op,
                    small["size"],
                    q_small,
                    large["size"],
                    q_large,
                    marginal,
                )
            )
    return growth


def verdict(bench):
    slower, on_par = [], []
    for row in bench.rows:
        engine, plain = totals(row)
        label = f"{row['population']} N={row['size']} ({engine / plain:.2f}x)"
        if engine > plain * (1 + NOISE_RATIO) and engine - plain > NOISE_SECONDS:
            slower.append(label)
        elif engine > plain:
            on_par.append(label)
    growth = query_growth(bench.rows)
    say(
        "Query growth from the smallest to the largest N (extra queries per "
        "1000 extra users; 'per user' from "
        f"{PER_USER_GROWTH_LIMIT * 1000:.0f}):"
    )
    grows = []
    for population, op, n_small, q_small, n_large, q_large, marginal in growth:
        kind = "per user" if marginal >= PER_USER_GROWTH_LIMIT else "batch steps"
        say(
            f"  {population:<14} {op:<13} {q_small:>7} (N={n_small}) -> "
            f"{q_large:>7} (N={n_large}): {marginal * 1000:>8.1f} -> {kind}"
        )
        if kind == "per user" and op.startswith("engine"):
            grows.append(f"{population} {op}")
    say(
        "  'batch steps': the ORM writes at most 100 rows per INSERT/UPDATE and "
        "reads 1000 records per prefetch; a start writes 5 claims and 1 audit "
        "entry per user, so some 60-100 queries per 1000 users come from "
        "batching, not from a query per user."
    )
    say("")
    if slower:
        say("VERDICT: engine SLOWER than plain write for: " + ", ".join(slower))
    else:
        say("VERDICT: engine not slower than plain write in any scenario.")
    if on_par:
        say(
            f"         within noise ({NOISE_RATIO:.0%} or {NOISE_SECONDS} s) "
            "but above plain: " + ", ".join(on_par)
        )
    if not growth:
        say("VERDICT: query growth not measured (one size only).")
    elif grows:
        say("VERDICT: engine query count GROWS PER USER for: " + ", ".join(grows))
    else:
        say(
            "VERDICT: engine query count does not grow per user (only in ORM "
            "batch steps)."
        )


# ----------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------
def main(argv=None):
    args = parse_args(argv)
    odoo = import_odoo()
    configure(odoo, args)
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    say(
        f"access_governance benchmark: database {args.db}, {args.users} users, "
        f"{args.groups} groups, sizes {args.sizes}, seed {args.seed}"
    )
    say(
        f"machine: {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{load:.2f}' for load in os.getloadavg())}; Odoo "
        f"{odoo.release.version}, Python {sys.version.split()[0]}"
    )
    reuse = args.keep and database_exists(odoo, args.db)
    if reuse:
        registry = Registry(args.db)
        say("install: skipped (--keep, database reused)")
    else:
        drop_database(odoo, args.db)
        registry, elapsed = install(odoo, args.db)
        say(f"install: access_governance without demo data in {elapsed:.1f} s")

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        have_groups = bench_group_ids(env)
        have_users = bench_user_ids(env)
    if reuse and have_groups:
        if len(have_groups) < args.groups or len(have_users) < args.users:
            sys.exit(
                f"bench: database {args.db} has {len(have_groups)} benchmark "
                f"groups and {len(have_users)} users, fewer than asked; run "
                "without --keep to rebuild it."
            )
        say("dataset: reused")
    else:
        if have_groups or have_users:
            sys.exit(
                f"bench: database {args.db} has a partial dataset; run without --keep."
            )
        timings = build_dataset(registry, args)
        say(
            f"dataset: {args.groups} groups through the ORM in {timings['groups']:.1f} s"
        )
        if args.build == "orm":
            say(
                f"dataset: {args.users} users through res.users.create (batches "
                f"of {USER_BATCH}; baseline claims captured by the addon on "
                f"create) in {timings['users']:.1f} s "
                f"({timings['users'] * 1000 / args.users:.1f} ms/user)"
            )
        else:
            say(
                f"dataset: {args.users} users in {timings['users']:.1f} s: the "
                "first through res.users.create, the others inserted by SQL as "
                "copies of it with their random governed groups "
                f"({timings['sql']:.1f} s), then baseline claims and audit "
                "entries recorded by the addon's "
                "_claims_capture_baseline(users) through the ORM "
                f"({timings['capture']:.1f} s)"
            )

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        group_ids = bench_group_ids(env)[: args.groups]
        user_ids = bench_user_ids(env)[: args.users]
        cr.execute("SELECT id FROM res_groups WHERE governance_scope = 'governed'")
        governed_ids = [row[0] for row in cr.fetchall()]
        cr.execute(
            "SELECT count(*) FROM access_governance_claim "
            "WHERE active AND user_id = ANY(%s)",
            [user_ids],
        )
        claims = cr.fetchone()[0]
        audit_count = env["access.governance.audit"].search_count([])
    five_ids = pick_groups(group_ids)
    template_ids = pick_template(group_ids, five_ids)
    say(
        f"dataset: {len(user_ids)} benchmark users with {claims} active claims; "
        f"measured groups {five_ids} (the first implies 2 more); "
        f"{audit_count} audit entries"
    )

    # Audit chain verification on the committed table.
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        result = env["access.governance.audit"]._audit_verify_chain()
        elapsed = time.perf_counter() - start
        cr.rollback()
    say(
        f"audit chain: {result.get('checked')} entries verified in {elapsed:.2f} s "
        f"({result.get('state')})"
    )

    bench = Bench(registry, args)

    def identical(env, ids):
        make_identical(env, ids, governed_ids, template_ids)

    bench.warm_up(user_ids, five_ids, identical)

    for size in args.sizes:
        bench.scenario("identical", size, user_ids, five_ids, setup=identical)
    for size in args.sizes:
        bench.scenario("heterogeneous", size, user_ids, five_ids)

    say("")
    say(
        "Each operation runs in its own transaction, rolled back afterwards; "
        "times include env.flush_all(); queries are cursor.execute calls."
    )
    say(
        "engine = access.governance.claim._claims_start(users, 5 groups, "
        "'grant') / _claims_end_source(); plain = res.users.write("
        "groups_id link / unlink of the same 5 groups)."
    )
    say(
        "The plain write also runs the addon's out-of-band capture (baseline "
        "claims + audit entries), as any write outside the engine does in "
        "production. Plain unlink removes the 5 groups from every user, even "
        "those who held them before; the engine removes only what no other "
        "claim holds (with the implied groups of the chain head)."
    )
    say(
        "identical: every user holds exactly the same groups (set by SQL "
        "inside the transaction, not timed); heterogeneous: the random "
        "dataset as built. 'diffs' = distinct (added, removed) sets among "
        "the users for that operation."
    )
    for note in bench.notes:
        say(note)
    report(bench)
    say(
        "load average at the end: "
        + " ".join(f"{load:.2f}" for load in os.getloadavg())
        + " (other processes on the machine distort wall times; --repeat helps)"
    )

    if not args.keep:
        registry = None
        drop_database(odoo, args.db)
        say(f"database {args.db} dropped (use --keep to keep it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
