# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import AccessGovernanceCommon


@tagged("post_install", "-at_install")
class TestAudits(AccessGovernanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Finding = cls.env["access.governance.finding"]
        cls.ICP = cls.env["ir.config_parameter"]
        cls.now = fields.Datetime.now()

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

    def findings(self, finding_type, user=None, states=("open", "accepted")):
        domain = [("finding_type", "=", finding_type), ("state", "in", states)]
        if user:
            domain.append(("user_id", "=", user.id))
        return self.Finding.search(domain)

    def new_user(self, login):
        return mail_new_test_user(
            self.env, login=login, name=login.title(), groups="base.group_user"
        )

    # ------------------------------------------------------------------
    def test_stale_accounts(self):
        user_91 = self.new_user("ag_stale91")
        user_89 = self.new_user("ag_stale89")
        never_old = self.new_user("ag_never_old")
        never_new = self.new_user("ag_never_new")
        self.backdate(user_91 | user_89 | never_old, 300)
        self.log_login(user_91, 91)
        self.log_login(user_89, 89)
        self.Finding._audit_stale_accounts()
        stale = self.findings("stale_account").user_id
        self.assertIn(user_91, stale)
        self.assertIn(never_old, stale)
        self.assertNotIn(user_89, stale)
        self.assertNotIn(never_new, stale)
        finding = self.findings("stale_account", user_91)
        self.assertIn("91", finding.explanation or "")
        # Device activity counts as activity: the next run resolves it.
        self.device_log(user_91, "192.0.2.1", "s91", 30)
        self.Finding._audit_stale_accounts()
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "not_seen")
        # The threshold comes from Settings.
        self.ICP.set_param("access_governance.stale_days", "80")
        self.Finding._audit_stale_accounts()
        self.assertTrue(self.findings("stale_account", user_89))

    def test_stale_auto_deactivation_after_grace(self):
        user = self.new_user("ag_stale_auto")
        self.backdate(user, 300)
        self.ICP.set_param("access_governance.stale_auto_deactivate", "True")
        self.ICP.set_param("access_governance.stale_grace_days", "10")
        self.Finding._audit_stale_accounts()
        finding = self.findings("stale_account", user)
        self.assertTrue(user.active, "Not before the grace period")
        with freeze_time(self.now + timedelta(days=11)):
            self.Finding._audit_stale_accounts()
        self.assertFalse(user.active)
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "remediated")
        offboarding = self.env["access.governance.offboarding"].search(
            [("user_id", "=", user.id)]
        )
        self.assertEqual(offboarding.state, "done")

    def test_sod_through_implied_group_and_expiring_mitigation(self):
        rule = self.env["access.governance.sod.rule"].create(
            {
                "name": "Base A vs B",
                "group_a_ids": [Command.set(self.group_a_base.ids)],
                "group_b_ids": [Command.set(self.group_b.ids)],
                "severity": "critical",
            }
        )
        # group_a_base only through group_a, which implies it.
        self.give_baseline(self.user_employee, self.group_a | self.group_b)
        self.Finding._audit_sod()
        finding = self.findings("sod_conflict", self.user_employee)
        self.assertEqual(len(finding), 1)
        self.assertEqual(finding.rule_id, rule)
        self.assertEqual(finding.severity, "critical")
        self.assertEqual(finding.revoke_group_ids, self.group_b)
        self.assertFalse(self.findings("sod_conflict", self.user_employee2))
        # A valid mitigation resolves it...
        today = fields.Date.context_today(self.Finding)
        self.env["access.governance.mitigation"].create(
            {
                "user_id": self.user_employee.id,
                "rule_id": rule.id,
                "control": "Monthly review",
                "approver_id": self.user_manager.id,
                "date_end": today + timedelta(days=5),
            }
        )
        self.Finding._audit_sod()
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "mitigated")
        # ...until it expires: the conflict is open again.
        # Each cron run starts with a fresh cache (validity depends on today).
        self.env.invalidate_all()
        with freeze_time(self.now + timedelta(days=10)):
            self.Finding._audit_sod()
        reopened = self.findings("sod_conflict", self.user_employee)
        self.assertEqual(reopened.state, "open")
        self.assertNotEqual(reopened, finding)

    def test_shared_account_two_ips_same_hour(self):
        self.device_log(self.user_employee, "198.51.100.1", "sess-1", 50)
        self.device_log(self.user_employee, "203.0.113.9", "sess-2", 20)
        # One IP, one session: not shared.
        self.device_log(self.user_employee2, "198.51.100.1", "sess-3", 50)
        self.device_log(self.user_employee2, "198.51.100.1", "sess-3", 20)
        self.Finding._audit_shared_account()
        finding = self.findings("shared_account", self.user_employee)
        self.assertEqual(len(finding), 1)
        self.assertIn("203.0.113.9", finding.explanation)
        self.assertFalse(self.findings("shared_account", self.user_employee2))
        # Far apart in time is not shared either.
        self.ICP.set_param("access_governance.shared_overlap_minutes", "0")
        self.Finding._audit_shared_account()
        self.assertEqual(finding.state, "resolved")

    def test_unused_access(self):
        self.env["ir.model.access"].create(
            {
                "name": "AG test industry",
                "model_id": self.env.ref("base.model_res_partner_industry").id,
                "group_id": self.group_c.id,
                "perm_read": True,
                "perm_write": True,
                "perm_create": True,
            }
        )
        self.give_baseline(self.user_employee | self.user_employee2, self.group_c)
        self.backdate(self.user_employee | self.user_employee2, 200)
        # employee2 works in the group's model; employee has not for 100 days.
        self.env["res.partner.industry"].with_user(self.user_employee2).create(
            {"name": "AG Industry"}
        )
        self.Finding._audit_unused_access(groups=self.group_c)
        finding = self.findings("unused_access", self.user_employee)
        self.assertEqual(finding.group_ids, self.group_c)
        self.assertEqual(finding.subject, f"group:{self.group_c.id}")
        self.assertFalse(self.findings("unused_access", self.user_employee2))
        # Revoking the group fixes it (and resolves the finding).
        finding.with_user(self.user_manager).action_revoke_groups()
        self.assertNotIn(self.group_c, self.groups_of(self.user_employee))
        self.assertEqual(finding.state, "resolved")
        self.assertEqual(finding.resolution, "remediated")

    def test_admin_without_totp_and_over_privileged(self):
        admin_2fa = mail_new_test_user(
            self.env,
            login="ag_admin_2fa",
            name="Admin 2FA",
            groups="base.group_user,base.group_system",
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_users SET totp_secret = 'AAAA' WHERE id = %s", [admin_2fa.id]
        )
        self.Finding._audit_access(["admin_without_2fa", "over_privileged"])
        no_2fa = self.findings("admin_without_2fa").user_id
        self.assertIn(self.user_system, no_2fa)
        self.assertNotIn(admin_2fa, no_2fa)
        self.assertNotIn(self.user_employee, no_2fa)
        over = self.findings("over_privileged", self.user_system)
        self.assertEqual(over.severity, "critical")
        self.assertIn(self.env.ref("base.group_system"), over.group_ids)
        # On the allowed list: resolved at the next run.
        self.ICP.set_param(
            "access_governance.allowed_admin_ids", f"{self.user_system.id}"
        )
        self.Finding._audit_access(["over_privileged"])
        self.assertEqual(over.state, "resolved")

    def test_out_of_band_change_from_group_form(self):
        self.Finding._audit_out_of_band_change()  # start from now
        # An administrator adds users on the group form, outside governance.
        self.group_a.with_user(self.user_system).write(
            {"users": [Command.link(self.user_employee.id)]}
        )
        self.group_b.with_user(self.user_system).write(
            {"users": [Command.link(self.user_employee2.id)]}
        )
        # The audit reads the sealed trail, in sequence order.
        self.seal_audit()
        self.Finding._audit_out_of_band_change()
        finding = self.findings("out_of_band_change", self.user_employee)
        self.assertEqual(finding.group_ids, self.group_a)
        self.assertEqual(finding.res_model, "access.governance.audit")
        self.assertIn(self.user_system.login, finding.explanation)
        # group_b is low risk: not an out-of-band finding.
        self.assertFalse(self.findings("out_of_band_change", self.user_employee2))
        # The same entries are not read twice.
        last_seen = finding.last_seen
        with freeze_time(self.now + timedelta(hours=1)):
            self.Finding._audit_out_of_band_change()
        self.assertEqual(finding.last_seen, last_seen)
        # Removing the group resolves it.
        self.group_a.with_user(self.user_system).write(
            {"users": [Command.unlink(self.user_employee.id)]}
        )
        self.seal_audit()
        self.Finding._audit_out_of_band_change()
        self.assertEqual(finding.state, "resolved")

    def test_unmapped_access(self):
        self.give_baseline(self.user_employee, self.group_b)
        self.Finding._audit_unmapped_access()
        finding = self.findings("unmapped_access", self.user_employee)
        self.assertIn(self.group_b, finding.group_ids)
        # A grant-like claim now justifies it: no longer unmapped.
        self.Claim._claims_start(
            self.user_employee, self.group_b, "grant", source="test,1"
        )
        self.Finding._audit_unmapped_access()
        self.assertEqual(finding.state, "resolved")

    def test_rerun_every_audit_no_duplicates(self):
        self.backdate(self.user_employee, 300)
        self.give_baseline(self.user_employee, self.group_a)
        self.device_log(self.user_employee2, "198.51.100.1", "sess-a", 50)
        self.device_log(self.user_employee2, "203.0.113.9", "sess-b", 20)

        def run_all():
            self.Finding._audit_stale_accounts()
            self.Finding._audit_sod()
            self.Finding._audit_access()

        run_all()
        live = self.Finding.search([("state", "in", ("open", "accepted"))])
        types = set(live.mapped("finding_type"))
        for expected in (
            "stale_account",
            "shared_account",
            "over_privileged",
            "admin_without_2fa",
            "unmapped_access",
        ):
            self.assertIn(expected, types)
        count = self.Finding.search_count([])
        sequence = self.last_audit_sequence()
        with freeze_time(self.now + timedelta(minutes=5)):
            run_all()
        self.assertEqual(self.Finding.search_count([]), count)
        self.assertFalse(self.audit_since(sequence, "finding_opened"))
        self.assertFalse(self.audit_since(sequence, "finding_resolved"))
        live.invalidate_recordset()
        # Every finding an audit re-examines was seen again (out-of-band
        # changes are events: each audit entry is read once).
        rechecked = live.filtered(
            lambda f: (
                f.finding_type != "out_of_band_change"
                and not f.subject.startswith("job:")
            )
        )
        self.assertTrue(rechecked)
        self.assertTrue(all(f.last_seen > f.first_seen for f in rechecked))
        # Fix one thing: exactly its finding is resolved.
        self.log_login(self.user_employee, 1)
        run_all()
        resolved = self.audit_since(sequence, "finding_resolved")
        self.assertEqual(len(resolved), 1)
        self.assertEqual(resolved.user_id, self.user_employee)
        self.assertFalse(self.findings("stale_account", self.user_employee))

    def test_cron_entry_points(self):
        for xmlid in (
            "access_governance.ir_cron_audit_stale_accounts",
            "access_governance.ir_cron_audit_sod",
            "access_governance.ir_cron_audit_access",
        ):
            cron = self.env.ref(xmlid)
            self.assertEqual(cron.model_id.model, "access.governance.finding")
            self.assertTrue(hasattr(self.Finding, cron.code.split(".")[1][:-2]))
