# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import AccessGovernanceCommon


class RoleCommon(AccessGovernanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Role = cls.env["access.governance.role"]
        cls.Assignment = cls.env["access.governance.role.assignment"]
        cls.group_d = cls.env["res.groups"].create(
            {"name": "AG Test D", "governance_scope": "governed"}
        )
        cls.job_rep = cls.env["hr.job"].create({"name": "AG Sales Rep"})
        cls.job_mgr = cls.env["hr.job"].create({"name": "AG Sales Manager"})
        cls.job_none = cls.env["hr.job"].create({"name": "AG Unmapped"})
        cls.role_rep = cls.Role.create(
            {
                "name": "AG Sales Representative",
                "code": "AG_REP",
                "group_ids": [(6, 0, (cls.group_a | cls.group_b | cls.group_d).ids)],
                "job_ids": [(6, 0, cls.job_rep.ids)],
            }
        )
        cls.role_mgr = cls.Role.create(
            {
                "name": "AG Sales Manager",
                "code": "AG_MGR",
                "group_ids": [(6, 0, (cls.group_b | cls.group_c).ids)],
                "job_ids": [(6, 0, cls.job_mgr.ids)],
            }
        )

    def held(self, user):
        user.invalidate_recordset(["groups_id"])
        return user.groups_id


@tagged("post_install", "-at_install")
class TestRoles(RoleCommon):
    def test_role_rejects_ungoverned_group(self):
        with self.assertRaisesRegex(ValidationError, "governed"):
            self.Role.create(
                {
                    "name": "Bad",
                    "code": "AG_BAD",
                    "group_ids": [(6, 0, self.group_pref.ids)],
                }
            )

    def test_risk_is_highest_group_risk(self):
        self.assertEqual(self.role_rep.risk, "high")
        self.assertEqual(self.role_mgr.risk, "low")
        self.group_c.governance_risk = "critical"
        self.assertEqual(self.role_mgr.risk, "critical")

    def test_code_unique(self):
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            self.Role.create({"name": "Dup", "code": "AG_REP"})

    def test_manual_assignment_starts_and_ends_claims(self):
        user = self.user_employee
        assignment = self.Assignment.create(
            {"user_id": user.id, "role_id": self.role_mgr.id}
        )
        self.assertEqual(assignment.state, "active")
        self.assertIn(self.group_b, self.held(user))
        self.assertIn(self.group_c, self.held(user))
        claims = self.active_claims(user).filtered(lambda c: c.kind == "role")
        self.assertEqual(claims.group_id, self.group_b | self.group_c)
        self.assertEqual(
            set(claims.mapped("source_ref")),
            {f"access.governance.role.assignment,{assignment.id}"},
        )
        self.assertEqual(self.role_mgr.holder_count, 1)
        assignment.action_end()
        self.assertEqual(assignment.state, "ended")
        self.assertNotIn(self.group_c, self.held(user))
        self.assertFalse(self.active_claims(user).filtered(lambda c: c.kind == "role"))

    def test_editing_role_groups_resyncs_holders(self):
        user = self.user_employee
        self.Assignment.create({"user_id": user.id, "role_id": self.role_mgr.id})
        self.role_mgr.group_ids = [(3, self.group_c.id), (4, self.group_d.id)]
        held = self.held(user)
        self.assertNotIn(self.group_c, held)
        self.assertIn(self.group_d, held)
        self.assertIn(self.group_b, held)

    def test_archiving_role_ends_its_groups(self):
        user = self.user_employee
        self.Assignment.create({"user_id": user.id, "role_id": self.role_mgr.id})
        self.role_mgr.active = False
        self.assertNotIn(self.group_c, self.held(user))

    def test_scheduled_assignment_follows_window_by_cron(self):
        user = self.user_employee
        now = fields.Datetime.now()
        assignment = self.Assignment.create(
            {
                "user_id": user.id,
                "role_id": self.role_mgr.id,
                "date_from": now + timedelta(hours=2),
                "date_to": now + timedelta(hours=5),
            }
        )
        self.assertEqual(assignment.state, "scheduled")
        self.assertNotIn(self.group_c, self.held(user))
        with freeze_time(now + timedelta(hours=3)):
            self.Assignment._cron_sync_roles()
            self.assertEqual(assignment.state, "active")
            self.assertIn(self.group_c, self.held(user))
            claims = self.active_claims(user)
            # Running it twice changes nothing.
            self.Assignment._cron_sync_roles()
            self.assertEqual(self.active_claims(user), claims)
        with freeze_time(now + timedelta(hours=6)):
            self.Assignment._cron_sync_roles()
            self.assertEqual(assignment.state, "ended")
            self.assertNotIn(self.group_c, self.held(user))

    def test_started_assignment_cannot_change_user(self):
        assignment = self.Assignment.create(
            {"user_id": self.user_employee.id, "role_id": self.role_mgr.id}
        )
        with self.assertRaises(UserError):
            assignment.user_id = self.user_employee2

    def test_role_templates_created_once(self):
        it_admin = self.env.ref("access_governance.role_template_it_admin")
        self.assertEqual(it_admin.group_ids, self.env.ref("base.group_system"))
        hr_manager = self.env.ref("access_governance.role_template_hr_manager")
        self.assertIn(self.env.ref("hr.group_hr_manager"), hr_manager.group_ids)
        self.assertFalse(self.Role._create_role_templates())
        it_admin.unlink()
        created = self.Role._create_role_templates()
        self.assertEqual(created.mapped("code"), ["IT_ADMIN"])

    def test_create_role_from_user(self):
        user = self.user_employee
        user.groups_id = [(4, self.group_a.id), (4, self.group_c.id)]
        action = (
            self.env["res.users"]
            .with_user(self.user_admin_gov)
            .browse(user.id)
            .action_governance_create_role()
        )
        role = self.Role.browse(action["res_id"])
        # The explicit governed groups, not the implied group_a_base.
        self.assertEqual(role.group_ids, self.group_a | self.group_c)
        with self.assertRaises(AccessError):
            self.env["res.users"].with_user(self.user_employee2).browse(
                user.id
            ).action_governance_create_role()

    def test_compare_lists_holders_without_role(self):
        self.user_employee.groups_id = [(4, self.group_b.id), (4, self.group_c.id)]
        self.Assignment.create(
            {"user_id": self.user_employee2.id, "role_id": self.role_mgr.id}
        )
        action = self.role_mgr.action_compare()
        users = self.env["res.users"].search(action["domain"])
        self.assertIn(self.user_employee, users)
        self.assertNotIn(self.user_employee2, users)


@tagged("post_install", "-at_install", "access_rights")
class TestRoleAccessRights(RoleCommon):
    def test_employee_cannot_assign_roles(self):
        Assignment = self.Assignment.with_user(self.user_employee)
        with self.assertRaises(AccessError):
            Assignment.create(
                {"user_id": self.user_employee.id, "role_id": self.role_mgr.id}
            )
        with self.assertRaises(AccessError):
            self.role_mgr.with_user(self.user_employee).write(
                {"group_ids": [(4, self.group_a.id)]}
            )
        self.assertNotIn(self.group_c, self.held(self.user_employee))

    def test_employee_sees_only_own_assignments(self):
        own = self.Assignment.create(
            {"user_id": self.user_employee.id, "role_id": self.role_mgr.id}
        )
        self.Assignment.create(
            {"user_id": self.user_employee2.id, "role_id": self.role_mgr.id}
        )
        visible = self.Assignment.with_user(self.user_employee).search([])
        self.assertEqual(visible, own)
        manager_view = self.Assignment.with_user(self.user_auditor).search([])
        self.assertGreaterEqual(len(manager_view), 2)

    def test_manager_ends_assignment_employee_cannot(self):
        assignment = self.Assignment.with_user(self.user_admin_gov).create(
            {"user_id": self.user_employee.id, "role_id": self.role_mgr.id}
        )
        self.assertIn(self.group_c, self.held(self.user_employee))
        with self.assertRaises(AccessError):
            assignment.with_user(self.user_employee).action_end()
        assignment.with_user(self.user_manager).action_end()
        self.assertEqual(assignment.state, "ended")
        self.assertNotIn(self.group_c, self.held(self.user_employee))

    def test_admin_assigns_and_configures_manager_reads(self):
        with self.assertRaises(AccessError):
            self.Assignment.with_user(self.user_manager).create(
                {"user_id": self.user_employee.id, "role_id": self.role_mgr.id}
            )
        assignment = self.Assignment.with_user(self.user_admin_gov).create(
            {"user_id": self.user_employee.id, "role_id": self.role_mgr.id}
        )
        self.assertIn(self.group_c, self.held(self.user_employee))
        self.assertEqual(
            self.Assignment.with_user(self.user_manager).search(
                [("id", "=", assignment.id)]
            ),
            assignment,
        )
        with self.assertRaises(AccessError):
            assignment.with_user(self.user_manager).unlink()
        with self.assertRaises(AccessError):
            self.Role.with_user(self.user_manager).create({"name": "X", "code": "AG_X"})
        role = self.Role.with_user(self.user_admin_gov).create(
            {"name": "X", "code": "AG_X"}
        )
        self.assertTrue(role)
