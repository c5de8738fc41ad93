# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Governance follows the modules installed after it.

Odoo marks a module ``installed`` (``module.write({'state': 'installed'})`` in
``odoo/modules/loading.py``) right after loading its data: its groups, access
rules and record rules exist then. At that moment the new groups are
classified by what they confer, the role templates and shipped SoD rules that
name them are completed and the reassignment rules of its models are created.
No button: installing Sales after Access Governance is enough.
"""

import logging

from odoo import fields, models

_logger = logging.getLogger(__name__)


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def write(self, vals):
        installing = self.browse()
        if vals.get("state") == "installed":
            installing = self.filtered(
                lambda m: m.state == "to install" and m.name != "access_governance"
            )
        res = super().write(vals)
        if installing:
            try:
                with self.env.cr.savepoint():
                    self._governance_after_install_as_superuser(installing)
            except Exception:
                # Never fail an installation for governance: the templates and
                # rules stay as they were; the administrator can load them.
                _logger.exception(
                    "access_governance: could not follow the install of %s",
                    ", ".join(installing.mapped("name")),
                )
        return res

    def _governance_after_install_as_superuser(self, modules):
        # sudo: runs while Odoo installs a module (an administrator's action
        # or the command line); shipped templates and rules are completed as
        # the installation itself would have created them.
        env = self.sudo().env
        names = modules.mapped("name")
        groups = env["res.groups"]._governance_classify_module_groups(names)
        roles = env["access.governance.role"]._governance_templates_follow(names)
        rules = env["access.governance.sod.rule"]._sod_follow_modules(names)
        moves = env["access.governance.reassignment.rule"]._create_default_rules(
            modules=names
        )
        if groups or roles or rules or moves:
            env["access.governance.audit"]._audit_log(
                "module_installed",
                description=env._(
                    "Modules installed: %(modules)s. Groups classified: "
                    "%(groups)d; role templates created or completed: "
                    "%(roles)s; SoD rules activated or completed: %(rules)s; "
                    "reassignment rules created: %(moves)s.",
                    modules=", ".join(names),
                    groups=len(groups),
                    roles=", ".join(roles.mapped("code")) or "-",
                    rules=", ".join(rules.mapped("name")) or "-",
                    moves=", ".join(moves.mapped("model_id.model")) or "-",
                ),
                details={
                    "modules": names,
                    "groups": groups.ids,
                    "roles": roles.mapped("code"),
                    "sod_rules": rules.ids,
                    "reassignment_rules": moves.mapped("model_id.model"),
                },
            )
        _logger.info(
            "access_governance: followed install of %s (%d groups, %d roles, "
            "%d SoD rules, %d reassignment rules)",
            ", ".join(names),
            len(groups),
            len(roles),
            len(rules),
            len(moves),
        )


class AccessGovernanceAudit(models.Model):
    _inherit = "access.governance.audit"

    event = fields.Selection(selection_add=[("module_installed", "Module installed")])
