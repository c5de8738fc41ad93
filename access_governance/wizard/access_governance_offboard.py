# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models


class AccessGovernanceOffboard(models.TransientModel):
    _name = "access.governance.offboard"
    _description = "Access Governance: Offboard a User"

    user_id = fields.Many2one(
        "res.users",
        string="Leaver",
        required=True,
        domain=[("share", "=", False)],
    )
    employee_id = fields.Many2one("hr.employee")
    reassign_to_id = fields.Many2one(
        "res.users",
        string="Reassign Open Records To",
        domain=[("share", "=", False), ("active", "=", True)],
        compute="_compute_reassign_to_id",
        store=True,
        readonly=False,
    )
    reason = fields.Text()

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        active_id = self.env.context.get("active_id")
        if model == "res.users" and active_id and not values.get("user_id"):
            values["user_id"] = active_id
        if model == "hr.employee" and active_id and not values.get("employee_id"):
            values["employee_id"] = active_id
        if values.get("employee_id") and not values.get("user_id"):
            employee = self.env["hr.employee"].browse(values["employee_id"])
            values["user_id"] = employee.user_id.id
        return values

    @api.depends("user_id", "employee_id")
    def _compute_reassign_to_id(self):
        for wizard in self:
            employee = wizard.employee_id or wizard.user_id.employee_ids[:1]
            wizard.reassign_to_id = employee.parent_id.user_id

    def action_offboard(self):
        self.ensure_one()
        offboarding = self.env["access.governance.offboarding"].create(
            {
                "user_id": self.user_id.id,
                "employee_id": self.employee_id.id or self.user_id.employee_ids[:1].id,
                "reassign_to_id": self.reassign_to_id.id,
                "reason": self.reason,
            }
        )
        offboarding.action_run()
        return {
            "type": "ir.actions.act_window",
            "name": _("Offboarding"),
            "res_model": "access.governance.offboarding",
            "res_id": offboarding.id,
            "view_mode": "form",
            "target": "current",
        }
