# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Grants: one request for access for one user, permanent or time-limited.

draft -> submitted -> approved -> active -> expired | revoked;
submitted -> rejected; draft / submitted / approved -> cancelled.

The claims engine does the group arithmetic: a grant starts claims of kind
``grant`` whose source is the grant, records exactly the groups it added,
and ends them at expiry or revocation (groups another claim holds stay).
State changes go through the ``action_*`` / ``_grant_*`` methods only: the
state and approval fields cannot be written directly, not even over RPC.
"""

import logging
import threading
from datetime import timedelta
from html import escape

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tools import SQL

from .res_groups import RISK_LEVELS, RISK_ORDER

_logger = logging.getLogger(__name__)

GRANT_STATES = [
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("approved", "Approved"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("revoked", "Revoked"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]
ACTIVITY_APPROVAL = "access_governance.mail_activity_type_grant_approval"
ACTIVITY_REVIEW = "access_governance.mail_activity_type_grant_review"

# Written only by the grant's own methods (as superuser), never by callers.
PROTECTED_FIELDS = {
    "name",
    "state",
    "approver_ids",
    "required_approver_ids",
    "approval_ids",
    "added_group_ids",
    "date_activated",
    "date_ended",
    "reminder_sent",
    "review_required",
    "reviewed_by_id",
    "date_reviewed",
    "policy_approved",
    "sod_summary",
    "sod_rule_ids",
    "revoked_by_id",
    "extended_from_id",
}
# What a requester may still change while the request is a draft.
REQUEST_FIELDS = {
    "beneficiary_id",
    "profile_id",
    "requested_group_ids",
    "reason",
    "date_start",
    "date_end",
}
# Models whose rows say nothing about what the beneficiary did.
WINDOW_EXCLUDED_MODELS = {
    "access.governance.approval",
    "access.governance.audit",
    "access.governance.claim",
    "bus.bus",
    "bus.presence",
    "ir.attachment",
    "mail.activity",
    "mail.followers",
    "mail.message",
    "mail.notification",
    "mail.tracking.value",
    "res.device",
    "res.device.log",
    "res.users.log",
}
WINDOW_LIMIT = 200
WINDOW_PER_MODEL = 50


class AccessGovernanceGrant(models.Model):
    _name = "access.governance.grant"
    _description = "Access Governance Grant"
    _inherit = ("mail.thread", "mail.activity.mixin")
    _order = "id desc"

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/"
    )
    beneficiary_id = fields.Many2one(
        "res.users",
        string="Beneficiary",
        required=True,
        index=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        tracking=True,
    )
    requester_id = fields.Many2one(
        "res.users",
        string="Requested By",
        required=True,
        index=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env.user,
    )
    profile_id = fields.Many2one(
        "access.governance.profile",
        string="Profile",
        index=True,
        tracking=True,
        ondelete="restrict",
    )
    requested_group_ids = fields.Many2many(
        "res.groups",
        "access_governance_grant_requested_group_rel",
        "grant_id",
        "group_id",
        string="Requested Groups",
        domain=[("governance_scope", "=", "governed")],
        help="Groups asked for directly, without a profile.",
    )
    group_ids = fields.Many2many(
        "res.groups",
        "access_governance_grant_group_rel",
        "grant_id",
        "group_id",
        string="Groups",
        compute="_compute_group_ids",
        store=True,
    )
    risk = fields.Selection(
        RISK_LEVELS, compute="_compute_risk", store=True, index=True
    )
    break_glass = fields.Boolean(
        related="profile_id.break_glass", store=True, string="Break-Glass"
    )
    reason = fields.Text(tracking=True)
    date_start = fields.Datetime(
        string="Start", required=True, default=fields.Datetime.now, tracking=True
    )
    date_end = fields.Datetime(
        string="End",
        compute="_compute_date_end",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Leave empty for permanent access (not allowed when the profile "
        "has a maximum duration).",
    )
    state = fields.Selection(
        GRANT_STATES,
        default="draft",
        required=True,
        index=True,
        tracking=True,
        copy=False,
    )
    approvals_required = fields.Integer(
        compute="_compute_approvals_required", store=True
    )
    approver_ids = fields.Many2many(
        "res.users",
        "access_governance_grant_approver_rel",
        "grant_id",
        "user_id",
        string="Approvers",
        readonly=True,
        copy=False,
        help="Who may approve (or, for break-glass, sign off) this grant.",
    )
    required_approver_ids = fields.Many2many(
        "res.users",
        "access_governance_grant_required_approver_rel",
        "grant_id",
        "user_id",
        string="Required Approvers",
        readonly=True,
        copy=False,
        help="Owners of separation-of-duties rules who must approve.",
    )
    pending_approver_ids = fields.Many2many(
        "res.users",
        "access_governance_grant_pending_approver_rel",
        "grant_id",
        "user_id",
        string="Pending Approvers",
        compute="_compute_pending_approver_ids",
        store=True,
    )
    approval_ids = fields.One2many(
        "access.governance.approval", "grant_id", string="Decisions", readonly=True
    )
    approval_count = fields.Integer(compute="_compute_approval_count")
    policy_approved = fields.Boolean(
        string="Approved by Policy", readonly=True, copy=False
    )
    sod_summary = fields.Text(string="Separation of Duties", readonly=True, copy=False)
    sod_rule_ids = fields.Many2many(
        "access.governance.sod.rule",
        "access_governance_grant_sod_rule_rel",
        "grant_id",
        "rule_id",
        string="SoD Rules Involved",
        readonly=True,
        copy=False,
        groups="access_governance.group_governance_auditor",
    )
    added_group_ids = fields.Many2many(
        "res.groups",
        "access_governance_grant_added_group_rel",
        "grant_id",
        "group_id",
        string="Groups Added",
        readonly=True,
        copy=False,
        help="The groups the beneficiary lacked and this grant added (implied "
        "groups Odoo added along are not listed). Groups held before are "
        "kept at expiry.",
    )
    claim_ids = fields.One2many(
        "access.governance.claim", compute="_compute_claim_ids", string="Claims"
    )
    date_activated = fields.Datetime(string="Activated On", readonly=True, copy=False)
    date_ended = fields.Datetime(string="Ended On", readonly=True, copy=False)
    reminder_sent = fields.Boolean(readonly=True, copy=False)
    revoke_reason = fields.Text(
        tracking=True,
        copy=False,
        help="Why a manager revoked this grant (required to revoke).",
    )
    revoked_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    extended_from_id = fields.Many2one(
        "access.governance.grant",
        string="Extension Of",
        index=True,
        readonly=True,
        copy=False,
    )
    extension_ids = fields.One2many(
        "access.governance.grant", "extended_from_id", string="Extensions"
    )
    review_required = fields.Boolean(
        readonly=True,
        index=True,
        copy=False,
        help="Break-glass use waiting for the approvers' after-the-fact sign-off.",
    )
    reviewed_by_id = fields.Many2one(
        "res.users", string="Signed Off By", readonly=True, copy=False
    )
    date_reviewed = fields.Datetime(string="Signed Off On", readonly=True, copy=False)
    can_decide = fields.Boolean(compute="_compute_can_decide")
    can_sign_off = fields.Boolean(compute="_compute_can_decide")
    window_activity_html = fields.Html(
        string="Activity During the Window",
        compute="_compute_window_activity_html",
        sanitize=False,
    )

    _sql_constraints = (
        (
            "date_check",
            "CHECK (date_end IS NULL OR date_end > date_start)",
            "The end of a grant must be after its start.",
        ),
    )

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------
    @api.depends("profile_id.group_ids", "requested_group_ids")
    def _compute_group_ids(self):
        for grant in self:
            grant.group_ids = grant._grant_source_groups()

    def _grant_source_groups(self):
        """The groups this grant is for, read from what was requested (the
        profile or the requested groups), never from the stored result."""
        self.ensure_one()
        return self.profile_id.group_ids or self.requested_group_ids

    def _grant_source_approvals_required(self):
        self.ensure_one()
        return max(self.profile_id.approvals_required, 1)

    @api.depends("profile_id.risk", "group_ids.governance_risk")
    def _compute_risk(self):
        for grant in self:
            risks = grant.group_ids.mapped("governance_risk") + [
                grant.profile_id.risk or "low"
            ]
            grant.risk = max(risks, key=RISK_ORDER.get)

    @api.depends("profile_id", "date_start")
    def _compute_date_end(self):
        for grant in self:
            hours = grant.profile_id.default_duration_hours
            if hours and grant.date_start:
                grant.date_end = grant.date_start + timedelta(hours=hours)
            else:
                grant.date_end = grant.date_end

    @api.depends("profile_id.approvals_required")
    def _compute_approvals_required(self):
        for grant in self:
            grant.approvals_required = grant._grant_source_approvals_required()

    @api.depends("state", "approver_ids", "approval_ids.approver_id")
    def _compute_pending_approver_ids(self):
        for grant in self:
            if grant.state == "submitted":
                decided = grant.approval_ids.approver_id
                grant.pending_approver_ids = grant.approver_ids - decided
            else:
                grant.pending_approver_ids = False

    @api.depends("approval_ids")
    def _compute_approval_count(self):
        # sudo: a User approver sees only their own decision; the count is
        # not sensitive and must include everybody's.
        for grant in self.sudo():
            grant.approval_count = len(
                grant.approval_ids.filtered(lambda a: a.decision == "approve")
            )

    def _compute_claim_ids(self):
        Claim = self.env["access.governance.claim"].with_context(active_test=False)
        for grant in self:
            grant.claim_ids = (
                Claim.search([("source_ref", "=", f"{self._name},{grant.id}")])
                if grant.id
                else Claim
            )

    @api.depends_context("uid")
    @api.depends("state", "approver_ids", "beneficiary_id", "requester_id")
    def _compute_can_decide(self):
        user = self.env.user
        is_manager = user.has_group("access_governance.group_governance_manager")
        for grant in self:
            involved = user in (grant.beneficiary_id | grant.requester_id)
            allowed = not involved and (is_manager or user in grant.approver_ids)
            grant.can_decide = allowed and grant.state == "submitted"
            grant.can_sign_off = (
                not involved
                and (is_manager or user in grant.approver_ids)
                and grant.review_required
            )

    @api.constrains("profile_id", "requested_group_ids")
    def _check_what(self):
        for grant in self:
            if grant.profile_id and grant.requested_group_ids:
                raise ValidationError(
                    _("Request either a profile or groups, not both.")
                )
            if not grant.profile_id and not grant.requested_group_ids:
                raise ValidationError(
                    _("Choose a profile or at least one group to request.")
                )
            ungoverned = grant.requested_group_ids.filtered(
                lambda g: g.governance_scope != "governed"
            )
            if ungoverned:
                raise ValidationError(
                    _(
                        "These groups are not managed by Access Governance and "
                        "cannot be requested: %s",
                        ", ".join(ungoverned.mapped("full_name")),
                    )
                )

    @api.constrains("date_start", "date_end", "profile_id")
    def _check_duration(self):
        for grant in self:
            limit = grant.profile_id.max_duration_hours
            if not limit:
                continue
            if not grant.date_end:
                raise ValidationError(
                    _(
                        "Profile %(profile)s is time-limited: set an end date.",
                        profile=grant.profile_id.name,
                    )
                )
            hours = (grant.date_end - grant.date_start).total_seconds() / 3600
            if hours > limit + 1e-6:
                raise ValidationError(
                    _(
                        "Profile %(profile)s allows at most %(max)s hours; this "
                        "request lasts %(hours).1f hours.",
                        profile=grant.profile_id.name,
                        max=limit,
                        hours=hours,
                    )
                )

    # ------------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                if vals.get("state", "draft") == "draft":
                    vals.pop("state", None)
                protected = self._grant_protected_fields() & vals.keys()
                if protected:
                    raise AccessError(
                        _(
                            "These fields are set by the approval flow, not by "
                            "hand: %s",
                            ", ".join(sorted(protected)),
                        )
                    )
                requester = vals.get("requester_id", self.env.uid)
                if requester != self.env.uid and not self._grant_is_manager():
                    raise AccessError(_("You can only file requests in your own name."))
        grants = super().create(vals_list)
        if not self.env.su:
            grants._grant_check_beneficiary()
        for grant in grants:
            grant._grant_write(
                {
                    "name": self.env["ir.sequence"]
                    .sudo()
                    .next_by_code("access.governance.grant")
                    or "/"
                }
            )
        return grants

    def write(self, vals):
        if not self.env.su:
            # The requester is fixed at creation: changing it later could
            # turn a requester into an eligible approver of their own request.
            protected = (self._grant_protected_fields() | {"requester_id"}) & (
                vals.keys()
            )
            if protected:
                raise AccessError(
                    _(
                        "These fields are set by the approval flow, not by hand: %s",
                        ", ".join(sorted(protected)),
                    )
                )
            if REQUEST_FIELDS & vals.keys() and any(
                grant.state != "draft" for grant in self
            ):
                raise UserError(
                    _("Only draft requests can be changed. Cancel and request again.")
                )
            if "revoke_reason" in vals and not self._grant_is_manager():
                raise AccessError(
                    _("Only Access Governance managers can revoke access.")
                )
        res = super().write(vals)
        if "beneficiary_id" in vals and not self.env.su:
            self._grant_check_beneficiary()
        return res

    @api.model
    def _grant_protected_fields(self):
        """Fields callers may never write: the flow-controlled ones and every
        stored computed field without inverse (the ORM would store a value
        written over RPC as is, e.g. group_ids or approvals_required)."""
        computed = {
            name
            for name, field in self._fields.items()
            if field.compute and field.store and not field.inverse and field.readonly
        }
        return PROTECTED_FIELDS | computed

    @api.ondelete(at_uninstall=False)
    def _unlink_except_submitted(self):
        # A grant leaves draft only through the flow and never comes back:
        # anything past draft (cancelled ones included) is evidence.
        if any(grant.state != "draft" for grant in self):
            raise UserError(
                _(
                    "Only draft requests that were never submitted can be "
                    "deleted; the rest is evidence."
                )
            )

    def _grant_write(self, vals):
        """Write flow-controlled fields.

        sudo: the state, approvals and evidence fields are protected against
        direct writes (see :meth:`write`); the caller has checked that the
        current user may perform the transition. Tracking still credits the
        real user.
        """
        return self.sudo().write(vals)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @api.model
    def _grant_is_manager(self, user=None):
        user = user or self.env.user
        return user.has_group("access_governance.group_governance_manager")

    @api.model
    def _grant_manager_of(self, user):
        """The users managing ``user``'s employee records."""
        return self._grant_employees_as_superuser(user).parent_id.user_id

    @api.model
    def _grant_employees_as_superuser(self, user):
        # sudo: plain users cannot read hr.employee (only its public view);
        # the manager link is needed to route approvals.
        return (
            self.env["hr.employee"]
            .sudo()
            .with_context(active_test=False)
            .search([("user_id", "in", user.ids)])
        )

    def _grant_check_beneficiary(self):
        """A User may request access for themselves or for the people they
        manage; governance managers for anybody."""
        if self._grant_is_manager():
            return
        for grant in self:
            user = self.env.user
            if grant.beneficiary_id == user:
                continue
            if user in self._grant_manager_of(grant.beneficiary_id):
                continue
            raise AccessError(
                _(
                    "You can request access only for yourself or for the people "
                    "you manage, not for %s.",
                    grant.beneficiary_id.name,
                )
            )

    def _grant_audit(self, event, description, details=None):
        entries = [
            {
                "event": event,
                "user": grant.beneficiary_id,
                "groups": grant.group_ids,
                "record": grant,
                "description": f"{grant.name}: {description}",
                "details": dict(
                    details or {},
                    grant=grant.id,
                    state=grant.state,
                    reason=grant.reason or "",
                ),
            }
            for grant in self
        ]
        self.env["access.governance.audit"]._audit_log_batch(entries)

    def _grant_approver_candidates(self):
        """Who may approve this grant (beneficiary and requester excluded)."""
        self.ensure_one()
        if self.profile_id:
            approvers = self.profile_id._profile_approvers(self.beneficiary_id)
        else:
            groups = self._grant_source_groups()
            approvers = groups.governance_owner_id
            if any(not group.governance_owner_id for group in groups):
                approvers |= self._grant_governance_managers()
        approvers = approvers.filtered(lambda u: u.active and not u.share)
        if not approvers:
            approvers = self._grant_governance_managers()
        return approvers - self.beneficiary_id - self.requester_id

    @api.model
    def _grant_governance_managers(self):
        group = self.env.ref("access_governance.group_governance_manager")
        return group.sudo().users.filtered(lambda u: u.active and not u.share)

    def _grant_is_fully_approved(self):
        self.ensure_one()
        # sudo: a User approver sees only their own decision (record rule);
        # the count must include everybody's.
        approvers = (
            self.sudo()
            .approval_ids.filtered(lambda a: a.decision == "approve")
            .approver_id
        )
        return (
            len(approvers) >= self._grant_source_approvals_required()
            and self.required_approver_ids <= approvers
        )

    def _grant_check_can_decide(self):
        """Raise unless the current user may approve or reject this grant."""
        self.ensure_one()
        user = self.env.user
        if self.state != "submitted":
            raise UserError(
                _("%(grant)s is not waiting for approval.", grant=self.name)
            )
        if user == self.beneficiary_id:
            raise UserError(_("You cannot approve or reject your own access."))
        if user == self.requester_id:
            raise UserError(
                _("You requested this access: someone else must approve it.")
            )
        if user not in self.approver_ids and not self._grant_is_manager():
            _logger.warning(
                "Grant decision: REJECT for %s (%s) by uid #%s: not an approver",
                self.name,
                self.id,
                user.id,
            )
            raise AccessError(_("You are not an approver of %s.", self.name))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_submit(self):
        for grant in self:
            if grant.state != "draft":
                raise UserError(_("%s has already been submitted.", grant.name))
            if grant.profile_id.break_glass:
                raise UserError(
                    _(
                        "%s is break-glass access: use Activate Now, it is "
                        "reviewed afterwards.",
                        grant.profile_id.name,
                    )
                )
            if (grant.profile_id.reason_required or not grant.profile_id) and not (
                grant.reason or ""
            ).strip():
                raise UserError(_("Please give a reason for this request."))
            if grant.date_end and grant.date_end <= fields.Datetime.now():
                raise UserError(_("The end of the request is already past."))
            grant._grant_submit()
        return True

    def _grant_submit(self):
        self.ensure_one()
        conflicts = self._grant_evaluate_sod()
        open_conflicts = [c for c in conflicts if not c["mitigation"]]
        groups = self._grant_source_groups()
        standard = not open_conflicts and (
            self.profile_id.auto_approve
            if self.profile_id
            else all(
                g.governance_risk == "low" and g.governance_requestable for g in groups
            )
        )
        if not standard and not self.profile_id and not self._grant_is_manager():
            not_requestable = groups.filtered(lambda g: not g.governance_requestable)
            if not_requestable:
                raise UserError(
                    _(
                        "These groups cannot be requested directly: %s. Ask for "
                        "a profile or a role that includes them.",
                        ", ".join(not_requestable.mapped("full_name")),
                    )
                )
        if standard:
            self._grant_write(
                {"state": "submitted", "policy_approved": True, "approver_ids": False}
            )
            self._grant_audit("grant_submitted", _("submitted."))
            self._grant_message_post(
                body=_(
                    "Approved by policy: low-risk, requestable access without "
                    "separation-of-duties conflict."
                )
            )
            self._grant_audit("grant_policy_approved", _("approved by policy."))
            self._grant_approve()
            return
        required = self.env["res.users"]
        for conflict in open_conflicts:
            if conflict["rule"].action == "require_approval":
                owner = conflict["rule"].owner_id
                if not owner or owner in (self.beneficiary_id | self.requester_id):
                    raise UserError(
                        _(
                            "Separation-of-duties rule %(rule)s requires the "
                            "approval of its owner, and no owner other than the "
                            "beneficiary or requester is set. Ask an "
                            "administrator to set one.",
                            rule=conflict["rule"].name,
                        )
                    )
                required |= owner
        approvers = self._grant_approver_candidates() | required
        if len(approvers) < self._grant_source_approvals_required():
            raise UserError(
                _(
                    "%(grant)s needs %(count)s distinct approvals but only "
                    "%(available)s people other than the beneficiary and the "
                    "requester may approve it.",
                    grant=self.name,
                    count=self.approvals_required,
                    available=len(approvers),
                )
            )
        self._grant_write(
            {
                "state": "submitted",
                "approver_ids": [Command.set(approvers.ids)],
                "required_approver_ids": [Command.set(required.ids)],
            }
        )
        self._grant_audit(
            "grant_submitted",
            _(
                "submitted for approval by %(approvers)s.",
                approvers=", ".join(approvers.mapped("name")),
            ),
            {"approvers": approvers.ids, "required": required.ids},
        )
        self._grant_schedule_activities_as_superuser(
            ACTIVITY_APPROVAL,
            approvers,
            _("Approve access for %s", self.beneficiary_id.name),
        )

    def _grant_evaluate_sod(self):
        """Check the SoD rules on the access the beneficiary would hold.

        Blocks raise; warnings go to the chatter. Returns the conflicts the
        grant introduces (dicts as :meth:`_sod_conflicts` returns)."""
        self.ensure_one()
        Rule = self.env["access.governance.sod.rule"]
        # sudo: a requester may not read SoD rules; the rule's name, action
        # and owner decide the outcome and are shown on the grant.
        conflicts = [
            dict(conflict, rule=conflict["rule"].sudo())
            for conflict in Rule._sod_new_conflicts(
                self.beneficiary_id, self._grant_source_groups()
            )
        ]
        blocked = [
            c for c in conflicts if c["rule"].action == "block" and not c["mitigation"]
        ]
        lines = [Rule._sod_conflict_text(c) for c in conflicts]
        self._grant_write(
            {
                "sod_summary": "\n".join(lines) or False,
                "sod_rule_ids": [Command.set([c["rule"].id for c in conflicts])],
            }
        )
        if conflicts:
            self._grant_audit(
                "sod_conflict",
                "; ".join(lines),
                {"rules": [c["rule"].id for c in conflicts]},
            )
        if blocked:
            raise UserError(
                _(
                    "This access is blocked by the separation-of-duties rule "
                    "%(rule)s: %(detail)s",
                    rule=blocked[0]["rule"].name,
                    detail=Rule._sod_conflict_text(blocked[0]),
                )
            )
        warnings = [
            c for c in conflicts if c["rule"].action == "warn" and not c["mitigation"]
        ]
        if warnings:
            self._grant_message_post(
                body=_(
                    "Separation-of-duties warning: %s",
                    "; ".join(Rule._sod_conflict_text(c) for c in warnings),
                )
            )
        return conflicts

    def action_approve(self):
        self.ensure_one()
        self._grant_check_can_decide()
        user = self.env.user
        if user in self.approval_ids.approver_id:
            return True  # approving twice counts once
        self._grant_record_decision("approve")
        self._grant_activity_done_as_superuser(ACTIVITY_APPROVAL, user, _("Approved"))
        self._grant_audit(
            "grant_approval",
            _("approved by %s.", user.name),
            {"approver": user.id},
        )
        if self._grant_is_fully_approved():
            self._grant_approve()
        return True

    def action_reject(self):
        self.ensure_one()
        self._grant_check_can_decide()
        user = self.env.user
        self._grant_record_decision("reject")
        self._grant_write({"state": "rejected"})
        self._grant_activity_unlink_as_superuser(ACTIVITY_APPROVAL)
        self._grant_audit(
            "grant_rejected", _("rejected by %s.", user.name), {"approver": user.id}
        )
        self._grant_message_post(
            body=_("Rejected by %s.", user.name),
            partner_ids=(self.requester_id | self.beneficiary_id).partner_id.ids,
        )
        return True

    def _grant_record_decision(self, decision, comment=None):
        self._grant_create_approval_as_superuser(
            {
                "grant_id": self.id,
                "approver_id": self.env.uid,
                "decision": decision,
                "comment": comment,
            }
        )

    def _grant_create_approval_as_superuser(self, vals):
        # sudo: decisions are evidence; nobody creates them directly, the
        # caller (_grant_check_can_decide) has checked the approver.
        return self.env["access.governance.approval"].sudo().create(vals)

    def _grant_approve(self):
        """submitted -> approved; activate at once when the start is past."""
        for grant in self:
            grant._grant_write({"state": "approved"})
            grant._grant_activity_unlink_as_superuser(ACTIVITY_APPROVAL)
            if not grant.policy_approved:
                grant._grant_audit(
                    "grant_approved",
                    _(
                        "approved (%(count)s of %(required)s approvals).",
                        count=grant.approval_count,
                        required=grant.approvals_required,
                    ),
                )
            if grant.date_start <= fields.Datetime.now():
                grant._grant_activate()

    def _grant_activate(self):
        """approved -> active: start the claims. State-keyed, so running it
        twice (a cron re-run) never applies twice."""
        Claim = self.env["access.governance.claim"]
        for grant in self:
            if grant.state != "approved":
                continue
            # The source, not the stored group_ids: what was approved.
            started = Claim._claims_start(
                grant.beneficiary_id,
                grant._grant_source_groups(),
                "grant",
                source=grant,
            )
            added = started.filtered("added").group_id
            grant._grant_write(
                {
                    "state": "active",
                    "date_activated": fields.Datetime.now(),
                    "added_group_ids": [Command.set(added.ids)],
                }
            )
            grant._grant_audit(
                "grant_activated",
                _(
                    "active until %(end)s; added %(added)s.",
                    end=grant.date_end or _("revoked"),
                    added=", ".join(added.mapped("full_name")) or _("nothing new"),
                ),
                {"added": added.mapped("full_name")},
            )
            grant._grant_message_post(
                body=_(
                    "Access is active. Groups added: %s",
                    ", ".join(added.mapped("full_name")) or _("none (already held)"),
                ),
                partner_ids=grant.beneficiary_id.partner_id.ids,
            )

    def _grant_end(self, state, description):
        """active -> expired / revoked: end the claims (the engine keeps
        what another claim holds); approved/submitted -> revoked."""
        Claim = self.env["access.governance.claim"]
        for grant in self:
            if grant.state == "active":
                Claim._claims_end_source(grant, note=state)
            grant._grant_write({"state": state, "date_ended": fields.Datetime.now()})
            grant._grant_activity_unlink_as_superuser(ACTIVITY_APPROVAL)
            grant._grant_audit(f"grant_{state}", description)

    def _grant_expire(self):
        self.filtered(lambda g: g.state == "active")._grant_end(
            "expired", _("expired.")
        )

    def action_revoke(self):
        if not self._grant_is_manager():
            raise AccessError(_("Only Access Governance managers can revoke access."))
        for grant in self:
            if grant.state not in ("submitted", "approved", "active"):
                raise UserError(_("%s is not in force: nothing to revoke.", grant.name))
            if not (grant.revoke_reason or "").strip():
                raise UserError(_("Give the reason for revoking %s.", grant.name))
            grant._grant_write({"revoked_by_id": self.env.uid})
            grant._grant_end(
                "revoked",
                _(
                    "revoked by %(user)s: %(reason)s",
                    user=self.env.user.name,
                    reason=grant.revoke_reason,
                ),
            )
            grant._grant_message_post(
                body=_("Access revoked: %s", grant.revoke_reason),
                partner_ids=grant.beneficiary_id.partner_id.ids,
            )
        return True

    def action_cancel(self):
        for grant in self:
            if grant.state not in ("draft", "submitted", "approved"):
                raise UserError(_("%s can no longer be cancelled.", grant.name))
            if not (
                self.env.user in (grant.beneficiary_id | grant.requester_id)
                or self._grant_is_manager()
            ):
                raise AccessError(_("You cannot cancel %s.", grant.name))
            grant._grant_write({"state": "cancelled"})
            grant._grant_activity_unlink_as_superuser(ACTIVITY_APPROVAL)
            grant._grant_audit("grant_cancelled", _("cancelled."))
        return True

    def action_extend(self):
        """A new request linked to this one, starting when it ends, that goes
        through approval again."""
        self.ensure_one()
        if self.state not in ("approved", "active") or not self.date_end:
            raise UserError(_("Only time-limited access in force can be extended."))
        duration = self.date_end - self.date_start
        if self.profile_id.max_duration_hours:
            duration = min(
                duration, timedelta(hours=self.profile_id.max_duration_hours)
            )
        extension = self.create(
            {
                "beneficiary_id": self.beneficiary_id.id,
                "profile_id": self.profile_id.id,
                "requested_group_ids": [Command.set(self.requested_group_ids.ids)],
                "reason": _(
                    "Extension of %(grant)s: %(reason)s",
                    grant=self.name,
                    reason=self.reason or "",
                ),
                "date_start": self.date_end,
                "date_end": self.date_end + duration,
            }
        )
        extension._grant_write({"extended_from_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": extension.id,
            "view_mode": "form",
            "target": "current",
        }

    # ------------------------------------------------------------------
    # Break-glass
    # ------------------------------------------------------------------
    def action_break_glass(self):
        """The beneficiary activates break-glass access at once, with a
        reason; the profile's approvers sign it off afterwards."""
        self.ensure_one()
        if not self.profile_id.break_glass or self.state != "draft":
            raise UserError(_("Only a draft break-glass request can be activated now."))
        if self.env.user != self.beneficiary_id:
            raise UserError(_("Only the beneficiary can break the glass."))
        if not (self.reason or "").strip():
            raise UserError(_("A reason is mandatory for break-glass access."))
        now = fields.Datetime.now()
        cap = now + timedelta(hours=self.profile_id.max_duration_hours)
        vals = {"date_start": now}
        if not self.date_end or self.date_end > cap or self.date_end <= now:
            vals["date_end"] = cap
        self.write(vals)
        self._grant_evaluate_sod()
        reviewers = self._grant_approver_candidates()
        self._grant_write(
            {
                "state": "approved",
                "review_required": True,
                "approver_ids": [Command.set(reviewers.ids)],
            }
        )
        self._grant_audit(
            "grant_break_glass",
            _("break-glass activation by %s.", self.env.user.name),
            {"reviewers": reviewers.ids},
        )
        self._grant_activate()
        self._grant_schedule_activities_as_superuser(
            ACTIVITY_REVIEW,
            reviewers,
            _("Review break-glass use by %s", self.beneficiary_id.name),
        )
        return True

    def action_sign_off(self):
        self.ensure_one()
        user = self.env.user
        if not self.review_required:
            raise UserError(_("%s is not waiting for a review.", self.name))
        if user == self.beneficiary_id:
            raise UserError(_("You cannot sign off your own break-glass use."))
        if user == self.requester_id:
            raise UserError(
                _(
                    "You requested this break-glass access: someone else must sign it off."
                )
            )
        if user not in self.approver_ids and not self._grant_is_manager():
            raise AccessError(_("You are not a reviewer of %s.", self.name))
        self._grant_write(
            {
                "review_required": False,
                "reviewed_by_id": user.id,
                "date_reviewed": fields.Datetime.now(),
            }
        )
        self._grant_activity_done_as_superuser(ACTIVITY_REVIEW, user, _("Signed off"))
        self._grant_activity_unlink_as_superuser(ACTIVITY_REVIEW)
        self._grant_audit("grant_signed_off", _("break-glass use signed off."))
        return True

    # ------------------------------------------------------------------
    # Activity and messaging methods
    # ------------------------------------------------------------------
    def _grant_message_post(self, **kwargs):
        # sudo: posting needs write access on the grant, which approvers and
        # (after submit) requesters do not have; the author stays the real
        # user, as sudo() keeps the uid.
        return self.sudo().message_post(**kwargs)

    def _grant_schedule_activities_as_superuser(self, xmlid, users, summary):
        # sudo: the requester cannot write a submitted grant, yet its
        # approvers must get their activity (they can read the grant).
        for user in users:
            self.sudo().activity_schedule(
                xmlid,
                user_id=user.id,
                summary=summary,
                note=self.reason or "",
                date_deadline=fields.Date.context_today(self),
            )

    def _grant_activity_done_as_superuser(self, xmlid, user, feedback):
        # sudo: closing the decider's own activity on a grant they may not write.
        self.sudo().activity_feedback([xmlid], user_id=user.id, feedback=feedback)

    def _grant_activity_unlink_as_superuser(self, xmlid):
        # sudo: other approvers' activities are no longer needed.
        self.sudo().activity_unlink([xmlid])

    # ------------------------------------------------------------------
    # Cron methods
    # ------------------------------------------------------------------
    @api.model
    def _grant_lock_due(self, step, now, limit, exclude):
        """Ids of due grants, locked; rows another worker holds are skipped."""
        self.flush_model(["state", "date_start", "date_end", "reminder_sent"])
        condition = {
            "activate": SQL("state = 'approved' AND date_start <= %s", now),
            "expire": SQL(
                "state = 'active' AND date_end IS NOT NULL AND date_end <= %s", now
            ),
            "remind": SQL(
                "state = 'active' AND NOT COALESCE(reminder_sent, FALSE) "
                "AND date_end IS NOT NULL AND date_end > %s AND date_end <= %s "
                "+ LEAST(interval '24 hours', (date_end - date_start) / 4)",
                now,
                now,
            ),
        }[step]
        self.env.cr.execute(
            SQL(
                "SELECT id FROM access_governance_grant WHERE %s AND id != ALL(%s) "
                "ORDER BY date_start, id LIMIT %s FOR UPDATE SKIP LOCKED",
                condition,
                list(exclude),
                limit,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _cron_process_grants(self, batch_size=200):
        """Activate due approved grants, then expire due active ones, then
        remind beneficiaries before the end.

        Each grant runs in its own savepoint: one failing grant is rolled
        back and logged, the rest proceed. Every step is keyed on the state,
        so a re-run after a crash never applies twice."""
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        now = fields.Datetime.now()
        done = failed_count = 0
        methods = {
            "activate": "_grant_activate",
            "expire": "_grant_expire",
            "remind": "_grant_remind",
        }
        for step, method in methods.items():
            failed = set()
            seen = set()  # never pick a grant twice in one run
            while True:
                ids = self._grant_lock_due(step, now, batch_size, seen)
                if not ids:
                    break
                seen.update(ids)
                for grant in self.browse(ids):
                    try:
                        with self.env.cr.savepoint():
                            getattr(grant, method)()
                        done += 1
                    except Exception:
                        _logger.exception(
                            "Grant cron: %s failed for grant #%s", step, grant.id
                        )
                        failed.add(grant.id)
                if auto_commit:
                    self.env["ir.cron"]._notify_progress(done=done, remaining=0)
                    # Cron batching: keep what is done if the worker dies.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
            failed_count += len(failed)
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        if done or failed_count:
            _logger.info(
                "Grant cron: %d grants processed, %d failed", done, failed_count
            )
        return {"done": done, "failed": failed_count}

    def _grant_remind(self):
        for grant in self:
            if grant.state != "active" or grant.reminder_sent:
                continue
            grant._grant_write({"reminder_sent": True})
            grant.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=grant.beneficiary_id.id,
                summary=_("Your access ends soon"),
                note=_(
                    "%(grant)s ends on %(end)s. Request an extension if you "
                    "still need it.",
                    grant=grant.name,
                    end=grant.date_end,
                ),
                date_deadline=fields.Date.context_today(grant),
            )

    # ------------------------------------------------------------------
    # Break-glass window report
    # ------------------------------------------------------------------
    @api.depends_context("uid")
    @api.depends("date_activated", "date_ended", "beneficiary_id", "break_glass")
    def _compute_window_activity_html(self):
        user = self.env.user
        is_auditor = user.has_group("access_governance.group_governance_auditor")
        for grant in self:
            visible = grant.break_glass and grant.date_activated
            if not visible or not (is_auditor or user in grant.approver_ids):
                grant.window_activity_html = False
                continue
            records, trackings = grant._grant_window_activity_as_superuser()
            grant.window_activity_html = grant._grant_window_render(records, trackings)

    def _grant_window_activity_as_superuser(self):
        # sudo: the reviewer must see what the beneficiary touched across
        # models they may not read themselves; only names and dates are shown.
        self.ensure_one()
        start = self.date_activated
        end = self.date_ended or fields.Datetime.now()
        uid = self.beneficiary_id.id
        cr = self.env.cr
        self.env.flush_all()
        records = []
        for name in sorted(self.env.registry):
            Model = self.env[name].sudo()
            if (
                Model._abstract
                or Model._transient
                or not Model._auto
                or not Model._log_access
                or name in WINDOW_EXCLUDED_MODELS
            ):
                continue
            cr.execute(
                SQL(
                    "SELECT id, create_uid = %(uid)s AND create_date BETWEEN "
                    "%(start)s AND %(end)s, write_date FROM %(table)s "
                    "WHERE (create_uid = %(uid)s AND create_date BETWEEN "
                    "%(start)s AND %(end)s) OR (write_uid = %(uid)s AND "
                    "write_date BETWEEN %(start)s AND %(end)s) "
                    "ORDER BY write_date DESC LIMIT %(limit)s",
                    uid=uid,
                    start=start,
                    end=end,
                    table=SQL.identifier(Model._table),
                    limit=WINDOW_PER_MODEL,
                )
            )
            for res_id, created, date in cr.fetchall():
                records.append((date, name, res_id, created))
        records.sort(reverse=True)
        records = records[:WINDOW_LIMIT]
        lines = []
        for date, name, res_id, created in records:
            record = self.env[name].sudo().browse(res_id)
            lines.append(
                {
                    "date": date,
                    "model": self.env["ir.model"]._get(name).name,
                    "model_name": name,
                    "res_id": res_id,
                    "name": record.display_name,
                    "action": _("created") if created else _("changed"),
                }
            )
        trackings = (
            self.env["mail.tracking.value"]
            .sudo()
            .search(
                [
                    (
                        "mail_message_id.author_id",
                        "=",
                        self.beneficiary_id.partner_id.id,
                    ),
                    ("create_date", ">=", start),
                    ("create_date", "<=", end),
                ],
                limit=WINDOW_LIMIT,
                order="id desc",
            )
        )
        changes = []
        for tracking in trackings:
            message = tracking.mail_message_id
            ftype = tracking.field_id.ttype
            changes.append(
                {
                    "date": tracking.create_date,
                    "record": f"{message.model},{message.res_id}",
                    "name": message.record_name or "",
                    "field": tracking.field_id.field_description or "",
                    "old": tracking._format_display_value(ftype, new=False)[0],
                    "new": tracking._format_display_value(ftype, new=True)[0],
                }
            )
        return lines, changes

    def _grant_window_render(self, records, trackings):
        if not records and not trackings:
            return "<p>{}</p>".format(escape(_("No record created or changed.")))
        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td><a href='/odoo/{}/{}'>{}</a></td>"
            "<td>{}</td></tr>".format(
                escape(str(line["date"])),
                escape(line["model"]),
                escape(line["model_name"]),
                line["res_id"],
                escape(line["name"] or ""),
                escape(line["action"]),
            )
            for line in records
        )
        html = (
            "<table class='table table-sm'><thead><tr><th>{}</th><th>{}</th>"
            "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>"
        ).format(
            escape(_("Date")),
            escape(_("Model")),
            escape(_("Record")),
            escape(_("Action")),
            rows,
        )
        if trackings:
            rows = "".join(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td></tr>".format(
                    escape(str(change["date"])),
                    escape(change["name"]),
                    escape(change["field"]),
                    escape(str(change["old"] or "")),
                    escape(str(change["new"] or "")),
                )
                for change in trackings
            )
            html += (
                "<h5>{}</h5><table class='table table-sm'><tbody>{}</tbody></table>"
            ).format(escape(_("Tracked field changes")), rows)
        return html
