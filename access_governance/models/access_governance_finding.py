# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Findings: problems the scheduled permission audits detect.

A finding is keyed on (type, user, subject): while it is open or accepted,
re-running an audit only moves ``last_seen`` forward (a partial unique index
guarantees one live finding per key). A finding the next full audit no
longer sees is resolved automatically; an accepted finding reopens when its
acceptance expires. Every state change is written to the audit trail.

The detectors that raise findings live in ``models/detectors/`` (one per
finding type, sharing ``access.governance.detector``); this model keeps only
a finding's own life: accept, reopen, resolve, remediate.
"""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .res_groups import RISK_LEVELS, RISK_ORDER

FINDING_TYPES = [
    ("sod_conflict", "SoD Conflict"),
    ("stale_account", "Stale Account"),
    ("shared_account", "Shared Account"),
    ("over_privileged", "Over-Privileged"),
    ("unused_access", "Unused Access"),
    ("admin_without_2fa", "Administrator without 2FA"),
    ("out_of_band_change", "Out-of-Band Change"),
    ("unmapped_access", "Unmapped Access"),
    ("broken_audit_chain", "Broken Audit Chain"),
    ("apikey", "API Key"),
    ("failed_signin", "Failed Sign-ins"),
    ("admin_daily_use", "Administrator Used Daily"),
]
FINDING_STATES = [
    ("open", "Open"),
    ("accepted", "Accepted"),
    ("resolved", "Resolved"),
]
# What a governance manager edits on the form; everything else (state,
# acceptance, resolution, the audit's facts) changes through the actions.
MANAGER_FIELDS = {"accept_reason", "accept_until", "revoke_group_ids"}
# The chatter stays open on findings, as on every governance record.
CHATTER_FIELDS = {"message_follower_ids", "message_ids", "website_message_ids"}
RESOLUTIONS = [
    ("not_seen", "No longer detected"),
    ("mitigated", "Mitigated"),
    ("remediated", "Remediated"),
]


class AccessGovernanceFinding(models.Model):
    _name = "access.governance.finding"
    _description = "Finding"
    _inherit = ["mail.thread"]
    _order = "state, severity_order desc, last_seen desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    finding_type = fields.Selection(
        FINDING_TYPES, string="Type", required=True, index=True, readonly=True
    )
    severity = fields.Selection(
        RISK_LEVELS, required=True, default="medium", index=True, tracking=True
    )
    severity_order = fields.Integer(compute="_compute_severity_order", store=True)
    user_id = fields.Many2one(
        "res.users",
        string="User",
        index=True,
        readonly=True,
        ondelete="cascade",
        context={"active_test": False},
    )
    subject = fields.Char(
        readonly=True,
        required=True,
        help="What the finding is about for this user (a rule, a group, the "
        "account itself); part of the finding's key.",
    )
    key = fields.Char(readonly=True, required=True, index=True)
    group_ids = fields.Many2many(
        "res.groups",
        "access_governance_finding_group_rel",
        "finding_id",
        "group_id",
        string="Groups Involved",
        readonly=True,
    )
    revoke_group_ids = fields.Many2many(
        "res.groups",
        "access_governance_finding_revoke_group_rel",
        "finding_id",
        "group_id",
        string="Groups to Revoke",
        help="What 'Revoke Groups' removes: the claims on these groups end "
        "through the claims engine.",
    )
    rule_id = fields.Many2one(
        "access.governance.sod.rule", string="SoD Rule", readonly=True, index=True
    )
    res_model = fields.Char(string="Record Model", readonly=True)
    res_id = fields.Integer(string="Record ID", readonly=True)
    details = fields.Text(readonly=True, help="What the audit measured (JSON).")
    explanation = fields.Text(readonly=True)
    remedy = fields.Text(string="Suggested Remedy", readonly=True)
    state = fields.Selection(
        FINDING_STATES,
        default="open",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    first_seen = fields.Datetime(readonly=True, default=fields.Datetime.now)
    last_seen = fields.Datetime(readonly=True, default=fields.Datetime.now)
    accept_reason = fields.Text(string="Reason for Accepting", tracking=True)
    accept_until = fields.Date(
        string="Accepted Until",
        tracking=True,
        help="The finding reopens after this date.",
    )
    accepted_by_id = fields.Many2one(
        "res.users", string="Accepted By", readonly=True, tracking=True
    )
    accepted_date = fields.Datetime(readonly=True)
    resolution = fields.Selection(RESOLUTIONS, readonly=True, tracking=True)
    resolved_date = fields.Datetime(readonly=True)
    resolved_by_id = fields.Many2one("res.users", readonly=True)
    detector_run_id = fields.Many2one(
        "access.governance.detector.run",
        string="Last Seen By",
        readonly=True,
        ondelete="set null",
        help="The detector run that last saw this finding; a run resolves "
        "the live findings of its type it did not see.",
    )

    def init(self):
        # One live (open or accepted) finding per key: re-running an audit
        # updates it; a resolved finding is history and may recur.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS access_governance_finding_live_key_uniq
            ON access_governance_finding (key)
            WHERE state IN ('open', 'accepted')
            """
        )

    @api.depends("finding_type", "user_id", "subject")
    def _compute_name(self):
        labels = dict(FINDING_TYPES)
        for finding in self:
            who = finding.user_id.name or _("System")
            finding.name = f"{labels.get(finding.finding_type, '')}: {who}"

    @api.depends("severity")
    def _compute_severity_order(self):
        for finding in self:
            finding.severity_order = RISK_ORDER.get(finding.severity, 0)

    @api.constrains("accepted_by_id", "user_id")
    def _check_accepted_by(self):
        for finding in self:
            if finding.accepted_by_id and finding.accepted_by_id == finding.user_id:
                raise ValidationError(
                    _("A finding must be accepted by someone other than its user.")
                )

    def write(self, vals):
        if not self.env.su:
            forbidden = set(vals) - MANAGER_FIELDS - CHATTER_FIELDS
            if forbidden:
                raise AccessError(
                    _(
                        "Findings change through their actions; you may only "
                        "edit the reason, the end of an acceptance and the "
                        "groups to revoke (not: %s).",
                        ", ".join(sorted(forbidden)),
                    )
                )
            if {"accept_reason", "accept_until"} & set(vals) and any(
                finding.state != "open" for finding in self
            ):
                raise UserError(_("Only an open finding's acceptance can be edited."))
            if "revoke_group_ids" in vals and any(
                finding.state == "resolved" for finding in self
            ):
                raise UserError(_("A resolved finding cannot be changed."))
        return super().write(vals)

    def _finding_write_as_superuser(self, vals):
        # sudo: state, acceptance and resolution fields are refused to direct
        # writes (see write); the action_* methods check the caller, then
        # record the change through this method.
        return self.sudo().write(vals)

    # ------------------------------------------------------------------
    # Life of a finding
    # ------------------------------------------------------------------
    def _finding_resolve(self, resolution):
        findings = self.filtered(lambda f: f.state != "resolved")
        if not findings:
            return findings
        findings.sudo().write(
            {
                "state": "resolved",
                "resolution": resolution,
                "resolved_date": fields.Datetime.now(),
                "resolved_by_id": self.env.uid,
            }
        )
        self._finding_audit(findings, "finding_resolved")
        return findings

    @api.model
    def _finding_reopen_expired(self):
        """Accepted findings whose acceptance has expired become open again."""
        today = fields.Date.context_today(self)
        expired = self.sudo().search(
            [("state", "=", "accepted"), ("accept_until", "<", today)]
        )
        if expired:
            expired.write({"state": "open"})
            self._finding_audit(expired, "finding_reopened")
        return expired

    def _finding_audit(self, findings, event):
        labels = dict(FINDING_TYPES)
        states = dict(FINDING_STATES)
        entries = []
        for finding in findings:
            entries.append(
                {
                    "event": event,
                    "user": finding.user_id or None,
                    "groups": finding.group_ids,
                    "record": finding,
                    "description": _(
                        "Finding %(type)s (%(severity)s) %(state)s: %(text)s",
                        type=labels[finding.finding_type],
                        severity=finding.severity,
                        state=states[finding.state].lower(),
                        text=finding.explanation or "",
                    ),
                    "details": {
                        "key": finding.key,
                        "state": finding.state,
                        "resolution": finding.resolution or None,
                        "accept_reason": finding.accept_reason or None,
                        "accept_until": finding.accept_until or None,
                    },
                }
            )
        self.env["access.governance.audit"]._audit_log_batch(entries)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _check_manager(self):
        if not self.env.user.has_group("access_governance.group_governance_manager"):
            raise AccessError(_("Only Access Governance managers can handle findings."))

    def action_accept(self):
        """Accept the risk: a reason, an approver other than the user, and an
        expiry (default from Settings) after which the finding reopens."""
        self._check_manager()
        today = fields.Date.context_today(self)
        for finding in self:
            if finding.state != "open":
                raise UserError(_("Only open findings can be accepted."))
            if finding.user_id == self.env.user:
                raise UserError(_("You cannot accept a finding about yourself."))
            if not (finding.accept_reason or "").strip():
                raise UserError(
                    _("Explain why the risk is accepted before accepting it.")
                )
            until = finding.accept_until or today + timedelta(
                days=self.env["access.governance.detector"]._detector_param_int(
                    "accept_days"
                )
            )
            if until < today:
                raise UserError(_("The acceptance must end in the future."))
            finding._finding_write_as_superuser(
                {
                    "state": "accepted",
                    "accept_until": until,
                    "accepted_by_id": self.env.uid,
                    "accepted_date": fields.Datetime.now(),
                }
            )
        self._finding_audit(self, "finding_accepted")
        return True

    def action_reopen(self):
        self._check_manager()
        accepted = self.filtered(lambda f: f.state == "accepted")
        accepted._finding_write_as_superuser({"state": "open"})
        self._finding_audit(accepted, "finding_reopened")
        return True

    def action_revoke_groups(self):
        """End the user's claims on the groups to revoke (and on the groups
        that imply them) through the claims engine."""
        self.ensure_one()
        self._check_manager()
        if self.state == "resolved" or not self.user_id:
            raise UserError(_("There is nothing to revoke on this finding."))
        groups = self.revoke_group_ids
        if not groups:
            raise UserError(_("Choose the groups to revoke first."))
        # Same rule as every remediation path: never one's own access, only
        # Settings administrators act on administrators, never the last one.
        self.user_id._governance_check_can_act_on(groups)
        Claim = self.env["access.governance.claim"]
        implying = self.user_id.groups_id.filtered(
            lambda g: g.trans_implied_ids & groups
        )
        claims = Claim.search(
            [
                ("user_id", "=", self.user_id.id),
                ("active", "=", True),
                ("group_id", "in", (groups | implying).ids),
            ]
        )
        Claim._claims_end(claims, note="finding")
        self.user_id.invalidate_recordset(["groups_id"])
        still = groups & self.user_id.groups_id
        if still:
            self.message_post(
                body=_(
                    "Still held after revoking (not governed or justified "
                    "elsewhere): %s",
                    ", ".join(still.mapped("full_name")),
                )
            )
        else:
            self._finding_resolve("remediated")
        return True

    def action_deactivate_account(self):
        """Offboard the user of a stale (or shared) account."""
        self.ensure_one()
        self._check_manager()
        if not self.user_id or not self.user_id.active:
            raise UserError(_("This account is already inactive."))
        offboarding = self.env["access.governance.offboarding"].create(
            {
                "user_id": self.user_id.id,
                "reason": _("Finding: %s", self.explanation or self.name),
            }
        )
        offboarding.action_run()
        self._finding_resolve("remediated")
        return {
            "type": "ir.actions.act_window",
            "res_model": offboarding._name,
            "res_id": offboarding.id,
            "view_mode": "form",
        }

    def action_open_review(self):
        """Open an access review of the finding's user (needs review campaigns)."""
        self.ensure_one()
        self._check_manager()
        if "access.governance.review" not in self.env:
            raise UserError(
                _("Access review campaigns are not available in this database.")
            )
        Review = self.env["access.governance.review"]
        if hasattr(Review, "_review_open_for_findings"):
            return Review._review_open_for_findings(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": "access.governance.review",
            "view_mode": "form",
            "context": {"default_name": self.name},
        }

    @api.model
    def action_run_audits(self):
        """Run every detector now (governance managers)."""
        self._check_manager()
        Detector = self.env["access.governance.detector"]
        Detector._detectors_run(
            Detector._detectors_enabled(("stale_account", "sod_conflict"))
        )
        return {
            "type": "ir.actions.client",
            "tag": "reload",
        }

    def action_view_user(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.users",
            "res_id": self.user_id.id,
            "view_mode": "form",
        }
