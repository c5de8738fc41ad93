# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Who may request a profile, who may break the glass, and the identity
check before breaking the glass or approving critical access."""

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from .test_grants import GrantCommon


@tagged("post_install", "-at_install")
class TestGrantEligibility(GrantCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.department = cls.env["hr.department"].create({"name": "AG Finance"})
        cls.sub_department = cls.env["hr.department"].create(
            {"name": "AG Payables", "parent_id": cls.department.id}
        )
        cls.env["hr.employee"].create(
            {
                "name": "Eric Employee",
                "user_id": cls.user_employee2.id,
                "department_id": cls.sub_department.id,
            }
        )
        cls.profile_fire = cls.Profile.create(
            {
                "name": "Emergency",
                "group_ids": [Command.set(cls.group_a.ids)],
                "break_glass": True,
                "default_duration_hours": 2,
                "max_duration_hours": 4,
                "approver_user_ids": [Command.set(cls.user_manager.ids)],
            }
        )

    def test_empty_lists_mean_every_employee(self):
        self.assertTrue(self.profile_close._profile_is_eligible(self.user_employee))
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        grant.with_user(self.user_employee).action_submit()
        self.assertEqual(grant.state, "submitted")

    def test_departments_include_sub_departments(self):
        self.profile_close.sudo().write(
            {"eligible_department_ids": [Command.set(self.department.ids)]}
        )
        self.assertTrue(self.profile_close._profile_is_eligible(self.user_employee2))
        self.assertFalse(self.profile_close._profile_is_eligible(self.user_employee))
        refused = self.request(self.user_employee, profile_id=self.profile_close.id)
        as_employee = refused.with_user(self.user_employee)
        self.assertFalse(as_employee.can_submit)
        with self.assertRaises(AccessError):
            as_employee.action_submit()
        allowed = self.request(self.user_employee2, profile_id=self.profile_close.id)
        allowed.with_user(self.user_employee2).action_submit()
        self.assertEqual(allowed.state, "submitted")

    def test_users_and_groups(self):
        self.profile_close.sudo().write(
            {
                "eligible_user_ids": [Command.set(self.user_auditor.ids)],
                "eligible_group_ids": [Command.set(self.group_b.ids)],
            }
        )
        self.assertTrue(self.profile_close._profile_is_eligible(self.user_auditor))
        self.assertFalse(self.profile_close._profile_is_eligible(self.user_employee))
        self.env["access.governance.claim"]._claims_start(
            self.user_employee, self.group_b, "baseline"
        )
        self.assertTrue(self.profile_close._profile_is_eligible(self.user_employee))

    def test_who_may_break_the_glass(self):
        self.profile_fire.sudo().write(
            {"break_glass_user_ids": [Command.set(self.user_employee2.ids)]}
        )
        grant = self.request(self.user_employee, profile_id=self.profile_fire.id)
        as_employee = grant.with_user(self.user_employee)
        self.assertFalse(as_employee.can_break_glass)
        with self.assertRaises(AccessError):
            as_employee.action_break_glass()
        self.assertEqual(grant.state, "draft")
        listed = self.request(self.user_employee2, profile_id=self.profile_fire.id)
        self.assertTrue(listed.with_user(self.user_employee2).can_break_glass)
        listed.with_user(self.user_employee2).action_break_glass()
        self.assertEqual(listed.state, "active")

    def test_widening_eligibility_is_a_policy_change(self):
        self.profile_fire.sudo().write(
            {"break_glass_user_ids": [Command.set(self.user_employee2.ids)]}
        )
        # Nobody widens it in their own favour.
        with self.assertRaises(AccessError):
            self.profile_fire.with_user(self.user_admin_gov).write(
                {"break_glass_user_ids": [Command.link(self.user_admin_gov.id)]}
            )
        # For somebody else: a policy change a second administrator approves.
        self.profile_fire.with_user(self.user_admin_gov).write(
            {"break_glass_user_ids": [Command.link(self.user_employee.id)]}
        )
        self.assertEqual(self.profile_fire.break_glass_user_ids, self.user_employee2)
        change = self.env["access.governance.policy.change"].search(
            [
                ("res_model", "=", self.profile_fire._name),
                ("res_id", "=", self.profile_fire.id),
                ("state", "=", "submitted"),
            ]
        )
        self.assertEqual(len(change), 1)
        # Who would gain the power to break the glass cannot approve it.
        self.assertIn(self.user_employee, change.excluded_user_ids)


@tagged("post_install", "-at_install")
class TestGrantIdentityCheck(GrantCommon, HttpCase):
    """Over HTTP, breaking the glass and approving critical access ask for
    the password first (Odoo's own identity check)."""

    def call(self, model, method, ids, *args, **kwargs):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": model,
                "method": method,
                "args": [ids, *args],
                "kwargs": kwargs,
            },
        )

    def confirm_identity(self, action, password):
        self.assertEqual(action["res_model"], "res.users.identitycheck")
        wizard = action["res_id"]
        self.call("res.users.identitycheck", "write", [wizard], {"password": password})
        return self.call("res.users.identitycheck", "run_check", [wizard])

    def test_break_glass_asks_for_the_password(self):
        profile = self.Profile.create(
            {
                "name": "Emergency",
                "group_ids": [Command.set(self.group_a.ids)],
                "break_glass": True,
                "default_duration_hours": 2,
                "max_duration_hours": 4,
                "approver_user_ids": [Command.set(self.user_manager.ids)],
            }
        )
        grant = self.request(self.user_employee, profile_id=profile.id)
        self.authenticate(self.user_employee.login, self.user_employee.login)
        action = self.call(grant._name, "action_break_glass", grant.ids)
        grant.invalidate_recordset()
        self.assertEqual(grant.state, "draft", "nothing before the password")
        with self.assertRaises(Exception):  # noqa: B017 the wrong password
            self.confirm_identity(action, "wrong password")
        grant.invalidate_recordset()
        self.assertEqual(grant.state, "draft")
        self.confirm_identity(action, self.user_employee.login)
        grant.invalidate_recordset()
        self.assertEqual(grant.state, "active")
        self.assertTrue(self.holds(self.user_employee, self.group_a))

    def test_approving_critical_access_asks_for_the_password(self):
        self.profile_settings.approvals_required = 1
        grant = self.request(self.user_employee, profile_id=self.profile_settings.id)
        grant.action_submit()
        self.assertEqual(grant.risk, "critical")
        self.authenticate(self.user_manager.login, self.user_manager.login)
        action = self.call(grant._name, "action_approve", grant.ids)
        grant.invalidate_recordset()
        self.assertEqual(grant.state, "submitted")
        self.assertFalse(grant.sudo().approval_ids)
        self.confirm_identity(action, self.user_manager.login)
        grant.invalidate_recordset()
        self.assertEqual(grant.state, "active")
        # Within ten minutes, the next approval does not ask again.
        other = self.request(self.user_employee2, profile_id=self.profile_settings.id)
        other.action_submit()
        self.assertTrue(self.call(other._name, "action_approve", other.ids))
        other.invalidate_recordset()
        self.assertEqual(other.state, "active")
