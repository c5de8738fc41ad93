# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class AccessGovernanceApproval(models.Model):
    """One approver's decision on a grant. Created only by the grant's
    ``action_approve`` / ``action_reject``, which check the approver."""

    _name = "access.governance.approval"
    _description = "Approval Decision"
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
