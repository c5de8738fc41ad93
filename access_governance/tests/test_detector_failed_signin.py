# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.exceptions import AccessDenied
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorFailedSignin(DetectorCase, HttpCase):
    """HttpCase: failed sign-ins are written on a separate cursor (the
    failing one is rolled back), which the registry's test mode keeps inside
    the test."""

    finding_type = "failed_signin"

    @mute_logger("odoo.addons.base.models.res_users")
    def sign_in(self, login, password):
        credential = {"type": "password", "login": login, "password": password}
        return self.env["res.users"].authenticate(
            self.env.cr.dbname, credential, {"interactive": True}
        )

    def refused(self, function, *args):
        """Odoo's assertRaises rolls back a savepoint, and with it what the
        separate cursor wrote: catch the refusal by hand."""
        try:
            function(*args)
        except AccessDenied:
            return True
        return False

    def signins(self, login):
        return self.env["access.governance.signin"].search([("login", "=", login)])

    def test_failed_sign_ins_recorded(self):
        self.assertTrue(self.refused(self.sign_in, self.user_employee.login, "wrong"))
        failed = self.signins(self.user_employee.login)
        self.assertEqual(len(failed), 1)
        self.assertEqual(failed.user_id, self.user_employee)
        self.assertEqual(failed.reason, "password")
        self.assertTrue(self.refused(self.sign_in, "ag_nobody", "wrong"))
        self.assertEqual(self.signins("ag_nobody").reason, "unknown_login")
        # A successful sign-in records nothing.
        self.sign_in(self.user_employee.login, self.user_employee.login)
        self.assertEqual(len(self.signins(self.user_employee.login)), 1)

    @mute_logger("odoo.addons.auth_totp.models.res_users")
    def test_wrong_2fa_code_recorded(self):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_users SET totp_secret = %s WHERE id = %s",
            ["JBSWY3DPEHPK3PXP", self.user_employee.id],
        )
        self.env.invalidate_all()
        user = self.user_employee.with_user(self.user_employee)
        self.assertTrue(self.refused(user._totp_check, 0))
        self.assertEqual(self.signins(self.user_employee.login).reason, "2fa")

    def test_burst_on_one_account(self):
        Signin = self.env["access.governance.signin"]
        self.ICP.set_param("access_governance.signin_burst", "3")
        for _attempt in range(3):
            Signin._signin_record(self.user_employee.login, "password")
        Signin._signin_record(self.user_employee2.login, "password")
        self.detect()
        finding = self.findings(user=self.user_employee)
        self.assertIn("3 failed sign-ins", finding.explanation)
        # Negative: one failure only.
        self.assertFalse(self.findings(user=self.user_employee2))
        self.assert_rerun_changes_nothing()
        # Out of the window: resolved.
        self.env.cr.execute(
            "UPDATE access_governance_signin SET date = %s",
            [self.now - timedelta(days=3)],
        )
        self.detect()
        self.assertEqual(finding.state, "resolved")

    def test_sensitive_account_from_new_address(self):
        # user_system holds Settings (critical): seen from one address before.
        self.device_log(self.user_system, "198.51.100.1", "old", 60 * 24 * 5)
        self.device_log(self.user_system, "203.0.113.7", "new", 30)
        self.device_log(self.user_system, "198.51.100.1", "again", 20)
        # A plain user from a new address: not sensitive.
        self.device_log(self.user_employee, "198.51.100.1", "e-old", 60 * 24 * 5)
        self.device_log(self.user_employee, "203.0.113.8", "e-new", 30)
        self.detect()
        finding = self.findings(user=self.user_system)
        self.assertIn("203.0.113.7", finding.explanation)
        self.assertNotIn("198.51.100.1", finding.explanation)
        self.assertFalse(self.findings(user=self.user_employee))
