# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, models

from .base import LIVE


class AccessGovernanceDetectorBrokenAuditChain(models.AbstractModel):
    """Reported by the audit trail's verification (not a scan of users):
    the hash chain is broken, or intact again."""

    _name = "access.governance.detector.broken_audit_chain"
    _inherit = "access.governance.detector"
    _description = "Detector: Broken Audit Chain"
    _finding_type = "broken_audit_chain"

    @api.model
    def _detect_scope(self, after=0):
        return []

    @api.model
    def _chain_broken(self, result):
        """Hook of the verification: the chain is broken."""
        return self._detector_report(
            [
                {
                    "user": None,
                    "subject": "chain",
                    "severity": "critical",
                    "explanation": _(
                        "The audit trail's hash chain is broken at entry "
                        "#%(seq)s: %(reason)s",
                        seq=result.get("broken_sequence"),
                        reason=result.get("reason"),
                    ),
                    "remedy": _(
                        "Investigate who changed the audit table (database "
                        "access, trigger dropped) and restore it from a backup."
                    ),
                    "details": {
                        key: result.get(key)
                        for key in ("broken_sequence", "broken_id", "reason")
                    },
                }
            ]
        )

    @api.model
    def _chain_intact(self):
        """Hook of the verification: the chain verifies again."""
        # sudo: the verification answers for the chain's finding.
        live = (
            self.env["access.governance.finding"]
            .sudo()
            .search([("finding_type", "=", self._finding_type), ("state", "in", LIVE)])
        )
        return live._finding_resolve("not_seen")
