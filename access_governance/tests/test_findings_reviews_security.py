# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Malicious managers: findings, review lines, campaign filters, mitigations."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from .test_reviews import ReviewCommon


@tagged("post_install", "-at_install")
class TestFindingsReviewsSecurity(ReviewCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Finding = cls.env["access.governance.finding"]
        cls.Mitigation = cls.env["access.governance.mitigation"]
        cls.rule = cls.env["access.governance.sod.rule"].create(
            {
                "name": "AG Security Rule",
                "group_a_ids": [Command.set(cls.group_a_base.ids)],
                "group_b_ids": [Command.set(cls.group_b.ids)],
                "severity": "high",
                "action": "block",
                "owner_id": cls.user_admin_gov.id,
            }
        )

    def report(self, user):
        self.env["access.governance.detector"]._detector_report(
            [
                {
                    "type": "stale_account",
                    "user": user,
                    "subject": "account",
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
                        "stale_account", user, "account"
                    ),
                ),
                ("state", "=", "open"),
            ]
        )

    # ------------------------------------------------------------------
    # Findings
    # ------------------------------------------------------------------
    def test_manager_cannot_write_finding_state(self):
        finding = self.report(self.user_manager)
        as_manager = finding.with_user(self.user_manager)
        until = fields.Date.today() + timedelta(days=3650)
        with self.assertRaises(AccessError):
            as_manager.write(
                {
                    "state": "accepted",
                    "accepted_by_id": self.user_admin_gov.id,
                    "accept_until": until,
                }
            )
        for vals in (
            {"state": "resolved", "resolution": "remediated"},
            {"severity": "low"},
            {"accepted_by_id": self.user_admin_gov.id},
        ):
            with self.assertRaises(AccessError):
                as_manager.write(vals)
        self.assertEqual(finding.state, "open")
        self.assertFalse(finding.accepted_by_id)
        # The form's fields stay editable while open; the action still
        # refuses to accept a finding about oneself.
        as_manager.write({"accept_reason": "Mine", "accept_until": until})
        with self.assertRaises(UserError):
            as_manager.action_accept()

    def test_accepted_finding_acceptance_frozen(self):
        finding = self.report(self.user_employee)
        as_manager = finding.with_user(self.user_manager)
        as_manager.write({"accept_reason": "Seasonal worker"})
        as_manager.action_accept()
        self.assertEqual(finding.state, "accepted")
        self.assertEqual(finding.accepted_by_id, self.user_manager)
        with self.assertRaises(UserError):
            as_manager.write({"accept_until": fields.Date.today() + timedelta(3650)})
        as_manager.action_reopen()
        self.assertEqual(finding.state, "open")

    # ------------------------------------------------------------------
    # Review lines
    # ------------------------------------------------------------------
    def started_review(self):
        self.give_baseline(self.user_manager, self.group_b)
        review = self.new_review(
            department_ids=[(6, 0, [])],
            user_domain=repr(
                [("id", "in", (self.user_manager | self.user_employee).ids)]
            ),
            group_ids=[(6, 0, self.group_b.ids)],
            reviewer_mode="named",
            reviewer_id=self.user_admin_gov.id,
        )
        review.with_user(self.user_manager).action_start()
        return review

    def test_manager_cannot_decide_own_line(self):
        review = self.started_review()
        own = self.line_of(review, self.user_manager, self.group_b)
        self.assertEqual(own.reviewer_id, self.user_admin_gov)
        with self.assertRaises(UserError):
            own.with_user(self.user_manager).write({"decision": "keep"})
        with self.assertRaises(UserError):
            own.with_user(self.user_manager).action_keep()
        self.assertFalse(own.decision)
        # Taking over the line does not help either.
        with self.assertRaises(ValidationError):
            own.with_user(self.user_manager).write(
                {"reviewer_id": self.user_manager.id}
            )

    def test_manager_cannot_forge_line_outcome(self):
        review = self.started_review()
        line = self.line_of(review, self.user_employee, self.group_b)
        as_manager = line.with_user(self.user_manager)
        for vals in (
            {"decided_by_id": self.user_admin_gov.id},
            {"applied": True},
            {"claim_ids": [Command.clear()]},
            {"decision": "revoke", "decision_auto": True},
            {"result": "Removed."},
        ):
            with self.assertRaises(AccessError):
                as_manager.write(vals)
        self.assertTrue(line.claim_ids)
        self.assertFalse(line.applied)
        as_manager.write({"decision": "revoke", "comment": "Not needed"})
        self.assertEqual(line.decided_by_id, self.user_manager)
        self.assertFalse(line.decision_auto)

    def test_users_filter_searched_with_caller_rights(self):
        # private_email is HR-only: as a sudo search it was an oracle on it.
        self.emp_emma.private_email = "emma@private.example"
        review = self.new_review(
            department_ids=[(6, 0, [])],
            user_domain="[('employee_ids.private_email', '=like', 'emma@%')]",
        )
        with self.assertRaises(AccessError):
            review.with_user(self.user_manager).action_start()
        self.assertEqual(review.state, "draft")

    # ------------------------------------------------------------------
    # Mitigations
    # ------------------------------------------------------------------
    def mitigation_vals(self, **vals):
        return dict(
            {"user_id": self.user_employee.id, "rule_id": self.rule.id, "control": "x"},
            **vals,
        )

    def test_mitigation_approved_by_its_author(self):
        Mitigation = self.Mitigation.with_user(self.user_admin_gov)
        with self.assertRaises(UserError):
            Mitigation.create(self.mitigation_vals(approver_id=self.user_manager.id))
        with self.assertRaises(UserError) as caught:
            Mitigation.create(self.mitigation_vals(user_id=self.user_admin_gov.id))
        self.assertIn("your own access", str(caught.exception))
        mitigation = Mitigation.create(self.mitigation_vals())
        self.assertEqual(mitigation.approver_id, self.user_admin_gov)
        # A mitigation is evidence: never changed, by anybody; withdrawn by
        # archiving, never restored; a new control is a new mitigation.
        for vals in (
            {"approver_id": self.user_manager.id},
            {"user_id": self.user_admin_gov.id},
            {"control": "Monthly check"},
        ):
            for user in (self.user_admin_gov, self.user_system):
                with (
                    self.subTest(vals=vals, user=user.login),
                    self.assertRaises(AccessError),
                ):
                    mitigation.with_user(user).write(vals)
        self.assertEqual(mitigation.control, "x")
        mitigation.with_user(self.user_system).write({"active": False})
        self.assertEqual(mitigation.approver_id, self.user_admin_gov)
        with self.assertRaises(AccessError):
            mitigation.with_user(self.user_system).write({"active": True})
        for user in (self.user_admin_gov, self.user_system):
            with self.assertRaises(AccessError):
                mitigation.with_user(user).unlink()
        with self.assertRaises(AccessError):
            mitigation.sudo().unlink()
