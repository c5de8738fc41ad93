# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import _, api, fields, models


class AccessGovernanceDetectorSharedAccount(models.AbstractModel):
    """One login active from several IP addresses (or many sessions) at
    overlapping times within the window, from ``res.device.log``."""

    _name = "access.governance.detector.shared_account"
    _inherit = "access.governance.detector"
    _description = "Detector: Shared Accounts"
    _finding_type = "shared_account"

    @api.model
    def _detect_scope(self, after=0):
        """Users with device activity from two sessions or addresses in the
        window (one indexed query); the overlap is checked per batch."""
        since = fields.Datetime.now() - timedelta(
            days=self._detector_param_int("shared_window_days")
        )
        self.env["res.device.log"].flush_model()
        self.env.cr.execute(
            """
            SELECT d.user_id FROM res_device_log d
            JOIN res_users u ON u.id = d.user_id AND u.active AND NOT u.share
            WHERE d.last_activity >= %s
            GROUP BY d.user_id
            HAVING count(DISTINCT d.session_identifier) > 1
                OR count(DISTINCT d.ip_address) > 1
            ORDER BY d.user_id
            """,
            [since],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _shared_overlaps(self, user_ids):
        """{uid: (ips, sessions)}: the most addresses and sessions any of the
        user's sessions overlapped with."""
        since = fields.Datetime.now() - timedelta(
            days=self._detector_param_int("shared_window_days")
        )
        overlap = timedelta(minutes=self._detector_param_int("shared_overlap_minutes"))
        self.env.cr.execute(
            """
            SELECT a.user_id, a.ip_address, a.session_identifier,
                   array_agg(DISTINCT b.ip_address),
                   array_agg(DISTINCT b.session_identifier)
            FROM res_device_log a
            JOIN res_device_log b
              ON b.user_id = a.user_id
             AND b.last_activity >= %(since)s
             AND COALESCE(b.first_activity, b.last_activity)
                 <= a.last_activity + %(overlap)s
             AND COALESCE(a.first_activity, a.last_activity)
                 <= b.last_activity + %(overlap)s
            WHERE a.last_activity >= %(since)s AND a.user_id = ANY(%(ids)s)
              AND (b.ip_address IS DISTINCT FROM a.ip_address
                   OR b.session_identifier != a.session_identifier)
            GROUP BY a.user_id, a.id
            """,
            {"since": since, "overlap": overlap, "ids": list(user_ids)},
        )
        by_user = {}
        for uid, ip, session, other_ips, sessions in self.env.cr.fetchall():
            ips = sorted({ip, *other_ips} - {None, ""})
            devices = len({session, *sessions})
            best = by_user.get(uid, ((), 0))
            by_user[uid] = (max(best[0], ips, key=len), max(best[1], devices))
        return by_user

    @api.model
    def _detect(self, ids):
        min_ips = self._detector_param_int("shared_min_ips")
        min_devices = self._detector_param_int("shared_min_devices")
        flagged = {
            uid: value
            for uid, value in self._shared_overlaps(ids).items()
            if len(value[0]) >= min_ips or value[1] >= min_devices
        }
        results = []
        for user in self._detector_users(sorted(flagged)):
            ips, devices = flagged[user.id]
            results.append(
                {
                    "user": user,
                    "subject": "shared",
                    "severity": "high",
                    "revoke_groups": self.env["res.groups"],
                    "explanation": _(
                        "%(user)s was active at the same time from %(count)s IP "
                        "addresses (%(ips)s) and %(devices)s sessions: the "
                        "login looks shared.",
                        user=user.name,
                        count=len(ips),
                        ips=", ".join(ips),
                        devices=devices,
                    ),
                    "remedy": _(
                        "Confirm with the user; give each person their own "
                        "account and revoke the sessions of this one."
                    ),
                    "details": {"ips": list(ips), "sessions": devices},
                }
            )
        return results
