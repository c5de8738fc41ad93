# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Explain access: every group a user holds and why."""

import logging
from collections import defaultdict

from odoo import _, api, fields, models

from ..models.access_governance_claim import CLAIM_KINDS

_logger = logging.getLogger(__name__)


class AccessGovernanceExplain(models.TransientModel):
    _name = "access.governance.explain"
    _description = "Access Governance: Explain Access"

    user_id = fields.Many2one("res.users", required=True)
    line_ids = fields.One2many(
        "access.governance.explain.line", "explain_id", readonly=True
    )

    def action_explain(self):
        self.ensure_one()
        self.line_ids.unlink()
        self.env["access.governance.explain.line"].create(self._explain_values())
        return {
            "type": "ir.actions.act_window",
            "name": _("Why %s holds their access", self.user_id.name),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_open_lines(self):
        self.ensure_one()
        if not self.line_ids:
            self.action_explain()
        return {
            "type": "ir.actions.act_window",
            "name": _("Access of %s", self.user_id.name),
            "res_model": "access.governance.explain.line",
            "view_mode": "list",
            "domain": [("explain_id", "=", self.id)],
            # Results start a fresh breadcrumb instead of stacking on the dialog.
            "target": "main",
        }

    def action_print(self):
        self.ensure_one()
        if not self.line_ids:
            self.action_explain()
        return self.env.ref(
            "access_governance.access_governance_explain_report"
        ).report_action(self)

    def _explain_values(self):
        """One line per group held: its claims, or the held groups that
        imply it (``trans_implied_ids``), or why governance ignores it."""
        self.ensure_one()
        user = self.user_id
        groups = self._explain_groups_as_superuser(user)
        claims = self._explain_claims_as_superuser(user)
        by_group = defaultdict(list)
        for claim in claims:
            by_group[claim.group_id].append(claim)
        kinds = dict(CLAIM_KINDS)
        vals_list = []
        for group in groups:
            parts = []
            for claim in by_group.get(group, ()):
                since = fields.Date.to_string(claim.date_start.date())
                if claim.kind == "baseline":
                    parts.append(
                        _(
                            "Baseline since %(date)s, set by %(by)s",
                            date=since,
                            by=claim.started_by_id.name or "-",
                        )
                    )
                else:
                    parts.append(
                        _(
                            "%(kind)s %(name)s since %(date)s (by %(by)s)",
                            kind=kinds[claim.kind],
                            name=claim.source_name or claim.source_ref,
                            date=since,
                            by=claim.started_by_id.name or "-",
                        )
                    )
            implied_by = groups.filtered(
                lambda g, grp=group: g != grp and grp in g.trans_implied_ids
            )
            if implied_by:
                parts.append(
                    _("Implied by %s", ", ".join(implied_by.mapped("full_name")))
                )
            if not parts:
                parts.append(
                    _("Not governed (%s).", group.governance_scope or "-")
                    if group.governance_scope != "governed"
                    else _("No claim justifies it.")
                )
            vals_list.append(
                {
                    "explain_id": self.id,
                    "group_id": group.id,
                    "kinds": ", ".join(
                        sorted({kinds[c.kind] for c in by_group.get(group, ())})
                    ),
                    "implied": bool(implied_by) and group not in by_group,
                    "explanation": "; ".join(parts),
                }
            )
        return vals_list

    @api.model
    def _explain_groups_as_superuser(self, user):
        # sudo: auditors read every user's groups; res.groups membership of
        # another user is not readable through their own rights.
        return user.sudo().groups_id

    @api.model
    def _explain_claims_as_superuser(self, user):
        # sudo: started_by_id names are read for evidence, whatever the
        # auditor's access to those users.
        return (
            self.env["access.governance.claim"]
            .sudo()
            .search([("user_id", "=", user.id), ("active", "=", True)])
        )
