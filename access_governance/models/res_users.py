# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models

from odoo.addons.base.models.res_users import is_reified_group

from .access_governance_claim import ENGINE_WRITING


def _changes_groups(vals):
    return "groups_id" in vals or any(is_reified_group(key) for key in vals)


class ResUsers(models.Model):
    _inherit = "res.users"

    governance_claim_ids = fields.One2many(
        "access.governance.claim",
        "user_id",
        string="Access Claims",
        readonly=True,
        groups="access_governance.group_governance_user",
    )
    governance_claim_count = fields.Integer(
        string="Claims",
        compute="_compute_governance_claim_count",
        groups="access_governance.group_governance_user",
    )

    def _compute_governance_claim_count(self):
        data = self.env["access.governance.claim"]._read_group(
            [("user_id", "in", self.ids)], ["user_id"], ["__count"]
        )
        counts = {user.id: count for user, count in data}
        for user in self:
            user.governance_claim_count = counts.get(user.id, 0)

    @api.model_create_multi
    def create(self, vals_list):
        if ENGINE_WRITING.get():
            return super().create(vals_list)
        # Group writes Odoo makes while creating the user (multi-company flag)
        # are part of the creation, captured once below.
        token = ENGINE_WRITING.set(True)
        try:
            users = super().create(vals_list)
        finally:
            ENGINE_WRITING.reset(token)
        # Whatever groups a new user starts with (explicit values or the
        # default user template) become baseline claims, audited.
        self.env["access.governance.claim"]._claims_capture_baseline(
            users, origin="user_created"
        )
        return users

    def write(self, vals):
        if not _changes_groups(vals) or ENGINE_WRITING.get() or not self:
            return super().write(vals)
        Claim = self.env["access.governance.claim"]
        before = Claim._claims_current_groups(set(self.ids))
        res = super().write(vals)
        Claim._claims_capture_changes(before)
        return res

    def action_governance_claims(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_claim_action"
        )
        action["domain"] = [("user_id", "=", self.id)]
        action["context"] = {"search_default_active": 1}
        action["name"] = _("Access Claims of %s", self.name)
        return action

    def action_governance_audit(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_audit_action"
        )
        action["domain"] = [("user_id", "=", self.id)]
        action["name"] = _("Audit Trail of %s", self.name)
        return action

    # ------------------------------------------------------------------
    # Roles and offboarding
    # ------------------------------------------------------------------
    governance_role_assignment_ids = fields.One2many(
        "access.governance.role.assignment",
        "user_id",
        string="Roles",
        readonly=True,
        groups="access_governance.group_governance_user",
    )

    def action_governance_offboard(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_offboard_action"
        )
        action["context"] = {"default_user_id": self.id}
        return action

    def action_governance_create_role(self):
        """Bundle the user's explicit governed groups into a new role."""
        self.ensure_one()
        return self.env["access.governance.role"]._action_create_from_user(self)

    # ------------------------------------------------------------------
    # Grants (issue #4)
    # ------------------------------------------------------------------
    governance_grant_ids = fields.One2many(
        "access.governance.grant",
        "beneficiary_id",
        string="Grants in Force",
        domain=[("state", "in", ("approved", "active"))],
        readonly=True,
        groups="access_governance.group_governance_user",
    )

    def action_governance_request_elevation(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Request Elevation"),
            "res_model": "access.governance.grant",
            "view_mode": "form",
            "target": "current",
            "context": {"default_beneficiary_id": self.id},
        }

    # ------------------------------------------------------------------
    # Findings (issue #5)
    # ------------------------------------------------------------------
    governance_finding_count = fields.Integer(
        string="Open Findings",
        compute="_compute_governance_finding_count",
        groups="access_governance.group_governance_user",
    )

    def _compute_governance_finding_count(self):
        data = self.env["access.governance.finding"]._read_group(
            [("user_id", "in", self.ids), ("state", "in", ("open", "accepted"))],
            ["user_id"],
            ["__count"],
        )
        counts = {user.id: count for user, count in data}
        for user in self:
            user.governance_finding_count = counts.get(user.id, 0)

    def action_governance_findings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_finding_action"
        )
        action["domain"] = [("user_id", "=", self.id)]
        action["context"] = {"search_default_live": 1}
        action["name"] = _("Findings about %s", self.name)
        return action
