# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.fields import Command
from odoo.tests import tagged

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorOverPrivileged(DetectorCase):
    finding_type = "over_privileged"

    def test_over_privileged(self):
        self.detect()
        over = self.findings(user=self.user_system)
        self.assertEqual(over.severity, "critical")
        self.assertIn(self.env.ref("base.group_system"), over.group_ids)
        # Negative: no administrative or critical group.
        self.assertFalse(self.findings(user=self.user_employee))
        self.assert_rerun_changes_nothing()
        # On the allowed list: resolved at the next run.
        self.ICP.set_param(
            "access_governance.allowed_admin_ids", f"{self.user_system.id}"
        )
        self.detect()
        self.assertEqual(over.state, "resolved")
        self.assertEqual(over.resolution, "not_seen")

    def test_critical_group_and_auto_resolve(self):
        self.group_c.governance_risk = "critical"
        self.give_baseline(self.user_employee, self.group_c)
        self.detect()
        finding = self.findings(user=self.user_employee)
        self.assertEqual(finding.group_ids, self.group_c)
        self.user_employee.with_user(self.user_system).write(
            {"groups_id": [Command.unlink(self.group_c.id)]}
        )
        self.detect()
        self.assertEqual(finding.state, "resolved")
