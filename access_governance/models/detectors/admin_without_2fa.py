# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, models


class AccessGovernanceDetectorAdminWithout2fa(models.AbstractModel):
    """Holders of high or critical groups without two-factor authentication.

    ``auth_totp`` searches a NULL secret and the string ``'false'`` alike as
    2FA disabled (``res.users._totp_enable_search``): so does this detector.
    """

    _name = "access.governance.detector.admin_without_2fa"
    _inherit = "access.governance.detector"
    _description = "Detector: Administrators without 2FA"
    _finding_type = "admin_without_2fa"

    @api.model
    def _detect_scope(self, after=0):
        holders = self._detector_holders(self._detector_sensitive_group_ids())
        self.env["res.users"].flush_model()
        self.env.cr.execute(
            """
            SELECT id FROM res_users
            WHERE id = ANY(%s)
              AND (totp_secret IS NULL OR totp_secret IN ('', 'false'))
            ORDER BY id
            """,
            [list(holders)],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _detect(self, ids):
        holders = self._detector_holders(self._detector_sensitive_group_ids(), ids)
        results = []
        for user in self._detector_users(sorted(holders)):
            held = self._detector_by_risk(holders[user.id])
            results.append(
                {
                    "user": user,
                    "subject": "2fa",
                    "severity": "high",
                    "groups": held,
                    "revoke_groups": self.env["res.groups"],
                    "explanation": _(
                        "%(user)s holds sensitive access (%(groups)s) and signs "
                        "in with a password only.",
                        user=user.name,
                        groups=", ".join(held.mapped("full_name")),
                    ),
                    "remedy": _(
                        "Ask the user to enable two-factor authentication "
                        "(Preferences > Account Security)."
                    ),
                }
            )
        return results
