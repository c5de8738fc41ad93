# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.tests import tagged

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorUnusedAccess(DetectorCase):
    finding_type = "unused_access"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        models = {
            cls.group_c: "base.model_res_partner_industry",
            cls.group_a: "base.model_res_partner_category",
        }
        for group, model in models.items():
            cls.env["ir.model.access"].create(
                {
                    "name": f"AG test {group.name}",
                    "model_id": cls.env.ref(model).id,
                    "group_id": group.id,
                    "perm_read": True,
                    "perm_write": True,
                    "perm_create": True,
                }
            )

    def test_unused_access_one_finding_per_user_ranked_by_risk(self):
        self.give_baseline(
            self.user_employee | self.user_employee2, self.group_a | self.group_c
        )
        self.backdate(self.user_employee | self.user_employee2, 200)
        # employee2 works in both models; employee in neither for 100 days.
        self.env["res.partner.industry"].with_user(self.user_employee2).create(
            {"name": "AG Industry"}
        )
        self.env["res.partner.category"].with_user(self.user_employee2).create(
            {"name": "AG Category"}
        )
        self.detect()
        finding = self.findings(user=self.user_employee)
        self.assertEqual(len(finding), 1, "one finding per user, not per group")
        self.assertEqual(finding.subject, "unused")
        self.assertIn(self.group_c, finding.group_ids)
        self.assertIn(self.group_a, finding.group_ids)
        # Highest risk first; the finding takes the highest risk.
        ranked = [name for name, _risk in json.loads(finding.details)["groups"]]
        self.assertLess(
            ranked.index(self.group_a.full_name), ranked.index(self.group_c.full_name)
        )
        self.assertEqual(finding.severity, "high")
        # Negative: used access.
        self.assertFalse(self.findings(user=self.user_employee2))
        self.assert_rerun_changes_nothing()
        # Revoking the groups fixes it (and resolves the finding).
        finding.with_user(self.user_manager).action_revoke_groups()
        self.assertNotIn(self.group_c, self.groups_of(self.user_employee))
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "remediated")

    def test_auto_resolve_when_used(self):
        self.give_baseline(self.user_employee, self.group_c)
        self.backdate(self.user_employee, 200)
        self.detect()
        finding = self.findings(user=self.user_employee)
        self.assertEqual(finding.group_ids & self.group_c, self.group_c)
        self.env["res.partner.industry"].with_user(self.user_employee).create(
            {"name": "AG Industry 2"}
        )
        self.detect()
        self.assertNotIn(self.group_c, self.findings(user=self.user_employee).group_ids)

    def test_young_accounts_skipped(self):
        self.give_baseline(self.user_employee, self.group_c)
        self.detect()
        self.assertFalse(self.findings(user=self.user_employee))
