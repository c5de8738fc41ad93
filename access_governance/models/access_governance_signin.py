# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Failed sign-ins: Odoo keeps only an in-memory cooldown per address.

Recorded from the authentication hooks of ``res.users`` (a wrong password or
an unknown login in ``_login``, a wrong 2FA code in ``_totp_check``). The
failing transaction is rolled back, so each record is written in a separate,
short transaction. Nobody writes or deletes them afterwards.
"""

from odoo import api, fields, models
from odoo.http import request

SIGNIN_REASONS = [
    ("password", "Wrong Password"),
    ("unknown_login", "Unknown Login"),
    ("2fa", "Wrong 2FA Code"),
]


class AccessGovernanceSignin(models.Model):
    _name = "access.governance.signin"
    _description = "Failed Sign-in"
    _order = "date desc, id desc"
    _rec_name = "login"

    login = fields.Char(required=True, readonly=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        readonly=True,
        index=True,
        ondelete="cascade",
        context={"active_test": False},
    )
    date = fields.Datetime(
        required=True, readonly=True, index=True, default=fields.Datetime.now
    )
    ip_address = fields.Char(string="IP Address", readonly=True)
    reason = fields.Selection(SIGNIN_REASONS, required=True, readonly=True)

    @api.model
    def _signin_record(self, login, reason, user_id=None):
        """Record a failed sign-in. Called by ``res.users`` in a transaction
        of its own (the failing one is rolled back), as superuser: the caller
        is not authenticated."""
        ip = request.httprequest.environ.get("REMOTE_ADDR") if request else None
        if not user_id and login:
            self.env.cr.execute(
                "SELECT id FROM res_users WHERE login = %s LIMIT 1", [login]
            )
            row = self.env.cr.fetchone()
            user_id = row and row[0]
        if reason == "password" and not user_id:
            reason = "unknown_login"
        return self.create(
            {
                "login": (login or "")[:256] or "?",
                "user_id": user_id or False,
                "ip_address": ip,
                "reason": reason,
            }
        )
