# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from contextlib import contextmanager

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_lifecycle import LifecycleCommon


class LifecycleSecurityCommon(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.role_it = cls.Role.create(
            {
                "name": "AG IT Admin",
                "code": "AG_IT",
                "group_ids": [(6, 0, cls.group_a.ids)],
            }
        )

    @contextmanager
    def assertRaisesMessage(self, exception, text):
        # assertRaises (unlike assertRaisesRegex) rolls back to a savepoint.
        with self.assertRaises(exception) as catcher:
            yield
        self.assertIn(text, str(catcher.exception))

    def block_rule(self, side_a, side_b):
        return self.env["access.governance.sod.rule"].create(
            {
                "name": "AG Block",
                "action": "block",
                "group_a_ids": [(6, 0, side_a.ids)],
                "group_b_ids": [(6, 0, side_b.ids)],
            }
        )


@tagged("post_install", "-at_install", "access_rights")
class TestRoleAssignmentSecurity(LifecycleSecurityCommon):
    def test_manager_cannot_assign_roles(self):
        Assignment = self.Assignment.with_user(self.user_manager)
        with self.assertRaises(AccessError):
            Assignment.create(
                {"user_id": self.user_manager.id, "role_id": self.role_it.id}
            )
        with self.assertRaises(AccessError):
            Assignment.create(
                {"user_id": self.user_employee.id, "role_id": self.role_it.id}
            )
        assignment = self.Assignment.create(
            {"user_id": self.user_employee.id, "role_id": self.role_mgr.id}
        )
        # Managers keep read access.
        self.assertEqual(
            assignment.with_user(self.user_manager).read(["role_id"])[0]["role_id"][0],
            self.role_mgr.id,
        )
        with self.assertRaises(AccessError):
            assignment.with_user(self.user_manager).write({"date_to": False})
        self.assertNotIn(self.group_a, self.held(self.user_manager))

    def test_admin_cannot_assign_self(self):
        Assignment = self.Assignment.with_user(self.user_admin_gov)
        with self.assertRaises(AccessError):
            Assignment.create(
                {"user_id": self.user_admin_gov.id, "role_id": self.role_it.id}
            )
        self.assertNotIn(self.group_a, self.held(self.user_admin_gov))
        # Nor take over or extend an assignment of their own.
        mine = self.Assignment.create(
            {
                "user_id": self.user_admin_gov.id,
                "role_id": self.role_mgr.id,
                "date_to": "2000-01-02 00:00:00",
                "date_from": "2000-01-01 00:00:00",
            }
        )
        self.assertEqual(mine.state, "ended")
        with self.assertRaises(AccessError):
            mine.with_user(self.user_admin_gov).write({"date_to": False})
        scheduled = self.Assignment.create(
            {
                "user_id": self.user_employee.id,
                "role_id": self.role_it.id,
                "date_from": "2999-01-01 00:00:00",
            }
        )
        with self.assertRaises(AccessError):
            scheduled.with_user(self.user_admin_gov).write(
                {"user_id": self.user_admin_gov.id}
            )

    def test_origin_is_manual_only(self):
        Assignment = self.Assignment.with_user(self.user_admin_gov)
        for origin in ("job", "grant"):
            with self.assertRaises(AccessError):
                Assignment.create(
                    {
                        "user_id": self.user_employee.id,
                        "role_id": self.role_it.id,
                        "origin": origin,
                    }
                )
        assignment = Assignment.create(
            {"user_id": self.user_employee.id, "role_id": self.role_mgr.id}
        )
        with self.assertRaises(AccessError):
            assignment.write({"origin": "job"})
        self.assertEqual(assignment.origin, "manual")

    def test_admin_assigns_other_user_audited(self):
        sequence = self.last_audit_sequence()
        assignment = self.Assignment.with_user(self.user_admin_gov).create(
            {"user_id": self.user_employee.id, "role_id": self.role_it.id}
        )
        self.assertIn(self.group_a, self.held(self.user_employee))
        entry = self.audit_since(sequence, "role_assignment_start")
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry.user_id, self.user_employee)
        self.assertEqual(entry.res_id, assignment.id)

    def test_blocking_sod_rule_refuses_assignment(self):
        self.block_rule(self.group_a, self.group_c)
        self.give_baseline(self.user_employee, self.group_c)
        with self.assertRaisesMessage(UserError, "AG Block"):
            self.Assignment.with_user(self.user_admin_gov).create(
                {"user_id": self.user_employee.id, "role_id": self.role_it.id}
            )
        self.assertNotIn(self.group_a, self.held(self.user_employee))
        # No conflict for a user who holds neither side.
        self.Assignment.with_user(self.user_admin_gov).create(
            {"user_id": self.user_employee2.id, "role_id": self.role_it.id}
        )
        self.assertIn(self.group_a, self.held(self.user_employee2))


@tagged("post_install", "-at_install", "access_rights")
class TestOffboardingSecurity(LifecycleSecurityCommon):
    def test_manager_cannot_offboard_administrators(self):
        for target in (self.user_admin_gov, self.user_system):
            offboarding = self.Offboarding.create({"user_id": target.id})
            with self.assertRaises(AccessError):
                offboarding.with_user(self.user_manager).action_run()
            self.assertTrue(target.active)
            self.assertEqual(offboarding.state, "draft")
        # A Settings administrator can.
        offboarding = self.Offboarding.create({"user_id": self.user_admin_gov.id})
        offboarding.with_user(self.user_system).action_run()
        self.assertFalse(self.user_admin_gov.active)

    def test_hr_archiving_administrator_does_not_offboard(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "access_governance.auto_offboard", "True"
        )
        employee = self.Employee.create(
            {"name": "Ada Administrator", "user_id": self.user_admin_gov.id}
        )
        with mute_logger("odoo.addons.access_governance.models"):
            employee.with_user(self.user_hr_officer).action_archive()
        self.assertFalse(employee.active)
        self.assertTrue(self.user_admin_gov.active)


@tagged("post_install", "-at_install", "access_rights")
class TestJobMappingSecurity(LifecycleSecurityCommon):
    def test_hr_officer_cannot_map_roles_to_self(self):
        officer = self.user_hr_officer
        employee = self.Employee.search([("user_id", "=", officer.id)])
        employee.user_id = False
        with self.assertRaisesMessage(UserError, "your own job position"):
            self.Employee.with_user(officer).create(
                {"name": "Hanna 2", "user_id": officer.id, "job_id": self.job_mgr.id}
            )
        # Linking a mapped employee to themselves.
        ghost = self.Employee.create({"name": "Ghost", "job_id": self.job_mgr.id})
        with self.assertRaisesMessage(UserError, "your own job position"):
            ghost.with_user(officer).write({"user_id": officer.id})
        # Changing their own job.
        employee = employee or self.Employee.create({"name": "Hanna HR"})
        employee.write({"user_id": officer.id, "job_id": self.job_none.id})
        with self.assertRaisesMessage(UserError, "your own job position"):
            employee.with_user(officer).write({"job_id": self.job_mgr.id})
        self.assertNotIn(self.group_c, self.held(officer))
        self.assertFalse(self.Assignment.search([("user_id", "=", officer.id)]))
        # A change that gives them no role is fine.
        employee.with_user(officer).write({"job_id": False})
        # Moving someone else still works.
        colleague = self.Employee.create(
            {"name": "Emma", "user_id": self.user_employee.id}
        )
        colleague.with_user(officer).write({"job_id": self.job_mgr.id})
        self.assertIn(self.group_c, self.held(self.user_employee))

    def test_blocking_sod_rule_skips_job_role(self):
        self.block_rule(self.group_c, self.group_d)
        self.give_baseline(self.user_employee, self.group_d)
        sequence = self.last_audit_sequence()
        employee = self.Employee.create(
            {"name": "Emma", "user_id": self.user_employee.id}
        )
        other = self.Employee.create(
            {"name": "Eric", "user_id": self.user_employee2.id}
        )
        with mute_logger("odoo.addons.access_governance.models"):
            (employee | other).with_user(self.user_hr_officer).write(
                {"job_id": self.job_mgr.id}
            )
        held = self.held(self.user_employee)
        self.assertNotIn(self.group_c, held)
        self.assertFalse(
            self.Assignment.search([("user_id", "=", self.user_employee.id)])
        )
        refused = self.audit_since(sequence, "sod_conflict")
        self.assertEqual(refused.user_id, self.user_employee)
        self.assertIn("AG Block", refused.description)
        self.assertIn("AG Block", employee.message_ids[0].body)
        # The rest of the batch is mapped.
        self.assertIn(self.group_c, self.held(self.user_employee2))
