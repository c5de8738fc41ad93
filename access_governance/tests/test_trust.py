# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Trust: four-eyes policy changes, effective risk, immutable evidence, the
last Settings administrator and nobody acting on themselves."""

import json
from contextlib import contextmanager
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import AccessGovernanceCommon


class TrustCommon(AccessGovernanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Role = cls.env["access.governance.role"]
        cls.Assignment = cls.env["access.governance.role.assignment"]
        cls.Profile = cls.env["access.governance.profile"]
        cls.Change = cls.env["access.governance.policy.change"]
        cls.group_system = cls.env.ref("base.group_system")
        cls.admin = cls.env.ref("base.user_admin")
        # A second governance administrator to approve what Ada proposes.
        cls.user_admin_gov2 = mail_new_test_user(
            cls.env,
            login="ag_admin2",
            name="Abe Administrator",
            groups="base.group_user,access_governance.group_governance_admin",
        )
        cls.job_it = cls.env["hr.job"].create({"name": "AG IT"})
        cls.job_sales = cls.env["hr.job"].create({"name": "AG Sales"})
        Employee = cls.env["hr.employee"]
        cls.emp_ada = Employee.create(
            {"name": "Ada", "user_id": cls.user_admin_gov.id, "job_id": cls.job_it.id}
        )
        cls.emp_emma = Employee.create(
            {
                "name": "Emma",
                "user_id": cls.user_employee.id,
                "job_id": cls.job_sales.id,
            }
        )
        cls.role_sales = cls.Role.create(
            {
                "name": "AG Sales",
                "code": "AG_TRUST_SALES",
                "group_ids": [Command.set(cls.group_b.ids)],
                "job_ids": [Command.set(cls.job_sales.ids)],
            }
        )
        cls.role_it = cls.Role.create(
            {
                "name": "AG IT Admin",
                "code": "AG_TRUST_IT",
                "group_ids": [Command.set(cls.group_system.ids)],
            }
        )

    @contextmanager
    def assertRefused(self, exception, text):
        # assertRaises rolls back to a savepoint: nothing half applied.
        with self.assertRaises(exception) as catcher:
            yield
        self.assertIn(text, str(catcher.exception))


@tagged("post_install", "-at_install", "access_rights")
class TestEffectiveRisk(TrustCommon):
    def test_group_implying_settings_is_critical_whatever_its_flag(self):
        wrapper = self.env["res.groups"].create(
            {
                "name": "AG Innocent Looking",
                "governance_risk": "low",
                "implied_ids": [Command.link(self.group_system.id)],
            }
        )
        self.assertEqual(wrapper.governance_risk, "low")
        self.assertEqual(wrapper.governance_effective_risk, "critical")
        self.assertEqual(wrapper._governance_effective_risk(), "critical")
        self.assertTrue(wrapper._governance_implies_admin())
        # Settings itself, whatever its flag says.
        self.group_system.sudo().governance_risk = "low"
        self.assertEqual(self.group_system._governance_effective_risk(), "critical")
        # The implied closure counts: A implies A Base (raised to high).
        self.group_a_base.governance_risk = "high"
        self.group_a.governance_risk = "low"
        self.assertEqual(self.group_a._governance_effective_risk(), "high")
        self.assertEqual(self.env["res.groups"]._governance_effective_risk(), "low")
        self.assertFalse(self.group_b._governance_implies_admin())

    def test_role_and_profile_risk_use_the_closure(self):
        self.assertEqual(self.role_it.risk, "critical")
        wrapper = self.env["res.groups"].create(
            {"name": "AG Wrapper", "implied_ids": [Command.link(self.group_system.id)]}
        )
        profile = self.Profile.create({"name": "AG Wrap", "group_ids": [wrapper.id]})
        self.assertEqual(profile.groups_risk, "critical")
        self.assertEqual(profile.risk, "critical")
        # So it can never be approved by policy.
        with self.assertRefused(UserError, "low-risk"):
            profile.write({"auto_approve": True})


@tagged("post_install", "-at_install", "access_rights")
class TestFourEyes(TrustCommon):
    def test_role_groups_for_holders_wait_for_a_second_admin(self):
        role = self.role_sales
        self.assertIn(self.group_b, self.groups_of(self.user_employee))
        mark = self.last_audit_sequence()
        role.with_user(self.user_admin_gov).write(
            {"group_ids": [Command.link(self.group_c.id)], "description": "Sells"}
        )
        # The harmless part applies at once, the rest waits.
        self.assertEqual(role.description, "Sells")
        self.assertNotIn(self.group_c, role.group_ids)
        self.assertNotIn(self.group_c, self.groups_of(self.user_employee))
        change = self.pending_changes(role)
        self.assertEqual(len(change), 1)
        self.assertEqual(change.proposer_id, self.user_admin_gov)
        self.assertIn(self.user_employee, change.excluded_user_ids, "a holder")
        self.assertIn("+ AG Test C", change.summary)
        self.assertEqual(role.governance_pending_change_count, 1)
        # Its own activity for the other governance administrators.
        self.assertIn(self.user_admin_gov2, change.activity_ids.user_id)
        self.assertNotIn(self.user_admin_gov, change.activity_ids.user_id)
        role.invalidate_recordset(["message_ids"])
        self.assertIn("waits for the approval", role.message_ids[0].body)
        # Nobody approves their own proposal; nor can managers.
        with self.assertRefused(AccessError, "another administrator"):
            change.with_user(self.user_admin_gov).action_approve()
        with self.assertRefused(AccessError, "administrators"):
            change.with_user(self.user_manager).action_approve()
        self.assertFalse(change.with_user(self.user_admin_gov).can_decide)
        self.assertTrue(change.with_user(self.user_admin_gov2).can_decide)

        change.with_user(self.user_admin_gov2).action_approve()
        self.assertEqual(change.state, "applied")
        self.assertEqual(change.approver_id, self.user_admin_gov2)
        self.assertIn(self.group_c, role.group_ids)
        self.assertIn(self.group_c, self.groups_of(self.user_employee))
        self.assertFalse(change.activity_ids)
        events = self.audit_since(mark).mapped("event")
        for event in (
            "policy_change_proposed",
            "policy_change_approved",
            "policy_change_applied",
        ):
            self.assertIn(event, events)
        entry = self.audit_since(mark, event="policy_change_applied")
        self.assertEqual(entry.actor_id, self.user_admin_gov2)
        details = json.loads(entry.details)
        self.assertEqual(details["before"]["group_ids"], [self.group_b.id])
        # Applied changes are evidence.
        with self.assertRaises(AccessError):
            change.with_user(self.user_system).write({"decision_note": "late"})
        with self.assertRaises(AccessError):
            change.sudo().unlink()

    def test_reject_and_stale_change(self):
        role = self.role_sales
        role.with_user(self.user_admin_gov).write(
            {"group_ids": [Command.link(self.group_c.id)]}
        )
        first = self.pending_changes(role)
        mark = self.last_audit_sequence()
        first.with_user(self.user_admin_gov2).action_reject()
        self.assertEqual(first.state, "rejected")
        self.assertEqual(
            self.audit_since(mark, event="policy_change_rejected").res_id, first.id
        )
        with self.assertRefused(UserError, "submitted"):
            first.with_user(self.user_admin_gov2).action_approve()
        # A change proposed against values that moved meanwhile is refused.
        role.with_user(self.user_admin_gov).write(
            {"group_ids": [Command.link(self.group_c.id)]}
        )
        second = self.pending_changes(role)
        role.write({"group_ids": [Command.unlink(self.group_b.id)]})
        with self.assertRefused(UserError, "changed since"):
            second.with_user(self.user_admin_gov2).action_approve()
        self.assertEqual(second.state, "submitted")
        self.assertNotIn(self.group_c, role.group_ids)

    def test_roles_nobody_holds_change_at_once(self):
        role = self.Role.with_user(self.user_admin_gov).create(
            {
                "name": "AG Empty",
                "code": "AG_TRUST_EMPTY",
                "group_ids": [self.group_b.id],
            }
        )
        role.write({"group_ids": [Command.link(self.group_c.id)]})
        self.assertIn(self.group_c, role.group_ids)
        self.assertFalse(self.pending_changes(role))
        # Removing groups from a held role never waits.
        self.role_sales.with_user(self.user_admin_gov).write(
            {"group_ids": [Command.unlink(self.group_b.id)]}
        )
        self.assertFalse(self.role_sales.group_ids)

    def test_new_role_gets_its_jobs_through_a_policy_change(self):
        role = self.Role.with_user(self.user_admin_gov).create(
            {
                "name": "AG Mapped",
                "code": "AG_TRUST_MAPPED",
                "group_ids": [self.group_c.id],
                "job_ids": [self.job_sales.id],
            }
        )
        self.assertFalse(role.job_ids)
        self.assertNotIn(self.group_c, self.groups_of(self.user_employee))
        change = self.pending_changes(role)
        self.assertIn(self.user_employee, change.excluded_user_ids, "mapped by job")
        change.with_user(self.user_admin_gov2).action_approve()
        self.assertEqual(role.job_ids, self.job_sales)
        self.assertIn(self.group_c, self.groups_of(self.user_employee))

    def test_nobody_proposes_a_change_in_their_own_favour(self):
        # Adding one's own job position to a role.
        with self.assertRefused(AccessError, "gain access"):
            self.role_sales.with_user(self.user_admin_gov).write(
                {"job_ids": [Command.link(self.job_it.id)]}
            )
        # Adding a group to a role one holds.
        self.Assignment.create(
            {"user_id": self.user_admin_gov.id, "role_id": self.role_sales.id}
        )
        with self.assertRefused(AccessError, "gain access"):
            self.role_sales.with_user(self.user_admin_gov).write(
                {"group_ids": [Command.link(self.group_c.id)]}
            )
        # Widening the departments of a role mapped from one's own job.
        department = self.env["hr.department"].create({"name": "AG Dept"})
        self.role_sales.department_ids = department
        with self.assertRefused(AccessError, "gain access"):
            self.role_sales.with_user(self.user_admin_gov).write(
                {"department_ids": [Command.clear()], "job_ids": [self.job_it.id]}
            )
        # Becoming a profile's approver.
        profile = self.Profile.create({"name": "AG P", "group_ids": [self.group_c.id]})
        with self.assertRefused(AccessError, "gain access"):
            profile.with_user(self.user_admin_gov).write(
                {"approver_user_ids": [Command.link(self.user_admin_gov.id)]}
            )
        # Becoming a group's owner (who approves requests for it).
        with self.assertRefused(AccessError, "gain access"):
            self.group_c.with_user(self.user_admin_gov).write(
                {"governance_owner_id": self.user_admin_gov.id}
            )
        self.assertFalse(self.Change.sudo().search([("state", "=", "submitted")]))

    def test_a_gainer_never_approves(self):
        profile = self.Profile.create({"name": "AG P", "group_ids": [self.group_c.id]})
        profile.with_user(self.user_admin_gov).write(
            {"approver_user_ids": [Command.link(self.user_admin_gov2.id)]}
        )
        change = self.pending_changes(profile)
        self.assertIn(self.user_admin_gov2, change.excluded_user_ids)
        with self.assertRefused(AccessError, "gain access"):
            change.with_user(self.user_admin_gov2).action_approve()
        change.with_user(self.user_system).action_approve()
        self.assertEqual(profile.approver_user_ids, self.user_admin_gov2)

    def test_admin_groups_are_for_settings_administrators(self):
        # Issue: lowering Settings' risk and making it requestable.
        for vals in ({"governance_risk": "low"}, {"governance_requestable": True}):
            with self.assertRefused(AccessError, "Settings administrator"):
                self.group_system.with_user(self.user_admin_gov).write(vals)
        self.assertEqual(self.group_system.governance_risk, "critical")
        self.assertFalse(self.group_system.governance_requestable)
        # Adding Settings to a role, creating a role or profile with it.
        with self.assertRefused(AccessError, "Settings administrator"):
            self.role_sales.with_user(self.user_admin_gov).write(
                {"group_ids": [Command.link(self.group_system.id)]}
            )
        with self.assertRefused(AccessError, "Settings administrator"):
            self.Role.with_user(self.user_admin_gov).create(
                {"name": "X", "code": "AG_X", "group_ids": [self.group_system.id]}
            )
        with self.assertRefused(AccessError, "Settings administrator"):
            self.Profile.with_user(self.user_admin_gov).create(
                {"name": "X", "group_ids": [self.group_system.id]}
            )
        # Mapping one's own job to the IT Admin role.
        with self.assertRefused(AccessError, "Settings administrator"):
            self.role_it.with_user(self.user_admin_gov).write(
                {"job_ids": [Command.link(self.job_it.id)]}
            )
        # Assigning it, even to somebody else.
        with self.assertRefused(AccessError, "Settings administrator"):
            self.Assignment.with_user(self.user_admin_gov).create(
                {"user_id": self.user_employee.id, "role_id": self.role_it.id}
            )
        self.assertFalse(self.user_admin_gov.has_group("base.group_system"))
        self.assertFalse(self.user_employee.has_group("base.group_system"))
        # A Settings administrator proposes; a governance administrator may
        # not approve; another Settings administrator does.
        self.role_it.with_user(self.user_system).write(
            {"job_ids": [Command.link(self.job_sales.id)]}
        )
        change = self.pending_changes(self.role_it)
        self.assertTrue(change.requires_system)
        self.assertEqual(change.activity_ids.user_id, self.admin)
        with self.assertRefused(AccessError, "Settings administrator"):
            change.with_user(self.user_admin_gov2).action_approve()
        change.with_user(self.admin).action_approve()
        self.assertTrue(self.user_employee.has_group("base.group_system"))

    def test_group_policy_changes(self):
        group = self.group_c
        group.with_user(self.user_admin_gov).write(
            {"governance_risk": "high", "governance_requestable": True}
        )
        self.assertEqual(group.governance_risk, "high", "raising applies at once")
        self.assertFalse(group.governance_requestable)
        self.approve_pending(group, self.user_admin_gov2)
        self.assertTrue(group.governance_requestable)
        group.with_user(self.user_admin_gov).write({"governance_risk": "low"})
        self.assertEqual(group.governance_risk, "high")
        self.approve_pending(group, self.user_admin_gov2)
        self.assertEqual(group.governance_risk, "low")
        # Bad values are refused before anything is proposed.
        with self.assertRefused(UserError, "not a valid"):
            group.with_user(self.user_admin_gov).write({"governance_risk": "none"})

    def test_profile_switches_and_approvers(self):
        Profile = self.Profile.with_user(self.user_admin_gov)
        profile = Profile.create(
            {
                "name": "AG Auto",
                "group_ids": [self.group_c.id],
                "auto_approve": True,
                "approvals_required": 2,
                "approver_user_ids": [self.user_manager.id, self.user_auditor.id],
            }
        )
        self.assertFalse(profile.auto_approve, "switched on by a policy change")
        # A context default is a value given at creation too.
        by_default = Profile.with_context(default_break_glass=True).create(
            {
                "name": "AG Door",
                "group_ids": [self.group_c.id],
                "max_duration_hours": 12,
            }
        )
        self.assertFalse(by_default.break_glass)
        self.assertTrue(self.pending_changes(by_default))
        self.assertEqual(profile.approvals_required, 2, "a new profile as given")
        self.approve_pending(profile, self.user_admin_gov2)
        self.assertTrue(profile.auto_approve)
        profile.write({"approvals_required": 1, "max_duration_hours": 12})
        self.assertEqual(profile.max_duration_hours, 12)
        self.assertEqual(profile.approvals_required, 2)
        profile.write({"approver_user_ids": [Command.unlink(self.user_auditor.id)]})
        self.assertEqual(len(self.pending_changes(profile)), 2)
        self.approve_pending(profile, self.user_admin_gov2)
        self.assertEqual(profile.approvals_required, 1)
        self.assertEqual(profile.approver_user_ids, self.user_manager)


@tagged("post_install", "-at_install", "access_rights")
class TestEvidenceImmutable(TrustCommon):
    def closed_review(self):
        self.give_baseline(self.user_employee, self.group_c)
        review = self.env["access.governance.review"].create(
            {
                "name": "AG Closed",
                "access_scope": "groups",
                "group_ids": [Command.set(self.group_c.ids)],
                "user_domain": repr([("id", "=", self.user_employee.id)]),
                "reviewer_mode": "named",
                "reviewer_id": self.user_manager.id,
            }
        )
        review.action_start()
        review.action_close()
        self.assertEqual(review.state, "closed")
        self.assertTrue(review.line_ids)
        return review

    def test_closed_campaign_and_lines(self):
        review = self.closed_review()
        line = review.line_ids[0]
        for user in (self.user_manager, self.user_admin_gov, self.user_system):
            with self.subTest(user=user.login):
                for vals in (
                    {"state": "in_progress"},
                    {"date_closed": "2000-01-01 00:00:00"},
                    {"name": "Renamed"},
                ):
                    with self.assertRaises(AccessError):
                        review.with_user(user).write(vals)
                with self.assertRaises(UserError):
                    line.with_user(user).write({"decision": "revoke"})
                with self.assertRaises(AccessError):
                    line.with_user(user).write({"comment": "rewritten"})
                with self.assertRaises(AccessError):
                    review.with_user(user).unlink()
        with self.assertRaises(AccessError):
            review.sudo().unlink()
        with self.assertRaises(AccessError):
            review.with_user(self.user_manager).copy({"state": "closed"})
        copy = review.with_user(self.user_manager).copy()
        self.assertEqual(copy.state, "draft")
        self.assertFalse(copy.date_closed)
        Review = self.env["access.governance.review"].with_user(self.user_manager)
        with self.assertRefused(AccessError, "cannot be set"):
            Review.create({"name": "Forged", "state": "closed"})
        with self.assertRefused(AccessError, "context defaults"):
            Review.with_context(default_state="closed").create({"name": "Forged"})
        self.assertEqual(review.state, "closed")

    def test_started_campaign_cannot_be_deleted(self):
        review = self.env["access.governance.review"].create({"name": "AG Started"})
        review.action_start()
        with self.assertRefused(UserError, "cannot be deleted"):
            review.with_user(self.user_system).unlink()

    def test_done_offboarding(self):
        leaver = mail_new_test_user(
            self.env,
            login="ag_trust_leaver",
            name="Leo Leaver",
            groups="base.group_user",
        )
        Offboarding = self.env["access.governance.offboarding"].with_user(
            self.user_manager
        )
        for vals in (
            {"user_id": leaver.id, "state": "done"},
            {"user_id": leaver.id, "user_deactivated": True},
            {"user_id": leaver.id, "automatic": True},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                Offboarding.create(vals)
        with self.assertRaises(AccessError):
            Offboarding.with_context(default_state="done").create(
                {"user_id": leaver.id}
            )
        offboarding = Offboarding.create({"user_id": leaver.id})
        offboarding.action_run()
        self.assertEqual(offboarding.state, "done")
        for user in (self.user_manager, self.user_system):
            for vals in (
                {"groups_removed_names": "nothing"},
                {"user_deactivated": False},
                {"groups_removed_count": 0},
                {"reason": "rewritten"},
                {"user_id": self.user_employee.id},
            ):
                with (
                    self.subTest(user=user.login, vals=vals),
                    self.assertRaises(AccessError),
                ):
                    offboarding.with_user(user).write(vals)
        with self.assertRaises(AccessError):
            offboarding.sudo().unlink()
        # Re-running stays possible and only adds to the evidence.
        offboarding.action_run()
        self.assertEqual(offboarding.run_count, 2)

    def test_assignments(self):
        assignment = self.Assignment.create(
            {"user_id": self.user_employee2.id, "role_id": self.role_sales.id}
        )
        for vals in ({"state": "ended"}, {"origin": "job"}):
            with self.assertRaises(AccessError):
                assignment.with_user(self.user_admin_gov).write(vals)
        with self.assertRefused(UserError, "end the assignment"):
            assignment.with_user(self.user_admin_gov).unlink()
        assignment.with_user(self.user_manager).action_end()
        self.assertEqual(assignment.state, "ended")
        with self.assertRaises(AccessError):
            assignment.with_user(self.user_admin_gov).write({"date_to": False})
        with self.assertRaises(AccessError):
            assignment.sudo().unlink()
        # A scheduled one never gave anything: it may go.
        scheduled = self.Assignment.create(
            {
                "user_id": self.user_employee2.id,
                "role_id": self.role_sales.id,
                "date_from": fields.Datetime.now() + timedelta(days=3),
            }
        )
        scheduled.with_user(self.user_admin_gov).unlink()

    def test_context_defaults_never_set_protected_fields(self):
        Assignment = self.Assignment.with_user(self.user_admin_gov)
        # Issue: default_user_id assigned a role to oneself.
        with self.assertRefused(AccessError, "yourself"):
            Assignment.with_context(default_user_id=self.user_admin_gov.id).create(
                {"role_id": self.role_sales.id}
            )
        with self.assertRefused(AccessError, "context defaults"):
            Assignment.with_context(default_origin="job").create(
                {"user_id": self.user_employee2.id, "role_id": self.role_sales.id}
            )
        self.assertFalse(
            self.Assignment.search([("user_id", "=", self.user_admin_gov.id)])
        )

    def test_claims_are_written_by_the_engine_only(self):
        claim = self.active_claims(self.user_employee, self.group_b)
        for user in (self.user_system, self.admin):
            with self.assertRaises(AccessError):
                claim.with_user(user).write({"note": "x"})
        with self.assertRaises(AccessError):
            claim.sudo().write({"active": False})
        self.Claim._claims_end(claim)
        with self.assertRaises(AccessError):
            claim.sudo().unlink()


@tagged("post_install", "-at_install", "access_rights")
class TestActingOnPeople(TrustCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Review = cls.env["access.governance.review"]
        for user in (cls.user_manager, cls.user_employee2):
            user.with_user(cls.user_system).write(
                {"groups_id": [Command.link(cls.group_c.id)]}
            )

    def review_of(self, users, groups, reviewer, **vals):
        review = self.Review.create(
            dict(
                {
                    "name": "AG Trust Review",
                    "access_scope": "groups",
                    "group_ids": [Command.set(groups.ids)],
                    "user_domain": repr([("id", "in", users.ids)]),
                    "reviewer_mode": "named",
                    "reviewer_id": reviewer.id,
                    "fallback_reviewer_id": self.user_admin_gov2.id,
                },
                **vals,
            )
        )
        review.action_start()
        return review

    def test_no_self_review_nor_handing_it_over(self):
        review = self.review_of(
            self.user_manager | self.user_employee2, self.group_c, self.user_system
        )
        own = review.line_ids.filtered(lambda line: line.user_id == self.user_manager)
        other = review.line_ids - own
        self.assertEqual(own.reviewer_id, self.user_system)
        # Issue: a manager reassigned the line about themselves to a colleague.
        with self.assertRefused(AccessError, "own access"):
            own.with_user(self.user_manager).write(
                {"reviewer_id": self.user_employee.id}
            )
        with self.assertRefused(AccessError, "own access"):
            own.with_user(self.user_manager).action_keep()
        self.assertEqual(own.reviewer_id, self.user_system)
        self.assertFalse(own.decision)
        other.with_user(self.user_manager).write({"reviewer_id": self.user_employee.id})
        self.assertEqual(other.reviewer_id, self.user_employee)

    def test_revoking_an_administrator_is_for_settings_administrators(self):
        self.give_baseline(self.user_admin_gov, self.group_c)
        review = self.review_of(self.user_admin_gov, self.group_c, self.user_manager)
        line = review.line_ids
        with self.assertRefused(AccessError, "administrator"):
            line.with_user(self.user_manager).action_revoke()
        line.with_user(self.user_manager).action_keep()
        line.with_user(self.user_system).action_revoke()
        self.assertEqual(line.decided_by_id, self.user_system)
        review.with_user(self.user_manager).action_close()
        self.assertEqual(line.result, "Removed.")
        self.assertNotIn(self.group_c, self.groups_of(self.user_admin_gov))

    def test_default_revoke_spares_administrators_unless_settings_closes(self):
        self.give_baseline(self.user_admin_gov, self.group_c)
        review = self.review_of(
            self.user_admin_gov | self.user_employee2,
            self.group_c,
            self.user_manager,
            default_decision="revoke",
        )
        mark = self.last_audit_sequence()
        review.with_user(self.user_manager).action_close()
        admin_line = review.line_ids.filtered(
            lambda line: line.user_id == self.user_admin_gov
        )
        self.assertIn("Not applied", admin_line.result)
        self.assertIn(self.group_c, self.groups_of(self.user_admin_gov))
        self.assertNotIn(self.group_c, self.groups_of(self.user_employee2))
        entries = self.audit_since(mark, event="review_decision")
        self.assertIn(
            "Not applied",
            entries.filtered(lambda e: e.user_id == self.user_admin_gov).description,
        )

    def test_last_settings_administrator_keeps_settings(self):
        others = self.env["res.users"].search(
            [
                ("groups_id", "in", self.group_system.id),
                (
                    "id",
                    "not in",
                    [self.user_system.id, self.env.ref("base.user_root").id],
                ),
            ]
        )
        review = self.review_of(
            self.user_system | others[:1],
            self.group_system,
            self.user_admin_gov2,
            default_decision="revoke",
        )
        others.write({"active": False})
        review.action_close()
        self.assertTrue(self.user_system.has_group("base.group_system"))
        line = review.line_ids.filtered(lambda line: line.user_id == self.user_system)
        self.assertIn("Not applied", line.result)
        # Offboarding the last one is refused as well.
        offboarding = self.env["access.governance.offboarding"].create(
            {"user_id": self.user_system.id}
        )
        with self.assertRefused(UserError, "without an active Settings"):
            offboarding.action_run()
        self.assertTrue(self.user_system.active)

    def test_managers_never_end_their_own_or_an_administrators_role(self):
        own = self.Assignment.create(
            {"user_id": self.user_manager.id, "role_id": self.role_sales.id}
        )
        with self.assertRefused(AccessError, "your own access"):
            own.with_user(self.user_manager).action_end()
        admin = self.Assignment.create(
            {"user_id": self.user_admin_gov.id, "role_id": self.role_sales.id}
        )
        with self.assertRefused(AccessError, "administrator"):
            admin.with_user(self.user_manager).action_end()
        admin.with_user(self.user_system).action_end()
        self.assertEqual(admin.state, "ended")

    def test_reassignment_rules_never_hand_over_access(self):
        Rule = self.env["access.governance.reassignment.rule"]
        Fields = self.env["ir.model.fields"]
        for model, field in (
            ("res.groups", "users"),
            ("hr.employee", "user_id"),
            ("access.governance.grant", "beneficiary_id"),
            ("res.partner", "create_uid"),
        ):
            with self.subTest(model=model), self.assertRaises(ValidationError):
                Rule.with_user(self.user_admin_gov).create(
                    {
                        "model_id": self.env["ir.model"]._get(model).id,
                        "field_id": Fields._get(model, field).id,
                    }
                )
