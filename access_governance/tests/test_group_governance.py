# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import AccessGovernanceCommon


@tagged("post_install", "-at_install")
class TestGroupGovernance(AccessGovernanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_access_rights = mail_new_test_user(
            cls.env,
            login="ag_access_rights",
            name="Rita Rights",
            groups="base.group_user,base.group_erp_manager",
        )

    # ------------------------------------------------------------------
    # Classification
    # ------------------------------------------------------------------
    def test_install_classification(self):
        expected_scope = {
            "base.group_user": "technical",
            "base.group_portal": "technical",
            "base.group_public": "technical",
            "base.group_no_one": "technical",
            "base.group_multi_company": "technical",
            "base.group_multi_currency": "technical",
            "mail.group_mail_notification_type_inbox": "preference",
            "base.group_system": "governed",
            "base.group_erp_manager": "governed",
            "base.group_allow_export": "governed",
            "hr.group_hr_manager": "governed",
            "hr.group_hr_user": "governed",
        }
        for xmlid, scope in expected_scope.items():
            with self.subTest(xmlid=xmlid):
                self.assertEqual(self.env.ref(xmlid).governance_scope, scope)
        expected_risk = {
            "base.group_system": "critical",
            "base.group_erp_manager": "critical",
            "hr.group_hr_manager": "high",
        }
        for xmlid, risk in expected_risk.items():
            with self.subTest(xmlid=xmlid):
                self.assertEqual(self.env.ref(xmlid).governance_risk, risk)
        self.assertNotIn(
            self.env.ref("hr.group_hr_user").governance_risk,
            ("low", "critical"),
            "HR officers see personal data: above low, below the administrator",
        )

    def test_group_created_later_is_classified(self):
        Groups = self.env["res.groups"]
        hidden = Groups.create(
            {
                "name": "AG Feature Flag",
                "category_id": self.env.ref("base.module_category_hidden").id,
            }
        )
        self.assertEqual(hidden.governance_scope, "technical")
        hr_admin = Groups.create(
            {
                "name": "AG Records Administrator",
                "category_id": self.env.ref(
                    "base.module_category_human_resources_employees"
                ).id,
            }
        )
        self.assertEqual(hr_admin.governance_scope, "governed")
        self.assertEqual(hr_admin.governance_risk, "high")
        finance_admin = Groups.create(
            {
                "name": "AG Ledger Administrator",
                "category_id": self.env.ref(
                    "base.module_category_accounting_accounting"
                ).id,
            }
        )
        self.assertEqual(finance_admin.governance_scope, "governed")
        self.assertEqual(finance_admin.governance_risk, "high")
        plain = Groups.create({"name": "AG Plain Business Group"})
        self.assertEqual(plain.governance_scope, "governed")
        self.assertEqual(plain.governance_risk, "low")

    # ------------------------------------------------------------------
    # Who may change the policy
    # ------------------------------------------------------------------
    def test_only_governance_admins_change_governance_fields(self):
        group = self.group_b
        rights = self.user_access_rights
        self.assertFalse(rights.has_group("access_governance.group_governance_admin"))
        policy = {
            "governance_risk": "critical",
            "governance_owner_id": rights.id,
            "governance_requestable": True,
            "governance_scope": "technical",
        }
        for field, value in policy.items():
            with self.subTest(field=field), self.assertRaises(AccessError):
                group.with_user(rights).write({field: value})
        # The same user may still edit the rest of the group: the refusal is
        # about governance, not about access rights.
        group.with_user(rights).write({"comment": "Access rights admin was here"})
        self.assertEqual(group.governance_risk, "low")
        self.assertEqual(group.governance_scope, "governed")

        for user in (self.user_employee, self.user_auditor, self.user_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                group.with_user(user).write({"governance_risk": "high"})

        # Settings administrators are governance administrators.
        system = self.user_system
        self.assertTrue(system.has_group("access_governance.group_governance_admin"))
        group.with_user(system).write(
            {
                "governance_risk": "high",
                "governance_owner_id": self.user_manager.id,
                "governance_requestable": True,
            }
        )
        # Raising the risk applies at once; a new owner (who approves
        # requests) and the requestable flag wait for a second administrator.
        self.assertEqual(group.governance_risk, "high")
        self.assertFalse(group.governance_owner_id)
        self.assertFalse(group.governance_requestable)
        self.approve_pending(group)
        self.assertEqual(group.governance_owner_id, self.user_manager)
        self.assertTrue(group.governance_requestable)

    def test_governance_admin_edits_policy_but_nothing_else(self):
        """A governance administrator who does not administer access rights
        can classify groups, but cannot use that write access to change a
        group's members, implications or name (no privilege escalation)."""
        gov_admin = self.user_admin_gov
        self.assertFalse(gov_admin.has_group("base.group_erp_manager"))
        group = self.group_b.with_user(gov_admin)
        group.write({"governance_risk": "high", "governance_requestable": True})
        self.assertEqual(self.group_b.governance_risk, "high")
        forbidden = {
            "users": [(4, gov_admin.id)],
            "implied_ids": [(4, self.env.ref("base.group_system").id)],
            "name": "Renamed",
        }
        for field, value in forbidden.items():
            with self.subTest(field=field), self.assertRaises(AccessError):
                group.write({field: value})
        # Mixing a governance field with a forbidden one applies nothing.
        with self.assertRaises(AccessError):
            group.write({"governance_risk": "low", "users": [(4, gov_admin.id)]})
        self.assertEqual(self.group_b.governance_risk, "high")
        self.assertNotIn(gov_admin, self.group_b.users)
        self.assertFalse(gov_admin.has_group("base.group_system"))

    def test_policy_change_is_audited(self):
        group = self.group_b
        sequence = self.last_audit_sequence()
        group.with_user(self.user_system).write(
            {"governance_risk": "critical", "governance_owner_id": self.user_manager.id}
        )
        approver = self.env.ref("base.user_admin")
        self.approve_pending(group, approver)
        entries = self.audit_since(sequence, event="group_policy")
        self.assertEqual(len(entries), 2, "the risk at once, the owner when approved")
        self.assertEqual(entries[1].actor_id, approver)
        self.assertEqual(
            json.loads(entries[1].details)["governance_owner_id"],
            [False, self.user_manager.id],
        )
        entry = entries[0]
        self.assertEqual(entry.event, "group_policy")
        self.assertEqual(entry.actor_id, self.user_system)
        self.assertEqual((entry.res_model, entry.res_id), ("res.groups", group.id))
        self.assertEqual(entry.group_ids, group)
        self.assertIn("critical", entry.description)
        details = json.loads(entry.details)
        self.assertEqual(details["governance_risk"], ["low", "critical"])

        # Writing the same values again changes nothing and audits nothing.
        sequence = self.last_audit_sequence()
        group.with_user(self.user_system).write({"governance_risk": "critical"})
        self.assertFalse(self.audit_since(sequence))

    # ------------------------------------------------------------------
    # Scope changes
    # ------------------------------------------------------------------
    def test_technical_to_governed_captures_baseline(self):
        group = self.group_tech
        user = self.user_employee
        user.write({"groups_id": [Command.link(group.id)]})
        self.assertFalse(self.active_claims(user, group))
        sequence = self.last_audit_sequence()

        group.with_user(self.user_system).write({"governance_scope": "governed"})
        self.assertEqual(group.governance_scope, "technical", "four-eyes")
        approver = self.env.ref("base.user_admin")
        self.approve_pending(group, approver)
        claim = self.active_claims(user, group)
        self.assertEqual(len(claim), 1)
        self.assertEqual(claim.kind, "baseline")
        self.assertFalse(claim.added, "the user already held the group")
        self.assertEqual(claim.started_by_id, approver)
        events = self.audit_since(sequence).mapped("event")
        self.assertIn("group_policy", events)
        capture = self.audit_since(sequence, event="baseline_capture")
        self.assertEqual(capture.user_id, user)
        self.assertIn(group, capture.group_ids)
        self.assertIn(group, self.groups_of(user))

    def test_governed_to_technical_ends_claims_without_touching_users(self):
        group = self.group_b
        user = self.user_employee
        self.give_baseline(user, group)
        self.Claim._claims_start(self.user_employee2, group, "grant", "x.grant,1")
        claims = self.Claim.sudo().search(
            [("group_id", "=", group.id), ("active", "=", True)]
        )
        self.assertEqual(claims.user_id, user | self.user_employee2)

        group.with_user(self.user_system).write({"governance_scope": "technical"})
        self.assertTrue(all(claims.mapped("active")), "four-eyes")
        approver = self.env.ref("base.user_admin")
        self.approve_pending(group, approver)
        self.assertFalse(any(claims.mapped("active")))
        self.assertEqual(claims.ended_by_id, approver)
        self.assertIn(group, self.groups_of(user))
        self.assertIn(group, self.groups_of(self.user_employee2))
        # The engine leaves the group alone from now on.
        result = self.Claim._claims_end_source("x.grant,1")
        self.assertFalse(result["removed"])
        self.assertIn(group, self.groups_of(self.user_employee2))

    # ------------------------------------------------------------------
    # Baseline at install
    # ------------------------------------------------------------------
    def test_baseline_claims_exist_after_install(self):
        admin = self.env.ref("base.user_admin")
        system = self.env.ref("base.group_system")
        claim = self.active_claims(admin, system)
        self.assertEqual(claim.kind, "baseline")
        self.assertEqual(claim.note, "baseline_capture")
        install = self.Audit.sudo().search([("event", "=", "install")])
        self.assertEqual(len(install), 1)
        self.assertTrue(
            self.Audit.sudo().search_count(
                [("event", "=", "baseline_capture"), ("user_id", "=", admin.id)]
            )
        )

    def test_every_explicit_governed_group_is_claimed(self):
        """The invariant over the whole database: every governed group an
        internal user holds explicitly is justified by an active claim."""
        users = (
            self.env["res.users"]
            .with_context(active_test=False)
            .search([("share", "=", False)])
        )
        self.assertIn(self.env.ref("base.user_admin"), users)
        for user in users:
            held = user.groups_id
            explicit = held - held.trans_implied_ids
            governed = explicit.filtered(lambda g: g.governance_scope == "governed")
            claimed = self.active_claims(user).group_id
            with self.subTest(user=user.login):
                self.assertFalse(governed - claimed, "unclaimed governed groups")

    def test_no_claim_on_preference_or_technical_groups(self):
        """Claims only ever justify governed groups: users created by data
        loaded during the install (demo employees) have no claim on their
        user type or any other technical or preference group."""
        stray = self.Claim.sudo().search(
            [("active", "=", True), ("group_id.governance_scope", "!=", "governed")]
        )
        names = ", ".join(f"{c.user_id.login}/{c.group_id.full_name}" for c in stray)
        self.assertFalse(stray, f"claims on non-governed groups: {names}")
