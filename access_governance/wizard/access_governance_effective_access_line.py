# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class AccessGovernanceEffectiveAccessLine(models.TransientModel):
    _name = "access.governance.effective.access.line"
    _description = "Access Governance: Effective Access on a Model"
    _order = "model_name"

    wizard_id = fields.Many2one(
        "access.governance.effective.access", required=True, ondelete="cascade"
    )
    user_id = fields.Many2one(related="wizard_id.user_id")
    model_id = fields.Many2one("ir.model", required=True, ondelete="cascade")
    model_name = fields.Char(
        string="Technical Name", related="model_id.model", store=True
    )
    personal_data = fields.Boolean(related="model_id.governance_personal_data")
    perm_read = fields.Boolean(string="Read")
    perm_write = fields.Boolean(string="Write")
    perm_create = fields.Boolean(string="Create")
    perm_unlink = fields.Boolean(string="Delete")
    via_groups = fields.Char(string="Granted By")
    rule_count = fields.Integer(string="Record Rules")
    rules = fields.Text(string="Record Rules Applied")
    hidden_fields = fields.Text(string="Fields Hidden by Groups")
