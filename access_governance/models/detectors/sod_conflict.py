# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, models


class AccessGovernanceDetectorSodConflict(models.AbstractModel):
    """Users holding both sides of an SoD rule through their effective groups.

    A valid mitigation resolves the finding (``mitigated``); once it expires,
    the next run opens a new one. Conflicts are evaluated set-wise by
    ``access.governance.sod.rule._sod_evaluate`` (the evaluation grants,
    roles and reviews use), with rules and mitigations read once per run.
    """

    _name = "access.governance.detector.sod_conflict"
    _inherit = "access.governance.detector"
    _description = "Detector: Separation of Duties"
    _finding_type = "sod_conflict"
    _batch_size = 500

    @api.model
    def _sod_sides(self):
        """Rules with their sides, read once per run (and transaction)."""
        Rule = self.env["access.governance.sod.rule"]
        sides, _mitigations = Rule._sod_rules_and_mitigations(
            self._detector_run_cache()
        )
        return sides

    @api.model
    def _detect_scope(self, after=0):
        """Users holding both sides of some rule (mitigated or not)."""
        sides = self._sod_sides()
        holders = self._detector_holders(set().union(*(a | b for _r, a, b in sides)))
        return sorted(
            uid
            for uid, held in holders.items()
            if any(held & side_a and held & side_b for _r, side_a, side_b in sides)
        )

    @api.model
    def _detect(self, ids):
        sides = self._sod_sides()
        held = self._detector_holders(set().union(*(a | b for _r, a, b in sides)), ids)
        conflicts = self.env["access.governance.sod.rule"]._sod_evaluate(
            held, self._detector_run_cache()
        )
        users = {user.id: user for user in self._detector_users(sorted(conflicts))}
        results = []
        for uid, user_conflicts in sorted(conflicts.items()):
            user = users[uid]
            for conflict in user_conflicts:
                rule = conflict["rule"].sudo()
                subject = f"rule:{rule.id}"
                if conflict["mitigation"]:
                    results.append(
                        {"user": user, "subject": subject, "resolution": "mitigated"}
                    )
                    continue
                side_a = conflict["groups_a"].sudo()
                side_b = conflict["groups_b"].sudo()
                results.append(
                    {
                        "user": user,
                        "subject": subject,
                        "severity": rule.severity,
                        "rule": rule,
                        "groups": side_a | side_b,
                        "revoke_groups": side_b,
                        "explanation": _(
                            "%(user)s can both %(a)s and %(b)s: rule "
                            "'%(rule)s' forbids holding both.",
                            user=user.name,
                            a=", ".join(side_a.mapped("full_name")),
                            b=", ".join(side_b.mapped("full_name")),
                            rule=rule.name,
                        ),
                        "remedy": _(
                            "Revoke one side, or record a mitigation with a "
                            "compensating control approved by someone else."
                        ),
                    }
                )
        return results
