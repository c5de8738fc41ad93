# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Verify an evidence pack: its files match its manifest, and the audit
trail still contains, unchanged, every entry up to the pack's head."""

import base64
import binascii
import logging
import time

from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.evidence_pack import verify_pack

_logger = logging.getLogger(__name__)

AUDITORS = "access_governance.group_governance_auditor"


class AccessGovernanceEvidencePackVerify(models.TransientModel):
    _name = "access.governance.evidence.pack.verify"
    _description = "Access Governance: Verify an Evidence Pack"

    pack_file = fields.Binary(string="Pack", required=True, attachment=False)
    pack_name = fields.Char()
    state = fields.Selection(
        [("intact", "Intact"), ("altered", "Altered")], readonly=True
    )
    result = fields.Text(readonly=True)
    pack_sha256 = fields.Char(string="Pack SHA-256", readonly=True)
    head_sequence = fields.Integer(string="Pack's Audit Chain Head", readonly=True)
    first_altered_sequence = fields.Integer(readonly=True)
    recorded_text = fields.Char(string="Pack Recorded In The Trail", readonly=True)
    verify_seconds = fields.Float(readonly=True, digits=(16, 3))

    def action_verify(self):
        self.ensure_one()
        if not self.env.user.has_group(AUDITORS):
            raise AccessError(_("Only governance auditors can verify evidence packs."))
        try:
            data = base64.b64decode(self.pack_file or b"", validate=True)
        except (binascii.Error, ValueError) as error:
            raise UserError(_("The pack could not be read.")) from error
        if not data:
            raise UserError(_("Upload the evidence pack (ZIP) to verify."))
        start = time.perf_counter()
        self.env.flush_all()
        outcome = verify_pack(data, self.env.cr)
        elapsed = time.perf_counter() - start
        if outcome["manifest"] is None:
            raise UserError(outcome["message"])
        trail = outcome["trail"]
        recorded = self._verify_recorded_entry(outcome["pack_sha256"])
        _logger.info(
            "access_governance: evidence pack verified in %.3f s (%s entries): %s",
            elapsed,
            trail["checked"],
            "intact" if outcome["ok"] else "ALTERED",
        )
        self.write(
            {
                "state": "intact" if outcome["ok"] else "altered",
                "result": outcome["message"],
                "pack_sha256": outcome["pack_sha256"],
                "head_sequence": outcome["manifest"]["audit_head"].get("sequence"),
                "first_altered_sequence": trail["sequence"] or 0,
                "recorded_text": (
                    _("Yes: %s", recorded.display_name)
                    if recorded
                    else _("No entry records this pack's SHA-256.")
                ),
                "verify_seconds": elapsed,
            }
        )
        self.env["access.governance.audit"]._audit_log(
            "evidence_pack_verified",
            description=_(
                "Evidence pack %(sha)s verified: %(state)s. %(result)s",
                sha=outcome["pack_sha256"],
                state=_("intact") if outcome["ok"] else _("ALTERED"),
                result=outcome["message"],
            ),
            details={
                "sha256": outcome["pack_sha256"],
                "ok": outcome["ok"],
                "first_altered_sequence": trail["sequence"],
            },
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _verify_recorded_entry(self, digest):
        """The audit entry that recorded this pack's generation, if any."""
        return self.env["access.governance.audit"].search(
            [("event", "=", "evidence_pack"), ("details", "ilike", digest)],
            order="id",
            limit=1,
        )
