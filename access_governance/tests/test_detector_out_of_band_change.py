# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import tagged

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorOutOfBandChange(DetectorCase):
    finding_type = "out_of_band_change"

    def test_out_of_band_change_from_group_form(self):
        self.seal_audit()
        self.detect()  # start from now
        # An administrator adds users on the group form, outside governance.
        self.group_a.with_user(self.user_system).write(
            {"users": [Command.link(self.user_employee.id)]}
        )
        self.group_b.with_user(self.user_system).write(
            {"users": [Command.link(self.user_employee2.id)]}
        )
        # The detector reads the sealed trail, in sequence order.
        self.seal_audit()
        self.detect()
        finding = self.findings(user=self.user_employee)
        self.assertEqual(finding.group_ids, self.group_a)
        self.assertEqual(finding.res_model, "access.governance.audit")
        self.assertIn(self.user_system.login, finding.explanation)
        # group_b is low risk: not an out-of-band finding.
        self.assertFalse(self.findings(user=self.user_employee2))
        # The same entries are not read twice.
        last_seen = finding.last_seen
        with freeze_time(self.now + timedelta(hours=1)):
            self.assert_rerun_changes_nothing()
        self.assertEqual(finding.last_seen, last_seen)
        # Removing the group resolves it.
        self.group_a.with_user(self.user_system).write(
            {"users": [Command.unlink(self.user_employee.id)]}
        )
        self.seal_audit()
        self.detect()
        self.assertEqual(finding.state, "resolved")
