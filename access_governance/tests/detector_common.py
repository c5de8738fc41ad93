# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import AccessGovernanceCommon

LIVE = ("open", "accepted")


class DetectorCase(AccessGovernanceCommon):
    """Helpers for the detector tests: activity signals and findings."""

    finding_type = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Finding = cls.env["access.governance.finding"]
        cls.ICP = cls.env["ir.config_parameter"]
        cls.now = fields.Datetime.now()

    def detect(self):
        return self.run_detector(self.finding_type)

    def backdate(self, users, days):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_users SET create_date = %s WHERE id = ANY(%s)",
            [self.now - timedelta(days=days), users.ids],
        )
        users.invalidate_recordset(["create_date"])

    def log_login(self, user, days_ago):
        self.env.cr.execute(
            "INSERT INTO res_users_log (create_uid, create_date, write_uid, "
            "write_date) VALUES (%s, %s, %s, %s)",
            [user.id, self.now - timedelta(days=days_ago)] * 2,
        )

    def device_log(self, user, ip, session, minutes_ago):
        self.env["res.device.log"].create(
            {
                "session_identifier": session,
                "ip_address": ip,
                "platform": "linux",
                "browser": "firefox",
                "user_id": user.id,
                "first_activity": self.now - timedelta(minutes=minutes_ago + 5),
                "last_activity": self.now - timedelta(minutes=minutes_ago),
            }
        )

    def findings(self, finding_type=None, user=None, states=LIVE):
        domain = [
            ("finding_type", "=", finding_type or self.finding_type),
            ("state", "in", states),
        ]
        if user:
            domain.append(("user_id", "=", user.id))
        return self.Finding.search(domain)

    def new_user(self, login, groups="base.group_user"):
        return mail_new_test_user(
            self.env, login=login, name=login.title(), groups=groups
        )

    def assert_rerun_changes_nothing(self):
        """A second run opens and resolves nothing and duplicates nothing."""
        live = self.findings()
        self.assertTrue(live, "the scenario must raise a finding first")
        count = self.Finding.search_count([("finding_type", "=", self.finding_type)])
        mark = self.last_audit_sequence()
        self.detect()
        self.assertEqual(
            self.Finding.search_count([("finding_type", "=", self.finding_type)]),
            count,
        )
        self.assertFalse(self.audit_since(mark, "finding_opened"))
        self.assertFalse(self.audit_since(mark, "finding_resolved"))
        self.assertEqual(self.findings(), live)
        return live

    def count_queries(self, function):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        function()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before
