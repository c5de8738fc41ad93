# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .base import PARAM, _logger


class AccessGovernanceDetectorStaleAccount(models.AbstractModel):
    """Active internal users with no activity for N days.

    The one definition of "activity" (reviews use it too): the latest of the
    interactive login (``res.users.log``), the device activity
    (``res.device.log.last_activity``, about one hour resolution) and the
    last use of any of the user's API keys (recorded by this module). Users
    who never did anything count once their account is older than N days.
    """

    _name = "access.governance.detector.stale_account"
    _inherit = "access.governance.detector"
    _description = "Detector: Stale Accounts"
    _finding_type = "stale_account"

    @api.model
    def _stale_limit(self):
        """The stale threshold: no activity since this moment."""
        days = self._detector_param_int("stale_days")
        return fields.Datetime.now() - timedelta(days=days), days

    @api.model
    def _stale_last_activity(self, user_ids):
        """{uid: (last activity or None, account creation)}, one query."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT u.id, u.create_date,
                   GREATEST(l.last_login, d.last_activity, k.last_key_use)
            FROM res_users u
            LEFT JOIN (
                SELECT create_uid, max(create_date) AS last_login
                FROM res_users_log WHERE create_uid = ANY(%(ids)s)
                GROUP BY create_uid
            ) l ON l.create_uid = u.id
            LEFT JOIN (
                SELECT user_id, max(last_activity) AS last_activity
                FROM res_device_log WHERE user_id = ANY(%(ids)s)
                GROUP BY user_id
            ) d ON d.user_id = u.id
            LEFT JOIN (
                SELECT user_id, max(governance_last_used) AS last_key_use
                FROM res_users_apikeys WHERE user_id = ANY(%(ids)s)
                GROUP BY user_id
            ) k ON k.user_id = u.id
            WHERE u.id = ANY(%(ids)s)
            """,
            {"ids": list(user_ids)},
        )
        return {uid: (last, created) for uid, created, last in self.env.cr.fetchall()}

    @api.model
    def _stale_users(self, user_ids):
        """{uid: (last activity or None, creation)} of the stale ones."""
        limit, _days = self._stale_limit()
        return {
            uid: (last, created)
            for uid, (last, created) in self._stale_last_activity(user_ids).items()
            if (last or created) < limit
        }

    @api.model
    def _detect(self, ids):
        stale = self._stale_users(ids)
        _limit, days = self._stale_limit()
        users = self._detector_users(sorted(stale))
        sensitive = self._detector_holders(
            self._detector_sensitive_group_ids(), users.ids
        )
        results = []
        for user in users:
            last, created = stale[user.id]
            if last:
                explanation = _(
                    "%(user)s has not used Odoo since %(date)s (more than "
                    "%(days)s days).",
                    user=user.name,
                    date=fields.Datetime.to_string(last),
                    days=days,
                )
            else:
                explanation = _(
                    "%(user)s has never logged in; the account was created "
                    "on %(date)s (more than %(days)s days ago).",
                    user=user.name,
                    date=fields.Datetime.to_string(created),
                    days=days,
                )
            results.append(
                {
                    "user": user,
                    "subject": "account",
                    "severity": "high" if sensitive.get(user.id) else "medium",
                    "explanation": explanation,
                    "remedy": _(
                        "Deactivate the account through offboarding, or accept "
                        "the finding if the account is still needed."
                    ),
                    "revoke_groups": self.env["res.groups"],
                    "details": {"last_activity": last, "created": created},
                }
            )
        return results

    @api.model
    def _detect_finish(self, run):
        resolved = super()._detect_finish(run)
        self._stale_auto_deactivate()
        return resolved

    @api.model
    def _stale_auto_deactivate(self):
        """Offboard stale accounts still open after the grace period, when
        switched on in Settings."""
        Finding = self.env["access.governance.finding"]
        # sudo: reading governance settings.
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(PARAM + "stale_auto_deactivate")
        )
        if not param or param in ("0", "False", "false"):
            return Finding.browse()
        grace = self._detector_param_int("stale_grace_days")
        limit = fields.Datetime.now() - timedelta(days=grace)
        # sudo: the detector answers for every stale-account finding.
        findings = Finding.sudo().search(
            [
                ("finding_type", "=", "stale_account"),
                ("state", "=", "open"),
                ("first_seen", "<=", limit),
            ]
        )
        return self._stale_auto_deactivate_as_superuser(findings)

    @api.model
    def _stale_auto_deactivate_as_superuser(self, findings):
        # sudo: the administrators switched automatic deactivation on; the
        # cron runs it through the offboarding flow and its evidence.
        Offboarding = self.env["access.governance.offboarding"].sudo()
        done = findings.browse()
        for finding in findings.sudo():
            offboarding = Offboarding.create(
                {
                    "user_id": finding.user_id.id,
                    "automatic": True,
                    "reason": _("Stale account: %s", finding.explanation),
                }
            )
            try:
                offboarding._check_can_offboard()
            except UserError as error:
                offboarding.message_post(body=str(error))
                finding.message_post(
                    body=_("Automatic deactivation refused: %s", error)
                )
                _logger.warning("access_governance: %s", error)
                continue
            offboarding._governance_run()
            finding._finding_resolve("remediated")
            done |= finding
        return done
