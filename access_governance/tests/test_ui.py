# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from ..models.access_governance_guarded import trusted
from .common import AccessGovernanceCommon


@tagged("post_install", "-at_install")
class TestAccessGovernanceUi(AccessGovernanceCommon, HttpCase):
    def test_auditor_verifies_audit_trail(self):
        sequence = self.last_audit_sequence()
        self.start_tour(
            "/odoo/action-access_governance.access_governance_audit_action",
            "access_governance_audit_tour",
            login="ag_auditor",
        )
        verified = self.audit_since(sequence, event="chain_verified")
        self.assertEqual(verified.actor_id, self.user_auditor)

    def test_employee_opens_overview_and_my_access(self):
        self.give_baseline(self.user_employee2, self.group_b)
        self.start_tour(
            "/odoo/action-access_governance.access_governance_overview_action",
            "access_governance_my_access_tour",
            login="ag_employee2",
        )

    def test_manager_accepts_a_finding(self):
        with trusted():
            finding = (
                self.env["access.governance.finding"]
                .sudo()
                .create(
                    {
                        "finding_type": "stale_account",
                        "user_id": self.user_employee2.id,
                        "subject": "tour",
                        "key": "tour-accept",
                        "severity": "medium",
                    }
                )
            )
        self.start_tour(
            "/odoo/action-access_governance.access_governance_finding_action/"
            f"{finding.id}",
            "access_governance_accept_finding_tour",
            login="ag_manager",
        )
        self.assertEqual(finding.state, "accepted")
        self.assertEqual(
            finding.accept_reason, "Compensating control: monthly log review"
        )
        self.assertEqual(finding.accepted_by_id, self.user_manager)

    def test_reviewer_keeps_access(self):
        self.give_baseline(self.user_employee, self.group_b)
        review = (
            self.env["access.governance.review"]
            .with_user(self.user_manager)
            .create(
                {
                    "name": "Tour campaign",
                    "access_scope": "groups",
                    "group_ids": [Command.set(self.group_b.ids)],
                    "user_domain": f"[('id', '=', {self.user_employee.id})]",
                    "reviewer_mode": "named",
                    "reviewer_id": self.user_employee2.id,
                    "fallback_reviewer_id": self.user_manager.id,
                }
            )
        )
        review.with_user(self.user_manager).action_start()
        line = review.line_ids
        self.assertEqual(line.reviewer_id, self.user_employee2)
        self.start_tour(
            "/odoo/action-access_governance.access_governance_review_line_action_mine/"
            f"{line.id}",
            "access_governance_review_tour",
            login="ag_employee2",
        )
        self.assertEqual(line.decision, "keep")
        self.assertEqual(line.decided_by_id, self.user_employee2)

    def test_settings_admin_offboards_a_leaver(self):
        leaver = self.user_employee2
        self.give_baseline(leaver, self.group_b)
        self.start_tour(
            f"/odoo/action-base.action_res_users/{leaver.id}",
            "access_governance_offboard_tour",
            login="ag_system",
        )
        offboarding = self.env["access.governance.offboarding"].search(
            [("user_id", "=", leaver.id)]
        )
        self.assertTrue(offboarding)
        self.assertEqual(offboarding.reason, "Left the company on Friday")
        leaver.invalidate_recordset()
        self.assertFalse(leaver.active)
        self.assertNotIn(self.group_b, leaver.groups_id)


@tagged("post_install", "-at_install")
class TestGrantTours(AccessGovernanceCommon, HttpCase):
    """The approver decides where they click: the to-do, the reason dialog."""

    def submitted(self):
        profile = self.env["access.governance.profile"].create(
            {
                "name": "AG Tour Profile",
                "group_ids": [Command.set(self.group_b.ids)],
                "default_duration_hours": 8,
                "approver_user_ids": [Command.set(self.user_manager.ids)],
            }
        )
        grant = (
            self.env["access.governance.grant"]
            .with_user(self.user_employee)
            .create(
                {
                    "beneficiary_id": self.user_employee.id,
                    "profile_id": profile.id,
                    "reason": "Month-end closing",
                }
            )
        )
        grant.with_user(self.user_employee).action_submit()
        self.assertEqual(grant.state, "submitted")
        return grant

    def test_approve_from_the_todo(self):
        grant = self.submitted()
        self.start_tour(
            "/odoo", "access_governance_approve_from_todo_tour", login="ag_manager"
        )
        grant.invalidate_recordset()
        self.assertEqual(grant.state, "active")
        self.assertEqual(grant.sudo().approval_ids.comment, "OK for one hour")
        self.assertIn(self.group_b, self.user_employee.groups_id)

    def test_reject_with_a_reason(self):
        grant = self.submitted()
        self.start_tour(
            "/odoo/action-access_governance.access_governance_grant_action_to_approve",
            "access_governance_reject_with_reason_tour",
            login="ag_manager",
        )
        grant.invalidate_recordset()
        self.assertEqual(grant.state, "rejected")
        self.assertEqual(
            grant.sudo().approval_ids.comment, "Use the shared report instead"
        )
