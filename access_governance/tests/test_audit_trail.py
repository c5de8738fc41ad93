# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import hashlib

import psycopg2

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import AccessGovernanceCommon

AUDIT_LOGGER = "odoo.addons.access_governance.models.access_governance_audit"


@tagged("post_install", "-at_install")
class TestAuditTrail(AccessGovernanceCommon):
    def log_entries(self, count):
        """Write ``count`` entries through the writer, as the admin."""
        Audit = self.Audit.with_user(self.user_admin_gov)
        return Audit.browse(
            [
                Audit._audit_log(
                    "group_policy",
                    user=self.user_employee,
                    groups=self.group_b,
                    record=self.group_b,
                    description=f"Test entry {index}",
                    details={"index": index},
                ).id
                for index in range(count)
            ]
        ).sudo()

    # ------------------------------------------------------------------
    # The chain
    # ------------------------------------------------------------------
    def test_entries_written_unsealed_with_their_transaction(self):
        entries = self.log_entries(2)
        self.env.cr.execute(
            "SELECT sequence, previous_hash, hash, writer_txid = txid_current() "
            "FROM access_governance_audit WHERE id = ANY(%s)",
            [entries.ids],
        )
        self.assertEqual(self.env.cr.fetchall(), [(None, None, None, True)] * 2)
        self.assertFalse(any(entries.mapped("hash")))
        self.assertIn("pending seal", entries[0].display_name)

    def test_entries_are_chained(self):
        sealed_before = self.seal_audit()  # what setUpClass wrote
        sequence = self.Audit._audit_head()[0]
        entries = self.log_entries(3)
        self.assertEqual(self.seal_audit(), entries)
        self.assertEqual(
            entries.mapped("sequence"), [sequence + 1, sequence + 2, sequence + 3]
        )
        self.assertEqual(self.Audit._audit_head(), (sequence + 3, entries[-1].hash))
        self.assertTrue(sealed_before)
        previous = self.Audit.sudo().search([("sequence", "=", sequence)])
        for entry in entries:
            self.assertEqual(entry.previous_hash, previous.hash)
            # Recompute from the stored row: sha256(previous hash + canonical).
            self.env.cr.execute(
                "SELECT * FROM access_governance_audit WHERE id = %s", [entry.id]
            )
            columns = [desc[0] for desc in self.env.cr.description]
            row = dict(zip(columns, self.env.cr.fetchone(), strict=True))
            canonical = self.Audit._audit_canonical(row)
            self.assertIn(f'"description":"{entry.description}"', canonical)
            digest = hashlib.sha256(
                (previous.hash + canonical).encode("utf-8")
            ).hexdigest()
            self.assertTrue(entry.hash.startswith("$1$"))
            self.assertEqual(entry.hash, "$1$" + digest)
            previous = entry
        self.assertEqual(entries.actor_id, self.user_admin_gov)
        self.assertEqual(set(entries.mapped("actor_login")), {"ag_admin"})
        self.assertEqual(set(entries.mapped("user_login")), {"ag_employee"})
        self.assertEqual(
            set(entries.mapped("record_name")), {self.group_b.display_name}
        )
        result = self.Audit._audit_verify_chain()
        self.assertEqual(result["state"], "intact")
        self.assertEqual(result["last_sequence"], sequence + 3)

    def test_verify_chain_in_small_batches(self):
        self.log_entries(5)
        self.seal_audit()
        result = self.Audit._audit_verify_chain(batch_size=2)
        self.assertEqual(result["state"], "intact")
        self.assertEqual(result["checked"], self.Audit.sudo().search_count([]))
        self.assertEqual(result["pending"], 0)
        self.assertFalse(result["pending_since"])

    def test_unsealed_entries_are_pending_not_broken(self):
        self.seal_audit()
        checked = self.Audit._audit_verify_chain()["checked"]
        entries = self.log_entries(2)
        result = self.Audit._audit_verify_chain()
        self.assertEqual(result["state"], "intact")
        self.assertEqual(result["checked"], checked)
        self.assertEqual(result["pending"], 2)
        self.assertEqual(result["pending_since"], entries[0].date)
        self.assertEqual(self.Audit._audit_pending_status()["pending"], 2)
        # Once sealed they are verified like the others.
        self.seal_audit()
        result = self.Audit._audit_verify_chain()
        self.assertEqual((result["checked"], result["pending"]), (checked + 2, 0))

    # ------------------------------------------------------------------
    # ORM guards
    # ------------------------------------------------------------------
    def test_orm_create_write_unlink_refused(self):
        entry = self.log_entries(1)
        vals = {"event": "install", "description": "forged", "sequence": 999999}
        for Audit in (
            self.Audit.with_user(self.user_system),
            self.Audit.with_user(self.user_admin_gov),
            self.Audit.sudo(),
        ):
            with self.subTest(env=Audit.env.uid, su=Audit.env.su):
                with self.assertRaises(AccessError):
                    Audit.create(vals)
                with self.assertRaises(AccessError):
                    entry.with_env(Audit.env).write({"description": "rewritten"})
                with self.assertRaises(AccessError):
                    entry.with_env(Audit.env).unlink()
                with self.assertRaises(AccessError):
                    entry.with_env(Audit.env).copy()
        self.assertFalse(self.Audit.sudo().search([("description", "=", "forged")]))
        self.assertEqual(entry.description, "Test entry 0")

    # ------------------------------------------------------------------
    # Database guards
    # ------------------------------------------------------------------
    def assertSqlRefused(self, statements, message):
        for query, params in statements:
            with self.subTest(query=query):
                with (
                    self.assertRaises(psycopg2.Error) as caught,
                    mute_logger("odoo.sql_db"),
                    self.env.cr.savepoint(),
                ):
                    self.env.cr.execute(query, params)
                self.assertIn(message, str(caught.exception))

    def test_raw_sql_update_delete_truncate_fail(self):
        entry = self.log_entries(1)
        sealed = self.log_entries(1)
        self.seal_audit()
        self.env.flush_all()
        statements = [
            (
                "UPDATE access_governance_audit SET description = 'x' WHERE id = %s",
                [entry.id],
            ),
            (
                "UPDATE access_governance_audit SET user_id = %s WHERE id = %s",
                [self.user_employee2.id, entry.id],
            ),
            (
                "UPDATE access_governance_audit SET writer_txid = 1 WHERE id = %s",
                [entry.id],
            ),
            # Re-sealing a sealed entry, or touching its seal.
            (
                "UPDATE access_governance_audit SET hash = 'x' WHERE id = %s",
                [sealed.id],
            ),
            (
                (
                    "UPDATE access_governance_audit SET sequence = NULL, "
                    "previous_hash = NULL, hash = NULL WHERE id = %s"
                ),
                [sealed.id],
            ),
            # A partial seal.
            (
                "UPDATE access_governance_audit SET sequence = 999999 WHERE id = %s",
                [entry.id],
            ),
            ("DELETE FROM access_governance_audit WHERE id = %s", [entry.id]),
            ("TRUNCATE access_governance_audit CASCADE", []),
        ]
        self.assertSqlRefused(statements, "append-only")
        self.env.cr.execute(
            "SELECT description, user_id FROM access_governance_audit WHERE id = %s",
            [entry.id],
        )
        self.assertEqual(
            self.env.cr.fetchone(), ("Test entry 0", self.user_employee.id)
        )

    def test_writer_cannot_seal_its_own_entries(self):
        """Sealing in the writing transaction is refused even with the right
        values: the sealer seals only entries of finished transactions."""
        self.seal_audit()
        entry = self.log_entries(1)
        sequence, previous = self.Audit._audit_head()
        row = dict(
            self.Audit.sudo().search_read([("id", "=", entry.id)])[0],
            sequence=sequence + 1,
        )
        digest = self.Audit._audit_compute_hash(previous, row)
        self.assertSqlRefused(
            [
                (
                    (
                        "UPDATE access_governance_audit SET sequence = %s, "
                        "previous_hash = %s, hash = %s WHERE id = %s"
                    ),
                    [sequence + 1, previous, digest, entry.id],
                )
            ],
            "cannot be sealed before its transaction",
        )
        # Nor does the sealer propose them.
        candidates = self.Audit._audit_seal_candidates(self.env.cr)
        self.assertNotIn(entry.id, [row["id"] for row in candidates])

    def test_raw_insert_cannot_bring_its_own_seal_or_transaction(self):
        self.env.flush_all()
        self.assertSqlRefused(
            [
                (
                    (
                        "INSERT INTO access_governance_audit "
                        "(event, sequence, previous_hash, hash) "
                        "VALUES ('install', 999999, '', '$1$forged')"
                    ),
                    [],
                )
            ],
            "sealed by the sealer",
        )
        cr = self.env.cr
        cr.execute(
            "INSERT INTO access_governance_audit (event, writer_txid) "
            "VALUES ('install', 1) RETURNING writer_txid = txid_current()"
        )
        self.assertTrue(cr.fetchone()[0])

    def test_head_moves_only_with_a_seal(self):
        self.env.flush_all()
        self.assertSqlRefused(
            [
                (
                    (
                        "UPDATE access_governance_audit_head SET last_sequence = 0, "
                        "last_hash = ''"
                    ),
                    [],
                ),
                ("DELETE FROM access_governance_audit_head", []),
                ("TRUNCATE access_governance_audit_head", []),
                (
                    "INSERT INTO access_governance_audit_head VALUES (2, 5, 'x')",
                    [],
                ),
            ],
            "moves only when an audit entry is sealed",
        )

    def test_deleting_referenced_user_keeps_evidence(self):
        leaver = mail_new_test_user(self.env, login="ag_leaver", name="Leo Leaver")
        entry = self.Audit._audit_log(
            "baseline_change", user=leaver, description="About the leaver"
        )
        self.assertEqual(entry.user_id, leaver)
        leaver_id = leaver.id
        leaver.unlink()
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertTrue(entry.exists())
        self.assertFalse(entry.user_id)
        self.assertEqual(entry.user_login, "ag_leaver")
        self.assertEqual(entry.user_name, "Leo Leaver")
        self.assertEqual(entry.user_uid, leaver_id)
        # Nulled while pending, then sealed: the chain holds.
        self.assertIn(entry, self.seal_audit())
        self.assertEqual(self.Audit._audit_verify_chain()["state"], "intact")
        # Nulled once sealed: the chain holds too (the reference is not hashed).
        other = mail_new_test_user(self.env, login="ag_leaver2", name="Lea Leaver")
        entry = self.Audit._audit_log("baseline_change", user=other)
        self.seal_audit()
        other.unlink()
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertFalse(entry.user_id)
        self.assertEqual(self.Audit._audit_verify_chain()["state"], "intact")

    # ------------------------------------------------------------------
    # Tamper detection
    # ------------------------------------------------------------------
    def test_tampered_entry_is_first_broken_link(self):
        first, middle, _last = self.log_entries(3)
        self.seal_audit()
        with self.env.cr.savepoint():
            self.tamper(
                "UPDATE access_governance_audit SET description = %s WHERE id = %s",
                ["Nothing to see here", middle.id],
            )
            result = self.Audit._audit_verify_chain()
        self.assertEqual(result["state"], "broken")
        self.assertEqual(result["broken_sequence"], middle.sequence)
        self.assertEqual(result["broken_id"], middle.id)
        self.assertEqual(result["last_sequence"], first.sequence)
        self.assertIn("altered", result["reason"])

    def test_tampered_hash_breaks_the_next_link(self):
        """Recomputing the hash of an altered entry only moves the break to
        the next entry, whose previous hash no longer matches."""
        first, middle, last = self.log_entries(3)
        self.seal_audit()
        forged = dict(
            self.Audit.sudo().search_read([("id", "=", middle.id)])[0],
            description="Nothing to see here",
        )
        forged_hash = self.Audit._audit_compute_hash(first.hash, forged)
        with self.env.cr.savepoint():
            self.tamper(
                "UPDATE access_governance_audit SET description = %s, hash = %s "
                "WHERE id = %s",
                ["Nothing to see here", forged_hash, middle.id],
            )
            result = self.Audit._audit_verify_chain()
        self.assertEqual(result["state"], "broken")
        self.assertEqual(result["broken_sequence"], last.sequence)

    def test_deleted_middle_entry_reported_missing(self):
        first, middle, last = self.log_entries(3)
        self.seal_audit()
        middle_sequence = middle.sequence
        with self.env.cr.savepoint():
            self.tamper(
                "DELETE FROM access_governance_audit WHERE id = %s", [middle.id]
            )
            result = self.Audit._audit_verify_chain()
        self.assertEqual(result["state"], "broken")
        self.assertEqual(result["broken_sequence"], last.sequence)
        self.assertEqual(result["last_sequence"], first.sequence)
        self.assertIn(f"#{middle_sequence}", result["reason"])
        self.assertIn("missing", result["reason"])

    def test_deleted_tail_detected_through_head(self):
        entries = self.log_entries(3)
        self.seal_audit()
        last = entries[-1]
        last_sequence = last.sequence
        with self.env.cr.savepoint():
            self.tamper("DELETE FROM access_governance_audit WHERE id = %s", [last.id])
            result = self.Audit._audit_verify_chain()
        self.assertEqual(result["state"], "broken")
        self.assertEqual(result["broken_sequence"], last_sequence)
        self.assertEqual(result["last_sequence"], last_sequence - 1)
        self.assertIn("deleted", result["reason"])

    # ------------------------------------------------------------------
    # Verification action and cron
    # ------------------------------------------------------------------
    def test_verify_action_for_auditor(self):
        mark = self.last_audit_sequence()
        self.seal_audit()
        sealed = self.Audit._audit_head()[0]
        entries = self.log_entries(2)
        action = self.Audit.with_user(self.user_auditor).action_verify_integrity()
        self.assertEqual(action["res_model"], "access.governance.audit.verify")
        self.assertEqual(action["target"], "new")
        wizard = self.env[action["res_model"]].with_user(self.user_auditor)
        wizard = wizard.browse(action["res_id"])
        self.assertEqual(wizard.state, "intact")
        self.assertEqual(wizard.checked_count, sealed)
        self.assertIn("intact", wizard.summary)
        # This transaction's entries are pending until it commits.
        self.assertEqual(wizard.pending_count, 2)
        self.assertEqual(wizard.pending_since, entries[0].date)
        self.assertIn("2 more entries", wizard.summary)
        self.assertIn("pending, not broken", wizard.summary)
        verified = self.audit_since(mark, event="chain_verified")
        self.assertEqual(verified.actor_id, self.user_auditor)

    def test_verify_action_reports_broken_chain(self):
        _first, middle, _last = self.log_entries(3)
        self.seal_audit()
        self.tamper(
            "UPDATE access_governance_audit SET description = %s WHERE id = %s",
            ["Nothing to see here", middle.id],
        )
        with mute_logger(AUDIT_LOGGER):
            action = self.Audit.with_user(self.user_auditor).action_verify_integrity()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(wizard.state, "broken")
        self.assertEqual(wizard.broken_sequence, middle.sequence)
        self.assertEqual(wizard.broken_entry_id, middle)
        self.assertIn(f"#{middle.sequence}", wizard.summary)

    def test_verify_action_refused_for_employee(self):
        with self.assertRaises(AccessError):
            self.Audit.with_user(self.user_employee).action_verify_integrity()

    def test_cron_on_broken_chain_logs_and_records(self):
        _first, middle, _last = self.log_entries(3)
        self.seal_audit()
        self.tamper(
            "UPDATE access_governance_audit SET description = %s WHERE id = %s",
            ["Nothing to see here", middle.id],
        )
        sequence = self.last_audit_sequence()
        with self.assertLogs(AUDIT_LOGGER, level="ERROR") as logs:
            result = self.Audit._cron_verify_audit_chain()
        self.assertEqual(result["state"], "broken")
        self.assertIn(f"#{middle.sequence}", logs.output[0])
        broken = self.audit_since(sequence, event="chain_broken")
        self.assertEqual(len(broken), 1)
        self.assertIn(f"#{middle.sequence}", broken.description)

    def test_cron_on_intact_chain_records_verification(self):
        sequence = self.last_audit_sequence()
        result = self.Audit._cron_verify_audit_chain()
        self.assertEqual(result["state"], "intact")
        self.assertFalse(self.audit_since(sequence, event="chain_broken"))
        self.assertEqual(len(self.audit_since(sequence, event="chain_verified")), 1)
