# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Elevated access in a period: grant claims active at any time in it."""

from odoo import _, fields, models
from odoo.exceptions import UserError


class AccessGovernanceElevatedAccess(models.TransientModel):
    _name = "access.governance.elevated.access"
    _description = "Access Governance: Elevated Access in a Period"

    date_from = fields.Datetime(required=True)
    date_to = fields.Datetime(required=True, default=fields.Datetime.now)

    def _elevated_domain(self):
        self.ensure_one()
        if self.date_to < self.date_from:
            raise UserError(_("The period ends before it starts."))
        return [
            ("kind", "=", "grant"),
            ("date_start", "<=", self.date_to),
            "|",
            ("date_end", "=", False),
            ("date_end", ">=", self.date_from),
        ]

    def action_open(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_claim_action"
        )
        action.update(
            {
                "name": _(
                    "Elevated access from %(start)s to %(end)s",
                    start=self.date_from,
                    end=self.date_to,
                ),
                "domain": self._elevated_domain(),
                "context": {"active_test": False},
            }
        )
        return action
