# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Proven on the apps companies run: Sales, CRM, Accounting, Inventory,
Purchase, Project, Time Off and Attendances.

Tagged ``access_governance_business`` and ``-standard``: they run only on the
business database of ``make test-business`` (scripts/odoo_test_business.sh),
where Time Off and Attendances are installed *after* this addon, in the same
run, so what they bring (groups, templates, SoD rules) is followed by the
module-install hook, not by the addon's own install.
"""

from unittest import SkipTest

from odoo import fields
from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import AccessGovernanceCommon

BUSINESS_APPS = (
    "sale_management",
    "crm",
    "account",
    "stock",
    "purchase",
    "project",
    "hr_holidays",
    "hr_attendance",
)
# Modules the business database installs after this addon.
INSTALLED_AFTER = ("hr_holidays", "hr_attendance")

TEMPLATES = {
    "SALES_REP": {"sales_team.group_sale_salesman"},
    "SALES_MANAGER": {"sales_team.group_sale_manager"},
    "ACCOUNTANT": {"account.group_account_invoice"},
    "FINANCE_DIRECTOR": {"account.group_account_manager"},
    "WAREHOUSE": {"stock.group_stock_user"},
    "HR_MANAGER": {"hr.group_hr_manager", "hr_attendance.group_hr_attendance_manager"},
    "IT_ADMIN": {"base.group_system"},
}

# Shipped rule -> the groups a user is given, each rule's sides reached
# through groups that imply them where the apps allow it.
SOD_CASES = {
    "sod_rule_bills_vs_payments": (
        "account.group_account_manager",  # implies Invoicing (side A)
        "account.group_validate_bank_account",
    ),
    "sod_rule_purchase_approval_vs_bills": (
        "purchase.group_purchase_manager",
        "account.group_account_manager",  # implies Invoicing (side B)
    ),
    "sod_rule_sales_pricing_vs_invoicing": (
        "sales_team.group_sale_manager",
        "account.group_account_manager",
    ),
    "sod_rule_stock_adjustments_vs_valuation": (
        "stock.group_stock_manager",
        "account.group_account_manager",
    ),
    "sod_rule_hr_vs_payments": (
        "hr_holidays.group_hr_holidays_manager",  # implies HR Officer (side A)
        "account.group_account_manager",
    ),
    "sod_rule_vendors_vs_payments": (
        "base.group_partner_manager",
        "account.group_account_manager",
    ),
    "sod_rule_settings_vs_finance": (
        "base.group_system",
        "account.group_account_manager",
    ),
}

REASSIGNED_MODELS = (
    "crm.lead",
    "project.task",
    "sale.order",
    "purchase.order",
    "account.move",
    "mail.activity",
)


class BusinessCommon(AccessGovernanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        installed = (
            cls.env["ir.module.module"]
            .search([("name", "in", BUSINESS_APPS), ("state", "=", "installed")])
            .mapped("name")
        )
        missing = set(BUSINESS_APPS) - set(installed)
        if missing:
            raise SkipTest(f"business apps not installed: {sorted(missing)}")
        cls.Role = cls.env["access.governance.role"]
        cls.Assignment = cls.env["access.governance.role.assignment"]
        cls.Employee = cls.env["hr.employee"]
        cls.Rule = cls.env["access.governance.sod.rule"]
        # Provisioning and offboarding act on employees.
        cls.user_manager.groups_id = [Command.link(cls.env.ref("hr.group_hr_user").id)]
        cls.user_boss = mail_new_test_user(
            cls.env, login="ag_biz_boss", name="Bea Boss", groups="base.group_user"
        )
        cls.employee_boss = cls.Employee.create(
            {"name": "Bea Boss", "user_id": cls.user_boss.id}
        )

    def template(self, code):
        return self.env.ref(f"access_governance.role_template_{code.lower()}")

    def held(self, user):
        user.invalidate_recordset(["groups_id"])
        return user.groups_id

    def explicit_governed(self, user):
        """The governed groups ``user`` holds that no other held group implies."""
        held = self.held(user)
        governed = held.filtered(lambda g: g.governance_scope == "governed")
        return governed - held.trans_implied_ids

    def assign(self, user, code):
        return self.Assignment.create(
            {"user_id": user.id, "role_id": self.template(code).id}
        )


@tagged("-standard", "access_governance_business", "post_install", "-at_install")
class TestBusinessRoles(BusinessCommon):
    def test_templates_map_the_real_groups(self):
        for code, xmlids in TEMPLATES.items():
            with self.subTest(code=code):
                expected = self.env["res.groups"]
                for xmlid in xmlids:
                    expected |= self.env.ref(xmlid)
                self.assertEqual(self.template(code).group_ids, expected)

    def test_sales_rep_sees_own_documents_only(self):
        rep = mail_new_test_user(self.env, login="ag_biz_rep", groups="base.group_user")
        other = mail_new_test_user(
            self.env, login="ag_biz_rep2", groups="base.group_user"
        )
        self.assign(rep, "SALES_REP")
        self.assign(other, "SALES_REP")
        self.assertTrue(rep.has_group("sales_team.group_sale_salesman"))
        self.assertFalse(rep.has_group("sales_team.group_sale_salesman_all_leads"))
        partner = self.env["res.partner"].create({"name": "AG Biz Customer"})
        leads = self.env["crm.lead"].create(
            [
                {"name": "AG own lead", "user_id": rep.id},
                {"name": "AG other lead", "user_id": other.id},
            ]
        )
        orders = self.env["sale.order"].create(
            [
                {"partner_id": partner.id, "user_id": rep.id},
                {"partner_id": partner.id, "user_id": other.id},
            ]
        )
        domain = [("id", "in", leads.ids)]
        self.assertEqual(self.env["crm.lead"].with_user(rep).search(domain), leads[0])
        domain = [("id", "in", orders.ids)]
        self.assertEqual(
            self.env["sale.order"].with_user(rep).search(domain), orders[0]
        )
        # A Sales Manager sees the team's documents.
        manager = mail_new_test_user(
            self.env, login="ag_biz_sm", groups="base.group_user"
        )
        self.assign(manager, "SALES_MANAGER")
        self.assertEqual(
            self.env["sale.order"].with_user(manager).search(domain), orders
        )

    def test_each_template_confers_its_app_rights(self):
        cases = {
            "ACCOUNTANT": ("account.move", "create", "account.group_account_manager"),
            "FINANCE_DIRECTOR": ("account.account", "write", None),
            "WAREHOUSE": ("stock.picking", "create", "stock.group_stock_manager"),
            "HR_MANAGER": ("hr.attendance", "write", None),
            "IT_ADMIN": ("ir.config_parameter", "write", None),
        }
        for code, (model, operation, not_group) in cases.items():
            with self.subTest(code=code):
                user = mail_new_test_user(
                    self.env, login=f"ag_biz_{code.lower()}", groups="base.group_user"
                )
                Model = self.env[model].with_user(user)
                self.assertFalse(Model.has_access(operation))
                self.assign(user, code)
                user.invalidate_recordset(["groups_id"])
                self.env.registry.clear_cache()
                self.assertTrue(Model.has_access(operation))
                if not_group:
                    self.assertFalse(user.has_group(not_group))
        # The attendance officer group comes with the manager role.
        hr_manager = self.env["res.users"].search([("login", "=", "ag_biz_hr_manager")])
        self.assertTrue(
            hr_manager.has_group("hr_attendance.group_hr_attendance_officer")
        )


@tagged("-standard", "access_governance_business", "post_install", "-at_install")
class TestBusinessLifecycle(BusinessCommon):
    def test_joiner_mover_leaver_with_job_mapped_templates(self):
        job_accountant = self.env["hr.job"].create({"name": "AG Biz Accountant"})
        job_director = self.env["hr.job"].create({"name": "AG Biz Finance Director"})
        self.template("ACCOUNTANT").job_ids = job_accountant
        self.template("FINANCE_DIRECTOR").job_ids = job_director
        employee = self.Employee.create(
            {
                "name": "Jo Ledger",
                "job_id": job_accountant.id,
                "work_email": "jo.ledger@example.com",
                "parent_id": self.employee_boss.id,
            }
        )
        # Joiner: the provisioned user holds exactly the role's groups, not the
        # default user template (which with hr grants Employees/Administrator).
        default_template = self.env.ref("base.default_user").groups_id
        self.assertIn(self.env.ref("hr.group_hr_manager"), default_template)
        employee.with_user(self.user_manager).action_governance_provision_user()
        user = employee.user_id
        self.assertEqual(
            self.explicit_governed(user), self.env.ref("account.group_account_invoice")
        )
        self.assertFalse(user.has_group("hr.group_hr_user"))
        self.assertFalse(user.has_group("base.group_allow_export"))
        claims = self.env["access.governance.claim"].search(
            [("user_id", "=", user.id), ("active", "=", True)]
        )
        self.assertEqual(set(claims.mapped("kind")), {"role"})
        # Mover: promoted to Finance Director.
        employee.job_id = job_director
        self.assertEqual(
            self.explicit_governed(user), self.env.ref("account.group_account_manager")
        )
        active = self.Assignment.search(
            [("user_id", "=", user.id), ("state", "!=", "ended")]
        )
        self.assertEqual(active.role_id, self.template("FINANCE_DIRECTOR"))
        # Leaver: a draft bill of theirs goes to their manager.
        bill = self.env["account.move"].create(
            {
                "move_type": "in_invoice",
                "partner_id": self.env["res.partner"].create({"name": "AG V"}).id,
                "invoice_user_id": user.id,
            }
        )
        wizard = (
            self.env["access.governance.offboard"]
            .with_user(self.user_manager)
            .with_context(active_model="res.users", active_id=user.id)
            .create({})
        )
        wizard.action_offboard()
        user = user.with_context(active_test=False)
        self.assertFalse(user.active)
        self.assertFalse(
            self.held(user).filtered(lambda g: g.governance_scope == "governed")
        )
        self.assertEqual(bill.invoice_user_id, self.user_boss)

    def test_provisioned_user_has_exactly_the_role(self):
        job = self.env["hr.job"].create({"name": "AG Biz Storekeeper"})
        self.template("WAREHOUSE").job_ids = job
        employee = self.Employee.create(
            {"name": "Sam Shelf", "job_id": job.id, "work_email": "sam@example.com"}
        )
        employee.with_user(self.user_manager).action_governance_provision_user()
        user = employee.user_id
        self.assertEqual(
            self.explicit_governed(user), self.env.ref("stock.group_stock_user")
        )
        # No group beyond the internal user's own closure and the role's.
        internal = self.env.ref("base.group_user")
        role = self.env.ref("stock.group_stock_user")
        expected = internal | internal.trans_implied_ids | role | role.trans_implied_ids
        self.assertFalse(self.held(user) - expected)

    def test_user_created_by_hand_is_baseline(self):
        """A user created by hand gets Odoo's default user template; what it
        holds that is governed is recorded as baseline, never as a role, so
        the unmapped-access audit (baseline-only claims) reports it."""
        user = self.env["res.users"].create({"name": "Hand Made", "login": "ag_hand"})
        self.assertTrue(user.has_group("hr.group_hr_manager"))
        claims = self.env["access.governance.claim"].search(
            [("user_id", "=", user.id), ("active", "=", True)]
        )
        self.assertIn(self.env.ref("hr.group_hr_manager"), claims.group_id)
        self.assertEqual(set(claims.mapped("kind")), {"baseline"})
        self.assertEqual(set(claims.mapped("note")), {"user_created"})


@tagged("-standard", "access_governance_business", "post_install", "-at_install")
class TestBusinessSod(BusinessCommon):
    def test_shipped_rules_active_and_triggered_through_implied_groups(self):
        for rule_xmlid, xmlids in SOD_CASES.items():
            with self.subTest(rule=rule_xmlid):
                rule = self.env.ref(f"access_governance.{rule_xmlid}")
                self.assertTrue(rule.active and rule.default_loaded)
                # No side implies the other: the rule is not a mere role.
                for side, other in (
                    (rule.group_a_ids, rule.group_b_ids),
                    (rule.group_b_ids, rule.group_a_ids),
                ):
                    self.assertFalse((side | side.trans_implied_ids) & other)
                user = mail_new_test_user(
                    self.env,
                    login=f"ag_biz_{rule_xmlid}",
                    groups=",".join(("base.group_user", xmlids[0])),
                )
                self.assertNotIn(
                    rule, [c["rule"] for c in self.Rule._sod_conflicts(user)]
                )
                extra = self.env.ref(xmlids[1])
                new = self.Rule._sod_new_conflicts(user, extra)
                self.assertIn(rule, [c["rule"] for c in new])
                user.groups_id = [Command.link(extra.id)]
                conflicts = self.Rule._sod_conflicts(user)
                self.assertIn(rule, [c["rule"] for c in conflicts])

    def test_rules_follow_modules_installed_after(self):
        """Time Off and Attendances were installed after this addon: the
        install hook classified their groups, completed the HR Manager
        template, and recorded it."""
        entries = (
            self.env["access.governance.audit"]
            .sudo()
            .search([("event", "=", "module_installed")])
        )
        text = " ".join(entries.mapped("description"))
        for module in INSTALLED_AFTER:
            self.assertIn(module, text)
        self.assertIn(
            self.env.ref("hr_attendance.group_hr_attendance_manager"),
            self.template("HR_MANAGER").group_ids,
        )

    def test_hook_completes_a_rule_for_a_later_module(self):
        """A shipped rule loaded before a module naming its groups gains them
        when the module is installed (simulated on hr_holidays)."""
        rule = self.env.ref("access_governance.sod_rule_hr_vs_payments")
        officer = self.env.ref("hr_holidays.group_hr_holidays_user")
        rule.default_side_a_xmlids = (
            "hr.group_hr_user,hr_holidays.group_hr_holidays_user"
        )
        self.assertNotIn(officer, rule.group_a_ids)
        module = self.env["ir.module.module"].search([("name", "=", "hr_holidays")])
        module._governance_after_install_as_superuser(module)
        self.assertIn(officer, rule.group_a_ids)


@tagged("-standard", "access_governance_business", "post_install", "-at_install")
class TestBusinessReassignment(BusinessCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leaver = mail_new_test_user(
            cls.env,
            login="ag_biz_leaver",
            name="Lee Leaver",
            groups="base.group_user,sales_team.group_sale_salesman,"
            "purchase.group_purchase_user,account.group_account_invoice,"
            "project.group_project_user",
        )
        cls.employee_leaver = cls.Employee.create(
            {
                "name": "Lee Leaver",
                "user_id": cls.leaver.id,
                "parent_id": cls.employee_boss.id,
            }
        )
        cls.partner = cls.env["res.partner"].create({"name": "AG Biz Partner"})
        cls.product = cls.env["product.product"].create(
            {"name": "AG Biz Service", "type": "service", "list_price": 100.0}
        )

    def _line(self, **extra):
        return Command.create({"product_id": self.product.id, **extra})

    def _records(self):
        """{model: (open, closed)} owned by the leaver."""
        won = self.env["crm.stage"].create({"name": "AG Won", "is_won": True})
        leads = self.env["crm.lead"].create(
            [
                {"name": "AG open lead", "user_id": self.leaver.id},
                {
                    "name": "AG won lead",
                    "user_id": self.leaver.id,
                    "stage_id": won.id,
                },
            ]
        )
        project = self.env["project.project"].create({"name": "AG Biz Project"})
        tasks = self.env["project.task"].create(
            [
                {
                    "name": "AG open task",
                    "project_id": project.id,
                    "user_ids": [Command.set(self.leaver.ids)],
                },
                {
                    "name": "AG done task",
                    "project_id": project.id,
                    "user_ids": [Command.set(self.leaver.ids)],
                    "state": "1_done",
                },
            ]
        )
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": self.partner.id,
                    "user_id": self.leaver.id,
                    "order_line": [self._line()],
                }
                for _i in range(2)
            ]
        )
        orders[1].action_confirm()
        purchases = self.env["purchase.order"].create(
            [
                {
                    "partner_id": self.partner.id,
                    "user_id": self.leaver.id,
                    "order_line": [self._line(price_unit=10.0, product_qty=1)],
                }
                for _i in range(2)
            ]
        )
        purchases[1].button_confirm()
        bills = self.env["account.move"].create(
            [
                {
                    "move_type": "in_invoice",
                    "partner_id": self.partner.id,
                    "invoice_user_id": self.leaver.id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [
                        Command.create({"name": "AG", "quantity": 1, "price_unit": 10})
                    ],
                }
                for _i in range(2)
            ]
        )
        bills[1].action_post()
        keep_done = self.env["mail.activity.type"].create(
            {"name": "AG keep done", "keep_done": True}
        )
        activities = self.env["mail.activity"].create(
            [
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": self.partner.id,
                    "activity_type_id": keep_done.id,
                    "user_id": self.leaver.id,
                    "summary": summary,
                }
                for summary in ("AG open call", "AG done call")
            ]
        )
        activities[1].action_feedback(feedback="done")
        return {
            "crm.lead": leads,
            "project.task": tasks,
            "sale.order": orders,
            "purchase.order": purchases,
            "account.move": bills,
            "mail.activity": activities.with_context(active_test=False),
        }

    def owner(self, record):
        if record._name == "project.task":
            return record.user_ids
        if record._name == "account.move":
            return record.invoice_user_id
        return record.user_id

    def test_rules_exist_for_the_business_models(self):
        rules = self.env["access.governance.reassignment.rule"].search([])
        self.assertLessEqual(set(REASSIGNED_MODELS), set(rules.mapped("model_name")))

    def test_leaver_open_records_move_closed_stay(self):
        records = self._records()
        for model, (_open, closed) in records.items():
            with self.subTest(model=model, state="closed before"):
                self.assertTrue(closed.exists(), model)
                self.assertEqual(self.owner(closed), self.leaver)
        wizard = (
            self.env["access.governance.offboard"]
            .with_user(self.user_manager)
            .with_context(active_model="res.users", active_id=self.leaver.id)
            .create({})
        )
        action = wizard.action_offboard()
        offboarding = self.env["access.governance.offboarding"].browse(action["res_id"])
        self.assertEqual(offboarding.reassign_to_id, self.user_boss)
        for model, (open_record, closed) in records.items():
            with self.subTest(model=model):
                self.assertEqual(self.owner(open_record), self.user_boss)
                self.assertEqual(self.owner(closed), self.leaver)
        self.assertGreaterEqual(offboarding.records_reassigned_count, len(records))


@tagged("-standard", "access_governance_business", "post_install", "-at_install")
class TestBusinessRemoval(BusinessCommon):
    def test_hidden_groups_with_rights_are_governed(self):
        for xmlid in (
            "hr_attendance.group_hr_attendance_officer",
            "hr_holidays.group_hr_holidays_responsible",
            "account.group_account_user",
        ):
            with self.subTest(group=xmlid):
                self.assertEqual(self.env.ref(xmlid).governance_scope, "governed")
        # Implied by every internal user: a user type's feature, technical.
        own_reader = self.env.ref("hr_attendance.group_hr_attendance_own_reader")
        self.assertEqual(own_reader.governance_scope, "technical")
        # A Settings checkbox's feature (with its own access rules): technical.
        analytic = self.env.ref("analytic.group_analytic_accounting")
        self.assertIn(analytic, analytic._governance_with_rights())
        self.assertEqual(analytic.governance_scope, "technical")

    def test_implied_groups_leave_with_the_role(self):
        officer = self.env.ref("hr_attendance.group_hr_attendance_officer")
        manager = self.env.ref("hr_attendance.group_hr_attendance_manager")
        user = mail_new_test_user(
            self.env, login="ag_biz_hrm", groups="base.group_user"
        )
        assignment = self.assign(user, "HR_MANAGER")
        self.assertTrue(manager | officer <= self.held(user))
        assignment.with_user(self.user_manager).action_end()
        held = self.held(user)
        self.assertFalse((manager | officer) & held)
        self.assertTrue(user.has_group("base.group_user"))
        self.assertIn(
            self.env.ref("hr_attendance.group_hr_attendance_own_reader"), held
        )

    def test_implied_group_stays_while_something_held_implies_it(self):
        responsible = self.env.ref("hr_holidays.group_hr_holidays_responsible")
        officer = self.env.ref("hr_holidays.group_hr_holidays_user")
        time_off_admin = self.env.ref("hr_holidays.group_hr_holidays_manager")
        Role = self.Role
        role_admin = Role.create(
            {
                "name": "AG Time Off Admin",
                "code": "AG_TO_ADMIN",
                "group_ids": [Command.set(time_off_admin.ids)],
            }
        )
        role_officer = Role.create(
            {
                "name": "AG Time Off Officer",
                "code": "AG_TO_OFFICER",
                "group_ids": [Command.set(officer.ids)],
            }
        )
        user = mail_new_test_user(self.env, login="ag_biz_to", groups="base.group_user")
        first = self.Assignment.create({"user_id": user.id, "role_id": role_admin.id})
        second = self.Assignment.create(
            {"user_id": user.id, "role_id": role_officer.id}
        )
        first.with_user(self.user_manager).action_end()
        held = self.held(user)
        self.assertNotIn(time_off_admin, held)
        self.assertTrue(officer | responsible <= held)
        second.with_user(self.user_manager).action_end()
        self.assertFalse((officer | responsible) & self.held(user))

    def test_technical_group_implied_by_removed_group_leaves(self):
        flag = self.env["res.groups"].create(
            {"name": "AG Biz Flag", "governance_scope": "technical"}
        )
        self.group_a.implied_ids = [Command.link(flag.id)]
        user = mail_new_test_user(
            self.env, login="ag_biz_flag", groups="base.group_user"
        )
        claims = self.Claim._claims_start(user, self.group_a, "grant", source="grant,7")
        self.assertIn(flag, self.held(user))
        self.Claim._claims_end(claims)
        held = self.held(user)
        self.assertFalse((self.group_a | self.group_a_base | flag) & held)
        self.assertIn(self.env.ref("base.group_user"), held)
