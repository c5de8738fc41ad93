# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Who can read personal data: active users × models flagged as personal
data whose ACLs give them read access (record rules may narrow it)."""

from odoo import fields, models, tools


class AccessGovernancePersonalDataAccess(models.Model):
    _name = "access.governance.personal.data.access"
    _description = "Access Governance: Who Can Read Personal Data"
    _auto = False
    _order = "model_id, user_id"

    user_id = fields.Many2one("res.users", readonly=True)
    share = fields.Boolean(string="Portal or Public", readonly=True)
    model_id = fields.Many2one("ir.model", readonly=True)
    can_write = fields.Boolean(readonly=True)
    via_groups = fields.Char(string="Granted By", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS (
                SELECT row_number() OVER (ORDER BY m.id, u.id) AS id,
                       u.id AS user_id,
                       u.share AS share,
                       m.id AS model_id,
                       bool_or(a.perm_write) AS can_write,
                       string_agg(DISTINCT COALESCE(g.name->>'en_US', '*'), ', ')
                           AS via_groups
                  FROM ir_model m
                  JOIN ir_model_access a
                    ON a.model_id = m.id AND a.active AND a.perm_read
                  LEFT JOIN res_groups g ON g.id = a.group_id
                  JOIN res_users u
                    ON u.active AND (
                        a.group_id IS NULL
                        OR EXISTS (
                            SELECT 1 FROM res_groups_users_rel r
                             WHERE r.gid = a.group_id AND r.uid = u.id
                        )
                    )
                 WHERE m.governance_personal_data
                 GROUP BY m.id, u.id, u.share
            )
            """
        )
