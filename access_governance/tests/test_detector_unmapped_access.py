# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorUnmappedAccess(DetectorCase):
    finding_type = "unmapped_access"

    def test_unmapped_access(self):
        self.give_baseline(self.user_employee, self.group_b | self.group_a)
        self.Claim._claims_start(
            self.user_employee2, self.group_b, "grant", source="test,2"
        )
        self.detect()
        finding = self.findings(user=self.user_employee)
        self.assertIn(self.group_b, finding.group_ids)
        # Highest risk first, and the finding's severity.
        self.assertLess(
            finding.explanation.index(self.group_a.full_name),
            finding.explanation.index(self.group_b.full_name),
        )
        self.assertEqual(finding.severity, "high")
        # Negative: a grant justifies employee2's access.
        self.assertFalse(self.findings(user=self.user_employee2))
        self.assert_rerun_changes_nothing()
        # Claims now justify it: no longer unmapped.
        self.Claim._claims_start(
            self.user_employee, self.group_b | self.group_a, "grant", source="test,1"
        )
        self.detect()
        self.assertEqual(finding.state, "resolved")
