# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import _, api, fields, models


class AccessGovernanceDetectorApikey(models.AbstractModel):
    """API keys of active users that are unused for N days, older than the
    rotation period, or used from many addresses (a shared integration key).

    One finding per key (subject ``key:<id>``) naming every problem; the
    last use comes from ``res.users.apikeys.governance_last_used`` (recorded
    at most once per key per hour).
    """

    _name = "access.governance.detector.apikey"
    _inherit = "access.governance.detector"
    _description = "Detector: API Keys"
    _finding_type = "apikey"

    @api.model
    def _apikey_limits(self):
        now = fields.Datetime.now()
        return {
            "unused": now
            - timedelta(days=self._detector_param_int("apikey_unused_days")),
            "rotation": now
            - timedelta(days=self._detector_param_int("apikey_rotation_days")),
            "max_ips": self._detector_param_int("apikey_max_ips"),
        }

    @api.model
    def _detect_scope(self, after=0):
        """Keys with a problem (ids of keys), one query."""
        limits = self._apikey_limits()
        self.env.cr.execute(
            """
            SELECT k.id FROM res_users_apikeys k
            JOIN res_users u ON u.id = k.user_id AND u.active
            WHERE (k.expiration_date IS NULL OR k.expiration_date >= now() at time zone 'utc')
              AND (COALESCE(k.governance_last_used, k.create_date) < %(unused)s
                   OR k.create_date < %(rotation)s
                   OR cardinality(string_to_array(
                        NULLIF(k.governance_ips, ''), ',')) > %(max_ips)s)
            ORDER BY k.id
            """,
            limits,
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _detect(self, ids):
        limits = self._apikey_limits()
        unused_days = self._detector_param_int("apikey_unused_days")
        rotation_days = self._detector_param_int("apikey_rotation_days")
        # sudo: the detector reads every user's keys (never their secret).
        keys = self.env["res.users.apikeys"].sudo().browse(ids)
        results = []
        for key in keys:
            problems, severity = [], "medium"
            last = key.governance_last_used
            if (last or key.create_date) < limits["unused"]:
                problems.append(
                    _("unused for more than %s days", unused_days)
                    if last
                    else _("never used in more than %s days", unused_days)
                )
            if key.create_date < limits["rotation"]:
                problems.append(_("older than %s days", rotation_days))
            ips = [ip for ip in (key.governance_ips or "").split(",") if ip]
            if len(ips) > limits["max_ips"]:
                severity = "high"
                problems.append(
                    _(
                        "used from %(count)s addresses (%(ips)s)",
                        count=len(ips),
                        ips=", ".join(ips),
                    )
                )
            if not problems:
                continue
            results.append(
                {
                    "user": self._detector_users(key.user_id.ids),
                    "subject": f"key:{key.id}",
                    "severity": severity,
                    "record": key,
                    "explanation": _(
                        "API key '%(name)s' of %(user)s: %(problems)s.",
                        name=key.name,
                        user=key.user_id.name,
                        problems="; ".join(problems),
                    ),
                    "remedy": _(
                        "Remove the key if nothing uses it; otherwise rotate it "
                        "(a new key per integration, one integration per key)."
                    ),
                    "revoke_groups": self.env["res.groups"],
                    "details": {
                        "last_used": last,
                        "last_ip": key.governance_last_ip,
                        "ips": ips,
                        "created": key.create_date,
                    },
                }
            )
        return results
