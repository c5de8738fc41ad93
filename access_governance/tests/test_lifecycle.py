# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from unittest.mock import patch

from odoo import SUPERUSER_ID, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .test_roles import RoleCommon


class LifecycleCommon(RoleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Employee = cls.env["hr.employee"]
        cls.Offboarding = cls.env["access.governance.offboarding"]
        # Offboarding and provisioning act on employees: the governance
        # manager is also an HR officer.
        cls.user_manager.groups_id = [(4, cls.env.ref("hr.group_hr_user").id)]
        cls.user_hr_officer = mail_new_test_user(
            cls.env,
            login="ag_hr_officer",
            name="Hanna HR",
            groups="base.group_user,hr.group_hr_user",
        )
        cls.user_boss = mail_new_test_user(
            cls.env, login="ag_boss", name="Bob Boss", groups="base.group_user"
        )
        cls.employee_boss = cls.Employee.create(
            {"name": "Bob Boss", "user_id": cls.user_boss.id}
        )

    def audit_events(self, user):
        return self.Audit.sudo().search([("user_id", "=", user.id)]).mapped("event")


@tagged("post_install", "-at_install")
class TestJoinerMover(LifecycleCommon):
    def test_joiner_gets_mapped_roles(self):
        employee = self.Employee.create(
            {"name": "Jo Joiner", "job_id": self.job_rep.id}
        )
        user = mail_new_test_user(
            self.env, login="ag_joiner", name="Jo Joiner", groups="base.group_user"
        )
        self.assertNotIn(self.group_a, self.held(user))
        employee.user_id = user
        held = self.held(user)
        self.assertIn(self.group_a, held)
        self.assertIn(self.group_d, held)
        assignment = self.Assignment.search([("user_id", "=", user.id)])
        self.assertEqual(assignment.role_id, self.role_rep)
        self.assertEqual(assignment.origin, "job")
        self.assertIn("joiner", self.audit_events(user))
        self.assertIn("AG Test A", employee.message_ids[0].body)
        self.assertIn(user.partner_id, employee.message_ids[0].partner_ids)

    def test_department_restricts_mapping(self):
        sales = self.env["hr.department"].create({"name": "AG Sales"})
        other = self.env["hr.department"].create({"name": "AG Other"})
        self.role_rep.department_ids = sales
        user = mail_new_test_user(self.env, login="ag_dep", groups="base.group_user")
        employee = self.Employee.create(
            {
                "name": "Dee",
                "job_id": self.job_rep.id,
                "department_id": other.id,
                "user_id": user.id,
            }
        )
        self.assertNotIn(self.group_a, self.held(user))
        employee.department_id = sales
        self.assertIn(self.group_a, self.held(user))

    def test_provision_user(self):
        employee = self.Employee.create(
            {
                "name": "Pat Provisioned",
                "job_id": self.job_rep.id,
                "work_email": "pat.provisioned@example.com",
                "parent_id": self.employee_boss.id,
            }
        )
        employee.with_user(self.user_manager).action_governance_provision_user()
        user = employee.user_id
        self.assertEqual(user.login, "pat.provisioned@example.com")
        self.assertIn(self.group_a, self.held(user))
        self.assertTrue(user.has_group("base.group_user"))
        # Least privilege: the role's groups, not the default user template
        # (which with hr holds Employees / Administrator, export...).
        template = self.env.ref("base.default_user").groups_id
        self.assertIn(self.env.ref("hr.group_hr_manager"), template)
        held = self.held(user)
        governed = held.filtered(lambda g: g.governance_scope == "governed")
        self.assertEqual(
            governed - held.trans_implied_ids,
            self.role_rep.group_ids - held.trans_implied_ids,
        )
        self.assertFalse(user.has_group("hr.group_hr_user"))
        self.assertFalse(user.has_group("base.group_allow_export"))
        claims = self.Claim.search([("user_id", "=", user.id), ("active", "=", True)])
        self.assertEqual(set(claims.mapped("kind")), {"role"})
        with self.assertRaisesRegex(UserError, "already has a user"):
            employee.with_user(self.user_manager).action_governance_provision_user()
        no_mail = self.Employee.create({"name": "No Mail"})
        with self.assertRaisesRegex(UserError, "work email"):
            no_mail.with_user(self.user_manager).action_governance_provision_user()
        with self.assertRaises(AccessError):
            no_mail.with_user(self.user_employee2).action_governance_provision_user()

    def test_unmapped_employee_hook(self):
        Role = type(self.env["access.governance.role"])
        with patch.object(Role, "_governance_on_unmapped_employee") as hook:
            employee = self.Employee.create(
                {
                    "name": "Una Mapped",
                    "job_id": self.job_none.id,
                    "user_id": self.user_employee2.id,
                }
            )
        hook.assert_called_once()
        self.assertEqual(hook.call_args.args[-1], employee)

    def test_promotion_removes_only_what_old_role_justified(self):
        """Seed: a Sales Representative promoted to Sales Manager."""
        user = self.user_employee
        employee = self.Employee.create(
            {
                "name": "Emma Employee",
                "job_id": self.job_rep.id,
                "user_id": user.id,
                "parent_id": self.employee_boss.id,
            }
        )
        self.assertTrue(self.group_a | self.group_b | self.group_d <= self.held(user))
        # A grant elsewhere also holds group_a.
        self.Claim._claims_start(user, self.group_a, "grant", source="grant,test")
        old = self.Assignment.search([("user_id", "=", user.id)])
        # An HR officer, not a governance manager, records the promotion.
        employee.with_user(self.user_hr_officer).job_id = self.job_mgr
        held = self.held(user)
        self.assertNotIn(self.group_d, held, "only the old role justified it")
        self.assertIn(self.group_a, held, "the grant still holds it")
        self.assertIn(self.group_a_base, held)
        self.assertIn(self.group_b, held, "both roles justify it")
        self.assertIn(self.group_c, held, "the new role adds it")
        self.assertEqual(old.state, "ended")
        new = self.Assignment.search(
            [("user_id", "=", user.id), ("state", "=", "active")]
        )
        self.assertEqual(new.role_id, self.role_mgr)
        b_claims = self.active_claims(user, self.group_b)
        self.assertEqual(
            b_claims.mapped("source_ref"),
            [f"access.governance.role.assignment,{new.id}"],
        )
        self.assertIn("mover", self.audit_events(user))
        message = employee.message_ids[0]
        self.assertIn("AG Test D", message.body)
        self.assertEqual(
            message.partner_ids, user.partner_id | self.user_boss.partner_id
        )

    def test_cron_remaps_job_changed_outside_ui(self):
        user = self.user_employee
        employee = self.Employee.create(
            {"name": "Emma", "job_id": self.job_rep.id, "user_id": user.id}
        )
        employee.flush_recordset()
        self.env.cr.execute(
            "UPDATE hr_employee SET job_id = %s WHERE id = %s",
            [self.job_mgr.id, employee.id],
        )
        employee.invalidate_recordset()
        self.assertNotIn(self.group_c, self.held(user))
        self.Assignment._cron_sync_roles()
        held = self.held(user)
        self.assertIn(self.group_c, held)
        self.assertNotIn(self.group_d, held)
        events = len(self.audit_events(user))
        self.Assignment._cron_sync_roles()
        self.assertEqual(len(self.audit_events(user)), events)

    def test_employee_cannot_change_own_job(self):
        employee = self.Employee.create(
            {
                "name": "Emma",
                "job_id": self.job_rep.id,
                "user_id": self.user_employee.id,
            }
        )
        with self.assertRaises(AccessError):
            employee.with_user(self.user_employee).write({"job_id": self.job_mgr.id})


@tagged("post_install", "-at_install")
class TestLeaver(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leaver = mail_new_test_user(
            cls.env,
            login="ag_accountant",
            name="Ann Accountant",
            groups="base.group_user,mail.group_mail_notification_type_inbox",
        )
        cls.employee_leaver = cls.Employee.create(
            {
                "name": "Ann Accountant",
                "user_id": cls.leaver.id,
                "job_id": cls.job_rep.id,
                "parent_id": cls.employee_boss.id,
            }
        )
        cls.Claim._claims_start(cls.leaver, cls.group_c, "grant", source="grant,1")
        partner = cls.env["res.partner"].create({"name": "AG Customer"})
        cls.activity = cls.env["mail.activity"].create(
            {
                "res_model_id": cls.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "activity_type_id": cls.env.ref("mail.mail_activity_data_todo").id,
                "user_id": cls.leaver.id,
                "summary": "Call back",
            }
        )
        cls.device = cls.env["res.device.log"].create(
            {
                "session_identifier": "agtestsession0001",
                "user_id": cls.leaver.id,
                "platform": "linux",
                "browser": "firefox",
                "revoked": False,
                "first_activity": fields.Datetime.now(),
                "last_activity": fields.Datetime.now(),
            }
        )
        cls.api_key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.leaver)
            .sudo()
            ._generate(None, "AG integration", None)
        )

    def offboard(self, user=None, as_user=None):
        wizard = (
            self.env["access.governance.offboard"]
            .with_user(as_user or self.user_manager)
            .with_context(active_model="res.users", active_id=(user or self.leaver).id)
            .create({})
        )
        action = wizard.action_offboard()
        return self.Offboarding.browse(action["res_id"])

    def test_leaver_offboarded(self):
        """Seed: an accountant leaves with open activities; a leaver's API
        key no longer authenticates and their session is revoked."""
        Keys = self.env["res.users.apikeys"]
        self.assertEqual(
            Keys._check_credentials(scope="rpc", key=self.api_key), self.leaver.id
        )
        self.assertIn(self.group_a, self.held(self.leaver))
        offboarding = self.offboard()
        leaver = self.leaver.with_context(active_test=False)
        self.assertFalse(leaver.active)
        self.assertTrue(leaver.exists(), "never deleted")
        held = self.held(leaver)
        self.assertFalse(
            held.filtered(lambda g: g.governance_scope in ("governed", "preference"))
        )
        self.assertIn(self.env.ref("base.group_user"), held)
        self.assertFalse(self.active_claims(leaver))
        self.assertFalse(
            self.Assignment.search(
                [("user_id", "=", leaver.id), ("state", "!=", "ended")]
            )
        )
        self.assertFalse(self.env["res.device"].search([("user_id", "=", leaver.id)]))
        self.device.invalidate_recordset(["revoked"])
        self.assertTrue(self.device.revoked)
        self.assertFalse(Keys.sudo().search([("user_id", "=", leaver.id)]))
        self.assertFalse(Keys._check_credentials(scope="rpc", key=self.api_key))
        self.assertEqual(self.activity.user_id, self.user_boss)
        self.assertEqual(offboarding.state, "done")
        self.assertEqual(offboarding.done_by_id, self.user_manager)
        self.assertEqual(offboarding.reassign_to_id, self.user_boss)
        self.assertEqual(offboarding.employee_id, self.employee_leaver)
        self.assertTrue(offboarding.user_deactivated)
        self.assertEqual(offboarding.assignments_ended_count, 1)
        self.assertEqual(offboarding.sessions_revoked_count, 1)
        self.assertEqual(offboarding.apikeys_deleted_count, 1)
        self.assertIn("AG integration", offboarding.apikeys_deleted_names)
        self.assertEqual(offboarding.records_reassigned_count, 1)
        self.assertIn("AG Test A", offboarding.groups_removed_names)
        self.assertIn("offboarding", self.audit_events(leaver))

        # Re-running changes nothing.
        evidence = offboarding.read(
            ["groups_removed_count", "records_reassigned_count", "claims_ended_count"]
        )
        events = len(self.audit_events(leaver))
        groups = self.held(leaver)
        offboarding.with_user(self.user_manager).action_run()
        self.assertEqual(offboarding.run_count, 2)
        self.assertEqual(
            offboarding.read(
                [
                    "groups_removed_count",
                    "records_reassigned_count",
                    "claims_ended_count",
                ]
            ),
            evidence,
        )
        self.assertEqual(len(self.audit_events(leaver)), events)
        self.assertEqual(self.held(leaver), groups)

    def test_refuse_self_superuser_last_admin(self):
        with self.assertRaisesRegex(AccessError, "your own access"):
            self.offboard(self.user_manager)
        with self.assertRaisesRegex(UserError, "superuser"):
            self.offboard(self.env["res.users"].browse(SUPERUSER_ID))
        admins = self.env["res.users"].search(
            [
                ("groups_id", "in", self.env.ref("base.group_system").id),
                ("id", "not in", [self.user_system.id, SUPERUSER_ID]),
            ]
        )
        admins.write({"active": False})
        with self.assertRaisesRegex(AccessError, "only a Settings administrator"):
            self.offboard(self.user_system)
        with self.assertRaisesRegex(UserError, "without an active Settings admin"):
            self.offboard(self.user_system, as_user=self.env.ref("base.user_root"))
        self.assertTrue(self.user_system.active)

    def test_malicious_employee(self):
        with self.assertRaises(AccessError):
            self.Offboarding.with_user(self.user_employee).search([])
        offboarding = self.Offboarding.create({"user_id": self.leaver.id})
        with self.assertRaises(AccessError):
            offboarding.with_user(self.user_employee).read(["user_id"])
        with self.assertRaises(AccessError):
            offboarding.with_user(self.user_employee).action_run()
        with self.assertRaises(AccessError):
            self.offboard(as_user=self.user_employee)
        with self.assertRaises(AccessError):
            self.Offboarding.with_user(self.user_auditor).create(
                {"user_id": self.leaver.id}
            )
        self.assertTrue(self.leaver.active)

    def test_auto_offboard_on_archive(self):
        Param = self.env["ir.config_parameter"].sudo()
        Param.set_param("access_governance.auto_offboard", "False")
        other = mail_new_test_user(self.env, login="ag_other", groups="base.group_user")
        other_employee = self.Employee.create({"name": "Other", "user_id": other.id})
        other_employee.action_archive()
        self.assertTrue(other.active)
        Param.set_param("access_governance.auto_offboard", "True")
        self.employee_leaver.with_user(self.user_hr_officer).action_archive()
        self.assertFalse(self.leaver.active)
        offboarding = self.Offboarding.search([("user_id", "=", self.leaver.id)])
        self.assertTrue(offboarding.automatic)
        self.assertEqual(offboarding.done_by_id, self.user_hr_officer)
        self.assertEqual(offboarding.state, "done")
        self.assertEqual(self.activity.user_id, self.user_boss)
