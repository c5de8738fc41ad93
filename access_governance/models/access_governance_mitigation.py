# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""An accepted separation-of-duties conflict: a compensating control,
approved by someone other than the user, valid until its end date."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .access_governance_guarded import is_trusted


class AccessGovernanceMitigation(models.Model):
    """Evidence from its creation: never changed nor deleted; withdrawn by
    archiving; a new control is a new mitigation."""

    _name = "access.governance.mitigation"
    _description = "Separation-of-Duties Mitigation"
    _inherit = ["mail.thread", "access.governance.guarded"]
    _order = "date_end, id desc"

    user_id = fields.Many2one(
        "res.users", required=True, index=True, ondelete="restrict", tracking=True
    )
    rule_id = fields.Many2one(
        "access.governance.sod.rule",
        string="Rule",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
    )
    control = fields.Text(
        string="Compensating Control",
        required=True,
        tracking=True,
        help="What reduces the risk, e.g. a monthly review of this user's "
        "payments by the controller.",
    )
    approver_id = fields.Many2one(
        "res.users",
        required=True,
        ondelete="restrict",
        tracking=True,
        domain=[("share", "=", False)],
    )
    date_end = fields.Date(string="Valid Until", tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    is_valid = fields.Boolean(
        string="Valid", compute="_compute_is_valid", search="_search_is_valid"
    )

    @api.depends("active", "date_end")
    def _compute_is_valid(self):
        today = fields.Date.context_today(self)
        for mitigation in self:
            mitigation.is_valid = mitigation.active and (
                not mitigation.date_end or mitigation.date_end >= today
            )

    def _search_is_valid(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(_("Unsupported search on validity."))
        self.flush_model(["active", "date_end"])
        today = fields.Date.context_today(self)
        domain = [
            ("active", "=", True),
            "|",
            ("date_end", "=", False),
            ("date_end", ">=", today),
        ]
        if (operator == "=") == value:
            return domain
        return ["!", *domain]

    @api.constrains("user_id", "approver_id")
    def _check_approver(self):
        for mitigation in self:
            if mitigation.approver_id == mitigation.user_id:
                raise ValidationError(
                    _(
                        "A mitigation must be approved by someone other than "
                        "the user it covers."
                    )
                )

    @api.depends("user_id", "rule_id")
    def _compute_display_name(self):
        for mitigation in self:
            mitigation.display_name = (
                f"{mitigation.user_id.name} / {mitigation.rule_id.name}"
            )

    def _check_approval_vals(self, vals, users):
        """Outside superuser code, whoever records a mitigation approves it,
        and nobody approves a mitigation of their own conflict."""
        if vals.get("approver_id") and vals["approver_id"] != self.env.uid:
            raise UserError(
                _("You can only record a mitigation that you approve yourself.")
            )
        if self.env.user in users:
            raise UserError(_("You cannot approve a mitigation of your own access."))
        return dict(vals, approver_id=self.env.uid)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            Users = self.env["res.users"]
            vals_list = [
                self._check_approval_vals(vals, Users.browse(vals.get("user_id")))
                for vals in vals_list
            ]
        mitigations = super().create(vals_list)
        entries = []
        for mitigation in mitigations:
            rule = mitigation.rule_id
            description = _(
                "Mitigation of %(rule)s approved by %(approver)s until %(end)s: "
                "%(control)s",
                rule=rule.name,
                approver=mitigation.approver_id.name,
                end=mitigation.date_end or _("further notice"),
                control=mitigation.control,
            )
            entries.append(
                {
                    "event": "sod_mitigation",
                    "user": mitigation.user_id,
                    "groups": rule.group_a_ids | rule.group_b_ids,
                    "record": mitigation,
                    "description": description,
                }
            )
        self.env["access.governance.audit"]._audit_log_batch(entries)
        return mitigations

    def _governance_is_evidence(self):
        self.ensure_one()
        return True

    def write(self, vals):
        # Archiving withdraws the mitigation; bringing a withdrawn one back
        # would revive an old approval: record a new mitigation instead.
        if vals.get("active") and not is_trusted() and not all(self.mapped("active")):
            raise AccessError(
                _(
                    "A withdrawn mitigation cannot be restored: record a new "
                    "one, approved now."
                )
            )
        return super().write(vals)
