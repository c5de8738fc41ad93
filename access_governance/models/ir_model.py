# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

# Models flagged as holding personal data when the module is installed.
PERSONAL_DATA_MODELS = ("res.partner", "res.users", "hr.employee", "res.partner.bank")


class IrModel(models.Model):
    _inherit = "ir.model"

    governance_personal_data = fields.Boolean(
        string="Contains Personal Data",
        help="Listed in the personal data (GDPR) report of Access Governance.",
    )

    @api.model
    def _governance_flag_personal_data(self):
        """Flag the stock models that hold personal data (install only)."""
        self.search([("model", "in", PERSONAL_DATA_MODELS)]).write(
            {"governance_personal_data": True}
        )
