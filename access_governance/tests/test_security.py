# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import Form, tagged

from odoo.addons.base.models.res_users import name_boolean_group

from .common import AccessGovernanceCommon

GRANT = "access.governance.grant,301"
GRANT_2 = "access.governance.grant,302"
ROLE = "access.governance.role.assignment,301"


@tagged("post_install", "-at_install")
class TestSecurity(AccessGovernanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Both employees hold a claim, so both have claims and audit entries.
        cls.claim_own = cls.Claim._claims_start(
            cls.user_employee, cls.group_c, "grant", source=GRANT
        )
        cls.claim_other = cls.Claim._claims_start(
            cls.user_employee2, cls.group_b, "grant", source=GRANT_2
        )
        cls.entry_other = cls.Audit.sudo().search(
            [("user_id", "=", cls.user_employee2.id)], limit=1
        )

    # ------------------------------------------------------------------
    # Employees
    # ------------------------------------------------------------------
    def test_employee_cannot_give_themselves_groups(self):
        employee = self.user_employee
        as_employee = employee.with_user(employee)
        attempts = [
            {"groups_id": [Command.link(self.group_b.id)]},
            {name_boolean_group(self.group_b.id): True},
            {"groups_id": [Command.link(self.env.ref("base.group_system").id)]},
        ]
        for vals in attempts:
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_employee.write(vals)
        with self.assertRaises(AccessError):
            self.group_b.with_user(employee).write(
                {"users": [Command.link(employee.id)]}
            )
        with self.assertRaises(AccessError):
            self.env["res.groups"].with_user(employee).create(
                {"name": "AG Backdoor", "users": [Command.link(employee.id)]}
            )
        self.assertNotIn(self.group_b, self.groups_of(employee))
        self.assertFalse(self.active_claims(employee, self.group_b))

    def test_employee_cannot_create_write_unlink_claims(self):
        employee = self.user_employee
        Claim = self.Claim.with_user(employee)
        with self.assertRaises(AccessError):
            Claim.create(
                {"user_id": employee.id, "group_id": self.group_b.id, "kind": "grant"}
            )
        own = self.claim_own.with_user(employee)
        own.check_access("read")
        with self.assertRaises(AccessError):
            own.write({"group_id": self.group_b.id})
        with self.assertRaises(AccessError):
            own.write({"active": False})
        with self.assertRaises(AccessError):
            own.unlink()
        self.assertTrue(self.claim_own.active)
        self.assertEqual(self.claim_own.group_id, self.group_c)

    def test_employee_sees_only_own_claims_and_entries(self):
        employee = self.user_employee
        claims = self.Claim.with_user(employee).with_context(active_test=False)
        found = claims.search([])
        self.assertIn(self.claim_own, found)
        self.assertEqual(found.user_id, employee)
        entries = self.Audit.with_user(employee).search([])
        self.assertTrue(entries)
        self.assertEqual(entries.user_id, employee)

        self.assertTrue(self.entry_other)
        with self.assertRaises(AccessError):
            self.claim_other.with_user(employee).read(["group_id"])
        with self.assertRaises(AccessError):
            self.entry_other.with_user(employee).read(["description"])
        # Through the other user's record, the claims stay hidden.
        other = self.user_employee2.with_user(employee)
        self.assertFalse(other.governance_claim_ids)

    # ------------------------------------------------------------------
    # Auditors and managers
    # ------------------------------------------------------------------
    def test_auditor_reads_everything_changes_nothing(self):
        auditor = self.user_auditor
        for model in (self.Claim, self.Audit):
            with self.subTest(model=model._name):
                as_auditor = model.with_user(auditor).with_context(active_test=False)
                everything = model.sudo().with_context(active_test=False)
                self.assertEqual(
                    as_auditor.search_count([]), everything.search_count([])
                )
        self.claim_other.with_user(auditor).read(["group_id", "user_id"])
        self.entry_other.with_user(auditor).read(["description", "hash"])

        with self.assertRaises(AccessError):
            self.claim_other.with_user(auditor).write({"note": "audited"})
        with self.assertRaises(AccessError):
            self.claim_other.with_user(auditor).unlink()
        with self.assertRaises(AccessError):
            self.Claim.with_user(auditor).create(
                {"user_id": auditor.id, "group_id": self.group_b.id, "kind": "grant"}
            )
        with self.assertRaises(AccessError):
            self.entry_other.with_user(auditor).write({"description": "audited"})
        with self.assertRaises(AccessError):
            self.Audit.with_user(auditor).create({"event": "install"})

    def test_manager_cannot_write_claims(self):
        manager = self.user_manager
        with self.assertRaises(AccessError):
            self.claim_other.with_user(manager).write({"active": False})
        with self.assertRaises(AccessError):
            self.claim_other.with_user(manager).unlink()
        with self.assertRaises(AccessError):
            self.Claim.with_user(manager).create(
                {"user_id": manager.id, "group_id": self.group_b.id, "kind": "grant"}
            )
        self.assertTrue(self.claim_other.active)

    def test_nobody_unlinks_an_audit_entry(self):
        entry = self.entry_other
        users = (
            self.user_employee2,
            self.user_auditor,
            self.user_manager,
            self.user_admin_gov,
            self.user_system,
            self.env.ref("base.user_admin"),
        )
        for user in users:
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                entry.with_user(user).unlink()
        with self.assertRaises(AccessError):
            entry.sudo().unlink()
        self.assertTrue(entry.exists())

    # ------------------------------------------------------------------
    # Out-of-band changes by administrators
    # ------------------------------------------------------------------
    def test_admin_user_form_change_is_baseline_and_audited(self):
        admin = self.user_system
        user = self.user_employee
        sequence = self.last_audit_sequence()
        user.with_user(admin).write({name_boolean_group(self.group_a.id): True})

        self.assertTrue(self.group_a | self.group_a_base <= self.groups_of(user))
        claim = self.active_claims(user, self.group_a)
        self.assertEqual(claim.kind, "baseline")
        self.assertTrue(claim.added)
        self.assertEqual(claim.started_by_id, admin)
        self.assertFalse(
            self.active_claims(user, self.group_a_base),
            "the implied group is justified by its parent",
        )
        entries = self.audit_since(sequence)
        self.assertEqual(entries.mapped("event"), ["baseline_change"])
        self.assertEqual(entries.actor_id, admin)
        self.assertEqual(entries.user_id, user)
        self.assertEqual(entries.group_ids, self.group_a)
        details = json.loads(entries.details)
        self.assertEqual(details["gained"], [self.group_a.full_name])
        self.assertIn(self.group_a_base.full_name, details["implied_added"])
        self.assertIn(self.group_a.full_name, details["sensitive"])

    def test_admin_group_form_change_is_baseline_and_audited(self):
        admin = self.user_system
        user = self.user_employee
        sequence = self.last_audit_sequence()
        self.group_b.with_user(admin).write({"users": [Command.link(user.id)]})

        self.assertIn(self.group_b, self.groups_of(user))
        claim = self.active_claims(user, self.group_b)
        self.assertEqual(claim.kind, "baseline")
        self.assertEqual(claim.started_by_id, admin)
        entries = self.audit_since(sequence)
        self.assertEqual(entries.mapped("event"), ["baseline_change"])
        self.assertEqual(entries.actor_id, admin)
        self.assertEqual(entries.user_id, user)
        self.assertEqual(entries.group_ids, self.group_b)

    def test_admin_group_form_view_change_is_captured(self):
        admin = self.user_system
        user = self.user_employee2
        sequence = self.last_audit_sequence()
        with Form(self.group_a.with_user(admin)) as form:
            form.users.add(user)
        self.assertTrue(self.group_a | self.group_a_base <= self.groups_of(user))
        claim = self.active_claims(user, self.group_a)
        self.assertEqual(claim.kind, "baseline")
        self.assertEqual(claim.started_by_id, admin)
        entry = self.audit_since(sequence, event="baseline_change")
        self.assertEqual(entry.user_id, user)
        self.assertEqual(entry.actor_id, admin)

    def test_admin_removal_ends_baseline_and_grant_keeps_role(self):
        """An administrator removing a group: the baseline claim ends, a grant
        claim ends too (its grant follows, see TestGrantFollowsClaims); the
        role claim stays, named as overridden."""
        admin = self.user_system
        user = self.user_employee
        self.give_baseline(user, self.group_b)
        baseline = self.active_claims(user, self.group_b)
        grant = self.Claim._claims_start(user, self.group_b, "grant", source=GRANT_2)
        role = self.Claim._claims_start(user, self.group_b, "role", source=ROLE)
        self.assertEqual(len(self.active_claims(user, self.group_b)), 3)
        sequence = self.last_audit_sequence()

        user.with_user(admin).write({name_boolean_group(self.group_b.id): False})

        self.assertNotIn(self.group_b, self.groups_of(user))
        self.assertFalse(baseline.active)
        self.assertEqual(baseline.ended_by_id, admin)
        self.assertFalse(grant.active)
        self.assertEqual(grant.note, "out_of_band")
        self.assertEqual(grant.ended_by_id, admin)
        self.assertTrue(role.active)
        entries = self.audit_since(sequence)
        self.assertEqual(entries.mapped("event"), ["baseline_change", "claim_end"])
        self.assertEqual(entries.actor_id, admin)
        entry = entries.filtered(lambda e: e.event == "baseline_change")
        details = json.loads(entry.details)
        self.assertEqual(details["lost"], [self.group_b.full_name])
        self.assertEqual(
            details["overridden_claims"],
            [{"group": self.group_b.id, "kind": "role", "source": ROLE}],
        )
