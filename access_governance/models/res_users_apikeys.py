# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The last use of each API key: Odoo 18 records none, so an account used
only through keys looks stale and a leaked key goes unnoticed.

Authentication stays fast: one indexed read per key check, and a write (on a
separate, short transaction, skipping a row another request is updating) at
most once per key per hour.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.http import request
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

INDEX_SIZE = 8  # odoo.addons.base.models.res_users.INDEX_SIZE
USE_RESOLUTION = timedelta(hours=1)
MAX_IPS = 20


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    governance_last_used = fields.Datetime(
        string="Last Used",
        readonly=True,
        help="Last authentication with this key, to the hour.",
    )
    governance_last_ip = fields.Char(string="Last Used From", readonly=True)
    governance_ips = fields.Char(
        string="Used From",
        readonly=True,
        help="The distinct addresses the key was used from (sampled with the "
        "last use, the latest 20).",
    )

    def init(self):
        res = super().init()
        # The table is created by hand (_auto = False): so are our columns.
        self.env.cr.execute(
            SQL(
                """
                ALTER TABLE %(table)s
                    ADD COLUMN IF NOT EXISTS governance_last_used timestamp,
                    ADD COLUMN IF NOT EXISTS governance_last_ip varchar,
                    ADD COLUMN IF NOT EXISTS governance_ips varchar
                """,
                table=SQL.identifier(self._table),
            )
        )
        return res

    def _check_credentials(self, *, scope, key):
        uid = super()._check_credentials(scope=scope, key=key)
        if uid:
            self._governance_record_use(uid, key[:INDEX_SIZE])
        return uid

    @api.model
    def _governance_record_use(self, uid, index):
        """Record the use of the key ``index`` of ``uid``, once an hour."""
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                SELECT id, governance_ips FROM %(table)s
                WHERE user_id = %(uid)s AND index = %(index)s
                  AND (governance_last_used IS NULL
                       OR governance_last_used < %(limit)s)
                """,
                table=SQL.identifier(self._table),
                uid=uid,
                index=index,
                limit=now - USE_RESOLUTION,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return False
        ip = request.httprequest.remote_addr if request else None
        # A separate transaction: the request may fail and roll back, and
        # must not hold the key's row locked while it runs.
        with self.env.registry.cursor() as cr:
            for key_id, ips in rows:
                known = [part for part in (ips or "").split(",") if part]
                if ip and ip not in known:
                    known = (known + [ip])[-MAX_IPS:]
                cr.execute(
                    SQL(
                        """
                        UPDATE %(table)s
                           SET governance_last_used = %(now)s,
                               governance_last_ip = %(ip)s,
                               governance_ips = %(ips)s
                         WHERE id IN (
                            SELECT id FROM %(table)s WHERE id = %(id)s
                            FOR UPDATE SKIP LOCKED)
                        """,
                        table=SQL.identifier(self._table),
                        now=now,
                        ip=ip,
                        ips=",".join(known) or None,
                        id=key_id,
                    )
                )
        self.invalidate_model(["governance_last_used", "governance_last_ip"])
        return True
