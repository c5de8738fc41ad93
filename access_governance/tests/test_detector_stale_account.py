# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorStaleAccount(DetectorCase):
    finding_type = "stale_account"

    def test_stale_accounts(self):
        user_91 = self.new_user("ag_stale91")
        user_89 = self.new_user("ag_stale89")
        never_old = self.new_user("ag_never_old")
        never_new = self.new_user("ag_never_new")
        self.backdate(user_91 | user_89 | never_old, 300)
        self.log_login(user_91, 91)
        self.log_login(user_89, 89)
        self.detect()
        stale = self.findings().user_id
        # Positive: no activity for 91 days, or never used an old account.
        self.assertIn(user_91, stale)
        self.assertIn(never_old, stale)
        # Negative: active 89 days ago; a new account never used.
        self.assertNotIn(user_89, stale)
        self.assertNotIn(never_new, stale)
        finding = self.findings(user=user_91)
        self.assertIn("91", finding.explanation or "")
        self.assert_rerun_changes_nothing()
        # Device activity counts as activity: the next run resolves it.
        self.device_log(user_91, "192.0.2.1", "s91", 30)
        self.detect()
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "not_seen")
        # The threshold comes from Settings.
        self.ICP.set_param("access_governance.stale_days", "80")
        self.detect()
        self.assertTrue(self.findings(user=user_89))

    def test_reviews_use_the_same_rule(self):
        """A review recommends revoking the access of exactly the users the
        detector finds stale, with the threshold of Settings."""
        Review = self.env["access.governance.review"]
        user_91 = self.new_user("ag_review91")
        user_89 = self.new_user("ag_review89")
        self.backdate(user_91 | user_89, 300)
        self.log_login(user_91, 91)
        self.log_login(user_89, 89)
        stale = Review._review_stale_users(user_91 | user_89)
        self.assertEqual(set(stale), {user_91.id})
        self.assertEqual(Review._review_recommend_user(user_91, False)[0], "revoke")
        self.assertFalse(Review._review_recommend_user(user_89, False)[0])
        self.ICP.set_param("access_governance.stale_days", "80")
        self.assertEqual(Review._review_recommend_user(user_89, False)[0], "revoke")

    def test_stale_auto_deactivation_after_grace(self):
        user = self.new_user("ag_stale_auto")
        self.backdate(user, 300)
        self.ICP.set_param("access_governance.stale_auto_deactivate", "True")
        self.ICP.set_param("access_governance.stale_grace_days", "10")
        self.detect()
        finding = self.findings(user=user)
        self.assertTrue(user.active, "Not before the grace period")
        with freeze_time(self.now + timedelta(days=11)):
            self.detect()
        self.assertFalse(user.active)
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "remediated")
        offboarding = self.env["access.governance.offboarding"].search(
            [("user_id", "=", user.id)]
        )
        self.assertEqual(offboarding.state, "done")
