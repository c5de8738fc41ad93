# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from .base import highest_risk


class AccessGovernanceDetectorUnusedAccess(models.AbstractModel):
    """Governed groups whose models (by the group's ACLs granting create or
    write) the user has not created or written records in for N days.

    One finding per user listing every unused group, highest risk first (its
    severity is the highest of them): a reviewer reads one line per person,
    not one per group. One query per model table and transaction (who
    created or wrote since the threshold); users younger than N days are
    skipped.
    """

    _name = "access.governance.detector.unused_access"
    _inherit = "access.governance.detector"
    _description = "Detector: Unused Access"
    _finding_type = "unused_access"
    _batch_size = 5000

    @api.model
    def _unused_since(self):
        days = self._detector_param_int("unused_days")
        since = fields.Datetime.now() - timedelta(days=days)
        return since, days

    @api.model
    def _unused_tables_by_group(self):
        """{gid: {table}} of governed groups whose ACLs let them create or
        write records of a model that records its author."""
        # sudo: the detector reads every governed group and its ACLs.
        groups = (
            self.env["res.groups"]
            .sudo()
            .search([("governance_scope", "=", "governed")])
        )
        acls = (
            self.env["ir.model.access"]
            .sudo()
            .search(
                [
                    ("group_id", "in", groups.ids),
                    ("active", "=", True),
                    "|",
                    ("perm_write", "=", True),
                    ("perm_create", "=", True),
                ]
            )
        )
        tables_by_group = defaultdict(set)
        for acl in acls:
            model = self.env.get(acl.model_id.model)
            if (
                model is None
                or model._abstract
                or model._transient
                or not model._auto
                or "create_uid" not in model._fields
                or "write_uid" not in model._fields
            ):
                continue
            tables_by_group[acl.group_id.id].add(model._table)
        return tables_by_group

    @api.model
    def _detect_scope(self, after=0):
        since, _days = self._unused_since()
        holders = self._detector_holders(self._unused_tables_by_group())
        self.env.cr.execute(
            "SELECT id FROM res_users WHERE id = ANY(%s) AND create_date < %s "
            "ORDER BY id",
            [list(holders), since],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _unused_table_activity(self, table, since):
        """Users who created or wrote in ``table`` since ``since``: one scan
        of the table per run and transaction, whatever the batch."""
        cache = self._detector_run_cache().setdefault("activity", {})
        if table not in cache:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT create_uid FROM %(t)s WHERE create_date >= %(since)s
                    UNION
                    SELECT write_uid FROM %(t)s WHERE write_date >= %(since)s
                    """,
                    t=SQL.identifier(table),
                    since=since,
                )
            )
            cache[table] = {row[0] for row in self.env.cr.fetchall()}
        return cache[table]

    @api.model
    def _detect(self, ids):
        since, days = self._unused_since()
        tables_by_group = self._unused_tables_by_group()
        holders = self._detector_holders(tables_by_group, ids)
        self.env.flush_all()
        tables = set().union(*tables_by_group.values()) if tables_by_group else set()
        active_in = {
            table: self._unused_table_activity(table, since) for table in sorted(tables)
        }
        unused = defaultdict(list)
        for uid in sorted(holders):
            for gid in sorted(holders[uid]):
                if not any(uid in active_in[t] for t in tables_by_group[gid]):
                    unused[uid].append(gid)
        results = []
        for user in self._detector_users(sorted(unused)):
            groups = self._detector_by_risk(unused[user.id])
            results.append(
                {
                    "user": user,
                    "subject": "unused",
                    "severity": highest_risk(groups.mapped("governance_risk")),
                    "groups": groups,
                    "explanation": _(
                        "%(user)s has not created or changed any record that "
                        "%(count)s of their groups give access to for %(days)s "
                        "days (highest risk first): %(groups)s.",
                        user=user.name,
                        count=len(groups),
                        days=days,
                        groups=", ".join(groups.mapped("full_name")),
                    ),
                    "remedy": _(
                        "Revoke the groups the user no longer needs (Revoke "
                        "Groups revokes the ones listed to revoke)."
                    ),
                    "details": {
                        "groups": [
                            [g.full_name, g.governance_risk or "low"] for g in groups
                        ],
                        "tables": sorted(
                            set().union(*(tables_by_group[g.id] for g in groups))
                        ),
                    },
                }
            )
        return results
