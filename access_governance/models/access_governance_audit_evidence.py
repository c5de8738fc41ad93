# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Audit events of evidence packs."""

from odoo import fields, models


class AccessGovernanceAuditEvidence(models.Model):
    _inherit = "access.governance.audit"

    event = fields.Selection(
        selection_add=[
            ("evidence_pack", "Evidence pack generated"),
            ("evidence_pack_verified", "Evidence pack verified"),
        ],
        ondelete={"evidence_pack": "cascade", "evidence_pack_verified": "cascade"},
    )
