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

import functools
import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta
from html import escape

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.http import request
from odoo.tools import SQL

from odoo.addons.base.models.res_users import check_identity

from .access_governance_guarded import is_trusted, trusted
from .access_governance_profile import format_duration
from .res_groups import RISK_LEVELS, RISK_ORDER

_logger = logging.getLogger(__name__)


def check_identity_when_interactive(method):
    """Odoo's own identity check (``check_identity`` in base: the password,
    and 2FA when enabled, at most every 10 minutes) for callers over HTTP.
    Server-side code (a cron, another module, a test) has no session whose
    identity could be confirmed and runs the method directly; every call
    from a browser or over RPC has a request and is checked."""
    checked = check_identity(method)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not request:
            return method(self, *args, **kwargs)
        if request.session.get("identity-check-last", 0) <= time.time() - 600:
            _logger.info(
                "Grant %s: identity check asked of uid #%s for %s",
                method.__name__,
                self.env.uid,
                self.ids,
            )
        return checked(self, *args, **kwargs)

    # res.users.identitycheck runs only methods marked as checked.
    setattr(wrapper, "__has_check_identity", True)
    return wrapper


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

# Written only by the grant's own transition methods (the trusted path of
# access.governance.guarded), never by callers: not in values, not from
# default_* context keys, not by load() or copy(default=...).
PROTECTED_FIELDS = {
    "name",
    "state",
    "requester_id",
    "approved_group_ids",
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
    "revoke_reason",
    "revoke_source",
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
REVOKE_SOURCES = [
    ("manager", "Revoked by a manager"),
    ("review", "Access review"),
    ("offboarding", "Offboarding"),
    ("finding", "Finding remediation"),
    ("out_of_band", "Group removed by an administrator"),
    ("other", "Access ended elsewhere"),
]
# Why the claims engine ended a grant's claims (its ``note``) -> revoke_source.
CLAIM_NOTE_SOURCES = {
    "review_revoke": "review",
    "offboarding": "offboarding",
    "finding": "finding",
    "out_of_band": "out_of_band",
}
ENDED_STATES = ("expired", "revoked", "rejected", "cancelled")
# transition: (states it may start from, state it leads to)
TRANSITIONS = {
    "submit": (("draft",), "submitted"),
    "approve": (("submitted",), "approved"),
    "reject": (("submitted",), "rejected"),
    "cancel": (("draft", "submitted", "approved"), "cancelled"),
    "revoke": (("submitted", "approved", "active"), "revoked"),
    "extend": (("approved", "active"), None),
    "break_glass": (("draft",), "active"),
    "sign_off": ((), None),  # keyed on review_required, whatever the state
}
TRANSITION_LABELS = {
    "submit": "submitted",
    "approve": "approved",
    "reject": "rejected",
    "cancel": "cancelled",
    "revoke": "revoked",
    "extend": "extended",
    "break_glass": "activated as break-glass access",
    "sign_off": "signed off",
}
TRANSITION_VERBS = {"submit": "submit", "cancel": "cancel", "extend": "extend"}
CAN_FIELDS = {
    "submit": "can_submit",
    "approve": "can_decide",
    "cancel": "can_cancel",
    "revoke": "can_revoke",
    "extend": "can_extend",
    "break_glass": "can_break_glass",
    "sign_off": "can_sign_off",
}
WINDOW_LIMIT = 200
# Input that cannot hurt: free text and dates are bounded.
MAX_TEXT_LENGTH = 2000
MAX_YEARS_AHEAD = 10
WINDOW_PER_MODEL = 50


class AccessGovernanceGrant(models.Model):
    _name = "access.governance.grant"
    _description = "Access Request"
    _inherit = ("mail.thread", "mail.activity.mixin", "access.governance.guarded")
    _governance_protected_fields = frozenset(PROTECTED_FIELDS)
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
        # An id, not a record: access.governance.guarded's default_get
        # passes the field's own default through as is.
        default=lambda self: self.env.uid,
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
    duration_display = fields.Char(
        string="Duration", compute="_compute_duration_display"
    )
    state = fields.Selection(
        GRANT_STATES,
        default="draft",
        required=True,
        readonly=True,
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
    approved_group_ids = fields.Many2many(
        "res.groups",
        "access_governance_grant_approved_group_rel",
        "grant_id",
        "group_id",
        string="Approved Groups",
        readonly=True,
        copy=False,
        help="What was approved, frozen at approval: activation grants exactly "
        "these groups, whatever the profile holds by then.",
    )
    claim_ids = fields.One2many(
        "access.governance.claim", compute="_compute_claim_ids", string="Claims"
    )
    date_activated = fields.Datetime(string="Activated On", readonly=True, copy=False)
    date_ended = fields.Datetime(string="Ended On", readonly=True, copy=False)
    reminder_sent = fields.Boolean(readonly=True, copy=False)
    revoke_reason = fields.Text(
        readonly=True,
        tracking=True,
        copy=False,
        help="Why the access was revoked: the manager's reason, or what ended "
        "it elsewhere (a review, an offboarding, a finding, an administrator).",
    )
    revoke_source = fields.Selection(
        REVOKE_SOURCES,
        string="Revoked By (Source)",
        readonly=True,
        copy=False,
        help="What ended the access: the Revoke button or another process.",
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
    # What the current user may do, asked of the gate (_grant_check_transition).
    can_submit = fields.Boolean(compute="_compute_can")
    can_decide = fields.Boolean(compute="_compute_can")
    can_cancel = fields.Boolean(compute="_compute_can")
    can_revoke = fields.Boolean(compute="_compute_can")
    can_extend = fields.Boolean(compute="_compute_can")
    can_break_glass = fields.Boolean(compute="_compute_can")
    can_sign_off = fields.Boolean(compute="_compute_can")
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

    @api.depends("date_start", "date_end")
    def _compute_duration_display(self):
        for grant in self:
            if grant.date_start and grant.date_end:
                hours = (grant.date_end - grant.date_start).total_seconds() / 3600
                grant.duration_display = format_duration(self.env, hours)
            else:
                grant.duration_display = self.env._("Permanent")

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
        claims = Claim.search([("grant_id", "in", self.ids)]) if self.ids else Claim
        for grant in self:
            grant.claim_ids = claims.filtered(lambda c, g=grant: c.grant_id == g)

    @api.depends_context("uid")
    @api.depends(
        "state",
        "approver_ids",
        "approval_ids",
        "beneficiary_id",
        "requester_id",
        "review_required",
        "profile_id.break_glass",
    )
    def _compute_can(self):
        for grant in self:
            for transition, name in CAN_FIELDS.items():
                grant[name] = not grant._grant_transition_refusal(transition)

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
                        "Profile %(profile)s allows at most %(max)s; this "
                        "request lasts %(duration)s.",
                        profile=grant.profile_id.name,
                        max=format_duration(self.env, limit),
                        duration=format_duration(self.env, hours),
                    )
                )

    @api.constrains("beneficiary_id")
    def _check_beneficiary_internal(self):
        # A view domain is not a rule: RPC, import and default_* bypass it.
        for grant in self:
            user = grant.beneficiary_id.with_context(active_test=False)
            if user.share or not user.active:
                raise ValidationError(
                    _(
                        "Access can be requested only for active internal users, "
                        "not for %s.",
                        user.name,
                    )
                )

    @api.constrains("date_start", "date_end")
    def _check_dates_bounded(self):
        horizon = self._grant_horizon()
        for grant in self:
            for date in (grant.date_start, grant.date_end):
                if date and date > horizon:
                    raise ValidationError(
                        _(
                            "Dates of a request may be at most %s years ahead.",
                            MAX_YEARS_AHEAD,
                        )
                    )

    @api.constrains("reason", "revoke_reason")
    def _check_text_length(self):
        for grant in self:
            grant._grant_check_text(grant.reason)
            grant._grant_check_text(grant.revoke_reason)

    @api.model
    def _grant_check_text(self, text):
        if text and len(text) > MAX_TEXT_LENGTH:
            raise ValidationError(
                _(
                    "A reason or comment may be at most %(max)s characters long "
                    "(this one has %(length)s).",
                    max=MAX_TEXT_LENGTH,
                    length=len(text),
                )
            )

    def _grant_lock(self):
        """Lock the grants' rows in id order before a transition, so two
        concurrent transitions on overlapping grants wait instead of
        deadlocking, and the gate then reads the committed state."""
        if not self.ids:
            return
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM access_governance_grant WHERE id = ANY(%s) "
                "ORDER BY id FOR UPDATE",
                sorted(self.ids),
            )
        )
        self.invalidate_recordset()

    @api.model
    def _grant_horizon(self):
        return fields.Datetime.now() + timedelta(days=365 * MAX_YEARS_AHEAD)

    # ------------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        # Protected fields (state, requester, approvals...) in the values or
        # as default_* context keys are refused by access.governance.guarded.
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
        if (
            not is_trusted()
            and REQUEST_FIELDS & vals.keys()
            and any(grant.state != "draft" for grant in self)
        ):
            raise UserError(
                _("Only draft requests can be changed. Cancel and request again.")
            )
        res = super().write(vals)
        if "beneficiary_id" in vals and not self.env.su:
            self._grant_check_beneficiary()
        return res

    @api.model
    def _governance_protected(self):
        # The end date is computed from the profile but set by the requester
        # while the request is a draft (see REQUEST_FIELDS).
        return super()._governance_protected() - {"date_end"}

    def _governance_is_evidence(self):
        """An ended grant (expired, revoked, rejected, cancelled) is evidence."""
        self.ensure_one()
        return self.state in ENDED_STATES

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
        """Write flow-controlled fields, on the trusted path (the caller has
        checked the transition through :meth:`_grant_check_transition`).
        Tracking still credits the real user."""
        return self._governance_write(vals)

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

    def _grant_audit_each(self, event, descriptions, details):
        """One audit batch with a description and details per grant."""
        self.env["access.governance.audit"]._audit_log_batch(
            [
                {
                    "event": event,
                    "user": grant.beneficiary_id,
                    "groups": grant.group_ids,
                    "record": grant,
                    "description": f"{grant.name}: {descriptions[grant.id]}",
                    "details": dict(
                        details.get(grant.id) or {},
                        grant=grant.id,
                        state=grant.state,
                        reason=grant.reason or "",
                    ),
                }
                for grant in self
            ]
        )

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
        involved = self.beneficiary_id | self.requester_id
        approvers = approvers.filtered(lambda u: u.active and not u.share) - involved
        if not approvers:
            # Nobody named may decide (or only the people involved are
            # named): the governance managers do.
            approvers = self._grant_governance_managers() - involved
        return approvers

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

    # ------------------------------------------------------------------
    # The gate: who may move a grant to which state
    # ------------------------------------------------------------------
    def _grant_check_transition(self, transition, user=None):
        """Raise unless ``user`` (the current user by default) may make
        ``transition`` on every grant of ``self``.

        The one place that says who may do what, as hr_holidays'
        ``_check_approval_update``: every button, every ``can_*`` field and
        every RPC call (``action_*``, marking an approval to-do done) asks it.
        Refusals are logged in one fixed form."""
        for grant in self:
            error = grant._grant_transition_refusal(transition, user)
            if error:
                _logger.warning(
                    "Grant %s: REJECT for %s (#%s) by uid #%s: %s",
                    transition,
                    grant.name,
                    grant.id,
                    (user or self.env.user).id,
                    error.args[0] if error.args else "",
                )
                raise error
        return True

    def _grant_transition_refusal(self, transition, user=None):
        """The exception refusing ``transition`` to ``user``, or None.

        ``transition`` is one of TRANSITIONS (submit, approve, reject,
        cancel, revoke, extend, break_glass, sign_off)."""
        self.ensure_one()
        trusted_code = user is None and self.env.su
        user = user or self.env.user
        error = self._grant_refusal_state(transition)
        if error or trusted_code:
            # Superuser: the caller is the module's own trusted code (a
            # cron, a fixture); the state rule still holds.
            return error
        if transition in ("submit", "cancel", "extend"):
            return self._grant_refusal_party(transition, user)
        if transition == "revoke":
            if not self._grant_is_manager(user):
                return AccessError(
                    _("Only Access Governance managers can revoke access.")
                )
            if self.state == "active":
                # The rule of every remediation path: not one's own access,
                # administrators by Settings administrators only, never the
                # last Settings administrator.
                try:
                    self.beneficiary_id._governance_check_can_act_on(
                        groups=self.approved_group_ids, actor=user
                    )
                except (AccessError, UserError) as error:
                    return error
            return None
        if transition == "break_glass":
            if user != self.beneficiary_id:
                return UserError(_("Only the beneficiary can break the glass."))
            return None
        return self._grant_refusal_decider(transition, user)

    def _grant_refusal_state(self, transition):
        sources, _target = TRANSITIONS[transition]
        if transition == "sign_off":
            if not self.review_required:
                return UserError(_("%s is not waiting for a review.", self.name))
            return None
        if self.state not in sources:
            return UserError(
                _(
                    "%(grant)s is %(state)s: it cannot be %(action)s.",
                    grant=self.name,
                    state=dict(GRANT_STATES)[self.state].lower(),
                    action=TRANSITION_LABELS[transition],
                )
            )
        if transition == "break_glass" and not self.profile_id.break_glass:
            return UserError(
                _("%s is not a break-glass profile.", self.profile_id.name)
            )
        if transition == "extend" and not self.date_end:
            return UserError(_("Permanent access cannot be extended."))
        return self._grant_refusal_eligibility(transition)

    def _grant_refusal_eligibility(self, transition):
        """Profiles name who may request them and who may break the glass."""
        profile = self.profile_id
        if (
            transition == "submit"
            and profile
            and not profile._profile_is_eligible(self.beneficiary_id)
        ):
            return AccessError(
                _(
                    "%(user)s may not request %(profile)s: the profile is "
                    "limited to some people, groups, departments or job "
                    "positions.",
                    user=self.beneficiary_id.name,
                    profile=profile.name,
                )
            )
        if transition == "break_glass" and not profile._profile_may_break_glass(
            self.beneficiary_id
        ):
            return AccessError(
                _(
                    "%(user)s may not break the glass on %(profile)s: ask for "
                    "it through an ordinary request.",
                    user=self.beneficiary_id.name,
                    profile=profile.name,
                )
            )
        return None

    def _grant_refusal_party(self, transition, user):
        """submit, cancel, extend: the beneficiary, the requester or a
        governance manager."""
        if user in (self.beneficiary_id | self.requester_id):
            return None
        if self._grant_is_manager(user):
            return None
        return AccessError(
            _(
                "Only the beneficiary, the requester or an Access Governance "
                "manager may %(action)s %(grant)s.",
                action=TRANSITION_VERBS[transition],
                grant=self.name,
            )
        )

    def _grant_refusal_decider(self, transition, user):
        """approve, reject, sign_off: never about one's own access; the named
        approvers only (the profile's approvers are authoritative: a
        governance manager who is not one of them may not step in)."""
        sign_off = transition == "sign_off"
        if user == self.beneficiary_id:
            if sign_off:
                return UserError(_("You cannot sign off your own break-glass use."))
            return UserError(_("You cannot approve or reject your own access."))
        if user == self.requester_id:
            if sign_off:
                return UserError(
                    _(
                        "You requested this break-glass access: someone else "
                        "must sign it off."
                    )
                )
            return UserError(
                _("You requested this access: someone else must approve it.")
            )
        if user not in self.approver_ids:
            if sign_off:
                return AccessError(_("You are not a reviewer of %s.", self.name))
            return AccessError(_("You are not an approver of %s.", self.name))
        if transition == "reject" and user in self._grant_decided_by():
            return UserError(_("You have already decided on %s.", self.name))
        return None

    def _grant_decided_by(self):
        """Who has already decided (sudo: a plain-user approver sees only their
        own decision; the gate must see everybody's)."""
        self.ensure_one()
        return self.sudo().approval_ids.approver_id.with_env(self.env)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_submit(self):
        self._grant_check_transition("submit")
        for grant in self:
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
        self.activity_update()

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

    def action_approve(self, comment=None):
        """The current user's approval (also what marking their approval
        to-do done does, with the feedback as comment)."""
        self.ensure_one()
        self._grant_lock()
        self._grant_check_transition("approve")
        self._grant_check_text(comment)
        if self.risk == "critical":
            # Approving critical access asks for the password (and 2FA) first.
            return self._grant_approve_identity_checked(comment)
        return self._grant_approve_by_current_user(comment)

    @check_identity_when_interactive
    def _grant_approve_identity_checked(self, comment=None):
        return self._grant_approve_by_current_user(comment)

    def _grant_approve_by_current_user(self, comment=None):
        self.ensure_one()
        # Again: the identity check may have run minutes after the click.
        self._grant_check_transition("approve")
        user = self.env.user
        if user in self._grant_decided_by():
            return True  # approving twice counts once
        self._grant_record_decision("approve", comment)
        self._grant_audit(
            "grant_approval",
            _("approved by %s.", user.name),
            {"approver": user.id, "comment": comment or ""},
        )
        if self._grant_is_fully_approved():
            self._grant_approve()
        else:
            self.activity_update()
        return True

    def action_reject(self, reason=None):
        """Reject with a reason: without one, open the dialog asking it."""
        self.ensure_one()
        self._grant_check_transition("reject")
        self._grant_check_text(reason)
        if not (reason or "").strip():
            return self._grant_reason_dialog("reject")
        user = self.env.user
        self._grant_record_decision("reject", reason)
        self._grant_write({"state": "rejected"})
        self.activity_update()
        self._grant_audit(
            "grant_rejected",
            _("rejected by %(user)s: %(reason)s", user=user.name, reason=reason),
            {"approver": user.id, "reason": reason},
        )
        self._grant_message_post(
            body=_("Rejected by %(user)s: %(reason)s", user=user.name, reason=reason),
            partner_ids=(self.requester_id | self.beneficiary_id).partner_id.ids,
        )
        return True

    def _grant_reason_dialog(self, transition):
        """The small dialog asking the reason of a rejection or revocation
        (as Time Off's Refuse)."""
        return {
            "type": "ir.actions.act_window",
            "name": _("Reject Request")
            if transition == "reject"
            else _("Revoke Access"),
            "res_model": "access.governance.grant.reason",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "active_model": self._name,
                "active_ids": self.ids,
                "grant_transition": transition,
            },
        }

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
        # Trusted path (sudo inside): decisions are evidence; nobody creates
        # them directly, the caller has checked the approver at the gate.
        return self.env["access.governance.approval"]._governance_create([vals])

    def _grant_approve(self):
        """submitted -> approved, freezing what was approved; activate at
        once when the start is past. A window already over is refused."""
        now = fields.Datetime.now()
        for grant in self:
            if grant.date_end and grant.date_end <= now:
                raise UserError(
                    _(
                        "%s ended before it was approved: cancel it and request again.",
                        grant.name,
                    )
                )
            grant._grant_write(
                {
                    "state": "approved",
                    "approved_group_ids": [
                        Command.set(grant._grant_source_groups().ids)
                    ],
                }
            )
            grant.activity_update()
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
        """approved -> active, for a batch of grants: one claims-engine pass
        for all of them, one state write per distinct outcome, one audit
        batch, notifications in batch. State-keyed: running it twice (a cron
        re-run) never applies twice."""
        now = fields.Datetime.now()
        grants = self.filtered(lambda g: g.state == "approved")
        # Both ends of the window, checked on the server: not before the
        # start; a grant whose end has passed expires instead.
        over = grants.filtered(lambda g: g.date_end and g.date_end <= now)
        if over:
            over._grant_end("expired", _("expired before it was activated."))
        grants = grants.filtered(lambda g: g.date_start <= now) - over
        if not grants:
            return
        Claim = self.env["access.governance.claim"]
        # What was approved, frozen at approval: never what the profile holds
        # by now.
        start = [
            (
                grant.beneficiary_id.id,
                gid,
                "grant",
                f"{grant._name},{grant.id}",
                grant.name,
            )
            for grant in grants
            for gid in grant.approved_group_ids.ids
        ]
        started = Claim._claims_apply(start=start)["started"]
        added = defaultdict(set)
        for claim in started:
            if claim.added:
                added[claim.grant_id.id].add(claim.group_id.id)
        now = fields.Datetime.now()
        by_outcome = defaultdict(lambda: self.browse())
        for grant in grants:
            by_outcome[frozenset(added[grant.id])] |= grant
        for group_ids, batch in by_outcome.items():
            batch._grant_write(
                {
                    "state": "active",
                    "date_activated": now,
                    "added_group_ids": [Command.set(sorted(group_ids))],
                }
            )
        Groups = self.env["res.groups"].sudo()
        names = {
            grant.id: Groups.browse(sorted(added[grant.id])).mapped("full_name")
            for grant in grants
        }
        grants._grant_audit_each(
            "grant_activated",
            {
                grant.id: self.env._(
                    "active until %(end)s; added %(added)s.",
                    end=grant.date_end or self.env._("revoked"),
                    added=", ".join(names[grant.id]) or self.env._("nothing new"),
                )
                for grant in grants
            },
            {grant.id: {"added": names[grant.id]} for grant in grants},
        )
        grants._grant_notify_beneficiaries(
            {
                grant.id: self.env._(
                    "Access is active. Groups added: %s",
                    ", ".join(names[grant.id]) or self.env._("none (already held)"),
                )
                for grant in grants
            }
        )

    def _grant_end(self, state, description, vals=None):
        """active -> expired / revoked, for a batch of grants: end their
        claims in one engine pass (the engine keeps what another claim
        holds); approved/submitted -> revoked.

        The state is written first: the claims engine then sees the grants
        already ended and does not end them a second time (see
        :meth:`_grant_follow_claims`)."""
        if not self:
            return
        Claim = self.env["access.governance.claim"]
        was_active = self.filtered(lambda g: g.state == "active")
        self._grant_write(
            dict(vals or {}, state=state, date_ended=fields.Datetime.now())
        )
        if was_active:
            claims = Claim.sudo().search(
                [("grant_id", "in", was_active.ids), ("active", "=", True)]
            )
            Claim._claims_apply(end=claims, note=state)
        self.activity_update()
        self._grant_audit(f"grant_{state}", description)

    def _grant_notify_beneficiaries(self, bodies):
        """Tell each beneficiary, in batch: one chatter note per grant (one
        create for all) and one inbox notification, or one e-mail queued
        without rendering the e-mail layout per grant, per beneficiary.

        :param bodies: {grant id: plain text}"""
        self._grant_notify_beneficiaries_as_superuser(bodies)

    def _grant_notify_beneficiaries_as_superuser(self, bodies):
        # sudo: the cron and the approvers may not write grants, messages
        # or notifications; what is sent is fixed text about the grant.
        grants = self.sudo()
        if not grants:
            return
        messages = grants._message_log_batch(
            {gid: Markup("<p>%s</p>") % body for gid, body in bodies.items()},
            message_type="notification",
        )
        by_grant = {message.res_id: message for message in messages}
        notifications, mails = [], []
        for grant in grants:
            message = by_grant.get(grant.id)
            user = grant.beneficiary_id
            if not message or not user.active:
                continue
            partner = user.partner_id
            if user.notification_type == "inbox" or not partner.email:
                notifications.append(
                    {
                        "mail_message_id": message.id,
                        "res_partner_id": partner.id,
                        "notification_type": "inbox",
                        "notification_status": "sent",
                    }
                )
                continue
            mails.append(
                {
                    "mail_message_id": message.id,
                    "subject": f"{grant.name}: {self.env._('Access Request')}",
                    "body_html": Markup("<p>%s</p>") % bodies[grant.id],
                    "recipient_ids": [Command.link(partner.id)],
                    "auto_delete": True,
                }
            )
        if mails:
            created = self.env["mail.mail"].sudo().create(mails)
            for mail in created:
                notifications.append(
                    {
                        "mail_message_id": mail.mail_message_id.id,
                        "mail_mail_id": mail.id,
                        "res_partner_id": mail.recipient_ids.id,
                        "notification_type": "email",
                        "notification_status": "ready",
                    }
                )
        if notifications:
            self.env["mail.notification"].sudo().create(notifications)

    def _grant_follow_claims(self, note):
        """These active grants lost their access elsewhere (a review
        revocation, an offboarding, a finding remediation, an administrator
        removing the group): they end as revoked, with the reason and the
        source; the beneficiary is told and the audit trail says why.

        Called by the claims engine, which has already ended every claim of
        these grants in the same pass."""
        grants = self.filtered(lambda g: g.state == "active")
        if not grants:
            return
        source = CLAIM_NOTE_SOURCES.get(note, "other")
        reason = dict(self._fields["revoke_source"]._description_selection(self.env))[
            source
        ]
        grants._grant_write(
            {
                "state": "revoked",
                "date_ended": fields.Datetime.now(),
                "revoked_by_id": self.env.uid,
                "revoke_source": source,
                "revoke_reason": reason,
            }
        )
        grants.activity_update()
        grants._grant_audit(
            "grant_revoked",
            _(
                "revoked: %(reason)s (by %(user)s).",
                reason=reason,
                user=self.env.user.name,
            ),
            {"source": source, "note": note or ""},
        )
        grants._grant_notify_beneficiaries(
            {grant.id: self.env._("Access revoked: %s", reason) for grant in grants}
        )

    def _grant_expire(self):
        self.filtered(lambda g: g.state == "active")._grant_end(
            "expired", _("expired.")
        )

    def action_revoke(self, reason=None):
        """Revoke with a reason: without one, open the dialog asking it."""
        self._grant_lock()
        self._grant_check_transition("revoke")
        self._grant_check_text(reason)
        if not (reason or "").strip():
            return self._grant_reason_dialog("revoke")
        for grant in self:
            grant._grant_end(
                "revoked",
                _(
                    "revoked by %(user)s: %(reason)s",
                    user=self.env.user.name,
                    reason=reason,
                ),
                {
                    "revoked_by_id": self.env.uid,
                    "revoke_reason": reason,
                    "revoke_source": "manager",
                },
            )
            grant._grant_message_post(
                body=_("Access revoked: %s", reason),
                partner_ids=grant.beneficiary_id.partner_id.ids,
            )
        return True

    def action_cancel(self):
        self._grant_lock()
        self._grant_check_transition("cancel")
        for grant in self:
            grant._grant_write({"state": "cancelled"})
            grant.activity_update()
            grant._grant_audit("grant_cancelled", _("cancelled."))
        return True

    def action_extend(self):
        """A new request linked to this one, starting when it ends, that goes
        through approval again."""
        self.ensure_one()
        self._grant_lock()
        self._grant_check_transition("extend")
        if self.date_end > self._grant_horizon():
            raise UserError(
                _(
                    "%(grant)s ends more than %(years)s years ahead: it cannot be "
                    "extended.",
                    grant=self.name,
                    years=MAX_YEARS_AHEAD,
                )
            )
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
                    reason=(self.reason or "")[: MAX_TEXT_LENGTH // 2],
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
        self._grant_check_transition("break_glass")
        if not (self.reason or "").strip():
            raise UserError(_("A reason is mandatory for break-glass access."))
        # Self-activation asks for the password (and 2FA) first.
        return self._grant_break_glass_identity_checked()

    @check_identity_when_interactive
    def _grant_break_glass_identity_checked(self):
        self.ensure_one()
        self._grant_check_transition("break_glass")
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
                "approved_group_ids": [Command.set(self._grant_source_groups().ids)],
            }
        )
        self._grant_audit(
            "grant_break_glass",
            _("break-glass activation by %s.", self.env.user.name),
            {"reviewers": reviewers.ids},
        )
        self._grant_activate()
        self.activity_update()
        return True

    def action_sign_off(self):
        self.ensure_one()
        self._grant_check_transition("sign_off")
        self._grant_write(
            {
                "review_required": False,
                "reviewed_by_id": self.env.uid,
                "date_reviewed": fields.Datetime.now(),
            }
        )
        self.activity_update()
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

    def _grant_wanted_activities(self):
        """{(grant id, activity type xmlid, user id)} that should exist now:
        an approval to-do for each approver who has not decided on a
        submitted grant, a review to-do for each reviewer of a break-glass
        use not yet signed off."""
        wanted = set()
        for grant in self:
            if grant.state == "submitted":
                for user in grant.approver_ids - grant._grant_decided_by():
                    wanted.add((grant.id, ACTIVITY_APPROVAL, user.id))
            if grant.review_required:
                for user in grant.approver_ids:
                    wanted.add((grant.id, ACTIVITY_REVIEW, user.id))
        return wanted

    def activity_update(self):
        """Derive the approvers' activities from the state, in one batch (as
        hr_holidays' ``activity_update``): create the missing ones, mark done
        those whose approver decided (their comment as feedback), remove the
        obsolete ones. Nothing else creates or closes them."""
        self._grant_activity_update_as_superuser()

    def _grant_activity_update_as_superuser(self):
        # sudo: the actor (a requester, an approver) may not write the grant
        # nor other approvers' activities; what exists is derived from the
        # state only. trusted(): the mail.activity guard lets this code
        # close approval to-dos without taking it for a Mark Done.
        if not self:
            return
        grants = self.sudo()
        types = {
            xmlid: self.env.ref(xmlid).id
            for xmlid in (ACTIVITY_APPROVAL, ACTIVITY_REVIEW)
        }
        xmlid_of = {type_id: xmlid for xmlid, type_id in types.items()}
        wanted = grants._grant_wanted_activities()
        existing = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", grants.ids),
                    ("activity_type_id", "in", list(types.values())),
                ]
            )
        )
        have = set()
        done = {}
        obsolete = self.env["mail.activity"].sudo()
        decisions = {(a.grant_id.id, a.approver_id.id): a for a in grants.approval_ids}
        for activity in existing:
            key = (
                activity.res_id,
                xmlid_of[activity.activity_type_id.id],
                activity.user_id.id,
            )
            if key in wanted and key not in have:
                have.add(key)
                continue
            decision = decisions.get((activity.res_id, activity.user_id.id))
            grant = grants.browse(activity.res_id)
            if key[1] == ACTIVITY_APPROVAL and decision:
                label = dict(decision._fields["decision"].selection)[decision.decision]
                feedback = label + (f": {decision.comment}" if decision.comment else "")
                done.setdefault(feedback, self.env["mail.activity"].sudo())
                done[feedback] |= activity
            elif key[1] == ACTIVITY_REVIEW and grant.reviewed_by_id == activity.user_id:
                done.setdefault(_("Signed off"), self.env["mail.activity"].sudo())
                done[_("Signed off")] |= activity
            else:
                obsolete |= activity
        Model = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        vals_list = []
        for grant_id, xmlid, user_id in sorted(wanted - have):
            grant = grants.browse(grant_id)
            summary = (
                _("Approve access for %s", grant.beneficiary_id.name)
                if xmlid == ACTIVITY_APPROVAL
                else _("Review break-glass use by %s", grant.beneficiary_id.name)
            )
            vals_list.append(
                {
                    "res_model_id": Model,
                    "res_id": grant_id,
                    "activity_type_id": types[xmlid],
                    "user_id": user_id,
                    "summary": summary,
                    "note": escape(grant.reason or ""),
                    "date_deadline": today,
                }
            )
        with trusted():
            if vals_list:
                self.env["mail.activity"].sudo().create(vals_list)
            for feedback, activities in done.items():
                activities.action_feedback(feedback=feedback)
            if obsolete:
                obsolete.unlink()

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

        Each batch is processed at once (one claims-engine pass, one audit
        batch, notifications in batch) inside a savepoint; when the batch
        fails, it is rolled back and retried one grant per savepoint, so one
        bad grant never blocks the rest (it is logged and retried on the next
        run). Every step is keyed on the state, so a re-run after a crash
        never applies twice."""
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
                ok, bad = self.browse(ids)._grant_cron_batch(step, method)
                done += ok
                failed |= bad
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

    def _grant_cron_batch(self, step, method):
        """Run ``method`` on the batch at once; on failure, one savepoint per
        grant. Returns (number done, ids failed)."""
        try:
            with self.env.cr.savepoint():
                getattr(self, method)()
            return len(self), set()
        except Exception:
            _logger.warning(
                "Grant cron: %s failed for a batch of %d grants; retrying one by one",
                step,
                len(self),
                exc_info=True,
            )
            self.env.invalidate_all()
        done, failed = 0, set()
        for grant in self:
            try:
                with self.env.cr.savepoint():
                    getattr(grant, method)()
                done += 1
            except Exception:
                _logger.exception("Grant cron: %s failed for grant #%s", step, grant.id)
                self.env.invalidate_all()
                failed.add(grant.id)
        return done, failed

    def _grant_remind(self):
        """Remind beneficiaries before the end: one to-do each, created in
        one batch."""
        grants = self.filtered(lambda g: g.state == "active" and not g.reminder_sent)
        if not grants:
            return
        grants._grant_write({"reminder_sent": True})
        self._grant_remind_as_superuser(grants)

    @api.model
    def _grant_remind_as_superuser(self, grants):
        # sudo: the cron user schedules a to-do for the beneficiary on a grant
        # only governance managers may write.
        todo = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        self.env["mail.activity"].sudo().create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": grant.id,
                    "activity_type_id": todo.id,
                    "user_id": grant.beneficiary_id.id,
                    "summary": self.env._("Your access ends soon"),
                    "note": escape(
                        self.env._(
                            "%(grant)s ends on %(end)s. Request an extension if "
                            "you still need it.",
                            grant=grant.name,
                            end=grant.date_end,
                        )
                    ),
                    "date_deadline": today,
                }
                for grant in grants
            ]
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
