# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, models

from .base import ALLOWED_ADMINS_PARAM


class AccessGovernanceDetectorOverPrivileged(models.AbstractModel):
    """Holders of Settings / Access Rights or any critical group who are not
    on the allowed administrators list (Settings)."""

    _name = "access.governance.detector.over_privileged"
    _inherit = "access.governance.detector"
    _description = "Detector: Over-Privileged Users"
    _finding_type = "over_privileged"

    @api.model
    def _over_privileged_groups(self):
        # sudo: the detector reads every group's risk level.
        return self._detector_admin_groups() | self.env["res.groups"].sudo().search(
            [("governance_risk", "=", "critical")]
        )

    @api.model
    def _detect_scope(self, after=0):
        allowed = set(self._detector_param_ids(ALLOWED_ADMINS_PARAM))
        holders = self._detector_holders(self._over_privileged_groups().ids)
        return sorted(set(holders) - allowed)

    @api.model
    def _detect(self, ids):
        groups = self._over_privileged_groups()
        holders = self._detector_holders(groups.ids, ids)
        results = []
        for user in self._detector_users(sorted(holders)):
            held = self._detector_by_risk(holders[user.id])
            results.append(
                {
                    "user": user,
                    "subject": "admin",
                    "severity": "critical",
                    "groups": held,
                    "explanation": _(
                        "%(user)s holds %(groups)s but is not on the list of "
                        "allowed administrators.",
                        user=user.name,
                        groups=", ".join(held.mapped("full_name")),
                    ),
                    "remedy": _(
                        "Revoke the administrative groups, or add the user to "
                        "the allowed administrators in Settings."
                    ),
                }
            )
        return results
