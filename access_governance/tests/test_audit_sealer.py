# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The sealer on committed entries, with several cursors at once.

Concurrency needs real, committed transactions, so these tests commit. The
class leaves the database as it found it: it starts from a fully sealed
trail and, at the end, deletes the records it created and every audit entry
written since it started (with the protection triggers disabled, as a
database owner can), then puts the head back where it was.
"""

import threading
from contextlib import contextmanager

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user

from ..models.access_governance_audit import SEAL_LOCK_KEY

AUDIT = "access.governance.audit"
WORKERS = 4
# Generous: the machine running the tests may be busy. Only reached when
# something blocks, which is what the tests are about.
TIMEOUT = 60
UNUSUAL_TEXT = (
    'quote " backslash \\ controls \n\r\t\b\f\x01\x1f del \x7f accents é ü '
    'emoji \U0001f600 separators \u2028\u2029 json {"a": [1, "b"]} 100% $1$'
)


@tagged("post_install", "-at_install")
class TestAuditSealer(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.environment() as env:
            env[AUDIT]._audit_seal()
        with cls.environment() as env:
            Audit = env[AUDIT]
            if Audit._audit_pending_status()["pending"]:
                # The sealer waits for every older writing transaction of the
                # PostgreSQL cluster, whatever its database.
                env.cr.execute(
                    "SELECT datname, pid FROM pg_stat_activity "
                    "WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                )
                raise AssertionError(
                    "Audit entries cannot be sealed before these tests: a "
                    "transaction holds them back (database, pid): "
                    f"{env.cr.fetchall()}. Run them on a cluster no other "
                    "test run uses."
                )
            cls.class_mark = cls.max_audit_id(env)
            cls.class_head = Audit._audit_head()
        cls.addClassCleanup(cls.restore_audit_trail)
        with cls.environment() as env:
            env = env(context={"tracking_disable": True, "no_reset_password": True})
            group = env["res.groups"].create(
                {
                    "name": "AG Concurrency",
                    "governance_scope": "governed",
                    "governance_risk": "high",
                }
            )
            approver = mail_new_test_user(
                env,
                login="ag_conc_approver",
                groups="base.group_user,access_governance.group_governance_manager",
            )
            beneficiaries = [
                mail_new_test_user(
                    env, login=f"ag_conc_user{index}", groups="base.group_user"
                )
                for index in range(WORKERS)
            ]
            profile = env["access.governance.profile"].create(
                {
                    "name": "AG Concurrency profile",
                    "group_ids": [Command.set(group.ids)],
                    "default_duration_hours": 8,
                    "max_duration_hours": 24,
                    "approver_user_ids": [Command.set(approver.ids)],
                }
            )
            cls.group_id, cls.profile_id = group.id, profile.id
            cls.approver_id = approver.id
            cls.beneficiary_ids = [user.id for user in beneficiaries]
        cls.addClassCleanup(cls.delete_fixtures)

    @classmethod
    @contextmanager
    def environment(cls, uid=SUPERUSER_ID):
        """An environment on a new cursor, committed on exit (and then
        sealed by the sealer after commit, as in production)."""
        with cls.registry.cursor() as cr:
            yield cls.env_of(cr, uid)

    @classmethod
    def env_of(cls, cr, uid=SUPERUSER_ID):
        # The registry given, not looked up: the test runner holds the
        # registries' lock while tests run, so worker threads cannot.
        cr.transaction = api.Transaction(cls.registry)
        return api.Environment(cr, uid, {})

    @staticmethod
    def max_audit_id(env):
        env.flush_all()
        env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM access_governance_audit")
        return env.cr.fetchone()[0]

    @classmethod
    def delete_fixtures(cls):
        with cls.environment() as env:
            cr = env.cr
            user_ids = [cls.approver_id, *cls.beneficiary_ids]
            cr.execute(
                "SELECT id FROM access_governance_grant WHERE beneficiary_id = ANY(%s)",
                [user_ids],
            )
            grant_ids = [row[0] for row in cr.fetchall()]
            # Grants and claims are evidence, refused to the ORM: SQL, as the
            # database owner.
            for table, column in (
                ("mail_activity", "res_model"),
                ("mail_followers", "res_model"),
                ("mail_message", "model"),
            ):
                cr.execute(
                    f"DELETE FROM {table} WHERE {column} = 'access.governance.grant' "
                    "AND res_id = ANY(%s)",
                    [grant_ids],
                )
            cr.execute(
                "DELETE FROM access_governance_claim WHERE user_id = ANY(%s)",
                [user_ids],
            )
            cr.execute(
                "DELETE FROM access_governance_grant WHERE id = ANY(%s)", [grant_ids]
            )
            env["access.governance.profile"].browse(cls.profile_id).unlink()
            users = env["res.users"].browse(user_ids)
            partners = users.partner_id
            users.unlink()
            partners.unlink()
            env["res.groups"].browse(cls.group_id).unlink()

    @classmethod
    def restore_audit_trail(cls):
        with cls.environment() as env:
            cr = env.cr
            # No sealer at work meanwhile.
            cr.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            cr.execute(
                "ALTER TABLE access_governance_audit "
                "DISABLE TRIGGER access_governance_audit_no_change"
            )
            cr.execute(
                "ALTER TABLE access_governance_audit_head "
                "DISABLE TRIGGER access_governance_audit_head_guard"
            )
            cr.execute(
                "DELETE FROM access_governance_audit WHERE id > %s", [cls.class_mark]
            )
            cr.execute(
                "UPDATE access_governance_audit_head "
                "SET last_sequence = %s, last_hash = %s WHERE id = 1",
                list(cls.class_head),
            )
            cr.execute(
                "ALTER TABLE access_governance_audit "
                "ENABLE TRIGGER access_governance_audit_no_change"
            )
            cr.execute(
                "ALTER TABLE access_governance_audit_head "
                "ENABLE TRIGGER access_governance_audit_head_guard"
            )

    def setUp(self):
        super().setUp()
        with self.environment() as env:
            self.mark = self.max_audit_id(env)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def log(self, env, description, **values):
        return env[AUDIT]._audit_log("group_policy", description=description, **values)

    def log_committed(self, description, **values):
        with self.environment() as env:
            return self.log(env, description, **values).id

    @contextmanager
    def sealer_at_work(self):
        """Hold the sealer's lock, as a sealer does while it works: the
        sealers run after commits skip, so entries stay pending."""
        with self.registry.cursor() as cr:
            cr.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            yield
            cr.rollback()

    def seal(self, **kwargs):
        with self.environment() as env:
            return env[AUDIT]._audit_seal(**kwargs)

    def run_concurrently(self, functions):
        """Run each function in its own thread and cursor; every one writes,
        then waits for all the others to have written, then commits. Returns
        the exceptions raised."""
        barrier = threading.Barrier(len(functions), timeout=TIMEOUT)
        errors = []

        def run(function):
            threading.current_thread().testing = True  # no mail sent
            try:
                with self.registry.cursor() as cr:
                    function(cr)
                    cr.flush()
                    barrier.wait()
            except Exception as error:  # noqa: BLE001 - reported by the test
                errors.append(error)
                barrier.abort()

        threads = [threading.Thread(target=run, args=(f,)) for f in functions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * 2)
        self.assertFalse([thread for thread in threads if thread.is_alive()])
        return errors

    def assertChainIntact(self, pending=0):
        with self.environment() as env:
            result = env[AUDIT]._audit_verify_chain()
        self.assertEqual(result["state"], "intact", result.get("reason"))
        self.assertEqual(result["pending"], pending)
        return result

    def assertSealedInWriterOrder(self):
        """Sequence numbers follow (writing transaction, id): the order
        is a function of the data, which a later verifier can reproduce."""
        with self.environment() as env:
            env.cr.execute(
                "SELECT writer_txid, id FROM access_governance_audit "
                "WHERE id > %s ORDER BY sequence",
                [self.mark],
            )
            rows = env.cr.fetchall()
        self.assertTrue(rows)
        self.assertEqual(rows, sorted(rows))

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------
    def test_concurrent_approvals_all_commit(self):
        """Approvers approving at the same time: every transaction writes
        its audit entries (approval, claims, activation) before any of them
        commits, and all commit. With a lock shared by the writers, the
        second writer would wait for the first, which waits for everybody
        to have written: the barrier would time out."""
        with self.environment() as env:
            grants = env["access.governance.grant"]
            for user_id in self.beneficiary_ids:
                grant = grants.with_user(user_id).create(
                    {
                        "profile_id": self.profile_id,
                        "beneficiary_id": user_id,
                        "reason": "Concurrency test",
                    }
                )
                grant.action_submit()
                grants |= grant
            grant_ids = grants.ids
            self.assertEqual(set(grants.mapped("state")), {"submitted"})

        def approve(grant_id):
            def function(cr):
                env = self.env_of(cr, self.approver_id)
                env["access.governance.grant"].browse(grant_id).action_approve()

            return function

        errors = self.run_concurrently([approve(g) for g in grant_ids])
        self.assertEqual(errors, [])
        self.assertFalse(self.seal()["skipped"])
        with self.environment() as env:
            grants = env["access.governance.grant"].browse(grant_ids)
            self.assertEqual(set(grants.mapped("state")), {"active"})
            group = env["res.groups"].browse(self.group_id)
            for grant in grants:
                self.assertIn(group, grant.beneficiary_id.groups_id)
            activated = env[AUDIT].search(
                [
                    ("id", ">", self.mark),
                    ("event", "=", "grant_activated"),
                    ("res_model", "=", "access.governance.grant"),
                    ("res_id", "in", grant_ids),
                ]
            )
            self.assertEqual(len(activated), WORKERS)
            self.assertTrue(all(activated.mapped("hash")))
        self.assertChainIntact()
        self.assertSealedInWriterOrder()

    def test_entries_wait_for_earlier_transactions(self):
        """An entry is sealed only once every transaction that started
        writing before it has finished; until then it is pending."""
        with self.registry.cursor() as earlier:
            earlier.execute("SELECT txid_current()")  # has started writing
            entry_b = self.log_committed("Written and committed second")
            # Its sealer ran after its commit, but could not seal it.
            result = self.assertChainIntact(pending=1)
            with self.environment() as env:
                entry = env[AUDIT].browse(entry_b)
                self.assertFalse(entry.hash)
                self.assertEqual(result["pending_since"], entry.date)
            self.assertEqual(self.seal(), {"sealed": 0, "skipped": False})
            # The earlier transaction writes last and commits last.
            env = self.env_of(earlier)
            entry_a = self.log(env, "Written in the earlier transaction").id
        with self.environment() as env:
            first, second = env[AUDIT].browse([entry_a, entry_b])
            self.assertTrue(first.hash and second.hash)
            # Sealed in the order of the transactions, not of commits or ids.
            self.assertGreater(entry_a, entry_b)
            self.assertEqual(second.sequence, first.sequence + 1)
            self.assertEqual(second.previous_hash, first.hash)
        self.assertChainIntact()
        self.assertSealedInWriterOrder()

    def test_sealer_skips_while_another_seals_and_is_idempotent(self):
        with self.sealer_at_work():
            ids = [self.log_committed(f"Entry {index}") for index in range(3)]
            self.assertEqual(self.seal(), {"sealed": 0, "skipped": True})
            self.assertChainIntact(pending=3)
        self.assertEqual(self.seal(), {"sealed": 3, "skipped": False})
        with self.environment() as env:
            entries = env[AUDIT].browse(ids)
            seals = entries.read(["sequence", "previous_hash", "hash"])
            head = env[AUDIT]._audit_head()
        self.assertEqual(self.seal(), {"sealed": 0, "skipped": False})
        with self.environment() as env:
            self.assertEqual(
                env[AUDIT].browse(ids).read(["sequence", "previous_hash", "hash"]),
                seals,
            )
            self.assertEqual(env[AUDIT]._audit_head(), head)
        self.assertChainIntact()

    def test_concurrent_sealers_seal_each_entry_once(self):
        with self.sealer_at_work():
            for batch in range(5):
                with self.environment() as env:
                    for index in range(4):
                        self.log(env, f"Batch {batch} entry {index}")
        # Several sealers start at once, in small batches so that their
        # passes interleave.
        barrier = threading.Barrier(WORKERS, timeout=TIMEOUT)
        results, errors = [], []

        def run():
            try:
                barrier.wait()
                results.append(self.seal(batch_size=3))
            except Exception as error:  # noqa: BLE001 - reported by the test
                errors.append(error)

        threads = [threading.Thread(target=run) for _index in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * 2)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), WORKERS)
        self.assertEqual(sum(result["sealed"] for result in results), 20)
        self.assertChainIntact()
        self.assertSealedInWriterOrder()

    def test_trigger_accepts_only_the_true_seal(self):
        with self.sealer_at_work(), self.environment() as env:
            first_id = self.log(env, "First").id
            second_id = self.log(env, "Second").id
        with self.registry.cursor() as cr:
            Audit = self.env_of(cr)[AUDIT]
            rows = Audit._audit_seal_candidates(cr)
            self.assertEqual([row["id"] for row in rows], [first_id, second_id])
            seals = Audit._audit_seal_compute(Audit._audit_head(), rows)
            (_id1, seq1, prev1, hash1), (_id2, _seq2, _prev2, hash2) = seals
            (_id, _seq, _prev, second_first) = Audit._audit_seal_compute(
                Audit._audit_head(), rows[1:]
            )[0]
            update = (
                "UPDATE access_governance_audit SET sequence = %s, "
                "previous_hash = %s, hash = %s{} WHERE id = %s"
            )
            forged = [
                ((seq1, prev1, hash2, first_id), "does not match its content"),
                ((seq1 + 1, prev1, hash1, first_id), "does not extend the chain"),
                ((seq1, hash1, hash1, first_id), "does not extend the chain"),
                ((seq1, prev1, second_first, second_id), "written before it"),
            ]
            for params, message in forged:
                with self.subTest(message=message, params=params):
                    with (
                        self.assertRaises(psycopg2.Error) as caught,
                        mute_logger("odoo.sql_db"),
                        cr.savepoint(),
                    ):
                        cr.execute(update.format(""), params)
                    self.assertIn(message, str(caught.exception))
            with (
                self.assertRaises(psycopg2.Error) as caught,
                mute_logger("odoo.sql_db"),
                cr.savepoint(),
            ):
                cr.execute(
                    update.format(", description = 'forged'"),
                    (seq1, prev1, hash1, first_id),
                )
            self.assertIn("append-only", str(caught.exception))
            # The true seals, computed in Python, match the trigger's SQL
            # hash, and move the head.
            Audit._audit_seal_write(cr, seals)
            self.assertEqual(Audit._audit_head(), (seals[-1][1], hash2))
            # Once sealed, never again.
            with (
                self.assertRaises(psycopg2.Error) as caught,
                mute_logger("odoo.sql_db"),
                cr.savepoint(),
            ):
                cr.execute(
                    "UPDATE access_governance_audit SET hash = %s WHERE id = %s",
                    [hash1, second_id],
                )
            self.assertIn("append-only", str(caught.exception))
            cr.rollback()
        self.assertEqual(self.seal(), {"sealed": 2, "skipped": False})
        self.assertChainIntact()

    def test_unusual_text_sealed_and_verified(self):
        """The trigger's SQL canonical form equals Python's on any text."""
        with self.environment() as env:
            user = env["res.users"].browse(self.beneficiary_ids[0])
            entry_id = self.log(
                env, UNUSUAL_TEXT, user=user, details={"text": UNUSUAL_TEXT}
            ).id
        self.seal()
        with self.environment() as env:
            entry = env[AUDIT].browse(entry_id)
            self.assertTrue(entry.hash)
            self.assertEqual(entry.description, UNUSUAL_TEXT)
        self.assertChainIntact()

    def test_entry_restored_from_another_cluster_is_sealed(self):
        """A restored dump can hold pending entries whose transaction ids
        this cluster has not reached: they are finished, not in progress."""
        with self.sealer_at_work():
            entry_id = self.log_committed("Pending when the dump was taken")
            with self.environment() as env:
                cr = env.cr
                cr.execute(
                    "ALTER TABLE access_governance_audit "
                    "DISABLE TRIGGER access_governance_audit_no_change"
                )
                cr.execute(
                    "UPDATE access_governance_audit "
                    "SET writer_txid = txid_current() + 1000000 WHERE id = %s",
                    [entry_id],
                )
                cr.execute(
                    "ALTER TABLE access_governance_audit "
                    "ENABLE TRIGGER access_governance_audit_no_change"
                )
        self.assertEqual(self.seal(), {"sealed": 1, "skipped": False})
        self.assertChainIntact()
