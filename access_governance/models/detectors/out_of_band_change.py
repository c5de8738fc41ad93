# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, models

from .base import LIVE, OOB_SEQUENCE_PARAM


class AccessGovernanceDetectorOutOfBandChange(models.AbstractModel):
    """Sensitive groups given outside governance: the baseline changes the
    claims engine recorded in the (sealed) audit trail since the last run.

    The scope is audit sequences, not users: each entry is read once (a run
    starts after the last sequence the previous run read). A finding is
    resolved once the user no longer holds the group.
    """

    _name = "access.governance.detector.out_of_band_change"
    _inherit = "access.governance.detector"
    _description = "Detector: Out-of-Band Changes"
    _finding_type = "out_of_band_change"

    @api.model
    def _detector_current_run(self):
        Run = self.env["access.governance.detector.run"].sudo()
        running = Run.search(
            [("detector", "=", self._name), ("state", "=", "running")], limit=1
        )
        if running:
            return running
        previous = Run.search(
            [("detector", "=", self._name), ("state", "=", "done")], limit=1
        )
        if previous:
            last = previous.cursor
        else:
            # Databases upgraded from 18.0.1.1: where the audit stopped.
            # sudo: reading governance settings.
            last = int(
                self.env["ir.config_parameter"].sudo().get_param(OOB_SEQUENCE_PARAM)
                or 0
            )
        return Run.create(
            {"detector": self._name, "finding_type": self._finding_type, "cursor": last}
        )

    @api.model
    def _oob_audit(self):
        # sudo: the detector reads the whole trail.
        return self.env["access.governance.audit"].sudo()

    @api.model
    def _detect_scope(self, after=0):
        self._oob_audit().flush_model()
        self.env.cr.execute(
            """
            SELECT sequence FROM access_governance_audit
            WHERE sequence > %s AND event = 'baseline_change'
            ORDER BY sequence
            """,
            [after],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _detect(self, ids):
        entries = self._oob_audit().search(
            [("sequence", "in", ids), ("event", "=", "baseline_change")],
            order="sequence",
        )
        holders = self._detector_holders(
            self._detector_sensitive_group_ids(), entries.user_id.ids
        )
        results = []
        for entry in entries:
            user = entry.user_id
            held = holders.get(user.id, set())
            for group in entry.group_ids.filtered(lambda g, h=held: g.id in h):
                results.append(
                    {
                        "user": user,
                        "subject": f"group:{group.id}",
                        "severity": group.governance_risk,
                        "groups": group,
                        "record": entry,
                        "explanation": _(
                            "%(actor)s gave %(user)s the sensitive group "
                            "%(group)s directly, outside governance (audit "
                            "entry #%(seq)s).",
                            actor=entry.actor_login,
                            user=user.name,
                            group=group.full_name,
                            seq=entry.sequence,
                        ),
                        "remedy": _(
                            "Revoke the group, or have it requested through a "
                            "grant or a role and accept this finding."
                        ),
                    }
                )
        return results

    @api.model
    def _detect_finish(self, run):
        """Events are not seen again: resolved once the group is gone."""
        # sudo: the detector answers for every finding of its type.
        live = (
            self.env["access.governance.finding"]
            .sudo()
            .search([("finding_type", "=", self._finding_type), ("state", "in", LIVE)])
        )
        holders = self._detector_holders(live.group_ids.ids, live.user_id.ids)
        return live.filtered(
            lambda f: not set(f.group_ids.ids) & holders.get(f.user_id.id, set())
        )._finding_resolve("not_seen")
