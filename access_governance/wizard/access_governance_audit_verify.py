# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, fields, models


class AccessGovernanceAuditVerify(models.TransientModel):
    _name = "access.governance.audit.verify"
    _description = "Audit Trail Integrity Check"

    state = fields.Selection(
        [("intact", "Intact"), ("broken", "Broken")], readonly=True
    )
    checked_count = fields.Integer(string="Entries Verified", readonly=True)
    last_sequence = fields.Integer(string="Last Intact Entry", readonly=True)
    broken_sequence = fields.Integer(string="First Broken Entry", readonly=True)
    broken_entry_id = fields.Many2one(
        "access.governance.audit", string="Broken Entry", readonly=True
    )
    reason = fields.Text(readonly=True)
    pending_count = fields.Integer(
        string="Entries Pending",
        readonly=True,
        help="Entries written but not sealed into the chain yet. They are "
        "sealed within seconds of the change, or once a transaction that "
        "started before them has finished.",
    )
    pending_since = fields.Datetime(string="Oldest Pending Entry", readonly=True)
    summary = fields.Text(readonly=True)
    verified_on = fields.Datetime(readonly=True)

    def action_run(self):
        self.ensure_one()
        Audit = self.env["access.governance.audit"]
        # Seal whatever can be sealed now, so that only entries still being
        # written show as pending.
        Audit._audit_seal()
        result = Audit._audit_verify_chain()
        if result["state"] == "intact":
            summary = _(
                "The audit trail is intact: all %(count)s entries were recomputed "
                "from their content and every link to the previous entry matches. "
                "No entry was altered, deleted or inserted since it was sealed.",
                count=result["checked"],
            )
        else:
            summary = _(
                "The audit trail is BROKEN at entry #%(seq)s. %(reason)s "
                "Entries before #%(seq)s are intact; treat entry #%(seq)s and "
                "everything after it as unverified and investigate.",
                seq=result["broken_sequence"],
                reason=result["reason"],
            )
        if result["pending"]:
            summary += "\n" + _(
                "%(count)s more entries, the oldest written on %(since)s, are "
                "not sealed into the chain yet: they are pending, not broken, "
                "and are verified once sealed (normally within seconds; a "
                "long-running transaction that started before them delays it).",
                count=result["pending"],
                since=fields.Datetime.to_string(result["pending_since"]),
            )
        self.write(
            {
                "state": result["state"],
                "checked_count": result["checked"],
                "last_sequence": result["last_sequence"],
                "broken_sequence": result.get("broken_sequence") or 0,
                "broken_entry_id": result.get("broken_id") or False,
                "reason": result.get("reason") or False,
                "pending_count": result["pending"],
                "pending_since": result["pending_since"],
                "summary": summary,
                "verified_on": fields.Datetime.now(),
            }
        )
        Audit._audit_record_verification(result)
        return True
