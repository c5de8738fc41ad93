# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Input that cannot hurt: windows, beneficiaries, dates, free text and
approvers are checked on the server; a bad input gets a clear error and
nothing is applied."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from .test_grants import T0, GrantCommon


@tagged("post_install", "-at_install")
class TestGrantInput(GrantCommon):
    def submitted(self, **vals):
        vals.setdefault("profile_id", self.profile_close.id)
        vals.setdefault("date_start", T0)
        vals.setdefault("date_end", T0 + timedelta(hours=24))
        grant = self.request(self.user_employee, **vals)
        grant.with_user(self.user_employee).action_submit()
        self.assertEqual(grant.state, "submitted")
        return grant

    # 1. windows ---------------------------------------------------------
    def test_approve_after_end_refused(self):
        with freeze_time(T0):
            grant = self.submitted()
        with freeze_time(T0 + timedelta(hours=25)):
            with self.assertRefused(UserError, "ended before it was approved"):
                grant.with_user(self.user_manager).action_approve()
            self.assertEqual(grant.state, "submitted")
            self.assertFalse(self.holds(self.user_employee, self.group_a))

    def test_cron_expires_instead_of_activating(self):
        with freeze_time(T0):
            grant = self.submitted(
                date_start=T0 + timedelta(hours=1),
                date_end=T0 + timedelta(hours=2),
            )
            grant.with_user(self.user_manager).action_approve()
            self.assertEqual(grant.state, "approved")
        with freeze_time(T0 + timedelta(hours=3)):
            self.Grant._cron_process_grants()
        self.assertEqual(grant.state, "expired")
        self.assertFalse(grant.date_activated)
        self.assertFalse(self.holds(self.user_employee, self.group_a))

    def test_activate_not_before_start(self):
        with freeze_time(T0):
            grant = self.submitted(
                date_start=T0 + timedelta(hours=1),
                date_end=T0 + timedelta(hours=2),
            )
            grant.with_user(self.user_manager).action_approve()
            grant.sudo()._grant_activate()
            self.assertEqual(grant.state, "approved")
            self.assertFalse(self.holds(self.user_employee, self.group_a))

    # 2. beneficiaries ---------------------------------------------------
    def test_portal_beneficiary_refused(self):
        portal = self.env["res.users"].create(
            {
                "name": "Portal Pat",
                "login": "portal_pat_input",
                "groups_id": [Command.set(self.env.ref("base.group_portal").ids)],
            }
        )
        count = self.Grant.search_count([])
        with self.assertRefused(ValidationError, "active internal users"):
            self.Grant.create(
                {
                    "beneficiary_id": portal.id,
                    "profile_id": self.profile_close.id,
                    "reason": "x",
                }
            )
        self.assertEqual(self.Grant.search_count([]), count)

    def test_archived_beneficiary_refused(self):
        self.user_employee2.active = False
        grant = self.request(self.user_manager, profile_id=self.profile_close.id)
        with self.assertRefused(ValidationError, "active internal users"):
            grant.write({"beneficiary_id": self.user_employee2.id})
        self.assertEqual(grant.beneficiary_id, self.user_manager)

    # 3. dates -----------------------------------------------------------
    def test_date_more_than_ten_years_refused(self):
        with self.assertRefused(ValidationError, "at most 10 years ahead"):
            self.request(
                self.user_employee,
                requested_group_ids=[Command.set(self.group_b.ids)],
                date_end=datetime(9999, 12, 31),
            )

    def test_duration_above_profile_maximum_refused(self):
        with self.assertRefused(ValidationError, "allows at most"):
            self.request(
                self.user_employee,
                profile_id=self.profile_close.id,
                date_start=T0,
                date_end=T0 + timedelta(hours=100),
            )

    def test_extend_far_future_no_overflow(self):
        grant = self.request(
            self.user_employee,
            requested_group_ids=[Command.set(self.group_b.ids)],
            date_end=datetime.now() + timedelta(days=30),
        )
        grant.with_user(self.user_employee).action_submit()
        self.assertEqual(grant.state, "active")
        # A row written before the bound existed (or by SQL).
        self.env.cr.execute(
            "UPDATE access_governance_grant SET date_end = '9999-12-31' WHERE id = %s",
            [grant.id],
        )
        grant.invalidate_recordset()
        count = self.Grant.search_count([])
        with self.assertRefused(UserError, "cannot be extended"):
            grant.with_user(self.user_employee).action_extend()
        self.assertEqual(self.Grant.search_count([]), count)

    # 4. free text -------------------------------------------------------
    def test_reason_too_long_refused(self):
        with self.assertRefused(ValidationError, "at most 2000 characters"):
            self.request(
                self.user_employee,
                profile_id=self.profile_close.id,
                reason="x" * 2001,
            )

    def test_approval_comment_too_long_refused(self):
        with freeze_time(T0):
            grant = self.submitted()
            with self.assertRefused(ValidationError, "at most 2000 characters"):
                grant.with_user(self.user_manager).action_approve(comment="y" * 5000)
            self.assertEqual(grant.state, "submitted")
            self.assertFalse(grant.sudo().approval_ids)

    def test_reject_and_revoke_reason_too_long_refused(self):
        with freeze_time(T0):
            grant = self.submitted()
            with self.assertRefused(ValidationError, "at most 2000 characters"):
                grant.with_user(self.user_manager).action_reject(reason="z" * 2001)
            self.assertEqual(grant.state, "submitted")
            grant.with_user(self.user_manager).action_approve()
            self.assertEqual(grant.state, "active")
            with self.assertRefused(ValidationError, "at most 2000 characters"):
                grant.with_user(self.user_manager).action_revoke(reason="z" * 2001)
            self.assertEqual(grant.state, "active")
            self.assertFalse(grant.revoke_reason)

    # 5. fallback approvers ----------------------------------------------
    def test_requester_only_owner_falls_back_to_managers(self):
        self.group_a.sudo().write(
            {
                "governance_owner_id": self.user_employee.id,
                "governance_requestable": True,
            }
        )
        grant = self.request(
            self.user_employee,
            requested_group_ids=[Command.set(self.group_a.ids)],
        )
        grant.with_user(self.user_employee).action_submit()
        self.assertEqual(grant.state, "submitted")
        self.assertNotIn(self.user_employee, grant.approver_ids)
        self.assertIn(self.user_manager, grant.approver_ids)
