# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Elevated access in a period: every grant (break-glass included) that was
active at any moment of it, with its reason, approvers and end."""

from odoo import _, models

REPORT = "access_governance.access_governance_elevated_access_report"


class AccessGovernanceElevatedAccess(models.TransientModel):
    _name = "access.governance.elevated.access"
    _description = "Access Governance: Elevated Access in a Period"
    _inherit = "access.governance.evidence.period"

    def _elevated_domain(self):
        """Grants whose active window [activation, end) meets the period:
        activated before its end, not ended before its start. Grants never
        activated (rejected, cancelled, revoked before activation) have no
        window."""
        self.ensure_one()
        self._check_period()
        return [
            ("date_activated", "!=", False),
            ("date_activated", "<=", self.date_to),
            "|",
            ("date_ended", "=", False),
            ("date_ended", ">=", self.date_from),
        ]

    def _elevated_grants(self):
        self.ensure_one()
        return self.env["access.governance.grant"].search(
            self._elevated_domain(), order="date_activated, id"
        )

    def action_open(self):
        """The grants as a list that replaces the current screen (evidence
        results do not stack onto the previous breadcrumbs)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_grant_action_evidence"
        )
        action.update(
            {
                "name": _("Elevated access: %s", self.period_text),
                "domain": self._elevated_domain(),
                "target": "main",
            }
        )
        return action

    def action_print(self):
        self.ensure_one()
        self._check_period()
        return self.env.ref(REPORT).report_action(self)
