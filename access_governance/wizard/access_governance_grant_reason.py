# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The small dialog asking why a request is rejected or access revoked (as
Time Off's Refuse). It only carries the reason: the grant's own action runs
the gate."""

from odoo import api, fields, models
from odoo.exceptions import UserError


class AccessGovernanceGrantReason(models.TransientModel):
    _name = "access.governance.grant.reason"
    _description = "Access Request: Reason to Reject or Revoke"

    grant_ids = fields.Many2many(
        "access.governance.grant",
        "access_governance_grant_reason_grant_rel",
        "wizard_id",
        "grant_id",
        string="Requests",
        required=True,
    )
    transition = fields.Selection(
        [("reject", "Reject"), ("revoke", "Revoke")], required=True, default="reject"
    )
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "access.governance.grant":
            defaults.setdefault("grant_ids", [(6, 0, context.get("active_ids") or [])])
        if context.get("grant_transition") in ("reject", "revoke"):
            defaults["transition"] = context["grant_transition"]
        return defaults

    def action_confirm(self):
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(self.env._("Please give the reason."))
        grants = self.grant_ids.with_env(self.env)
        if self.transition == "reject":
            for grant in grants:
                grant.action_reject(reason=self.reason)
        else:
            grants.action_revoke(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
