# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class AccessGovernanceApproval(models.Model):
    """One approver's decision on a grant. Created only by the grant's
    decision methods (through its approval gate), on the trusted path;
    evidence from its creation: never changed, never deleted."""

    _name = "access.governance.approval"
    _description = "Access Request Decision"
    _inherit = ["access.governance.guarded"]
    # Written by the grant's decision methods only: every stored field.
    _governance_protect_all_stored = True
    _order = "date desc, id desc"

    grant_id = fields.Many2one(
        "access.governance.grant",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    approver_id = fields.Many2one(
        "res.users", required=True, index=True, readonly=True, ondelete="restrict"
    )
    decision = fields.Selection(
        [("approve", "Approved"), ("reject", "Rejected")],
        required=True,
        readonly=True,
    )
    comment = fields.Text(readonly=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)

    _sql_constraints = (
        (
            "grant_approver_uniq",
            "unique (grant_id, approver_id)",
            "Each approver decides once on a grant.",
        ),
    )

    def _governance_is_evidence(self):
        """A decision is evidence as soon as it is recorded."""
        self.ensure_one()
        return True
