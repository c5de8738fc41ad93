# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.fields import Command
from odoo.tests import HttpCase, tagged

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
