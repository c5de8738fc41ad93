# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Approvals where people click: the approver's to-do *is* the decision."""

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import tagged

from .test_grants import GrantCommon


@tagged("post_install", "-at_install")
class TestGrantActivities(GrantCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile_close.write(
            {
                "approver_user_ids": [
                    Command.set((cls.user_manager | cls.user_employee2).ids)
                ],
                "approvals_required": 2,
            }
        )

    def submitted(self, requester=None, beneficiary=None):
        requester = requester or self.user_employee
        grant = self.request(
            requester, beneficiary=beneficiary, profile_id=self.profile_close.id
        )
        grant.with_user(requester).action_submit()
        return grant

    def todo_of(self, grant, user):
        return self.approval_activities(grant).filtered(lambda a: a.user_id == user)

    def test_mark_done_is_the_approval_with_feedback_as_comment(self):
        grant = self.submitted()
        self.assertEqual(
            self.approval_activities(grant).user_id,
            self.user_manager | self.user_employee2,
        )
        todo = self.todo_of(grant, self.user_employee2).with_user(self.user_employee2)
        todo.action_feedback(feedback="OK for one hour")
        decision = grant.sudo().approval_ids
        self.assertEqual(decision.approver_id, self.user_employee2)
        self.assertEqual(decision.decision, "approve")
        self.assertEqual(decision.comment, "OK for one hour")
        self.assertEqual(grant.state, "submitted", "1 of 2 approvals")
        # Only the other approver's to-do is left; the feedback is in the
        # chatter.
        self.assertEqual(self.approval_activities(grant).user_id, self.user_manager)
        bodies = grant.sudo().message_ids.mapped("body")
        self.assertTrue(any("OK for one hour" in (body or "") for body in bodies))
        # The second approver marks done without feedback: active.
        self.todo_of(grant, self.user_manager).with_user(
            self.user_manager
        ).action_done()
        self.assertEqual(grant.state, "active")
        self.assertFalse(self.approval_activities(grant))
        self.assertTrue(self.holds(self.user_employee, self.group_a))

    def test_requester_and_beneficiary_cannot_mark_done_or_cancel(self):
        # A manager files the request for the auditor (one approval).
        self.profile_close.approvals_required = 1
        grant = self.submitted(
            requester=self.user_manager, beneficiary=self.user_auditor
        )
        self.assertEqual(self.approval_activities(grant).user_id, self.user_employee2)
        todo = self.approval_activities(grant)
        for user in (self.user_auditor, self.user_employee):
            as_user = todo.with_user(user)
            self.assertFalse(as_user.can_write)
            with self.assertRaises(AccessError):
                as_user.action_feedback(feedback="approve it myself")
            with self.assertRaises(AccessError):
                as_user.action_cancel()
        # The requester is a governance manager: the activity permission lets
        # them through, the gate does not.
        with self.assertRaises(UserError):
            todo.with_user(self.user_manager).action_feedback(feedback="mine")
        self.assertEqual(grant.state, "submitted")
        self.assertFalse(grant.sudo().approval_ids)
        self.assertTrue(todo.exists())

    def test_activities_follow_the_state(self):
        grant = self.submitted()
        self.assertEqual(len(self.approval_activities(grant)), 2)
        # Recomputing changes nothing.
        grant.activity_update()
        self.assertEqual(len(self.approval_activities(grant)), 2)
        # An approver deleted by hand comes back on the next update.
        self.approval_activities(grant)[:1].sudo().unlink()
        grant.activity_update()
        self.assertEqual(len(self.approval_activities(grant)), 2)
        # Rejected: every to-do goes; the rejecter's is marked done.
        grant.with_user(self.user_employee2).action_reject("Not for this task")
        self.assertEqual(grant.state, "rejected")
        self.assertFalse(self.approval_activities(grant))
        self.assertEqual(grant.sudo().approval_ids.comment, "Not for this task")
        # Cancelled: the to-dos go as well.
        other = self.submitted()
        other.with_user(self.user_employee).action_cancel()
        self.assertFalse(self.approval_activities(other))

    def test_reject_asks_a_reason(self):
        grant = self.submitted()
        action = grant.with_user(self.user_manager).action_reject()
        self.assertEqual(action["res_model"], "access.governance.grant.reason")
        self.assertEqual(grant.state, "submitted")
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.user_manager)
            .with_context(**action["context"])
            .create({"reason": "Use the shared report instead"})
        )
        self.assertEqual(wizard.transition, "reject")
        wizard.action_confirm()
        self.assertEqual(grant.state, "rejected")
        # The requester cannot use the dialog to reject somebody's request.
        other = self.submitted()
        wizard = (
            self.env["access.governance.grant.reason"]
            .with_user(self.user_employee)
            .create(
                {
                    "grant_ids": [Command.set(other.ids)],
                    "transition": "reject",
                    "reason": "x",
                }
            )
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertEqual(other.state, "submitted")

    def test_can_fields_follow_the_gate(self):
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        as_employee = grant.with_user(self.user_employee)
        self.assertTrue(as_employee.can_submit)
        self.assertTrue(as_employee.can_cancel)
        self.assertFalse(as_employee.can_decide)
        self.assertFalse(as_employee.can_revoke)
        self.assertFalse(grant.with_user(self.user_auditor).can_submit)
        with self.assertRaises(AccessError):
            grant.with_user(self.user_auditor).action_submit()
        as_employee.action_submit()
        self.assertFalse(as_employee.can_submit)
        self.assertTrue(grant.with_user(self.user_employee2).can_decide)
        self.assertTrue(grant.with_user(self.user_manager).can_revoke)
        self.assertFalse(grant.with_user(self.user_employee2).can_revoke)


@tagged("post_install", "-at_install")
class TestGrantFollowsClaims(GrantCommon):
    """No grant shows Active once its access is gone."""

    def active_grant(self, user=None):
        user = user or self.user_employee
        grant = self.request(user, requested_group_ids=[Command.set(self.group_b.ids)])
        grant.with_user(user).action_submit()
        self.assertEqual(grant.state, "active", "approved by policy")
        self.assertTrue(self.holds(user, self.group_b))
        return grant

    def assertRevokedBy(self, grant, source):
        self.assertEqual(grant.state, "revoked")
        self.assertEqual(grant.revoke_source, source)
        self.assertTrue(grant.revoke_reason)
        self.assertTrue(grant.date_ended)
        self.assertFalse(grant.claim_ids.filtered("active"))
        audit = self.Audit.search(
            [("event", "=", "grant_revoked"), ("res_id", "=", grant.id)]
        )
        self.assertEqual(len(audit), 1)
        self.assertIn(source, audit.details)
        told = grant.sudo().message_ids.filtered(
            lambda m: (
                grant.beneficiary_id.partner_id in m.notification_ids.res_partner_id
            )
        )
        self.assertTrue(told, "the beneficiary is told")

    def test_review_revocation_ends_the_grant(self):
        grant = self.active_grant()
        review = self.env["access.governance.review"].create(
            {
                "name": "Q3 review",
                "access_scope": "groups",
                "group_ids": [Command.set(self.group_b.ids)],
                "include_grants": True,
                "user_domain": repr([("id", "=", self.user_employee.id)]),
                "reviewer_mode": "named",
                "reviewer_id": self.user_manager.id,
            }
        )
        review.action_start()
        line = review.line_ids
        self.assertEqual(len(line), 1)
        line.with_user(self.user_manager).write(
            {"decision": "revoke", "comment": "Not needed"}
        )
        review.with_user(self.user_manager).action_close()
        self.assertFalse(self.holds(self.user_employee, self.group_b))
        self.assertRevokedBy(grant, "review")

    def test_administrator_removing_the_group_ends_the_grant(self):
        grant = self.active_grant()
        self.user_employee.with_user(self.user_system).write(
            {"groups_id": [Command.unlink(self.group_b.id)]}
        )
        self.assertRevokedBy(grant, "out_of_band")
        self.assertEqual(grant.revoked_by_id, self.user_system)

    def test_offboarding_ends_the_grant(self):
        grant = self.active_grant(self.user_employee2)
        offboarding = self.env["access.governance.offboarding"].create(
            {"user_id": self.user_employee2.id}
        )
        offboarding.with_user(self.user_manager).action_run()
        self.assertRevokedBy(grant, "offboarding")

    def test_own_expiry_is_not_a_revocation(self):
        grant = self.active_grant()
        grant._grant_expire()
        self.assertEqual(grant.state, "expired")
        self.assertFalse(grant.revoke_source)
        self.assertFalse(self.holds(self.user_employee, self.group_b))
