# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.fields import Command
from odoo.tests import tagged

from ..models.access_governance_guarded import trusted
from .common import AccessGovernanceCommon


@tagged("post_install", "-at_install")
class TestOverview(AccessGovernanceCommon):
    """The app's home: tiles per role, figures per person, lists behind them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Overview = cls.env["access.governance.overview"]
        cls.profile = cls.env["access.governance.profile"].create(
            {
                "name": "Overview profile",
                "group_ids": [Command.set(cls.group_a.ids)],
                "default_duration_hours": 12,
                "max_duration_hours": 48,
                "approver_user_ids": [Command.set(cls.user_manager.ids)],
            }
        )

    def tiles(self, user):
        # Figures are computed per request; a test reads them again.
        self.env.invalidate_all()
        tiles = self.Overview.with_user(user).search([])
        return {tile.tile: tile for tile in tiles}

    def test_tiles_follow_the_governance_role(self):
        employee = self.tiles(self.user_employee)
        self.assertIn("my_access", employee)
        self.assertIn("my_approvals", employee)
        self.assertNotIn("open_findings", employee)
        self.assertNotIn("integrity", employee)
        auditor = self.tiles(self.user_auditor)
        self.assertTrue({"open_findings", "campaigns", "integrity"} <= set(auditor))
        self.assertEqual(
            self.Overview.with_user(self.user_employee).search_count([]),
            6,
            "an employee sees only the tiles about their own work",
        )

    def test_figures_are_per_person_and_open_their_list(self):
        grant = (
            self.env["access.governance.grant"]
            .with_user(self.user_employee)
            .create(
                {
                    "beneficiary_id": self.user_employee.id,
                    "profile_id": self.profile.id,
                    "reason": "Overview",
                }
            )
        )
        grant.action_submit()
        self.assertEqual(grant.state, "submitted")
        manager = self.tiles(self.user_manager)
        self.assertEqual(manager["my_approvals"].count, 1)
        self.assertEqual(manager["my_approvals"].status, "warning")
        employee = self.tiles(self.user_employee)
        self.assertEqual(employee["my_approvals"].count, 0)
        self.assertEqual(employee["requests_waiting"].count, 1)
        other = self.tiles(self.user_employee2)
        self.assertEqual(
            other["requests_waiting"].count, 0, "another employee's request is private"
        )
        action = manager["my_approvals"].with_user(self.user_manager).action_open()
        found = (
            self.env[action["res_model"]]
            .with_user(self.user_manager)
            .search(action["domain"])
        )
        self.assertEqual(found, grant)
        # Approved: active now, ending within 24 hours (12-hour profile).
        grant.with_user(self.user_manager).action_approve()
        self.assertEqual(grant.state, "active")
        employee = self.tiles(self.user_employee)
        self.assertEqual(employee["active_elevations"].count, 1)
        self.assertEqual(employee["ending_soon"].count, 1)
        self.assertEqual(employee["ending_soon"].status, "warning")
        self.assertGreaterEqual(employee["my_access"].count, 1)

    def test_findings_by_severity_and_integrity(self):
        Finding = self.env["access.governance.finding"].sudo()
        Finding.search([("state", "=", "open")])._finding_write_as_superuser(
            {"state": "resolved"}
        )
        tiles = self.tiles(self.user_auditor)
        self.assertEqual(tiles["open_findings"].count, 0)
        self.assertEqual(tiles["open_findings"].status, "ok")
        with trusted():
            Finding.create(
                {
                    "finding_type": "stale_account",
                    "user_id": self.user_employee2.id,
                    "subject": "overview",
                    "key": "overview-1",
                    "severity": "high",
                }
            )
        tiles = self.tiles(self.user_auditor)
        self.assertEqual(tiles["open_findings"].count, 1)
        self.assertEqual(tiles["open_findings"].status, "danger")
        self.assertIn("1 high", tiles["open_findings"].subtitle)
        self.env["access.governance.audit"]._cron_verify_audit_chain()
        tiles = self.tiles(self.user_auditor)
        self.assertEqual(tiles["integrity"].status, "ok")
        self.assertIn("intact", tiles["integrity"].subtitle)

    def test_my_access_and_the_governance_role_selection(self):
        self.user_employee2.sudo().write({"groups_id": [Command.link(self.group_b.id)]})
        action = (
            self.tiles(self.user_employee2)["my_access"]
            .with_user(self.user_employee2)
            .action_open()
        )
        self.assertEqual(action["res_model"], "access.governance.claim")
        claims = (
            self.env["access.governance.claim"]
            .with_user(self.user_employee2)
            .search([("user_id", "=", self.user_employee2.id)])
        )
        self.assertIn(self.group_b, claims.group_id)
        # The governance role is one chain: the user form shows a selection.
        groups = self.env["res.groups"]
        chain = (
            self.env.ref("access_governance.group_governance_user")
            | self.env.ref("access_governance.group_governance_auditor")
            | self.env.ref("access_governance.group_governance_manager")
            | self.env.ref("access_governance.group_governance_admin")
        )
        kinds = {
            app.id: kind for app, kind, _gs, _cat in groups.get_groups_by_application()
        }
        self.assertEqual(
            kinds[
                self.env.ref("access_governance.module_category_access_governance").id
            ],
            "selection",
        )
        self.assertEqual(len(chain), 4)
        # The app opens on the overview.
        root = self.env.ref("access_governance.access_governance_menu_root")
        self.assertEqual(
            root.action,
            self.env.ref("access_governance.access_governance_overview_action"),
        )

    def test_risk_groups_ordered_by_level(self):
        """Grouping by risk lists Low, Medium, High, Critical, not A-Z."""
        result = self.env["res.groups"].web_read_group(
            [("id", "in", (self.group_a | self.group_b).ids)],
            ["governance_risk"],
            ["governance_risk"],
        )
        levels = [group["governance_risk"] for group in result["groups"]]
        self.assertEqual(levels, ["low", "medium", "high", "critical"])
