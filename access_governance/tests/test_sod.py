# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from .test_grants import GrantCommon


@tagged("post_install", "-at_install")
class TestSeparationOfDuties(GrantCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["access.governance.sod.rule"]
        cls.Mitigation = cls.env["access.governance.mitigation"]
        # The employee already holds group_b (e.g. "create vendor bills").
        cls.user_employee.write({"groups_id": [Command.link(cls.group_b.id)]})
        # Side A names the group *implied* by group_a: the conflict exists
        # only through the implied closure of what the grant would add.
        cls.rule = cls.Rule.create(
            {
                "name": "Bills vs. payments",
                "group_a_ids": [Command.set(cls.group_a_base.ids)],
                "group_b_ids": [Command.set(cls.group_b.ids)],
                "severity": "high",
                "action": "block",
                "owner_id": cls.user_admin_gov.id,
            }
        )

    def test_conflicts_on_effective_groups(self):
        Rule = self.Rule
        self.assertFalse(Rule._sod_conflicts(self.user_employee))
        conflicts = Rule._sod_conflicts(self.user_employee, self.group_a)
        self.assertEqual(len(conflicts), 1)
        self.assertEqual(conflicts[0]["rule"], self.rule)
        self.assertEqual(conflicts[0]["groups_a"], self.group_a_base)
        self.assertEqual(conflicts[0]["groups_b"], self.group_b)
        self.assertFalse(conflicts[0]["mitigation"])
        # Someone without side B has no conflict from the same grant.
        self.assertFalse(Rule._sod_conflicts(self.user_employee2, self.group_a))

    def test_block(self):
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        with self.assertRefused(UserError, "Bills vs. payments"):
            grant.action_submit()
        self.assertEqual(grant.state, "draft")
        self.assertFalse(self.holds(self.user_employee, self.group_a))

    def test_require_approval_adds_the_owner(self):
        self.rule.action = "require_approval"
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        grant.action_submit()
        self.assertEqual(grant.state, "submitted")
        self.assertEqual(grant.required_approver_ids, self.user_admin_gov)
        self.assertEqual(grant.approver_ids, self.user_manager | self.user_admin_gov)
        self.assertIn("Bills vs. payments", grant.sod_summary)
        grant.with_user(self.user_manager).action_approve()
        self.assertEqual(grant.state, "submitted", "the rule owner must approve too")
        grant.with_user(self.user_admin_gov).action_approve()
        self.assertEqual(grant.state, "active")

    def test_require_approval_without_usable_owner_is_refused(self):
        self.rule.write({"action": "require_approval", "owner_id": False})
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        with self.assertRefused(UserError, "requires the approval of its owner"):
            grant.action_submit()

    def test_warn_posts_and_needs_approval(self):
        self.rule.write(
            {
                "action": "warn",
                "group_a_ids": [Command.set(self.group_c.ids)],
            }
        )
        self.group_c.governance_requestable = True
        grant = self.request(
            self.user_employee, requested_group_ids=[Command.set(self.group_c.ids)]
        )
        grant.action_submit()
        self.assertEqual(grant.state, "submitted", "a conflict is never standard")
        self.assertFalse(grant.policy_approved)
        self.assertTrue(
            grant.message_ids.filtered(
                lambda m: "Separation-of-duties warning" in (m.body or "")
            )
        )

    def test_mitigation_accepts_the_conflict(self):
        # assertRaises (not ...Regex) rolls back to a savepoint.
        with self.assertRaises(ValidationError) as caught:
            self.Mitigation.create(
                {
                    "user_id": self.user_employee.id,
                    "rule_id": self.rule.id,
                    "control": "Self-review",
                    "approver_id": self.user_employee.id,
                }
            )
        self.assertIn("someone other than", str(caught.exception))
        mitigation = self.Mitigation.create(
            {
                "user_id": self.user_employee.id,
                "rule_id": self.rule.id,
                "control": "Controller reviews every payment monthly",
                "approver_id": self.user_manager.id,
                "date_end": fields.Date.today() + timedelta(days=30),
            }
        )
        self.assertTrue(mitigation.is_valid)
        conflicts = self.Rule._sod_conflicts(self.user_employee, self.group_a)
        self.assertEqual(conflicts[0]["mitigation"], mitigation)
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        grant.action_submit()
        self.assertEqual(grant.state, "submitted", "not blocked, usual approval")
        self.assertIn("mitigated", grant.sod_summary)
        # An expired mitigation no longer counts (a mitigation is evidence:
        # it expires, nobody edits its end date).
        with freeze_time(fields.Date.today() + timedelta(days=31)):
            mitigation.invalidate_recordset(["is_valid"])
            self.assertFalse(mitigation.is_valid)
            grant2 = self.request(self.user_employee, profile_id=self.profile_close.id)
            with self.assertRefused(UserError, "Bills vs. payments"):
                grant2.action_submit()

    def test_rules_and_mitigations_access(self):
        self.assertEqual(
            self.rule.with_user(self.user_auditor).name, "Bills vs. payments"
        )
        self.assertEqual(
            self.rule.with_user(self.user_manager).name, "Bills vs. payments"
        )
        with self.assertRaises(AccessError):
            self.rule.with_user(self.user_manager).write({"action": "warn"})
        with self.assertRaises(AccessError):
            self.rule.with_user(self.user_employee).read(["name"])
        with self.assertRaises(AccessError):
            self.Mitigation.with_user(self.user_manager).create(
                {
                    "user_id": self.user_employee.id,
                    "rule_id": self.rule.id,
                    "control": "x",
                    "approver_id": self.user_manager.id,
                }
            )
        self.rule.with_user(self.user_admin_gov).write({"action": "warn"})

    def test_shipped_rules_load_only_when_groups_exist(self):
        missing = self.Rule.create(
            {
                "name": "Needs a module that is not installed",
                "active": False,
                "default_side_a_xmlids": "base.group_system",
                "default_side_b_xmlids": "access_governance_missing.group_nowhere",
            }
        )
        present = self.Rule.create(
            {
                "name": "HR officer vs. export",
                "active": False,
                "default_side_a_xmlids": "hr.group_hr_user",
                "default_side_b_xmlids": "base.group_allow_export",
            }
        )
        loaded = self.Rule._sod_load_default_rules()
        self.assertIn(present, loaded)
        self.assertNotIn(missing, loaded)
        self.assertTrue(present.active)
        self.assertEqual(present.group_a_ids, self.env.ref("hr.group_hr_user"))
        self.assertFalse(missing.active)
        # Loaded once: deactivating it later is not overruled.
        present.active = False
        self.assertNotIn(present, self.Rule._sod_load_default_rules())
        self.assertFalse(present.active)
