# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Separation of duties (SOX): the conflicts users hold now, each with its
mitigation, and every mitigation recorded with its expiry."""

from odoo import _, fields, models

REPORT = "access_governance.access_governance_sod_report"


class AccessGovernanceSodReport(models.TransientModel):
    _name = "access.governance.sod.report"
    _description = "Access Governance: Separation of Duties Report"
    _inherit = "access.governance.evidence.period"

    def _sod_conflict_rows(self):
        """One row per (active internal user, rule) in conflict now: the
        groups held on each side and the mitigation status."""
        self.ensure_one()
        Rule = self.env["access.governance.sod.rule"]
        Mitigation = self.env["access.governance.mitigation"].with_context(
            active_test=False
        )
        fmt = self.env["access.governance.evidence.pdf"]._evidence_format
        users = self.env["res.users"].search([("share", "=", False)], order="name")
        rows = []
        for user in users:
            for conflict in Rule._sod_conflicts(user):
                rule = conflict["rule"]
                valid = conflict["mitigation"]
                if valid:
                    status = _(
                        "Mitigated until %(end)s: %(control)s (approved by "
                        "%(approver)s)",
                        end=valid.date_end or _("further notice"),
                        control=valid.control,
                        approver=valid.approver_id.name,
                    )
                else:
                    last = Mitigation.search(
                        [("user_id", "=", user.id), ("rule_id", "=", rule.id)],
                        order="date_end desc, id desc",
                        limit=1,
                    )
                    if last and last.date_end:
                        status = _(
                            "NOT MITIGATED: mitigation expired on %s", last.date_end
                        )
                    elif last:
                        status = _("NOT MITIGATED: mitigation withdrawn")
                    else:
                        status = _("NOT MITIGATED")
                rows.append(
                    {
                        "user": user.name,
                        "login": user.login,
                        "rule": rule.name,
                        "severity": dict(rule._fields["severity"].selection).get(
                            rule.severity, rule.severity
                        ),
                        "side_a": ", ".join(conflict["groups_a"].mapped("full_name")),
                        "side_b": ", ".join(conflict["groups_b"].mapped("full_name")),
                        "mitigated": bool(valid),
                        "status": status,
                        "checked": fmt(fields.Datetime.now()),
                    }
                )
        return rows

    def _sod_mitigations(self):
        """Every mitigation not expired before the period starts, active or
        withdrawn: what was in force in the period, and since."""
        self.ensure_one()
        self._check_period()
        return (
            self.env["access.governance.mitigation"]
            .with_context(active_test=False)
            .search(
                [
                    "|",
                    ("date_end", "=", False),
                    ("date_end", ">=", self.date_from.date()),
                ],
                order="date_end, id",
            )
        )

    def _sod_mitigation_status(self, mitigation):
        if not mitigation.active:
            return _("Withdrawn")
        if mitigation.is_valid:
            return _("Valid")
        return _("EXPIRED on %s", mitigation.date_end)

    def action_open(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_mitigation_action"
        )
        action.update(
            {
                "name": _("SoD mitigations: %s", self.period_text),
                "domain": [("id", "in", self._sod_mitigations().ids)],
                "context": {"active_test": False},
                "target": "main",
            }
        )
        return action

    def action_print(self):
        self.ensure_one()
        self._check_period()
        return self.env.ref(REPORT).report_action(self)
