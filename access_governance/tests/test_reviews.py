# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import AccessGovernanceCommon


class ReviewCommon(AccessGovernanceCommon):
    """A department of three: Eric manages Emma, Bob manages Uma; Eric has
    no manager. Emma holds B and C, Uma holds C, Eric holds B (baselines)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Review = cls.env["access.governance.review"]
        cls.Line = cls.env["access.governance.review.line"]
        cls.user_boss = mail_new_test_user(
            cls.env, login="ag_boss", name="Bob Boss", groups="base.group_user"
        )
        cls.user_uma = mail_new_test_user(
            cls.env, login="ag_uma", name="Uma User", groups="base.group_user"
        )
        cls.department = cls.env["hr.department"].create({"name": "AG Review Dept"})
        Employee = cls.env["hr.employee"]
        cls.emp_eric = Employee.create(
            {
                "name": "Eric Employee",
                "user_id": cls.user_employee2.id,
                "department_id": cls.department.id,
            }
        )
        cls.emp_boss = Employee.create(
            {"name": "Bob Boss", "user_id": cls.user_boss.id}
        )
        cls.emp_emma = Employee.create(
            {
                "name": "Emma Employee",
                "user_id": cls.user_employee.id,
                "department_id": cls.department.id,
                "parent_id": cls.emp_eric.id,
            }
        )
        cls.emp_uma = Employee.create(
            {
                "name": "Uma User",
                "user_id": cls.user_uma.id,
                "department_id": cls.department.id,
                "parent_id": cls.emp_boss.id,
            }
        )
        cls.give_baseline_cls(cls.user_employee, cls.group_b | cls.group_c)
        cls.give_baseline_cls(cls.user_uma, cls.group_c)
        cls.give_baseline_cls(cls.user_employee2, cls.group_b)

    @classmethod
    def give_baseline_cls(cls, user, groups):
        user.with_user(cls.user_system).write(
            {"groups_id": [(4, group.id) for group in groups]}
        )

    def new_review(self, **vals):
        values = {
            "name": "AG review",
            "department_ids": [(6, 0, self.department.ids)],
            "access_scope": "groups",
            "group_ids": [(6, 0, (self.group_a | self.group_b | self.group_c).ids)],
            "reviewer_mode": "manager",
            "fallback_reviewer_id": self.user_manager.id,
            "responsible_id": self.user_manager.id,
        }
        values.update(vals)
        return self.Review.with_user(self.user_manager).create(values)

    def line_of(self, review, user, group=None, role=None):
        return review.line_ids.filtered(
            lambda line: (
                line.user_id == user
                and (group is None or line.group_id == group)
                and (role is None or line.role_id == role)
            )
        )


@tagged("post_install", "-at_install")
class TestReviewCampaign(ReviewCommon):
    def test_quarterly_department_review_by_managers(self):
        with freeze_time("2026-01-05"):
            review = self.new_review(recurrence="quarterly")
            sequence = self.last_audit_sequence()
            review.action_start()
        self.assertEqual(review.state, "in_progress")
        self.assertEqual(review.date_start, date(2026, 1, 5))
        self.assertEqual(review.next_date, date(2026, 4, 5))
        # One line per (user, group) in scope; users outside the department
        # (Bob) are not reviewed.
        self.assertEqual(len(review.line_ids), 4)
        self.assertNotIn(self.user_boss, review.line_ids.user_id)
        emma_b = self.line_of(review, self.user_employee, self.group_b)
        self.assertEqual(emma_b.reviewer_id, self.user_employee2)
        self.assertIn("Baseline since", emma_b.why)
        self.assertIn("Sam Settings", emma_b.why)
        self.assertEqual(emma_b.recommendation, "keep")
        self.assertEqual(
            self.line_of(review, self.user_uma).reviewer_id, self.user_boss
        )
        # Eric has no manager: his line goes to the fallback reviewer.
        self.assertEqual(
            self.line_of(review, self.user_employee2).reviewer_id, self.user_manager
        )
        # One activity per reviewer, though Eric reviews two lines.
        activities = review.activity_ids
        self.assertEqual(
            sorted(activities.user_id.ids),
            sorted((self.user_employee2 | self.user_boss | self.user_manager).ids),
        )
        self.assertEqual(len(activities), 3)
        self.assertEqual(len(self.audit_since(sequence, "review_start")), 1)

    def test_lines_carry_unused_access_and_sod_signals(self):
        """Lines show the SoD rules a user breaks and the unused-access
        findings of the audits, and recommend revoking unused access."""
        rule = self.env["access.governance.sod.rule"].create(
            {
                "name": "AG B versus C",
                "group_a_ids": [(6, 0, self.group_b.ids)],
                "group_b_ids": [(6, 0, self.group_c.ids)],
                "action": "warn",
            }
        )
        self.env["access.governance.detector"]._detector_report(
            [
                {
                    "type": "unused_access",
                    "user": self.user_uma,
                    "subject": f"group:{self.group_c.id}",
                    "severity": "low",
                    "groups": self.group_c,
                    "explanation": "Uma does not use C.",
                    "remedy": "Revoke.",
                }
            ]
        )
        review = self.new_review()
        review.action_start()
        emma_b = self.line_of(review, self.user_employee, self.group_b)
        emma_c = self.line_of(review, self.user_employee, self.group_c)
        self.assertEqual(emma_b.sod_conflicts, rule.name)
        self.assertEqual(emma_c.sod_conflicts, rule.name)
        # Eric holds only B: no conflict.
        self.assertFalse(self.line_of(review, self.user_employee2).sod_conflicts)
        uma_c = self.line_of(review, self.user_uma, self.group_c)
        self.assertEqual(uma_c.recommendation, "revoke")
        self.assertIn("unused", uma_c.recommendation_reason)
        self.assertTrue(uma_c.last_used)
        self.assertEqual(emma_c.recommendation, "keep")

    def test_high_risk_baseline_recommended_revoke(self):
        self.give_baseline(self.user_uma, self.group_a)
        review = self.new_review(access_scope="risk", min_risk="high")
        review.action_start()
        line = review.line_ids
        self.assertEqual(line.user_id, self.user_uma)
        self.assertEqual(line.group_id, self.group_a)
        self.assertEqual(line.recommendation, "revoke")

    def test_reviewer_sees_and_decides_only_own_lines(self):
        review = self.new_review()
        review.action_start()
        uma_line = self.line_of(review, self.user_uma)
        mine = self.Line.with_user(self.user_employee2).search(
            [("review_id", "=", review.id)]
        )
        self.assertEqual(mine, self.line_of(review, self.user_employee))
        with self.assertRaises(AccessError):
            uma_line.with_user(self.user_employee2).write({"decision": "keep"})
        with self.assertRaises(AccessError):
            uma_line.with_user(self.user_employee2).read(["decision"])
        with self.assertRaises(AccessError):
            mine[0].with_user(self.user_employee2).write(
                {"reviewer_id": self.user_employee2.id, "decision": "keep"}
            )
        with self.assertRaises(AccessError):
            review.with_user(self.user_employee2).action_close()
        # Bulk decision on their own lines.
        mine.with_user(self.user_employee2).action_revoke()
        self.assertEqual(set(mine.mapped("decision")), {"revoke"})
        self.assertEqual(mine.decided_by_id, self.user_employee2)
        # The campaign is visible to its reviewer, not to other users.
        self.assertTrue(review.with_user(self.user_employee2).name)
        outsider = mail_new_test_user(
            self.env, login="ag_outsider", name="Otto", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            review.with_user(outsider).read(["name"])

    def test_self_review_rerouted_and_refused(self):
        review = self.new_review(
            reviewer_mode="named", reviewer_id=self.user_employee.id
        )
        review.action_start()
        own = self.line_of(review, self.user_employee)
        self.assertTrue(own)
        self.assertEqual(own.reviewer_id, self.user_manager)
        self.assertEqual(
            self.line_of(review, self.user_uma).reviewer_id, self.user_employee
        )
        with self.assertRaises(ValidationError):
            own[0].with_user(self.user_manager).write(
                {"reviewer_id": self.user_employee.id}
            )
        # The fallback and the responsible are the user under review: a
        # Settings administrator reviews them (the campaign still starts).
        lonely = self.new_review(
            department_ids=[(6, 0, [])],
            user_domain=f"[('id', '=', {self.user_manager.id})]",
            access_scope="all",
        )
        self.give_baseline(self.user_manager, self.group_b)
        lonely.action_start()
        reviewers = self.line_of(lonely, self.user_manager).reviewer_id
        self.assertTrue(reviewers)
        self.assertNotIn(self.user_manager, reviewers)
        self.assertTrue(all(r.has_group("base.group_system") for r in reviewers))

    def test_administrators_reviewed_by_settings_administrators(self):
        """A governance administrator's manager is not a Settings
        administrator: the line goes to one; to-dos are due in a few days."""
        self.env["hr.employee"].create(
            {
                "name": "Ada Administrator",
                "user_id": self.user_admin_gov.id,
                "department_id": self.department.id,
                "parent_id": self.emp_eric.id,
            }
        )
        self.give_baseline(self.user_admin_gov, self.group_b)
        self.env["ir.config_parameter"].sudo().set_param(
            "access_governance.review_todo_days", "2"
        )
        with freeze_time("2026-03-02"):
            review = self.new_review(
                fallback_reviewer_id=self.user_system.id,
                date_deadline=date(2026, 3, 30),
            )
            review.action_start()
        line = self.line_of(review, self.user_admin_gov, self.group_b)
        self.assertEqual(line.reviewer_id, self.user_system)
        emma = self.line_of(review, self.user_employee, self.group_b)
        self.assertEqual(emma.reviewer_id, self.user_employee2, "her manager")
        todo = review.activity_ids.filtered(lambda a: a.user_id == self.user_employee2)
        self.assertEqual(todo.date_deadline, date(2026, 3, 4))

    def test_campaign_with_defaults_starts_for_the_admin(self):
        """Opened by the administrator with its defaults (fallback = them),
        a campaign over everybody, the administrator included, starts."""
        admin = self.env.ref("base.user_admin")
        review = self.Review.with_user(admin).create(
            {"name": "Everybody", "access_scope": "all", "min_risk": "low"}
        )
        self.assertEqual(review.fallback_reviewer_id, admin)
        review.with_user(admin).action_start()
        self.assertEqual(review.state, "in_progress")
        own = review.line_ids.filtered(lambda line: line.user_id == admin)
        self.assertTrue(own)
        self.assertNotIn(admin, own.reviewer_id)

    def test_close_applies_decisions_through_claims(self):
        Role = self.env["access.governance.role"]
        role = Role.create(
            {
                "name": "AG Review Role",
                "code": "AG_REV_ROLE",
                "group_ids": [(6, 0, self.group_a.ids)],
            }
        )
        assignment = self.env["access.governance.role.assignment"].create(
            {"user_id": self.user_uma.id, "role_id": role.id}
        )
        self.assertIn(self.group_a, self.groups_of(self.user_uma))
        # Emma's C is also held by a grant, out of this campaign's scope.
        self.Claim._claims_start(
            self.user_employee, self.group_c, "grant", source="test.grant,1"
        )
        groups_review = self.new_review(include_grants=False)
        roles_review = self.new_review(
            access_scope="roles", role_ids=[(6, 0, role.ids)]
        )
        (groups_review | roles_review).action_start()
        emma_b = self.line_of(groups_review, self.user_employee, self.group_b)
        emma_c = self.line_of(groups_review, self.user_employee, self.group_c)
        self.assertIn("Grant test.grant,1", emma_c.why)
        self.assertEqual(len(emma_c.claim_ids), 1)
        uma_role = self.line_of(roles_review, self.user_uma, role=role)
        self.assertEqual(uma_role.reviewer_id, self.user_boss)
        (emma_b | emma_c).with_user(self.user_employee2).write(
            {"decision": "revoke", "comment": "Left the project"}
        )
        uma_role.with_user(self.user_boss).action_revoke()
        sequence = self.last_audit_sequence()
        (groups_review | roles_review).with_user(self.user_manager).action_close()
        held = self.groups_of(self.user_employee)
        self.assertNotIn(self.group_b, held)
        self.assertIn(self.group_c, held, "still held by the grant claim")
        self.assertEqual(emma_c.result, "Still held through another claim.")
        self.assertEqual(emma_b.result, "Removed.")
        self.assertEqual(assignment.state, "ended")
        self.assertNotIn(self.group_a, self.groups_of(self.user_uma))
        self.assertNotIn(self.group_a_base, self.groups_of(self.user_uma))
        # Undecided lines kept by default, and every decision audited.
        undecided = groups_review.line_ids - emma_b - emma_c
        self.assertEqual(set(undecided.mapped("decision")), {"keep"})
        self.assertTrue(all(undecided.mapped("decision_auto")))
        self.assertFalse(undecided.decided_by_id)
        decisions = self.audit_since(sequence, "review_decision")
        self.assertEqual(
            len(decisions), len(groups_review.line_ids | roles_review.line_ids)
        )
        self.assertEqual(len(self.audit_since(sequence, "review_close")), 2)
        self.assertTrue(self.audit_since(sequence, "claim_end"))
        self.assertFalse(groups_review.activity_ids)
        # Closed: no more decisions.
        with self.assertRaises(UserError):
            emma_b.with_user(self.user_employee2).write({"decision": "keep"})

    def test_default_applies_recommendation(self):
        self.give_baseline(self.user_uma, self.group_a)
        review = self.new_review(default_decision="recommendation")
        review.action_start()
        uma_a = self.line_of(review, self.user_uma, self.group_a)
        self.assertEqual(uma_a.recommendation, "revoke")
        review.action_close()
        self.assertEqual(uma_a.decision, "revoke")
        self.assertTrue(uma_a.decision_auto)
        self.assertNotIn(self.group_a, self.groups_of(self.user_uma))
        self.assertIn(self.group_c, self.groups_of(self.user_uma))


@tagged("post_install", "-at_install")
class TestReviewCron(ReviewCommon):
    def test_recurrence_creates_next_campaign_once(self):
        with freeze_time("2026-01-05"):
            review = self.new_review(recurrence="monthly")
            review.date_deadline = date(2026, 1, 19)
            review.action_start()
        self.assertEqual(review.next_date, date(2026, 2, 5))
        with freeze_time("2026-02-06"):
            self.Review._cron_review_campaigns()
            self.Review._cron_review_campaigns()
        following = self.Review.search([("previous_id", "=", review.id)])
        self.assertEqual(len(following), 1)
        self.assertEqual(review.next_id, following)
        self.assertEqual(following.state, "in_progress")
        self.assertEqual(following.date_start, date(2026, 2, 6))
        self.assertEqual(following.date_deadline, date(2026, 2, 20))
        self.assertEqual(following.next_date, date(2026, 3, 6))
        self.assertEqual(len(following.line_ids), len(review.line_ids))
        # Past its deadline and escalation days: the first one closed.
        self.assertEqual(review.state, "closed")

    def test_escalation_to_fallback_then_close(self):
        today = date(2026, 3, 2)
        with freeze_time(today):
            review = self.new_review(escalation_days=3)
            review.date_deadline = today + timedelta(days=10)
            review.action_start()
        uma_line = self.line_of(review, self.user_uma)
        emma_lines = self.line_of(review, self.user_employee)
        emma_lines.with_user(self.user_employee2).action_keep()
        with freeze_time(today + timedelta(days=9)):
            self.Review._cron_review_campaigns()
        self.assertTrue(review.reminded)
        self.assertFalse(review.escalated)
        with freeze_time(today + timedelta(days=11)):
            sequence = self.last_audit_sequence()
            self.Review._cron_review_campaigns()
            self.Review._cron_review_campaigns()
        self.assertTrue(review.escalated)
        self.assertEqual(uma_line.reviewer_id, self.user_manager)
        self.assertEqual(uma_line.original_reviewer_id, self.user_boss)
        self.assertEqual(emma_lines.reviewer_id, self.user_employee2)
        self.assertEqual(len(self.audit_since(sequence, "review_escalate")), 1)
        self.assertNotIn(self.user_boss, review.activity_ids.user_id)
        self.assertEqual(review.state, "in_progress")
        with freeze_time(today + relativedelta(days=14)):
            self.Review._cron_review_campaigns()
        self.assertEqual(review.state, "closed")
        self.assertEqual(uma_line.decision, "keep")
