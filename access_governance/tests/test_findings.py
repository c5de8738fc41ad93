# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import AccessGovernanceCommon


@tagged("post_install", "-at_install")
class TestFindings(AccessGovernanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Finding = cls.env["access.governance.finding"]

    def report(self, user, subject="account", finding_type="stale_account"):
        self.env["access.governance.detector"]._detector_report(
            [
                {
                    "type": finding_type,
                    "user": user,
                    "subject": subject,
                    "severity": "medium",
                    "groups": self.group_b,
                    "explanation": f"{user.name} looks stale.",
                    "remedy": "Deactivate.",
                }
            ]
        )
        return self.Finding.search(
            [
                (
                    "key",
                    "=",
                    self.env["access.governance.detector"]._detector_key(
                        finding_type, user, subject
                    ),
                ),
                ("state", "in", ("open", "accepted")),
            ]
        )

    def test_report_is_keyed_and_audited(self):
        sequence = self.last_audit_sequence()
        finding = self.report(self.user_employee)
        self.assertEqual(finding.state, "open")
        self.assertEqual(len(self.audit_since(sequence, "finding_opened")), 1)
        now = fields.Datetime.now()
        with freeze_time(now + timedelta(hours=2)):
            again = self.report(self.user_employee)
        self.assertEqual(again, finding)
        self.assertGreater(finding.last_seen, finding.first_seen)
        self.assertEqual(len(self.audit_since(sequence, "finding_opened")), 1)
        # The database refuses a second live finding with the same key.
        with (
            self.assertRaises(psycopg2.IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            finding.copy()

    def test_accept_and_expiry_reopens(self):
        finding = self.report(self.user_employee)
        with self.assertRaises(UserError):
            finding.with_user(self.user_manager).action_accept()  # no reason
        today = fields.Date.context_today(self.Finding)
        finding.with_user(self.user_manager).write(
            {"accept_reason": "Seasonal worker", "accept_until": today + timedelta(5)}
        )
        sequence = self.last_audit_sequence()
        finding.with_user(self.user_manager).action_accept()
        self.assertEqual(finding.state, "accepted")
        self.assertEqual(finding.accepted_by_id, self.user_manager)
        self.assertTrue(self.audit_since(sequence, "finding_accepted"))
        # Seen again while accepted: stays accepted.
        self.report(self.user_employee)
        self.assertEqual(finding.state, "accepted")
        with freeze_time(fields.Datetime.now() + timedelta(days=6)):
            self.Finding._finding_reopen_expired()
        self.assertEqual(finding.state, "open")
        self.assertTrue(self.audit_since(sequence, "finding_reopened"))

    def test_employee_sees_only_own_findings_and_cannot_accept(self):
        own = self.report(self.user_employee)
        other = self.report(self.user_employee2)
        Finding = self.Finding.with_user(self.user_employee)
        self.assertEqual(Finding.search([]), own)
        with self.assertRaises(AccessError):
            other.with_user(self.user_employee).read(["explanation"])
        own.with_user(self.user_employee).read(["explanation"])
        with self.assertRaises(AccessError):
            own.with_user(self.user_employee).write({"accept_reason": "mine"})
        with self.assertRaises(AccessError):
            own.with_user(self.user_employee).action_accept()
        with self.assertRaises(AccessError):
            own.with_user(self.user_employee).action_revoke_groups()
        # Auditors read everything, change nothing.
        self.assertEqual(
            self.Finding.with_user(self.user_auditor).search(
                [("id", "in", (own | other).ids)]
            ),
            own | other,
        )
        with self.assertRaises(AccessError):
            other.with_user(self.user_auditor).action_accept()

    def test_manager_cannot_accept_own_finding(self):
        finding = self.report(self.user_manager)
        finding.write({"accept_reason": "It's fine"})
        with self.assertRaises(UserError):
            finding.with_user(self.user_manager).action_accept()

    def test_deactivate_stale_account_through_offboarding(self):
        finding = self.report(self.user_employee)
        sequence = self.last_audit_sequence()
        finding.with_user(self.user_manager).action_deactivate_account()
        self.assertFalse(self.user_employee.active)
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "remediated")
        self.assertTrue(self.audit_since(sequence, "offboarding"))
        self.assertTrue(self.audit_since(sequence, "finding_resolved"))

    def test_open_review_from_finding(self):
        """A finding opens a draft campaign certifying exactly the user and
        the groups it is about; employees cannot do it."""
        finding = self.report(self.user_employee)
        with self.assertRaises(AccessError):
            finding.with_user(self.user_employee).action_open_review()
        action = finding.with_user(self.user_manager).action_open_review()
        review = self.env["access.governance.review"].browse(action["res_id"])
        self.assertEqual(review.state, "draft")
        self.assertEqual(review.access_scope, "groups")
        self.assertEqual(review.group_ids, self.group_b)
        self.assertIn(str(self.user_employee.id), review.user_domain)

    def test_unmapped_employee_hook(self):
        job = self.env["hr.job"].create({"name": "AG Unmapped Job"})
        employee = self.env["hr.employee"].create(
            {"name": "Emma", "user_id": self.user_employee.id, "job_id": job.id}
        )
        self.env["access.governance.role"]._governance_on_unmapped_employee(employee)
        finding = self.Finding.search(
            [
                ("finding_type", "=", "unmapped_access"),
                ("user_id", "=", self.user_employee.id),
                ("subject", "=", f"job:{job.id}"),
            ]
        )
        self.assertEqual(finding.state, "open")
        self.assertIn("AG Unmapped Job", finding.explanation)

    def test_broken_chain_hook(self):
        Audit = self.env["access.governance.audit"]
        broken = {
            "state": "broken",
            "broken_sequence": 7,
            "broken_id": 7,
            "reason": "hash mismatch",
            "checked": 7,
        }
        with mute_logger(
            "odoo.addons.access_governance.models.access_governance_audit"
        ):
            Audit._audit_record_verification(broken)
        finding = self.Finding.search(
            [("finding_type", "=", "broken_audit_chain"), ("state", "=", "open")]
        )
        self.assertEqual(finding.severity, "critical")
        self.assertIn("#7", finding.explanation)
        self.assertTrue(self.audit_since(0, "chain_broken"))
        Audit._audit_record_verification({"state": "intact", "checked": 8})
        self.assertEqual(finding.state, "resolved")

    def test_run_audits_action_managers_only(self):
        with self.assertRaises(AccessError):
            self.Finding.with_user(self.user_employee).action_run_audits()
        Detector = self.env["access.governance.detector"]
        with patch.object(
            type(Detector), "_detectors_run", autospec=True, return_value=True
        ) as run:
            self.Finding.with_user(self.user_manager).action_run_audits()
        run.assert_called_once()
        self.assertEqual(run.call_args.args[1][:2], ["stale_account", "sod_conflict"])
