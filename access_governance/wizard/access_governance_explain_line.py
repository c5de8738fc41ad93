# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class AccessGovernanceExplainLine(models.TransientModel):
    _name = "access.governance.explain.line"
    _description = "Access Governance: Explained Group"
    _order = "implied, group_id"

    explain_id = fields.Many2one(
        "access.governance.explain", required=True, ondelete="cascade"
    )
    user_id = fields.Many2one(related="explain_id.user_id")
    group_id = fields.Many2one("res.groups", required=True, ondelete="cascade")
    scope = fields.Selection(related="group_id.governance_scope")
    risk = fields.Selection(related="group_id.governance_risk")
    kinds = fields.Char(string="Claims")
    implied = fields.Boolean(help="Held only because another group implies it.")
    explanation = fields.Text()
