# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A pending four-eyes change of access policy.

draft -> submitted -> approved -> applied; submitted -> rejected.

Created by :meth:`_policy_propose` when a governance administrator writes a
sensitive value on a group, a role or an elevation profile (see
``access.governance.policy.guarded``): who proposed it, the values before
and after, who may not approve it. A second governance administrator (a
Settings administrator when an administrator group is involved) approves it
from an activity; approving applies it at once, which is the only way the
change takes effect. Every step is audited; applied and rejected changes are
evidence.
"""

import json

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .access_governance_guarded import trusted

STATES = [
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("approved", "Approved"),
    ("applied", "Applied"),
    ("rejected", "Rejected"),
]
POLICY_MODELS = [
    ("res.groups", "Group"),
    ("access.governance.role", "Role"),
    ("access.governance.profile", "Elevation Profile"),
]
ACTIVITY_POLICY = "access_governance.mail_activity_type_policy_change"
ADMIN_GROUP = "access_governance.group_governance_admin"
SYSTEM_GROUP = "base.group_system"


class AccessGovernancePolicyChange(models.Model):
    _name = "access.governance.policy.change"
    _description = "Policy Change"
    _inherit = ["mail.thread", "mail.activity.mixin", "access.governance.guarded"]
    _order = "id desc"
    # Administrators and auditors comment on changes they may not edit.
    _mail_post_access = "read"

    _governance_protected_fields = frozenset(
        {
            "name",
            "state",
            "res_model",
            "res_id",
            "record_name",
            "values_json",
            "before_json",
            "summary",
            "proposer_id",
            "date_proposed",
            "approver_id",
            "date_decided",
            "date_applied",
            "excluded_user_ids",
            "requires_system",
        }
    )

    name = fields.Char(readonly=True)
    state = fields.Selection(
        STATES, default="draft", required=True, readonly=True, tracking=True
    )
    res_model = fields.Selection(
        POLICY_MODELS, string="Applies To", required=True, readonly=True
    )
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", required=True, readonly=True
    )
    record_name = fields.Char(string="Record", readonly=True)
    summary = fields.Text(
        string="Change", readonly=True, help="What changes: before → after."
    )
    values_json = fields.Text(string="Values After", readonly=True)
    before_json = fields.Text(string="Values Before", readonly=True)
    proposer_id = fields.Many2one(
        "res.users", string="Proposed By", readonly=True, ondelete="restrict"
    )
    date_proposed = fields.Datetime(string="Proposed On", readonly=True)
    approver_id = fields.Many2one(
        "res.users",
        string="Decided By",
        readonly=True,
        ondelete="restrict",
        help="Who approved or rejected the change.",
    )
    date_decided = fields.Datetime(string="Decided On", readonly=True)
    date_applied = fields.Datetime(string="Applied On", readonly=True)
    excluded_user_ids = fields.Many2many(
        "res.users",
        "access_governance_policy_change_excluded_rel",
        "change_id",
        "user_id",
        string="Cannot Approve",
        readonly=True,
        help="The proposer and everybody who would gain access from the change.",
    )
    requires_system = fields.Boolean(
        string="Settings Administrators Only",
        readonly=True,
        help="The change involves an administrator group (Settings, Access "
        "Rights or Access Governance administrator): only a Settings "
        "administrator may approve it.",
    )
    decision_note = fields.Char(
        string="Decision Note", help="Why the change was approved or rejected."
    )
    can_decide = fields.Boolean(compute="_compute_can_decide")

    def _governance_is_evidence(self):
        self.ensure_one()
        return self.state in ("applied", "rejected")

    @api.depends("state")
    @api.depends_context("uid")
    def _compute_can_decide(self):
        for change in self:
            change.can_decide = change.state == "submitted" and not (
                change._policy_refusal(self.env.user)
            )

    # ------------------------------------------------------------------
    # Who may decide
    # ------------------------------------------------------------------
    def _policy_record(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id).exists()

    def _policy_changes(self):
        """{field: (before, after)} as proposed."""
        self.ensure_one()
        before = json.loads(self.before_json or "{}")
        after = json.loads(self.values_json or "{}")
        return {name: (before.get(name), value) for name, value in after.items()}

    def _policy_refusal(self, user):
        """Why ``user`` may not approve this change ('' when they may)."""
        self.ensure_one()
        if user._is_superuser():
            return ""
        if not user.has_group(ADMIN_GROUP):
            return _("Only Access Governance administrators approve policy changes.")
        if self.requires_system and not user.has_group(SYSTEM_GROUP):
            return _(
                "This change involves an administrator group: only a Settings "
                "administrator may approve it."
            )
        if user == self.proposer_id:
            return _("You proposed this change: another administrator must approve it.")
        if user in self.excluded_user_ids:
            return _("You would gain access from this change: you cannot approve it.")
        record = self._policy_record()
        if record and user in record._governance_policy_gainers(self._policy_changes()):
            return _("You would gain access from this change: you cannot approve it.")
        return ""

    # ------------------------------------------------------------------
    # Propose
    # ------------------------------------------------------------------
    @api.model
    def _policy_propose(self, record, changes):
        """Propose ``changes`` ({field: (before, after)}, plain JSON values) of
        ``record`` as the current user; return the submitted change.

        Refused outright when the proposer would gain access from it, or when
        it involves an administrator group and the proposer is not a Settings
        administrator.
        """
        record.ensure_one()
        user = self.env.user
        requires_system = record._governance_policy_requires_system(changes)
        if requires_system and not user.has_group(SYSTEM_GROUP):
            raise AccessError(
                _(
                    "%(record)s involves an administrator group (Settings, Access "
                    "Rights or Access Governance administrator): only a Settings "
                    "administrator can change its policy.",
                    record=record.display_name,
                )
            )
        gainers = record._governance_policy_gainers(changes)
        if user in gainers:
            raise AccessError(
                _(
                    "You would gain access from this change of %(record)s "
                    "(%(summary)s): nobody may change a policy in their own favour.",
                    record=record.display_name,
                    summary=self._policy_summary(record, changes),
                )
            )
        summary = self._policy_summary(record, changes)
        change = self._governance_create(
            [
                {
                    "name": _("%(model)s %(record)s", **self._policy_label(record)),
                    "res_model": record._name,
                    "res_id": record.id,
                    "record_name": record.sudo().display_name,
                    "summary": summary,
                    "before_json": json.dumps(
                        {name: old for name, (old, _new) in changes.items()},
                        sort_keys=True,
                    ),
                    "values_json": json.dumps(
                        {name: new for name, (_old, new) in changes.items()},
                        sort_keys=True,
                    ),
                    "proposer_id": user.id,
                    "date_proposed": fields.Datetime.now(),
                    "excluded_user_ids": [fields.Command.set((gainers | user).ids)],
                    "requires_system": requires_system,
                }
            ]
        ).with_env(self.env)
        change._policy_submit()
        return change

    @api.model
    def _policy_label(self, record):
        return {
            "model": dict(POLICY_MODELS)[record._name],
            "record": record.sudo().display_name,
        }

    @api.model
    def _policy_summary(self, record, changes):
        """One line per field: label: before → after, in an admin's words."""
        lines = []
        for name, (old, new) in changes.items():
            field = record._fields[name]
            label = field._description_string(self.env)
            if field.type in ("many2many", "one2many"):
                Related = self.env[field.comodel_name].sudo()
                added = Related.browse(sorted(set(new) - set(old)))
                removed = Related.browse(sorted(set(old) - set(new)))
                parts = [f"+ {rec.display_name}" for rec in added] + [
                    f"- {rec.display_name}" for rec in removed
                ]
                if not new:
                    parts.append(_("(none left)"))
                lines.append(f"{label}: {', '.join(parts)}")
            else:
                lines.append(
                    f"{label}: {self._policy_display(record, name, old)} → "
                    f"{self._policy_display(record, name, new)}"
                )
        return "\n".join(lines)

    @api.model
    def _policy_display(self, record, name, value):
        field = record._fields[name]
        if field.type == "many2one":
            return self.env[field.comodel_name].sudo().browse(value).display_name or "-"
        if field.type == "selection":
            labels = dict(field._description_selection(self.env))
            return labels.get(value, value or "-")
        if field.type == "boolean":
            return _("Yes") if value else _("No")
        return str(value if value not in (None, False) else "-")

    def _policy_submit(self):
        """Submit a draft: activities for who may approve; proposer notified."""
        for change in self:
            if change.state != "draft":
                raise UserError(_("Only a draft change can be submitted."))
            change._governance_write({"state": "submitted"})
            approvers = change._policy_candidate_approvers()
            change._policy_schedule_activities(approvers)
            change._policy_audit(
                "policy_change_proposed",
                _("proposed by %s", change.proposer_id.name),
                {"approvers": approvers.mapped("login")},
            )
            change._policy_notify_proposer(approvers)
        return True

    def _policy_candidate_approvers(self):
        """Active administrators who may approve (for the activities)."""
        self.ensure_one()
        group = self.env.ref(SYSTEM_GROUP if self.requires_system else ADMIN_GROUP)
        users = group.sudo().with_context(active_test=True).users
        return users.filtered(
            lambda u: u.active and not u.share and not self._policy_refusal(u)
        )

    def _policy_schedule_activities(self, users):
        # sudo: the proposer may not write activities for other users on a
        # record they cannot edit; the change itself was checked.
        summary = _("Approve a policy change: %s", self.name)
        for user in users:
            self.sudo().activity_schedule(
                ACTIVITY_POLICY, user_id=user.id, summary=summary, note=self.summary
            )

    def _policy_notify_proposer(self, approvers):
        record = self._policy_record()
        message = _(
            "This change of %(record)s gives or could give access: it waits for "
            "the approval of another administrator (%(approvers)s) and takes "
            "effect only then.\n%(summary)s",
            record=self.record_name,
            approvers=", ".join(approvers.mapped("name")) or _("nobody can yet"),
            summary=self.summary,
        )
        self.env.user._bus_send(
            "simple_notification",
            {
                "type": "warning",
                "sticky": True,
                "title": _("Change awaiting approval"),
                "message": message,
            },
        )
        if record and "message_ids" in record._fields:
            record.sudo().message_post(
                body=Markup("<p>%s</p>") % message, subtype_xmlid="mail.mt_note"
            )

    # ------------------------------------------------------------------
    # Decide and apply
    # ------------------------------------------------------------------
    def action_approve(self):
        """Approve and apply: the only way a policy change takes effect."""
        for change in self:
            if change.state != "submitted":
                raise UserError(_("Only a submitted change can be approved."))
            refusal = change._policy_refusal(self.env.user)
            if refusal:
                raise AccessError(refusal)
            change._governance_write(
                {
                    "state": "approved",
                    "approver_id": self.env.uid,
                    "date_decided": fields.Datetime.now(),
                }
            )
            change._policy_audit("policy_change_approved", _("approved"))
            change._policy_apply()
        return True

    def action_reject(self):
        """Reject (any governance administrator, the proposer withdrawing too)."""
        if not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(
                _("Only Access Governance administrators decide on policy changes.")
            )
        for change in self:
            if change.state not in ("draft", "submitted"):
                raise UserError(_("Only a pending change can be rejected."))
            change._governance_write(
                {
                    "state": "rejected",
                    "approver_id": self.env.uid,
                    "date_decided": fields.Datetime.now(),
                }
            )
            change._policy_done_activities(_("Rejected."))
            change._policy_audit("policy_change_rejected", _("rejected"))
        return True

    def _policy_apply(self):
        """Write the approved values on the record, if it still holds the
        values the change was proposed against."""
        self.ensure_one()
        if self.state != "approved":
            raise UserError(_("Only an approved change can be applied."))
        record = self._policy_record()
        if not record:
            raise UserError(_("%s no longer exists.", self.record_name))
        changes = self._policy_changes()
        moved = [
            name
            for name, (old, _new) in changes.items()
            if record._governance_policy_value(name) != old
        ]
        if moved:
            raise UserError(
                _(
                    "%(record)s changed since this change was proposed "
                    "(%(fields)s): reject it and propose it again.",
                    record=self.record_name,
                    fields=", ".join(
                        record._fields[name]._description_string(self.env)
                        for name in moved
                    ),
                )
            )
        values = {}
        for name, (_old, new) in changes.items():
            if record._fields[name].type in ("many2many", "one2many"):
                values[name] = [fields.Command.set(new)]
            else:
                values[name] = new
        with trusted():
            record._governance_policy_apply(values)
        self._governance_write(
            {"state": "applied", "date_applied": fields.Datetime.now()}
        )
        self._policy_done_activities(_("Approved and applied."))
        self._policy_audit("policy_change_applied", _("applied"))
        return True

    def _policy_done_activities(self, feedback):
        # sudo: the activities belong to every possible approver; deciding
        # closes all of them.
        activities = self.sudo().activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(ACTIVITY_POLICY)
        )
        activities.action_feedback(feedback=feedback)

    def _policy_audit(self, event, verb, details=None):
        self.ensure_one()
        self.env["access.governance.audit"]._audit_log(
            event,
            record=self,
            description=_(
                "Policy change of %(record)s %(verb)s: %(summary)s",
                record=self.record_name,
                verb=verb,
                summary=(self.summary or "").replace("\n", "; "),
            ),
            details={
                "model": self.res_model,
                "res_id": self.res_id,
                "before": json.loads(self.before_json or "{}"),
                "after": json.loads(self.values_json or "{}"),
                "proposer": self.proposer_id.login,
                "requires_system": self.requires_system,
                **(details or {}),
            },
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "target": "current",
        }


class AccessGovernanceAuditPolicy(models.Model):
    """Audit events of four-eyes policy changes."""

    _inherit = "access.governance.audit"

    event = fields.Selection(
        selection_add=[
            ("policy_change_proposed", "Policy change proposed"),
            ("policy_change_approved", "Policy change approved"),
            ("policy_change_rejected", "Policy change rejected"),
            ("policy_change_applied", "Policy change applied"),
        ]
    )
