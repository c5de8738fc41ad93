# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Leavers in a period: every offboarding run in it and what it removed."""

from odoo import _, models

REPORT = "access_governance.access_governance_leavers_report"


class AccessGovernanceLeavers(models.TransientModel):
    _name = "access.governance.leavers"
    _description = "Access Governance: Leavers in a Period"
    _inherit = "access.governance.evidence.period"

    def _leavers_domain(self):
        self.ensure_one()
        self._check_period()
        return [
            ("state", "=", "done"),
            ("date_done", ">=", self.date_from),
            ("date_done", "<=", self.date_to),
        ]

    def _leavers_offboardings(self):
        self.ensure_one()
        return self.env["access.governance.offboarding"].search(
            self._leavers_domain(), order="date_done, id"
        )

    def action_open(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_offboarding_action"
        )
        action.update(
            {
                "name": _("Leavers: %s", self.period_text),
                "domain": self._leavers_domain(),
                "context": {},
                "target": "main",
            }
        )
        return action

    def action_print(self):
        self.ensure_one()
        self._check_period()
        return self.env.ref(REPORT).report_action(self)
