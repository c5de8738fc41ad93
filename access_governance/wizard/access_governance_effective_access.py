# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Effective access of a user per model: CRUD from the ACLs of their groups,
the record rules that restrict them and the fields hidden from them."""

import logging
from collections import defaultdict

from odoo import _, api, fields, models

_logger = logging.getLogger(__name__)

PERMS = ("read", "write", "create", "unlink")


class AccessGovernanceEffectiveAccess(models.TransientModel):
    _name = "access.governance.effective.access"
    _description = "Access Governance: Effective Access"

    user_id = fields.Many2one("res.users", required=True)
    model_ids = fields.Many2many(
        "ir.model",
        string="Models",
        help="Leave empty for every model the user can access at all.",
    )
    line_ids = fields.One2many(
        "access.governance.effective.access.line", "wizard_id", readonly=True
    )

    def action_compute(self):
        self.ensure_one()
        self.line_ids.unlink()
        self.env["access.governance.effective.access.line"].create(
            self._effective_values()
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Effective access of %s", self.user_id.name),
            "res_model": "access.governance.effective.access.line",
            "view_mode": "list",
            "domain": [("wizard_id", "=", self.id)],
            # Results start a fresh breadcrumb instead of stacking on the dialog.
            "target": "main",
        }

    def _effective_values(self):
        self.ensure_one()
        return self._effective_values_as_superuser(self.user_id, self.model_ids)

    @api.model
    def _effective_values_as_superuser(self, user, restrict_models):
        # sudo: an auditor reads another user's groups, the ACLs and record
        # rules of every model; none of them is readable with their rights.
        user = user.sudo()
        group_ids = user.groups_id.ids
        cr = self.env.cr
        self.env["ir.model.access"].flush_model()
        cr.execute(
            """
            SELECT a.model_id, bool_or(a.perm_read), bool_or(a.perm_write),
                   bool_or(a.perm_create), bool_or(a.perm_unlink),
                   array_agg(DISTINCT a.group_id)
              FROM ir_model_access a
             WHERE a.active AND (a.group_id IS NULL OR a.group_id = ANY(%s))
             GROUP BY a.model_id
            """,
            [group_ids],
        )
        acl = {row[0]: row[1:] for row in cr.fetchall()}
        IrModel = self.env["ir.model"].sudo()
        target = restrict_models or IrModel.browse(
            [mid for mid, row in acl.items() if any(row[:4])]
        )
        target = target.filtered(lambda m: m.model in self.env)
        rules = (
            self.env["ir.rule"]
            .sudo()
            .search(
                [
                    ("model_id", "in", target.ids),
                    "|",
                    ("global", "=", True),
                    ("groups", "in", group_ids),
                ]
            )
        )
        rules_by_model = defaultdict(list)
        for rule in rules:
            perms = "".join(
                letter
                for letter, perm in zip("rwcd", PERMS, strict=True)
                if rule[f"perm_{perm}"]
            )
            rules_by_model[rule.model_id.id].append(
                f"{rule.name} [{perms}]: {rule.domain_force}"
            )
        user_env = self.env(user=user.id, su=False)
        Groups = self.env["res.groups"].sudo()
        vals_list = []
        for model in target:
            row = acl.get(model.id, (False,) * 4 + ([],))
            fields_map = self.env[model.model]._fields
            hidden = sorted(
                name
                for name, field in fields_map.items()
                if field.groups and not field.is_accessible(user_env)
            )
            vals_list.append(
                {
                    "wizard_id": self.id,
                    "model_id": model.id,
                    "perm_read": bool(row[0]),
                    "perm_write": bool(row[1]),
                    "perm_create": bool(row[2]),
                    "perm_unlink": bool(row[3]),
                    "via_groups": ", ".join(
                        sorted(
                            Groups.browse([g for g in row[4] if g]).mapped("full_name")
                        )
                        + ([_("everybody")] if None in row[4] else [])
                    ),
                    "rule_count": len(rules_by_model[model.id]),
                    "rules": "\n".join(rules_by_model[model.id]),
                    "hidden_fields": ", ".join(hidden),
                }
            )
        return vals_list
