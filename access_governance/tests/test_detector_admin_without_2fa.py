# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorAdminWithout2fa(DetectorCase):
    finding_type = "admin_without_2fa"

    def set_secret(self, user, secret):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_users SET totp_secret = %s WHERE id = %s", [secret, user.id]
        )
        self.env.invalidate_all()

    def test_admin_without_totp(self):
        admin_2fa = self.new_user("ag_admin_2fa", "base.group_user,base.group_system")
        admin_false = self.new_user(
            "ag_admin_false", "base.group_user,base.group_system"
        )
        self.set_secret(admin_2fa, "AAAA")
        # auth_totp reads 'false' as disabled: so does the detector.
        self.set_secret(admin_false, "false")
        self.detect()
        no_2fa = self.findings().user_id
        self.assertIn(self.user_system, no_2fa)
        self.assertIn(admin_false, no_2fa)
        self.assertNotIn(admin_2fa, no_2fa)
        # Negative: no sensitive access.
        self.assertNotIn(self.user_employee, no_2fa)
        self.assert_rerun_changes_nothing()
        # Enabling 2FA resolves it.
        finding = self.findings(user=admin_false)
        self.set_secret(admin_false, "BBBB")
        self.detect()
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "not_seen")
