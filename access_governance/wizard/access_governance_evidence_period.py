# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the evidence wizards share: a period, the last full quarter unless
chosen, and its text as printed on the documents."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class AccessGovernanceEvidencePeriod(models.AbstractModel):
    _name = "access.governance.evidence.period"
    _description = "Access Governance: Evidence Period"

    date_from = fields.Datetime(
        required=True, default=lambda self: self._default_period()[0]
    )
    date_to = fields.Datetime(
        required=True, default=lambda self: self._default_period()[1]
    )
    period_text = fields.Char(string="Period", compute="_compute_period_text")

    @api.model
    def _default_period(self):
        return self.env["access.governance.evidence.pdf"]._evidence_last_quarter()

    @api.depends("date_from", "date_to")
    def _compute_period_text(self):
        Pdf = self.env["access.governance.evidence.pdf"]
        for wizard in self:
            wizard.period_text = Pdf._evidence_period_text(
                wizard.date_from, wizard.date_to
            )

    def _check_period(self):
        for wizard in self:
            if wizard.date_to < wizard.date_from:
                raise UserError(_("The period ends before it starts."))
