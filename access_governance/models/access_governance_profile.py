# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Elevation profiles: a named bundle of groups that can be requested for a
limited time, with its risk level, durations and approvers."""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .res_groups import RISK_LEVELS, RISK_ORDER


def format_duration(env, hours):
    """A duration as a person says it: "10 days", "2 days 4 hours",
    "1 hour", "30 minutes"; empty for none."""
    if not hours:
        return ""
    minutes = round(hours * 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(env._("%s days", days) if days > 1 else env._("1 day"))
    if hours:
        parts.append(env._("%s hours", hours) if hours > 1 else env._("1 hour"))
    if minutes and not days:
        parts.append(env._("%s minutes", minutes))
    return " ".join(parts)


class AccessGovernanceProfile(models.Model):
    _name = "access.governance.profile"
    _description = "Elevation Profile"
    _inherit = ["access.governance.guarded", "access.governance.policy.guarded"]
    _order = "sequence, name"

    # Four-eyes: more groups, other approvers, fewer approvals, a lower risk
    # or an auto-approval switch wait for a second governance administrator.
    _governance_policy_fields = {
        "group_ids": "add",
        "approver_user_ids": "change",
        "approver_group_id": "change",
        "approver_manager": "change",
        "approvals_required": "lower",
        "risk": "lower",
        "auto_approve": "enable",
        "break_glass": "enable",
        # Who may request it, who may break the glass: any widening (more
        # people, or a list emptied) waits for a second administrator.
        "eligible_user_ids": "widen",
        "eligible_group_ids": "widen",
        "eligible_department_ids": "widen",
        "eligible_job_ids": "widen",
        "break_glass_user_ids": "widen",
        "break_glass_group_ids": "widen",
    }
    # A new profile is switched to auto-approval or break-glass through a
    # policy change.
    _governance_policy_create_fields = frozenset({"auto_approve", "break_glass"})

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(
        translate=True, help="What this access is for, shown to requesters."
    )
    group_ids = fields.Many2many(
        "res.groups",
        "access_governance_profile_group_rel",
        "profile_id",
        "group_id",
        string="Groups",
        required=True,
        domain=[("governance_scope", "=", "governed")],
    )
    groups_risk = fields.Selection(
        RISK_LEVELS,
        string="Highest Group Risk",
        compute="_compute_groups_risk",
    )
    risk = fields.Selection(
        RISK_LEVELS,
        # Grouped by level (low to critical), not alphabetically.
        group_expand=True,
        string="Risk Level",
        compute="_compute_risk",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
        help="Defaults to the highest risk of the profile's groups. It may be "
        "raised, never lowered below that.",
    )
    default_duration_hours = fields.Float(
        string="Default Duration (hours)",
        default=8.0,
        help="Proposed duration of a new request.",
    )
    max_duration_hours = fields.Float(
        string="Maximum Duration (hours)",
        help="Requests end at the latest after this many hours. Leave empty "
        "for no maximum (the end date is then optional).",
    )
    default_duration_display = fields.Char(
        string="Default Duration in Words", compute="_compute_duration_display"
    )
    max_duration_display = fields.Char(
        string="Maximum Duration in Words", compute="_compute_duration_display"
    )
    approver_user_ids = fields.Many2many(
        "res.users",
        "access_governance_profile_approver_rel",
        "profile_id",
        "user_id",
        string="Approvers",
        domain=[("share", "=", False)],
    )
    approver_group_id = fields.Many2one(
        "res.groups",
        string="Approver Group",
        ondelete="set null",
        help="Every member of this group may approve.",
    )
    approver_manager = fields.Boolean(
        string="Beneficiary's Manager Approves",
        help="The beneficiary's manager (from the employee record) may approve.",
    )
    approvals_required = fields.Integer(
        string="Approvals Required",
        default=1,
        required=True,
        help="Number of distinct approvers who must agree.",
    )
    reason_required = fields.Boolean(default=True)
    auto_approve = fields.Boolean(
        help="Requests are approved by policy at once when they raise no "
        "separation-of-duties conflict. Only for low-risk profiles.",
    )
    break_glass = fields.Boolean(
        string="Break-Glass",
        help="Emergency access: the beneficiary activates it at once with a "
        "reason; the approvers review and sign it off afterwards.",
    )
    eligible_user_ids = fields.Many2many(
        "res.users",
        "access_governance_profile_eligible_user_rel",
        "profile_id",
        "user_id",
        string="Eligible Users",
        domain=[("share", "=", False)],
        help="Who may request this access. Leave every eligibility list "
        "empty to let every employee request it.",
    )
    eligible_group_ids = fields.Many2many(
        "res.groups",
        "access_governance_profile_eligible_group_rel",
        "profile_id",
        "group_id",
        string="Eligible Groups",
        help="Members of these groups may request this access.",
    )
    eligible_department_ids = fields.Many2many(
        "hr.department",
        "access_governance_profile_eligible_department_rel",
        "profile_id",
        "department_id",
        string="Eligible Departments",
        help="Employees of these departments (and their sub-departments) may "
        "request this access.",
    )
    eligible_job_ids = fields.Many2many(
        "hr.job",
        "access_governance_profile_eligible_job_rel",
        "profile_id",
        "job_id",
        string="Eligible Job Positions",
        help="Employees in these job positions may request this access.",
    )
    break_glass_user_ids = fields.Many2many(
        "res.users",
        "access_governance_profile_break_glass_user_rel",
        "profile_id",
        "user_id",
        string="May Break the Glass",
        domain=[("share", "=", False)],
        help="Who may activate this emergency access themselves. Leave both "
        "break-glass lists empty to let every eligible requester do it.",
    )
    break_glass_group_ids = fields.Many2many(
        "res.groups",
        "access_governance_profile_break_glass_group_rel",
        "profile_id",
        "group_id",
        string="Groups That May Break the Glass",
    )
    grant_ids = fields.One2many(
        "access.governance.grant", "profile_id", string="Grants", readonly=True
    )

    @api.depends("default_duration_hours", "max_duration_hours")
    def _compute_duration_display(self):
        for profile in self:
            profile.default_duration_display = format_duration(
                self.env, profile.default_duration_hours
            )
            profile.max_duration_display = format_duration(
                self.env, profile.max_duration_hours
            ) or self.env._("no maximum")

    @api.depends("group_ids.governance_risk")
    def _compute_groups_risk(self):
        for profile in self:
            # On the implied closure: a group implying Settings is critical.
            profile.groups_risk = profile.group_ids._governance_effective_risk()

    @api.depends("group_ids.governance_risk")
    def _compute_risk(self):
        for profile in self:
            floor = profile.group_ids._governance_effective_risk()
            current = profile.risk or "low"
            profile.risk = max((floor, current), key=RISK_ORDER.get)

    @api.constrains("risk", "group_ids")
    def _check_risk(self):
        labels = dict(RISK_LEVELS)
        for profile in self:
            if RISK_ORDER[profile.risk] < RISK_ORDER[profile.groups_risk]:
                raise ValidationError(
                    _(
                        "The risk level of %(profile)s cannot be lower than the "
                        "highest risk of its groups (%(risk)s).",
                        profile=profile.name,
                        risk=labels[profile.groups_risk],
                    )
                )

    @api.constrains("group_ids")
    def _check_groups(self):
        for profile in self:
            if not profile.group_ids:
                raise ValidationError(_("A profile needs at least one group."))
            ungoverned = profile.group_ids.filtered(
                lambda g: g.governance_scope != "governed"
            )
            if ungoverned:
                raise ValidationError(
                    _(
                        "Only governed groups can be granted; not: %s",
                        ", ".join(ungoverned.mapped("full_name")),
                    )
                )

    @api.constrains("default_duration_hours", "max_duration_hours")
    def _check_durations(self):
        for profile in self:
            if profile.max_duration_hours < 0:
                raise ValidationError(_("Maximum duration must be positive."))
            if profile.default_duration_hours < 0:
                raise ValidationError(_("Default duration must be positive."))
            if (
                profile.max_duration_hours
                and profile.default_duration_hours > profile.max_duration_hours
            ):
                raise ValidationError(
                    _("Default duration cannot be longer than the maximum duration.")
                )

    @api.constrains("approvals_required")
    def _check_approvals_required(self):
        for profile in self:
            if profile.approvals_required < 1:
                raise ValidationError(_("At least one approval is required."))

    @api.constrains("auto_approve", "risk")
    def _check_auto_approve(self):
        for profile in self:
            if profile.auto_approve and profile.risk != "low":
                raise ValidationError(
                    _("Auto-approve is only allowed for low-risk profiles.")
                )

    @api.constrains("break_glass", "auto_approve")
    def _check_break_glass(self):
        for profile in self:
            if profile.break_glass and profile.auto_approve:
                raise ValidationError(
                    _(
                        "A break-glass profile is reviewed after use; it cannot "
                        "also be auto-approved."
                    )
                )
            if profile.break_glass and not profile.max_duration_hours:
                raise ValidationError(
                    _("A break-glass profile needs a maximum duration.")
                )

    def _profile_is_eligible(self, user):
        """Whether ``user`` may request this profile: listed as a user, a
        member of a listed group, an employee of a listed department (or a
        sub-department) or job position; every list empty = every employee."""
        self.ensure_one()
        profile = self.sudo()
        if not (
            profile.eligible_user_ids
            or profile.eligible_group_ids
            or profile.eligible_department_ids
            or profile.eligible_job_ids
        ):
            return not user.share
        if user in profile.eligible_user_ids:
            return True
        if profile.eligible_group_ids & user.sudo().groups_id:
            return True
        if profile.eligible_department_ids or profile.eligible_job_ids:
            # sudo: plain users cannot read hr.employee (only its public view).
            employees = (
                self.env["hr.employee"].sudo().search([("user_id", "=", user.id)])
            )
            departments = (
                self.env["hr.department"]
                .sudo()
                .search([("id", "child_of", profile.eligible_department_ids.ids)])
                if profile.eligible_department_ids
                else self.env["hr.department"]
            )
            if employees.department_id & departments:
                return True
            if employees.job_id & profile.eligible_job_ids:
                return True
        return False

    def _profile_may_break_glass(self, user):
        """Whether ``user`` may activate this break-glass profile themselves:
        eligible, and listed among those who may break the glass (both
        lists empty = every eligible requester)."""
        self.ensure_one()
        profile = self.sudo()
        if not profile.break_glass or not self._profile_is_eligible(user):
            return False
        if not (profile.break_glass_user_ids or profile.break_glass_group_ids):
            return True
        return bool(
            user in profile.break_glass_user_ids
            or profile.break_glass_group_ids & user.sudo().groups_id
        )

    def _profile_approvers(self, beneficiary):
        """Users allowed to approve a request of this profile for
        ``beneficiary`` (before excluding the beneficiary and requester)."""
        self.ensure_one()
        approvers = self.approver_user_ids | self.approver_group_id.users
        if self.approver_manager:
            approvers |= self.env["access.governance.grant"]._grant_manager_of(
                beneficiary
            )
        return approvers.filtered(lambda u: u.active and not u.share)

    # ------------------------------------------------------------------
    # Four-eyes policy
    # ------------------------------------------------------------------
    @api.model
    def _governance_protected(self):
        # The risk level is computed but may be raised by hand (lowering it
        # is a policy change).
        return super()._governance_protected() - {"risk"}

    @api.model_create_multi
    def create(self, vals_list):
        vals_list, later = self._governance_policy_split_create(vals_list)
        profiles = super().create(vals_list)
        profiles._governance_policy_check_admin_groups()
        profiles._governance_policy_write_later(later)
        return profiles

    def write(self, vals):
        vals = self._governance_policy_divert(vals)
        if not vals:
            return True
        return super().write(vals)

    def _governance_policy_requires_system(self, changes):
        self.ensure_one()
        ids = changes.get("group_ids", (None, self.sudo().group_ids.ids))[1]
        return self.env["res.groups"].browse(ids)._governance_implies_admin()

    def _governance_policy_gainers(self, changes):
        """New approvers, and the beneficiaries of requests of this profile
        still under way."""
        self.ensure_one()
        Users = self.env["res.users"].sudo()
        gainers = Users
        for name in ("approver_user_ids", "eligible_user_ids", "break_glass_user_ids"):
            old_users, new_users = changes.get(name, ([], []))
            gainers |= Users.browse(sorted(set(new_users) - set(old_users)))
        for name in ("eligible_group_ids", "break_glass_group_ids"):
            old_groups, new_groups = changes.get(name, ([], []))
            added = set(new_groups) - set(old_groups)
            gainers |= self.env["res.groups"].sudo().browse(sorted(added)).users
        Employees = self.env["hr.employee"].sudo()
        for name, field in (
            ("eligible_department_ids", "department_id"),
            ("eligible_job_ids", "job_id"),
        ):
            old_ids, new_ids = changes.get(name, ([], []))
            added = sorted(set(new_ids) - set(old_ids))
            if added:
                gainers |= Employees.search([(field, "in", added)]).user_id

        if "approver_group_id" in changes and changes["approver_group_id"][1]:
            group = (
                self.env["res.groups"].sudo().browse(changes["approver_group_id"][1])
            )
            gainers |= group.users
        # sudo: the proposer may not read every request of the profile.
        grants = (
            self.env["access.governance.grant"]
            .sudo()
            .search(
                [
                    ("profile_id", "=", self.id),
                    ("state", "in", ("draft", "submitted", "approved")),
                ]
            )
        )
        return (gainers | grants.beneficiary_id).with_env(self.env)
