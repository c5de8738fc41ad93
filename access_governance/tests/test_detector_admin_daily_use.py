# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import tagged

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorAdminDailyUse(DetectorCase):
    finding_type = "admin_daily_use"

    def employees(self, user, count, prefix):
        # sudo keeps the user as the records' author.
        Employee = self.env["hr.employee"].with_user(user).sudo()
        return Employee.create([{"name": f"{prefix} {n}"} for n in range(count)])

    def test_admin_creating_business_records(self):
        self.ICP.set_param("access_governance.admin_daily_min_records", "3")
        created = self.employees(self.user_system, 3, "AG Daily")
        hr_user = self.new_user("ag_hr_officer", "base.group_user,hr.group_hr_user")
        self.employees(hr_user, 5, "AG HR")
        self.detect()
        finding = self.findings(user=self.user_system)
        self.assertEqual(len(finding), 1)
        self.assertIn("AG Daily 2", finding.explanation)
        self.assertIn("separate", finding.remedy)
        self.assertIn(self.env.ref("base.group_system"), finding.group_ids)
        # Negative: not an administrator.
        self.assertFalse(self.findings(user=hr_user))
        self.assert_rerun_changes_nothing()
        # Below the threshold / out of the period: resolved.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE hr_employee SET create_date = %s, write_date = %s "
            "WHERE id = ANY(%s)",
            [self.now - timedelta(days=40)] * 2 + [created.ids],
        )
        self.detect()
        self.assertEqual(finding.state, "resolved")
