# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.fields import Command
from odoo.tests import tagged

from .detector_common import DetectorCase


@tagged("post_install", "-at_install")
class TestDetectorSodConflict(DetectorCase):
    finding_type = "sod_conflict"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.env["access.governance.sod.rule"].create(
            {
                "name": "Base A vs B",
                "group_a_ids": [Command.set(cls.group_a_base.ids)],
                "group_b_ids": [Command.set(cls.group_b.ids)],
                "severity": "critical",
            }
        )

    def test_sod_through_implied_group_and_expiring_mitigation(self):
        # group_a_base only through group_a, which implies it.
        self.give_baseline(self.user_employee, self.group_a | self.group_b)
        self.give_baseline(self.user_employee2, self.group_b)
        self.detect()
        finding = self.findings(user=self.user_employee)
        self.assertEqual(len(finding), 1)
        self.assertEqual(finding.rule_id, self.rule)
        self.assertEqual(finding.severity, "critical")
        self.assertEqual(finding.revoke_group_ids, self.group_b)
        # Negative: one side only.
        self.assertFalse(self.findings(user=self.user_employee2))
        self.assert_rerun_changes_nothing()
        # A valid mitigation resolves it...
        today = fields.Date.context_today(self.Finding)
        self.env["access.governance.mitigation"].create(
            {
                "user_id": self.user_employee.id,
                "rule_id": self.rule.id,
                "control": "Monthly review",
                "approver_id": self.user_manager.id,
                "date_end": today + timedelta(days=5),
            }
        )
        self.detect()
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "mitigated")
        # ...until it expires: the conflict is open again.
        self.env.invalidate_all()
        with freeze_time(self.now + timedelta(days=10)):
            self.detect()
        reopened = self.findings(user=self.user_employee)
        self.assertEqual(reopened.state, "open")
        self.assertNotEqual(reopened, finding)

    def test_auto_resolve_when_one_side_is_revoked(self):
        self.give_baseline(self.user_employee, self.group_a | self.group_b)
        self.detect()
        finding = self.findings(user=self.user_employee)
        finding.with_user(self.user_manager).action_revoke_groups()
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "remediated")
        self.detect()
        self.assertFalse(self.findings(user=self.user_employee))

    def test_query_count_flat_in_users(self):
        """Rules and mitigations are read once; conflicts are computed for
        all users at once: as many queries for 3 conflicting users as 9."""

        def make(count, prefix):
            users = self.env["res.users"]
            for index in range(count):
                users |= self.new_user(f"{prefix}{index}")
            self.give_baseline(users, self.group_a | self.group_b)
            return users

        users = make(3, "ag_sod_small")
        first_small = self.count_queries(self.detect)
        rerun_small = self.count_queries(self.detect)
        users |= make(6, "ag_sod_large")
        first_large = self.count_queries(self.detect)
        rerun_large = self.count_queries(self.detect)
        self.assertEqual(self.findings().user_id & users, users)
        self.assertEqual(rerun_small, rerun_large)
        # A first run creates findings (and their audit entries) in batches.
        self.assertLessEqual(first_large, first_small + 5)
