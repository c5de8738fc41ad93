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

    def tamper(self, sql, params):
        """Run ``sql`` with the protection trigger disabled, as a DBA would."""
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(
            "ALTER TABLE access_governance_audit "
            "DISABLE TRIGGER access_governance_audit_no_change"
        )
        cr.execute(sql, params)
        cr.execute(
            "ALTER TABLE access_governance_audit "
            "ENABLE TRIGGER access_governance_audit_no_change"
        )
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # The chain
    # ------------------------------------------------------------------
    def test_entries_are_chained(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT last_sequence FROM access_governance_audit_head WHERE id = 1"
        )
        sequence = self.env.cr.fetchone()[0]
        entries = self.log_entries(3)
        self.assertEqual(
            entries.mapped("sequence"), [sequence + 1, sequence + 2, sequence + 3]
        )
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
        result = self.Audit._audit_verify_chain(batch_size=2)
        self.assertEqual(result["state"], "intact")
        self.assertEqual(result["checked"], self.Audit.sudo().search_count([]))

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
    def test_raw_sql_update_delete_truncate_fail(self):
        entry = self.log_entries(1)
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
            ("DELETE FROM access_governance_audit WHERE id = %s", [entry.id]),
            ("TRUNCATE access_governance_audit CASCADE", []),
        ]
        for query, params in statements:
            with self.subTest(query=query):
                with (
                    self.assertRaises(psycopg2.Error) as caught,
                    mute_logger("odoo.sql_db"),
                    self.env.cr.savepoint(),
                ):
                    self.env.cr.execute(query, params)
                self.assertIn("append-only", str(caught.exception))
        self.env.cr.execute(
            "SELECT description, user_id FROM access_governance_audit WHERE id = %s",
            [entry.id],
        )
        self.assertEqual(
            self.env.cr.fetchone(), ("Test entry 0", self.user_employee.id)
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
        self.assertEqual(self.Audit._audit_verify_chain()["state"], "intact")

    # ------------------------------------------------------------------
    # Tamper detection
    # ------------------------------------------------------------------
    def test_tampered_entry_is_first_broken_link(self):
        first, middle, _last = self.log_entries(3)
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
        sequence = self.last_audit_sequence()
        action = self.Audit.with_user(self.user_auditor).action_verify_integrity()
        self.assertEqual(action["res_model"], "access.governance.audit.verify")
        self.assertEqual(action["target"], "new")
        wizard = self.env[action["res_model"]].with_user(self.user_auditor)
        wizard = wizard.browse(action["res_id"])
        self.assertEqual(wizard.state, "intact")
        self.assertEqual(wizard.checked_count, sequence)
        self.assertIn("intact", wizard.summary)
        verified = self.audit_since(sequence, event="chain_verified")
        self.assertEqual(verified.actor_id, self.user_auditor)

    def test_verify_action_reports_broken_chain(self):
        _first, middle, _last = self.log_entries(3)
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
