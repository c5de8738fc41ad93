# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import tagged

from ..models.access_governance_guarded import trusted
from .test_grants import T0, GrantCommon


@tagged("post_install", "-at_install")
class TestGrantsSecurity(GrantCommon):
    """Malicious users against the grant flow."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group_settings = cls.env.ref("base.group_system")
        cls.profile_fire = cls.Profile.create(
            {
                "name": "Emergency fixture",
                "group_ids": [Command.set(cls.group_a.ids)],
                "break_glass": True,
                "default_duration_hours": 2,
                "max_duration_hours": 4,
                "approver_user_ids": [Command.set(cls.user_manager.ids)],
            }
        )

    # C1 ---------------------------------------------------------------
    def test_break_glass_cannot_be_rewritten_to_settings(self):
        grant = self.request(self.user_employee, profile_id=self.profile_fire.id)
        as_employee = grant.with_user(self.user_employee)
        with self.assertRaises(AccessError):
            as_employee.write({"group_ids": [Command.set(self.group_settings.ids)]})
        with self.assertRaises(AccessError):
            self.request(
                self.user_employee,
                profile_id=self.profile_fire.id,
                group_ids=[Command.set(self.group_settings.ids)],
            )
        # Even a stored value forged behind the ORM's back is not trusted:
        # activation grants what the profile says.
        with trusted():
            grant.sudo().write({"group_ids": [Command.set(self.group_b.ids)]})
        as_employee.action_break_glass()
        self.assertEqual(grant.state, "active")
        self.assertTrue(self.holds(self.user_employee, self.group_a))
        self.assertFalse(self.holds(self.user_employee, self.group_b))
        self.assertFalse(self.holds(self.user_employee, self.group_settings))

    def test_approved_future_grant_cannot_be_rewritten_before_the_cron(self):
        with freeze_time(T0):
            grant = self.request(
                self.user_employee,
                requested_group_ids=[Command.set(self.group_b.ids)],
                date_start=T0 + timedelta(days=1),
            )
            grant.action_submit()
            self.assertEqual(grant.state, "approved", "approved by policy")
            with self.assertRaises(AccessError):
                grant.write({"group_ids": [Command.set(self.group_settings.ids)]})
            with trusted():
                grant.sudo().write({"group_ids": [Command.set(self.group_c.ids)]})
        with freeze_time(T0 + timedelta(days=1, minutes=5)):
            self.Grant._cron_process_grants()
            self.assertEqual(grant.state, "active")
            self.assertTrue(self.holds(self.user_employee, self.group_b))
            self.assertFalse(self.holds(self.user_employee, self.group_c))
            self.assertEqual(grant.added_group_ids, self.group_b)

    def test_approvals_required_cannot_be_lowered(self):
        grant = self.request(self.user_employee, profile_id=self.profile_settings.id)
        with self.assertRaises(AccessError):
            self.request(
                self.user_employee,
                profile_id=self.profile_settings.id,
                approvals_required=0,
            )
        with self.assertRaises(AccessError):
            grant.write({"approvals_required": 0})
        grant.action_submit()
        with self.assertRaises(AccessError):
            grant.write({"approvals_required": 1})
        # A forged stored value does not lower the bar either.
        with self.assertRaises(AccessError):
            grant.sudo().write({"approvals_required": 1})
        grant.flush_recordset()
        self.env.cr.execute(
            "UPDATE access_governance_grant SET approvals_required = 1 WHERE id = %s",
            [grant.id],
        )
        grant.invalidate_recordset()
        grant.with_user(self.user_manager).action_approve()
        self.assertEqual(grant.state, "submitted", "2 of 2 still required")
        grant.with_user(self.user_admin_gov).action_approve()
        self.assertEqual(grant.state, "active")

    def test_other_stored_computed_fields_are_refused(self):
        grant = self.request(self.user_employee, profile_id=self.profile_settings.id)
        for vals in (
            {"risk": "low"},
            {"pending_approver_ids": [Command.set(self.user_employee2.ids)]},
            {"break_glass": True},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                grant.write(vals)
        # break_glass forged in the database does not turn an approval
        # profile into a self-service one.
        with trusted():
            grant.sudo().write({"break_glass": True})
        with self.assertRaises(UserError):
            grant.with_user(self.user_employee).action_break_glass()
        self.assertEqual(grant.state, "draft")

    # M3 ---------------------------------------------------------------
    def test_requester_cannot_sign_off_break_glass(self):
        grant = self.request(
            self.user_manager,
            beneficiary=self.user_employee,
            profile_id=self.profile_fire.id,
        )
        grant.with_user(self.user_employee).action_break_glass()
        self.assertTrue(grant.review_required)
        as_requester = grant.with_user(self.user_manager)
        self.assertFalse(as_requester.can_sign_off)
        with self.assertRaises(UserError):
            as_requester.action_sign_off()
        self.assertTrue(grant.review_required)
        grant.with_user(self.user_admin_gov).action_sign_off()
        self.assertFalse(grant.review_required)

    # L1 ---------------------------------------------------------------
    def test_duplicate_gives_a_draft(self):
        grant = self.request(
            self.user_manager,
            beneficiary=self.user_employee,
            requested_group_ids=[Command.set(self.group_b.ids)],
        )
        grant.action_submit()
        self.assertEqual(grant.state, "active")
        copy = grant.with_user(self.user_employee).copy()
        self.assertEqual(copy.state, "draft")
        self.assertEqual(copy.requester_id, self.user_employee)
        self.assertEqual(copy.beneficiary_id, self.user_employee)
        self.assertEqual(copy.group_ids, self.group_b)
        self.assertFalse(copy.approver_ids | copy.approval_ids.approver_id)
        self.assertFalse(copy.added_group_ids or copy.date_activated)
        self.assertNotEqual(copy.name, grant.name)

    # L2 ---------------------------------------------------------------
    def test_extension_link_only_through_extend(self):
        other = self.request(
            self.user_employee2, requested_group_ids=[Command.set(self.group_b.ids)]
        )
        with self.assertRaises(AccessError):
            self.request(
                self.user_employee,
                requested_group_ids=[Command.set(self.group_b.ids)],
                extended_from_id=other.id,
            )
        mine = self.request(
            self.user_employee, requested_group_ids=[Command.set(self.group_b.ids)]
        )
        with self.assertRaises(AccessError):
            mine.write({"extended_from_id": other.id})
        self.assertFalse(mine.extended_from_id)
        self.assertFalse(other.sudo().extension_ids)

    # L3 ---------------------------------------------------------------
    def test_cancelled_after_submission_cannot_be_deleted(self):
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        grant.action_submit()
        grant.action_cancel()
        self.assertEqual(grant.state, "cancelled")
        with self.assertRaises(UserError):
            grant.unlink()
        draft = self.request(self.user_employee, profile_id=self.profile_close.id)
        draft.unlink()
        self.assertFalse(draft.exists())

    def test_activation_grants_what_was_approved(self):
        """Widening the profile of an approved, not yet active grant changes
        nothing: activation grants the frozen approved groups; the claims
        link to the grant."""
        with freeze_time(T0):
            grant = self.request(
                self.user_employee,
                profile_id=self.profile_close.id,
                date_start=T0 + timedelta(hours=2),
                date_end=T0 + timedelta(hours=10),
            )
            grant.action_submit()
            grant.with_user(self.user_manager).action_approve()
            self.assertEqual(grant.state, "approved")
            self.assertEqual(grant.approved_group_ids, self.group_a)
            # The profile gains a group after the approval (the four-eyes
            # change applied).
            with trusted():
                self.profile_close.sudo().write(
                    {"group_ids": [Command.link(self.group_c.id)]}
                )
            self.assertEqual(grant.approved_group_ids, self.group_a)
        with freeze_time(T0 + timedelta(hours=2, minutes=1)):
            self.Grant._cron_process_grants()
        self.assertEqual(grant.state, "active")
        self.assertTrue(self.holds(self.user_employee, self.group_a))
        self.assertFalse(self.holds(self.user_employee, self.group_c))
        claims = grant.claim_ids
        self.assertEqual(claims.group_id, self.group_a)
        self.assertEqual(claims.grant_id, grant)
        self.assertEqual(claims.mapped("source_ref"), [f"{grant._name},{grant.id}"])
        with self.assertRaises(AccessError):
            grant.write({"approved_group_ids": [Command.link(self.group_c.id)]})
        with self.assertRaises(AccessError):
            claims.write({"grant_id": False})

    def test_protected_fields_from_context_defaults(self):
        """default_* context keys cannot set what the flow sets."""
        Grant = self.Grant.with_user(self.user_employee)
        vals = {
            "beneficiary_id": self.user_employee.id,
            "requested_group_ids": [Command.set(self.group_settings.ids)],
            "reason": "I want it",
        }
        for key, value in (
            ("default_state", "approved"),
            ("default_requester_id", self.user_employee2.id),
            ("default_policy_approved", True),
            ("default_approved_group_ids", [Command.set(self.group_settings.ids)]),
        ):
            with self.subTest(key=key), self.assertRaises(AccessError):
                Grant.with_context(**{key: value}).create(vals)
        # Without them, a plain draft in the caller's own name.
        grant = Grant.create(vals)
        self.assertEqual(grant.state, "draft")
        self.assertEqual(grant.requester_id, self.user_employee)
        self.assertFalse(grant.policy_approved)

    def test_profile_approvers_are_authoritative(self):
        """A governance manager who is not among the named approvers may not
        approve nor reject; the gate and the can_* fields agree."""
        self.profile_close.approver_user_ids = self.user_admin_gov
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        grant.action_submit()
        as_manager = grant.with_user(self.user_manager)
        self.assertFalse(as_manager.can_decide)
        with self.assertRaises(AccessError):
            as_manager.action_approve()
        with self.assertRaises(AccessError):
            as_manager.action_reject("No")
        self.assertTrue(grant.with_user(self.user_admin_gov).can_decide)
        grant.with_user(self.user_admin_gov).action_approve()
        self.assertEqual(grant.state, "active")
        # Decisions are evidence: nobody rewrites or deletes them.
        approval = grant.sudo().approval_ids
        with self.assertRaises(AccessError):
            approval.write({"comment": "forged"})
        with self.assertRaises(AccessError):
            approval.unlink()
