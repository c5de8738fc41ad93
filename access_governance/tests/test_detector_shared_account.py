# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorSharedAccount(DetectorCase):
    finding_type = "shared_account"

    def test_shared_account_two_ips_same_hour(self):
        self.device_log(self.user_employee, "198.51.100.1", "sess-1", 50)
        self.device_log(self.user_employee, "203.0.113.9", "sess-2", 20)
        # One IP, one session: not shared.
        self.device_log(self.user_employee2, "198.51.100.1", "sess-3", 50)
        self.device_log(self.user_employee2, "198.51.100.1", "sess-3", 20)
        self.detect()
        finding = self.findings(user=self.user_employee)
        self.assertEqual(len(finding), 1)
        self.assertIn("203.0.113.9", finding.explanation)
        self.assertFalse(self.findings(user=self.user_employee2))
        self.assert_rerun_changes_nothing()
        # Far apart in time is not shared either.
        self.ICP.set_param("access_governance.shared_overlap_minutes", "0")
        self.detect()
        self.assertEqual(finding.state, "resolved")
