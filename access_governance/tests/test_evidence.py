# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import AccessGovernanceCommon

PERMS = ("read", "write", "create", "unlink")


@tagged("post_install", "-at_install")
class TestEvidence(AccessGovernanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.role = cls.env["access.governance.role"].create(
            {
                "name": "AG Evidence Role",
                "code": "AG_EVIDENCE",
                "group_ids": [(6, 0, cls.group_a.ids)],
            }
        )
        cls.env["access.governance.role.assignment"].create(
            {"user_id": cls.user_employee.id, "role_id": cls.role.id}
        )
        cls.user_employee.with_user(cls.user_system).write(
            {"groups_id": [(4, cls.group_b.id)]}
        )

    def test_effective_access_matches_odoo_checks(self):
        model_names = [
            "res.partner",
            "res.users",
            "access.governance.audit",
            "access.governance.review",
            "access.governance.review.line",
            "ir.rule",
        ]
        models = self.env["ir.model"].search([("model", "in", model_names)])
        self.assertEqual(len(models), len(model_names))
        for user in (self.user_employee, self.user_auditor, self.user_manager):
            wizard = (
                self.env["access.governance.effective.access"]
                .with_user(self.user_auditor)
                .create({"user_id": user.id, "model_ids": [(6, 0, models.ids)]})
            )
            wizard.action_compute()
            self.assertEqual(len(wizard.line_ids), len(model_names))
            for line in wizard.line_ids:
                Model = self.env[line.model_name].with_user(user)
                for perm in PERMS:
                    self.assertEqual(
                        line[f"perm_{perm}"],
                        Model.has_access(perm),
                        f"{user.login} {line.model_name} {perm}",
                    )
                for name in filter(None, (line.hidden_fields or "").split(", ")):
                    with self.assertRaises(AccessError):
                        Model.check_field_access_rights("read", [name])
        # The employee: the global multi-company rule on partners applies,
        # and the fields reserved to other groups are listed as hidden.
        wizard = self.env["access.governance.effective.access"].create(
            {"user_id": self.user_employee.id, "model_ids": [(6, 0, models.ids)]}
        )
        wizard.action_compute()
        partner = wizard.line_ids.filtered(lambda r: r.model_name == "res.partner")
        self.assertIn("res.partner company", partner.rules)
        self.assertTrue(partner.perm_read)
        audit = wizard.line_ids.filtered(
            lambda r: r.model_name == "access.governance.audit"
        )
        self.assertIn("Audit trail: entries about me", audit.rules)
        self.assertNotIn("auditors see all", audit.rules)
        users_line = wizard.line_ids.filtered(lambda r: r.model_name == "res.users")
        hidden = users_line.hidden_fields.split(", ")
        visible_guarded = [
            name
            for name, field in self.env["res.users"]._fields.items()
            if field.groups and name not in hidden
        ]
        self.env["res.users"].with_user(self.user_employee).check_field_access_rights(
            "read", visible_guarded
        )

    def test_explain_access(self):
        self.Claim._claims_start(
            self.user_employee, self.group_c, "grant", source="test.grant,7"
        )
        wizard = (
            self.env["access.governance.explain"]
            .with_user(self.user_auditor)
            .create({"user_id": self.user_employee.id})
        )
        wizard.action_explain()
        by_group = {line.group_id: line for line in wizard.line_ids}
        self.assertEqual(
            set(by_group), set(self.groups_of(self.user_employee)), "every group held"
        )
        self.assertIn("AG Evidence Role", by_group[self.group_a].explanation)
        self.assertEqual(by_group[self.group_a].kinds, "Role")
        self.assertIn("Implied by AG Test A", by_group[self.group_a_base].explanation)
        self.assertTrue(by_group[self.group_a_base].implied)
        self.assertIn("Baseline since", by_group[self.group_b].explanation)
        self.assertIn("Sam Settings", by_group[self.group_b].explanation)
        self.assertIn("test.grant,7", by_group[self.group_c].explanation)
        internal = self.env.ref("base.group_user")
        self.assertIn("Not governed", by_group[internal].explanation)
        with self.assertRaises(AccessError):
            self.env["access.governance.explain"].with_user(self.user_employee).create(
                {"user_id": self.user_employee2.id}
            )

    def test_personal_data_report(self):
        flagged = self.env["ir.model"].search([("governance_personal_data", "=", True)])
        self.assertIn("res.partner", flagged.mapped("model"))
        self.assertIn("hr.employee", flagged.mapped("model"))
        Report = self.env["access.governance.personal.data.access"].with_user(
            self.user_auditor
        )
        partner_model = self.env["ir.model"]._get("res.partner")
        readers = Report.search([("model_id", "=", partner_model.id)]).user_id
        self.assertIn(self.user_employee, readers)
        employee_model = self.env["ir.model"]._get("hr.employee")
        hr_readers = Report.search([("model_id", "=", employee_model.id)]).user_id
        for user in (self.user_employee, self.user_system):
            self.assertEqual(
                user in hr_readers,
                self.env["hr.employee"].with_user(user).has_access("read"),
            )
        with self.assertRaises(AccessError):
            self.env["access.governance.personal.data.access"].with_user(
                self.user_employee
            ).search([])

    def test_campaign_report_renders(self):
        review = self.env["access.governance.review"].create(
            {
                "name": "AG Report Campaign",
                "access_scope": "groups",
                "group_ids": [(6, 0, self.group_b.ids)],
                "user_domain": f"[('id', '=', {self.user_employee.id})]",
                "reviewer_mode": "named",
                "reviewer_id": self.user_manager.id,
                "fallback_reviewer_id": self.user_manager.id,
            }
        )
        review.action_start()
        review.line_ids.with_user(self.user_manager).write(
            {"decision": "revoke", "comment": "No longer needed"}
        )
        review.action_close()
        report = "access_governance.access_governance_review_report"
        Report = self.env["ir.actions.report"].with_user(self.user_auditor)
        html = Report._render_qweb_html(report, review.ids)[0].decode()
        self.assertIn("AG Report Campaign", html)
        self.assertIn("Emma Employee", html)
        self.assertIn("No longer needed", html)
        self.assertIn("Removed.", html)
        # Odoo renders reports as HTML under tests (a PDF would have
        # wkhtmltopdf fetch assets from this very server mid-transaction).
