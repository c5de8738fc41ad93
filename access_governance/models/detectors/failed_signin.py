# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import Counter, defaultdict
from datetime import timedelta

from odoo import _, api, fields, models


class AccessGovernanceDetectorFailedSignin(models.AbstractModel):
    """Sign-in signals of the last N hours, per user:

    - a burst of failed password or 2FA attempts on one account
      (``access.governance.signin``);
    - for holders of sensitive (high or critical) groups, activity from an
      address never seen for them before the window (``res.device.log``).

    One finding per user (subject ``signin``); it resolves once the window
    holds no such signal.
    """

    _name = "access.governance.detector.failed_signin"
    _inherit = "access.governance.detector"
    _description = "Detector: Failed and Unusual Sign-ins"
    _finding_type = "failed_signin"

    @api.model
    def _signin_since(self):
        hours = self._detector_param_int("signin_window_hours")
        return fields.Datetime.now() - timedelta(hours=hours), hours

    @api.model
    def _signin_bursts(self, user_ids=None):
        """{uid: {reason: count}} of users with a burst of failures."""
        since, _hours = self._signin_since()
        self.env["access.governance.signin"].flush_model()
        self.env.cr.execute(
            """
            SELECT user_id, reason, count(*) FROM access_governance_signin
            WHERE date >= %(since)s AND user_id IS NOT NULL
              AND (%(all)s OR user_id = ANY(%(ids)s))
              AND user_id IN (
                SELECT user_id FROM access_governance_signin
                WHERE date >= %(since)s AND user_id IS NOT NULL
                GROUP BY user_id HAVING count(*) >= %(burst)s)
            GROUP BY user_id, reason
            """,
            {
                "since": since,
                "all": user_ids is None,
                "ids": list(user_ids or []),
                "burst": self._detector_param_int("signin_burst"),
            },
        )
        bursts = defaultdict(Counter)
        for uid, reason, count in self.env.cr.fetchall():
            bursts[uid][reason] += count
        return bursts

    @api.model
    def _signin_new_addresses(self, user_ids=None):
        """{uid: [ip]}: holders of sensitive groups active in the window from
        an address not seen for them before it (users seen before only)."""
        since, _hours = self._signin_since()
        holders = self._detector_holders(self._detector_sensitive_group_ids(), user_ids)
        if not holders:
            return {}
        self.env["res.device.log"].flush_model()
        self.env.cr.execute(
            """
            SELECT n.user_id, array_agg(DISTINCT n.ip_address ORDER BY n.ip_address)
            FROM res_device_log n
            WHERE n.user_id = ANY(%(ids)s) AND n.last_activity >= %(since)s
              AND COALESCE(n.first_activity, n.last_activity) >= %(since)s
              AND n.ip_address IS NOT NULL
              AND EXISTS (SELECT 1 FROM res_device_log o
                          WHERE o.user_id = n.user_id
                            AND COALESCE(o.first_activity, o.last_activity) < %(since)s)
              AND NOT EXISTS (SELECT 1 FROM res_device_log o
                              WHERE o.user_id = n.user_id
                                AND o.ip_address = n.ip_address
                                AND COALESCE(o.first_activity, o.last_activity) < %(since)s)
            GROUP BY n.user_id
            """,
            {"ids": list(holders), "since": since},
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _detect_scope(self, after=0):
        return sorted(set(self._signin_bursts()) | set(self._signin_new_addresses()))

    @api.model
    def _detect(self, ids):
        _since, hours = self._signin_since()
        bursts = self._signin_bursts(ids)
        addresses = self._signin_new_addresses(ids)
        reasons = dict(
            self.env["access.governance.signin"]
            ._fields["reason"]
            ._description_selection(self.env)
        )
        results = []
        for user in self._detector_users(sorted(set(bursts) | set(addresses))):
            parts = []
            if user.id in bursts:
                parts.append(
                    _(
                        "%(count)s failed sign-ins in %(hours)s hours (%(what)s)",
                        count=sum(bursts[user.id].values()),
                        hours=hours,
                        what=", ".join(
                            f"{reasons.get(r, r)}: {c}"
                            for r, c in sorted(bursts[user.id].items())
                        ),
                    )
                )
            if user.id in addresses:
                parts.append(
                    _(
                        "sensitive account active from new addresses: %s",
                        ", ".join(addresses[user.id]),
                    )
                )
            results.append(
                {
                    "user": user,
                    "subject": "signin",
                    "severity": "high" if user.id in addresses else "medium",
                    "revoke_groups": self.env["res.groups"],
                    "explanation": _(
                        "%(user)s: %(parts)s.", user=user.name, parts="; ".join(parts)
                    ),
                    "remedy": _(
                        "Ask the user whether it was them; if not, change the "
                        "password, revoke the sessions and enable 2FA."
                    ),
                    "details": {
                        "failures": dict(bursts.get(user.id, {})),
                        "new_addresses": addresses.get(user.id, []),
                    },
                }
            )
        return results
