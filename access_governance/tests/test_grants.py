# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import Form, tagged

from .common import AccessGovernanceCommon

GRANT_LOGGER = "odoo.addons.access_governance.models.access_governance_grant"
T0 = datetime(2025, 8, 4, 9, 0, 0)


class GrantCommon(AccessGovernanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Grant = cls.env["access.governance.grant"]
        cls.Profile = cls.env["access.governance.profile"]
        # group_a ("Accounting Manager"-like, high risk, implies group_a_base);
        # group_b / group_c: low-risk; group_b requestable.
        cls.group_b.governance_requestable = True
        cls.profile_close = cls.Profile.create(
            {
                "name": "Accounting Manager for closing",
                "group_ids": [Command.set(cls.group_a.ids)],
                "default_duration_hours": 48,
                "max_duration_hours": 72,
                "approver_user_ids": [Command.set(cls.user_manager.ids)],
            }
        )
        cls.profile_settings = cls.Profile.create(
            {
                "name": "Settings for the consultant",
                "group_ids": [Command.set(cls.group_c.ids)],
                "risk": "critical",
                "default_duration_hours": 1,
                "max_duration_hours": 1,
                "approvals_required": 2,
                "approver_user_ids": [
                    Command.set((cls.user_manager | cls.user_admin_gov).ids)
                ],
            }
        )

    def request(self, user, beneficiary=None, **vals):
        vals.setdefault("reason", "Closing the books")
        vals["beneficiary_id"] = (beneficiary or user).id
        return self.Grant.with_user(user).create(vals)

    def approval_activities(self, grant):
        activity_type = self.env.ref(
            "access_governance.mail_activity_type_grant_approval"
        )
        return grant.sudo().activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type
        )

    @contextmanager
    def assertRefused(self, exception, message):
        """assertRaises (which rolls back to a savepoint, unlike
        assertRaisesRegex) plus a check of the message in plain words."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertIn(message, str(caught.exception))

    def holds(self, user, group):
        user.invalidate_recordset(["groups_id"])
        return group in user.groups_id


@tagged("post_install", "-at_install")
class TestProfiles(GrantCommon):
    def test_risk_defaults_to_highest_group_and_cannot_be_lowered(self):
        self.assertEqual(self.profile_close.risk, "high")
        self.profile_close.risk = "critical"
        self.assertEqual(self.profile_close.risk, "critical")
        with self.assertRefused(ValidationError, "cannot be lower"):
            self.profile_close.risk = "low"

    def test_validation_messages(self):
        with self.assertRefused(
            ValidationError, "Auto-approve is only allowed for low-risk profiles"
        ):
            self.profile_close.auto_approve = True
        with self.assertRefused(ValidationError, "Maximum duration must be positive"):
            self.profile_close.max_duration_hours = -1
        with self.assertRefused(ValidationError, "At least one approval"):
            self.profile_close.approvals_required = 0
        with self.assertRaises(ValidationError) as caught:
            self.Profile.create(
                {"name": "Tech", "group_ids": [Command.set(self.group_tech.ids)]}
            )
        self.assertIn("Only governed groups", str(caught.exception))

    def test_durations_in_days_and_hours(self):
        self.assertEqual(self.profile_close.default_duration_display, "2 days")
        self.assertEqual(self.profile_close.max_duration_display, "3 days")
        self.profile_close.default_duration_hours = 28
        self.assertEqual(self.profile_close.default_duration_display, "1 day 4 hours")
        self.assertEqual(self.profile_settings.max_duration_display, "1 hour")
        self.profile_settings.default_duration_hours = 0.5
        self.assertEqual(self.profile_settings.default_duration_display, "30 minutes")

    def test_profiles_readable_by_employees_not_writable(self):
        profile = self.profile_close.with_user(self.user_employee)
        self.assertEqual(profile.name, "Accounting Manager for closing")
        with self.assertRaises(AccessError):
            profile.write({"approvals_required": 1})


@tagged("post_install", "-at_install")
class TestGrantFlow(GrantCommon):
    def test_accountant_two_day_elevation(self):
        with freeze_time(T0):
            grant = self.request(self.user_employee, profile_id=self.profile_close.id)
            self.assertEqual(grant.date_end, T0 + timedelta(hours=48))
            self.assertTrue(grant.name.startswith("GR/"))
            grant.action_submit()
            self.assertEqual(grant.state, "submitted")
            self.assertEqual(grant.approver_ids, self.user_manager)
            activity = self.approval_activities(grant)
            self.assertEqual(activity.user_id, self.user_manager)
            # The approver sees it among their pending approvals.
            pending = self.Grant.with_user(self.user_manager).search(
                [("pending_approver_ids", "in", self.user_manager.ids)]
            )
            self.assertEqual(pending, grant)
            grant.with_user(self.user_manager).action_approve()
            self.assertEqual(grant.state, "active", "start passed: active at once")
            self.assertTrue(self.holds(self.user_employee, self.group_a))
            self.assertTrue(self.holds(self.user_employee, self.group_a_base))
            self.assertEqual(grant.added_group_ids, self.group_a)
            self.assertFalse(self.approval_activities(grant))
            claim = self.active_claims(self.user_employee, self.group_a)
            self.assertEqual(claim.kind, "grant")
            self.assertEqual(claim.source_ref, f"{grant._name},{grant.id}")
        with freeze_time(T0 + timedelta(hours=47)):
            self.Grant._cron_process_grants()
            self.assertEqual(grant.state, "active")
        with freeze_time(T0 + timedelta(hours=48, minutes=1)):
            self.Grant._cron_process_grants()
            self.assertEqual(grant.state, "expired")
            self.assertFalse(self.holds(self.user_employee, self.group_a))
            self.assertFalse(self.holds(self.user_employee, self.group_a_base))
        events = self.Audit.search(
            [("res_model", "=", grant._name), ("res_id", "=", grant.id)]
        )
        self.assertEqual(
            set(events.mapped("event")),
            {
                "grant_submitted",
                "grant_approval",
                "grant_approved",
                "grant_activated",
                "grant_expired",
            },
        )

    def test_request_through_the_form_as_employee(self):
        """The form an employee sees: defaults, profile duration, submit."""
        with freeze_time(T0):
            with Form(self.Grant.with_user(self.user_employee)) as form:
                self.assertEqual(form.beneficiary_id, self.user_employee)
                form.profile_id = self.profile_close
                form.reason = "Closing the books"
                self.assertEqual(form.date_end, T0 + timedelta(hours=48))
            grant = form.record
            self.assertEqual(grant.requester_id, self.user_employee)
            self.assertEqual(grant.state, "draft")
            grant.action_submit()
            self.assertEqual(grant.state, "submitted")
            form = Form(grant.with_user(self.user_manager))
            self.assertTrue(form.can_decide)
            self.assertFalse(Form(grant.with_user(self.user_employee)).can_decide)

    def test_duration_capped_by_profile(self):
        with self.assertRefused(ValidationError, "at most 3 days"):
            self.request(
                self.user_employee,
                profile_id=self.profile_close.id,
                date_end=datetime.now() + timedelta(days=5),
            )

    def test_consultant_one_hour_settings_expires_on_time(self):
        consultant = self.user_employee2
        with freeze_time(T0):
            grant = self.request(
                self.user_manager,
                beneficiary=consultant,
                profile_id=self.profile_settings.id,
            )
            # The requester is excluded: only the admin may approve, yet two
            # approvals are required.
            with self.assertRefused(UserError, "needs 2 distinct approvals"):
                grant.with_user(self.user_manager).action_submit()
        self.assertEqual(grant.state, "draft")
        self.profile_settings.approver_user_ids |= self.user_system
        with freeze_time(T0):
            grant.with_user(self.user_manager).action_submit()
            self.assertEqual(grant.approver_ids, self.user_admin_gov | self.user_system)
            grant.with_user(self.user_admin_gov).action_approve()
            grant.with_user(self.user_admin_gov).action_approve()
            self.assertEqual(grant.state, "submitted", "approving twice counts once")
            self.assertEqual(grant.approval_count, 1)
            grant.with_user(self.user_system).action_approve()
            self.assertEqual(grant.state, "active")
            self.assertTrue(self.holds(consultant, self.group_c))
        with freeze_time(T0 + timedelta(minutes=50)):
            self.Grant._cron_process_grants()
            self.Grant._cron_process_grants()
            reminders = grant.sudo().activity_ids.filtered(
                lambda a: a.user_id == consultant
            )
            self.assertEqual(len(reminders), 1, "one reminder before the end")
            self.assertTrue(grant.reminder_sent)
        with freeze_time(T0 + timedelta(minutes=59)):
            self.Grant._cron_process_grants()
            self.assertTrue(self.holds(consultant, self.group_c))
        with freeze_time(T0 + timedelta(minutes=61)):
            self.Grant._cron_process_grants()
            self.assertEqual(grant.state, "expired")
            self.assertFalse(self.holds(consultant, self.group_c))

    def test_self_and_requester_approval_refused(self):
        self.profile_close.approver_user_ids |= self.user_admin_gov
        self.profile_close.approvals_required = 1
        # The governance admin asks for themselves: even their rights do not
        # let them approve.
        grant = self.request(self.user_admin_gov, profile_id=self.profile_close.id)
        grant.action_submit()
        self.assertNotIn(self.user_admin_gov, grant.approver_ids)
        with self.assertRefused(UserError, "your own access"):
            grant.with_user(self.user_admin_gov).action_approve()
        with self.assertRefused(UserError, "your own access"):
            grant.with_user(self.user_admin_gov).action_reject("No")
        # A manager requests for an employee: the manager cannot approve.
        grant2 = self.request(
            self.user_manager,
            beneficiary=self.user_employee,
            profile_id=self.profile_close.id,
        )
        grant2.with_user(self.user_manager).action_submit()
        with self.assertRefused(UserError, "someone else must approve"):
            grant2.with_user(self.user_manager).action_approve()
        with self.assertRefused(UserError, "your own access"):
            grant2.with_user(self.user_employee).action_approve()
        self.assertEqual(grant2.state, "submitted")
        self.assertFalse(grant2.approval_ids)

    def test_malicious_user_cannot_approve_or_forge_state(self):
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        grant.action_submit()
        intruder = self.user_employee2
        with self.assertRaises(AccessError):
            self.Grant.with_user(intruder).browse(grant.id).action_approve()
        # Visible through an approver rule elsewhere does not help either.
        grant2 = self.request(intruder, profile_id=self.profile_close.id)
        with self.assertRaises(AccessError):
            grant2.write({"state": "approved"})
        with self.assertRaises(AccessError):
            grant2.write({"requester_id": self.user_manager.id})
        with self.assertRaises(AccessError):
            self.Grant.with_user(intruder).create(
                {
                    "beneficiary_id": intruder.id,
                    "profile_id": self.profile_close.id,
                    "reason": "x",
                    "state": "active",
                }
            )
        with self.assertRaises(AccessError):
            self.env["access.governance.approval"].with_user(intruder).create(
                {
                    "grant_id": grant.id,
                    "approver_id": intruder.id,
                    "decision": "approve",
                }
            )
        with self.assertRaises(AccessError):
            self.request(
                intruder,
                beneficiary=self.user_employee,
                requested_group_ids=[Command.set(self.group_b.ids)],
            )
        self.assertEqual(grant.state, "submitted")
        self.assertFalse(grant.approval_ids)
        self.assertFalse(self.holds(self.user_employee, self.group_a))

    def test_plain_users_as_approvers(self):
        """Approvers without any governance right: each sees only their own
        decision, yet the count includes both."""
        self.profile_close.write(
            {
                "approver_user_ids": [
                    Command.set((self.user_employee2 | self.user_auditor).ids)
                ],
                "approvals_required": 2,
            }
        )
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        grant.action_submit()
        grant.with_user(self.user_auditor).action_approve()
        self.assertEqual(grant.state, "submitted")
        as_plain = grant.with_user(self.user_employee2)
        self.assertTrue(as_plain.can_decide)
        as_plain.action_approve()
        self.assertEqual(grant.state, "active")
        self.assertTrue(self.holds(self.user_employee, self.group_a))
        self.assertEqual(as_plain.approval_count, 2)
        # A plain-user reviewer can also reject a later request.
        grant2 = self.request(self.user_employee, profile_id=self.profile_close.id)
        grant2.action_submit()
        grant2.with_user(self.user_employee2).action_reject("Not needed")
        self.assertEqual(grant2.state, "rejected")

    def test_rejection_by_one_rejects(self):
        self.profile_close.write(
            {
                "approver_user_ids": [Command.link(self.user_admin_gov.id)],
                "approvals_required": 2,
            }
        )
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        grant.action_submit()
        grant.with_user(self.user_manager).action_approve()
        grant.with_user(self.user_admin_gov).action_reject("Too broad")
        self.assertEqual(grant.state, "rejected")
        self.assertFalse(self.approval_activities(grant))
        self.assertFalse(self.holds(self.user_employee, self.group_a))

    def test_standard_request_approved_by_policy(self):
        grant = self.request(
            self.user_employee, requested_group_ids=[Command.set(self.group_b.ids)]
        )
        grant.action_submit()
        self.assertEqual(grant.state, "active")
        self.assertTrue(grant.policy_approved)
        self.assertTrue(self.holds(self.user_employee, self.group_b))
        self.assertTrue(
            self.Audit.search_count(
                [("event", "=", "grant_policy_approved"), ("res_id", "=", grant.id)]
            )
        )
        # Not requestable and not low risk: employees must use a profile.
        grant2 = self.request(
            self.user_employee, requested_group_ids=[Command.set(self.group_c.ids)]
        )
        with self.assertRefused(UserError, "cannot be requested directly"):
            grant2.action_submit()

    def test_two_overlapping_grants_of_the_same_group(self):
        with freeze_time(T0):
            first = self.request(
                self.user_employee,
                requested_group_ids=[Command.set(self.group_b.ids)],
                date_end=T0 + timedelta(hours=2),
            )
            second = self.request(
                self.user_employee,
                requested_group_ids=[Command.set(self.group_b.ids)],
                date_end=T0 + timedelta(hours=4),
            )
            (first | second).action_submit()
            self.assertEqual(first.added_group_ids, self.group_b)
            self.assertFalse(second.added_group_ids, "already held through the first")
        with freeze_time(T0 + timedelta(hours=3)):
            self.Grant._cron_process_grants()
            self.assertEqual(first.state, "expired")
            self.assertTrue(self.holds(self.user_employee, self.group_b))
        with freeze_time(T0 + timedelta(hours=5)):
            self.Grant._cron_process_grants()
            self.assertEqual(second.state, "expired")
            self.assertFalse(self.holds(self.user_employee, self.group_b))

    def test_grant_on_a_group_already_held(self):
        self.user_employee.write({"groups_id": [Command.link(self.group_a.id)]})
        with freeze_time(T0):
            grant = self.request(self.user_employee, profile_id=self.profile_close.id)
            grant.action_submit()
            grant.with_user(self.user_manager).action_approve()
            self.assertEqual(grant.state, "active")
            self.assertFalse(grant.added_group_ids)
        with freeze_time(T0 + timedelta(days=3)):
            self.Grant._cron_process_grants()
            self.assertEqual(grant.state, "expired")
            self.assertTrue(self.holds(self.user_employee, self.group_a))
            self.assertEqual(
                self.active_claims(self.user_employee, self.group_a).kind, "baseline"
            )

    def test_future_start_waits_for_cron_then_extend(self):
        with freeze_time(T0):
            grant = self.request(
                self.user_employee,
                profile_id=self.profile_close.id,
                date_start=T0 + timedelta(days=1),
            )
            grant.action_submit()
            grant.with_user(self.user_manager).action_approve()
            self.assertEqual(grant.state, "approved")
            self.assertFalse(self.holds(self.user_employee, self.group_a))
        with freeze_time(T0 + timedelta(days=1, minutes=5)):
            self.Grant._cron_process_grants()
            self.assertEqual(grant.state, "active")
            action = grant.with_user(self.user_employee).action_extend()
            extension = self.Grant.browse(action["res_id"])
            self.assertEqual(extension.extended_from_id, grant)
            self.assertEqual(extension.date_start, grant.date_end)
            extension.with_user(self.user_employee).action_submit()
            self.assertEqual(
                extension.state, "submitted", "extension is approved again"
            )
            extension.with_user(self.user_manager).action_approve()
            self.assertEqual(extension.state, "approved")
        with freeze_time(T0 + timedelta(days=3, minutes=5)):
            self.Grant._cron_process_grants()
            self.assertEqual(grant.state, "expired")
            self.assertEqual(extension.state, "active")
            self.assertTrue(self.holds(self.user_employee, self.group_a))

    def test_revoke_by_manager_with_reason(self):
        grant = self.request(
            self.user_employee, requested_group_ids=[Command.set(self.group_b.ids)]
        )
        grant.action_submit()
        with self.assertRaises(AccessError):
            grant.with_user(self.user_employee).action_revoke()
        with self.assertRaises(AccessError):
            grant.with_user(self.user_employee).write({"revoke_reason": "nah"})
        as_manager = grant.with_user(self.user_manager)
        # Without a reason, Revoke opens the dialog asking it (required).
        action = as_manager.action_revoke()
        self.assertEqual(action["res_model"], "access.governance.grant.reason")
        self.assertEqual(grant.state, "active", "approved by policy, not revoked")
        dialog = Form(
            self.env[action["res_model"]]
            .with_user(self.user_manager)
            .with_context(**action["context"])
        )
        dialog.reason = "Left the project"
        dialog.save().action_confirm()
        self.assertEqual(grant.state, "revoked")
        self.assertEqual(grant.revoke_reason, "Left the project")
        self.assertEqual(grant.revoke_source, "manager")
        self.assertEqual(grant.revoked_by_id, self.user_manager)
        self.assertFalse(self.holds(self.user_employee, self.group_b))
        with self.assertRefused(AccessError, "evidence cannot be deleted"):
            grant.with_user(self.user_admin_gov).unlink()

    def test_record_rules(self):
        grant = self.request(self.user_employee, profile_id=self.profile_close.id)
        grant.action_submit()
        other = self.request(
            self.user_employee2, requested_group_ids=[Command.set(self.group_b.ids)]
        )
        Grant = self.Grant.with_user
        self.assertEqual(
            Grant(self.user_employee).search([("id", "in", (grant | other).ids)]), grant
        )
        self.assertEqual(
            Grant(self.user_manager).search([("id", "in", (grant | other).ids)]),
            grant | other,
        )
        self.assertEqual(
            Grant(self.user_auditor).search([("id", "in", (grant | other).ids)]),
            grant | other,
        )
        with self.assertRaises(AccessError):
            other.with_user(self.user_employee).read(["reason"])
        with self.assertRaises(AccessError):
            other.with_user(self.user_auditor).write({"reason": "x"})

    def test_who_had_elevated_access_in_q3(self):
        with freeze_time(datetime(2025, 8, 1, 8, 0)):
            grant = self.request(
                self.user_employee,
                profile_id=self.profile_close.id,
                reason="Closing July",
            )
            grant.action_submit()
            grant.with_user(self.user_manager).action_approve()
        with freeze_time(datetime(2025, 8, 3, 9, 0)):
            self.Grant._cron_process_grants()
        with freeze_time(datetime(2025, 11, 1, 8, 0)):
            q3 = self.Grant.with_user(self.user_auditor).search(
                [
                    ("risk", "in", ("high", "critical")),
                    ("date_activated", "<=", "2025-09-30 23:59:59"),
                    "|",
                    ("date_ended", "=", False),
                    ("date_ended", ">=", "2025-07-01 00:00:00"),
                ]
            )
        self.assertEqual(q3, grant)
        self.assertEqual(q3.reason, "Closing July")
        self.assertEqual(q3.approval_ids.approver_id, self.user_manager)


@tagged("post_install", "-at_install")
class TestGrantCron(GrantCommon):
    def test_cron_failure_on_one_grant_of_a_batch(self):
        with freeze_time(T0):
            grants = self.Grant
            users = self.user_employee | self.user_employee2 | self.user_auditor
            users |= self.user_manager | self.user_admin_gov
            for user in users:
                grants |= self.request(
                    user,
                    requested_group_ids=[Command.set(self.group_b.ids)],
                    date_start=T0 + timedelta(hours=1),
                    date_end=T0 + timedelta(hours=5),
                )
            grants.action_submit()
            self.assertEqual(set(grants.mapped("state")), {"approved"})
        bad = grants[2]
        Model = type(self.Grant)
        original = Model._grant_activate

        def flaky(records):
            if bad in records:
                raise RuntimeError("simulated failure")
            return original(records)

        with freeze_time(T0 + timedelta(hours=1, minutes=2)):
            with (
                patch.object(Model, "_grant_activate", flaky),
                self.assertLogs(GRANT_LOGGER, level="ERROR") as logs,
            ):
                result = self.Grant._cron_process_grants(batch_size=2)
            self.assertEqual(result, {"done": 4, "failed": 1})
            self.assertIn(f"grant #{bad.id}", logs.output[0])
            self.assertEqual(bad.state, "approved")
            self.assertFalse(self.holds(bad.beneficiary_id, self.group_b))
            others = grants - bad
            self.assertEqual(set(others.mapped("state")), {"active"})
            for grant in others:
                self.assertTrue(self.holds(grant.beneficiary_id, self.group_b))
            claims = self.Claim.sudo().search_count([("kind", "=", "grant")])
            audits = self.Audit.search_count([])
            # A second run changes nothing for the grants already active.
            with (
                patch.object(Model, "_grant_activate", flaky),
                self.assertLogs(GRANT_LOGGER, level="ERROR"),
            ):
                result = self.Grant._cron_process_grants()
            self.assertEqual(result, {"done": 0, "failed": 1})
            self.assertEqual(
                self.Claim.sudo().search_count([("kind", "=", "grant")]), claims
            )
            self.assertEqual(self.Audit.search_count([]), audits)
            # Fixed: the next run activates the last one.
            self.Grant._cron_process_grants()
            self.assertEqual(bad.state, "active")
            self.assertTrue(self.holds(bad.beneficiary_id, self.group_b))

    def test_cron_batch_is_one_engine_pass_and_notifies_in_batch(self):
        with freeze_time(T0):
            grants = self.Grant
            users = self.user_employee | self.user_employee2 | self.user_auditor
            for user in users:
                grants |= self.request(
                    user,
                    requested_group_ids=[Command.set(self.group_b.ids)],
                    date_start=T0 + timedelta(hours=1),
                    date_end=T0 + timedelta(hours=5),
                )
            grants.action_submit()
        Claim = type(self.Claim)
        original = Claim._claims_apply
        calls = []

        def counting(records, *args, **kwargs):
            calls.append(1)
            return original(records, *args, **kwargs)

        with (
            freeze_time(T0 + timedelta(hours=1, minutes=2)),
            patch.object(Claim, "_claims_apply", counting),
        ):
            result = self.Grant._cron_process_grants()
        self.assertEqual(result, {"done": 3, "failed": 0})
        self.assertEqual(len(calls), 1, "one claims-engine pass for the batch")
        self.assertEqual(set(grants.mapped("state")), {"active"})
        for grant in grants:
            self.assertEqual(grant.claim_ids.grant_id, grant)
            partner = grant.beneficiary_id.partner_id
            told = grant.sudo().message_ids.notification_ids.filtered(
                lambda n, p=partner: n.res_partner_id == p
            )
            self.assertTrue(told, "the beneficiary is told")
        calls.clear()
        with (
            freeze_time(T0 + timedelta(hours=5, minutes=2)),
            patch.object(Claim, "_claims_apply", counting),
        ):
            result = self.Grant._cron_process_grants()
        self.assertEqual(len(calls), 1, "one claims-engine pass for the expiry")
        self.assertEqual(set(grants.mapped("state")), {"expired"})
        for user in users:
            self.assertFalse(self.holds(user, self.group_b))

    def test_cron_is_registered_every_five_minutes(self):
        cron = self.env.ref("access_governance.ir_cron_process_grants")
        self.assertEqual((cron.interval_number, cron.interval_type), (5, "minutes"))


@tagged("post_install", "-at_install")
class TestBreakGlass(GrantCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile_fire = cls.Profile.create(
            {
                "name": "Emergency settings",
                "group_ids": [Command.set(cls.group_a.ids)],
                "break_glass": True,
                "default_duration_hours": 2,
                "max_duration_hours": 4,
                "approver_user_ids": [Command.set(cls.user_manager.ids)],
            }
        )

    def test_break_glass_self_activation_review_and_window(self):
        now = self.env.cr.now()
        with freeze_time(now - timedelta(hours=1)):
            grant = self.request(
                self.user_employee, profile_id=self.profile_fire.id, reason=""
            )
            with self.assertRefused(UserError, "Activate Now"):
                grant.action_submit()
            with self.assertRefused(UserError, "reason is mandatory"):
                grant.with_user(self.user_employee).action_break_glass()
            grant.with_user(self.user_employee).reason = "Production down"
            with self.assertRefused(UserError, "Only the beneficiary"):
                grant.with_user(self.user_manager).action_break_glass()
            grant.with_user(self.user_employee).action_break_glass()
            self.assertEqual(grant.state, "active")
            self.assertTrue(grant.review_required)
            self.assertTrue(self.holds(self.user_employee, self.group_a))
        # What the beneficiary did during the window.
        partner = (
            self.env["res.partner"]
            .with_user(self.user_employee)
            .sudo()
            .create({"name": "Firefighter Fixture Partner"})
        )
        self.assertEqual(partner.create_uid, self.user_employee)
        with freeze_time(now + timedelta(minutes=30)):
            grant.invalidate_recordset(["window_activity_html"])
            html = grant.with_user(self.user_manager).window_activity_html
            self.assertIn("Firefighter Fixture Partner", html)
            with self.assertRefused(UserError, "your own break-glass"):
                grant.with_user(self.user_employee).action_sign_off()
            with self.assertRaises(AccessError):
                grant.with_user(self.user_employee2).action_sign_off()
            awaiting = self.Grant.with_user(self.user_manager).search(
                [("review_required", "=", True), ("id", "=", grant.id)]
            )
            self.assertEqual(awaiting, grant)
            grant.with_user(self.user_manager).action_sign_off()
            self.assertFalse(grant.review_required)
            self.assertEqual(grant.reviewed_by_id, self.user_manager)
        with freeze_time(now + timedelta(hours=4)):
            self.Grant._cron_process_grants()
            self.assertEqual(grant.state, "expired")
            self.assertFalse(self.holds(self.user_employee, self.group_a))
