# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

# Business records an administrator's account should not be creating or
# changing day to day (those of installed apps only).
BUSINESS_MODELS = (
    "sale.order",
    "purchase.order",
    "account.move",
    "account.payment",
    "stock.picking",
    "mrp.production",
    "pos.order",
    "crm.lead",
    "project.task",
    "hr.employee",
    "hr.leave",
    "hr.expense",
    "hr.applicant",
    "product.template",
)


class AccessGovernanceDetectorAdminDailyUse(models.AbstractModel):
    """Settings / Access Rights holders who create or change business records
    (sales, invoices, stock, HR...) within N days: an administrator's account
    used for daily work. One grouped query per business table; the finding
    names the records and suggests a separate administrator account."""

    _name = "access.governance.detector.admin_daily_use"
    _inherit = "access.governance.detector"
    _description = "Detector: Administrators Used for Daily Work"
    _finding_type = "admin_daily_use"

    @api.model
    def _daily_models(self):
        return [
            self.env[name]
            for name in BUSINESS_MODELS
            if name in self.env and self.env[name]._auto and self.env[name]._table
        ]

    @api.model
    def _detect_scope(self, after=0):
        return sorted(self._detector_holders(self._detector_admin_groups().ids))

    @api.model
    def _daily_records(self, model, user_ids, since):
        """{uid: (count, [latest ids])} of records created or changed."""
        self.env.cr.execute(
            SQL(
                """
                SELECT uid, count(*), (array_agg(id ORDER BY id DESC))[1:5]
                FROM (
                    SELECT id, create_uid AS uid FROM %(t)s
                     WHERE create_uid = ANY(%(ids)s) AND create_date >= %(since)s
                    UNION
                    SELECT id, write_uid FROM %(t)s
                     WHERE write_uid = ANY(%(ids)s) AND write_date >= %(since)s
                ) records
                GROUP BY uid
                """,
                t=SQL.identifier(model._table),
                ids=list(user_ids),
                since=since,
            )
        )
        return {uid: (count, ids) for uid, count, ids in self.env.cr.fetchall()}

    @api.model
    def _detect(self, ids):
        days = self._detector_param_int("admin_daily_days")
        minimum = self._detector_param_int("admin_daily_min_records")
        since = fields.Datetime.now() - timedelta(days=days)
        self.env.flush_all()
        by_user = {}
        for model in self._daily_models():
            for uid, (count, record_ids) in self._daily_records(
                model, ids, since
            ).items():
                by_user.setdefault(uid, []).append((model, count, record_ids))
        results = []
        for user in self._detector_users(sorted(by_user)):
            work = by_user[user.id]
            total = sum(count for _model, count, _ids in work)
            if total < minimum:
                continue
            # sudo: the finding names the records for the reviewer.
            named = [
                (model._description, count, model.sudo().browse(record_ids))
                for model, count, record_ids in sorted(work, key=lambda w: -w[1])
            ]
            results.append(
                {
                    "user": user,
                    "subject": "daily_use",
                    "severity": "medium",
                    "groups": self._detector_admin_groups().filtered(
                        lambda g, u=user: g in u.groups_id
                    ),
                    "revoke_groups": self.env["res.groups"],
                    "explanation": _(
                        "%(user)s, an administrator, created or changed %(total)s "
                        "business records in %(days)s days: %(work)s.",
                        user=user.name,
                        total=total,
                        days=days,
                        work="; ".join(
                            f"{label} ({count}): "
                            + ", ".join(r.display_name or str(r.id) for r in records)
                            for label, count, records in named
                        ),
                    ),
                    "remedy": _(
                        "Give the person a separate, non-administrator account "
                        "for daily work and keep this one for administration."
                    ),
                    "details": {
                        model._name: {"count": count, "latest_ids": record_ids}
                        for model, count, record_ids in work
                    },
                }
            )
        return results
