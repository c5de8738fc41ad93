# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorApikey(DetectorCase, HttpCase):
    """HttpCase: the use of a key is written on a separate cursor, which
    only the test mode of the registry keeps inside the test."""

    finding_type = "apikey"

    def new_key(self, user, name="Integration"):
        Keys = self.env["res.users.apikeys"].with_user(user).sudo()
        secret = Keys._generate(None, name, None)
        key = Keys.search([("user_id", "=", user.id), ("name", "=", name)])
        return secret, key.sudo(False)

    def use(self, secret):
        Keys = self.env["res.users.apikeys"]
        return Keys._check_credentials(scope="rpc", key=secret)

    def backdate_key(self, key, days, last_used_days=None):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET create_date = %s, "
            "governance_last_used = %s WHERE id = %s",
            [
                self.now - timedelta(days=days),
                last_used_days is not None
                and self.now - timedelta(days=last_used_days)
                or None,
                key.id,
            ],
        )
        self.env.invalidate_all()

    def test_last_use_recorded_once_per_hour(self):
        secret, key = self.new_key(self.user_employee)
        self.assertFalse(key.governance_last_used)
        self.assertEqual(self.use(secret), self.user_employee.id)
        key.invalidate_recordset()
        first = key.governance_last_used
        self.assertTrue(first)
        # Within the hour: one read, no write.
        with freeze_time(self.now + timedelta(minutes=30)):
            queries = self.count_queries(lambda: self.use(secret))
            key.invalidate_recordset()
            self.assertEqual(key.governance_last_used, first)
        with freeze_time(self.now + timedelta(hours=2)):
            self.use(secret)
            key.invalidate_recordset()
            self.assertGreater(key.governance_last_used, first)
        # The key check itself and our one indexed read.
        self.assertLessEqual(queries, 2)
        # A wrong key records nothing.
        self.assertFalse(self.use(secret[:-1] + ("x" if secret[-1] != "x" else "y")))

    def test_key_use_is_activity_for_stale_accounts(self):
        user = self.new_user("ag_stale_key")
        self.backdate(user, 300)
        self.log_login(user, 200)
        self.run_detector("stale_account")
        finding = self.findings("stale_account", user)
        self.assertTrue(finding)
        secret, _key = self.new_key(user)
        self.assertEqual(self.use(secret), user.id)
        self.run_detector("stale_account")
        self.assertEqual(finding.state, "resolved")

    def test_unused_old_and_shared_keys(self):
        _secret, unused = self.new_key(self.user_employee, "Unused")
        secret_fresh, fresh = self.new_key(self.user_employee2, "Fresh")
        self.backdate_key(unused, 200, last_used_days=120)
        self.use(secret_fresh)
        self.detect()
        finding = self.findings(user=self.user_employee)
        self.assertEqual(finding.subject, f"key:{unused.id}")
        self.assertIn("unused for more than 90 days", finding.explanation)
        self.assertEqual(finding.res_model, "res.users.apikeys")
        # Negative: a key in use, younger than the rotation period.
        self.assertFalse(self.findings(user=self.user_employee2))
        self.assert_rerun_changes_nothing()
        # Older than the rotation period, and used from many addresses.
        self.backdate_key(fresh, 400, last_used_days=0)
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET governance_ips = %s WHERE id = %s",
            ["192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4", fresh.id],
        )
        self.detect()
        shared = self.findings(user=self.user_employee2)
        self.assertEqual(shared.severity, "high")
        self.assertIn("older than 365 days", shared.explanation)
        self.assertIn("4 addresses", shared.explanation)
        # Used again: the unused key's finding resolves.
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET governance_last_used = %s WHERE id = %s",
            [self.now, unused.id],
        )
        self.detect()
        self.assertEqual(finding.state, "resolved")
