# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Evidence pack: one ZIP for a period with the evidence PDFs, CSVs of their
rows and a manifest (SHA-256 of each file, audit-chain head). The pack's own
SHA-256 is recorded in the audit trail."""

import base64
import csv
import io
import json
import logging
import time
import zipfile

from odoo import _, fields, models
from odoo.exceptions import AccessError

from ..tools.evidence_pack import MANIFEST, PACK_FORMAT, sha256_hex

_logger = logging.getLogger(__name__)

AUDITORS = "access_governance.group_governance_auditor"
# A fixed timestamp for every member of the ZIP: the same files give the same
# archive bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _csv(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


class AccessGovernanceEvidencePack(models.TransientModel):
    _name = "access.governance.evidence.pack"
    _description = "Access Governance: Evidence Pack"
    _inherit = "access.governance.evidence.period"

    pack_file = fields.Binary(string="Pack", readonly=True, attachment=False)
    pack_name = fields.Char(readonly=True)
    pack_sha256 = fields.Char(string="Pack SHA-256", readonly=True)
    head_sequence = fields.Integer(string="Audit Chain Head", readonly=True)
    head_hash = fields.Char(string="Head Hash", readonly=True)
    file_count = fields.Integer(readonly=True)
    audit_sequence_text = fields.Char(string="Recorded In The Trail", readonly=True)
    generation_seconds = fields.Float(readonly=True, digits=(16, 2))

    def action_generate(self):
        self.ensure_one()
        if not self.env.user.has_group(AUDITORS):
            raise AccessError(_("Only governance auditors can build evidence packs."))
        self._check_period()
        start = time.perf_counter()
        meta = self.env["access.governance.evidence.pdf"]._evidence_meta()
        files = self._pack_files(meta)
        manifest = self._pack_manifest(meta, files)
        data = self._pack_zip(files, manifest)
        digest = sha256_hex(data)
        name = "evidence-pack-{}-{}.zip".format(
            self.date_from.strftime("%Y%m%d"), self.date_to.strftime("%Y%m%d")
        )
        entry = self._pack_audit(name, digest, manifest)
        elapsed = time.perf_counter() - start
        _logger.info(
            "access_governance: evidence pack %s (%s files, %s bytes) in %.2f s",
            name,
            len(files),
            len(data),
            elapsed,
        )
        self.write(
            {
                "pack_file": base64.b64encode(data),
                "pack_name": name,
                "pack_sha256": digest,
                "head_sequence": meta["head_sequence"],
                "head_hash": meta["head_hash"],
                "file_count": len(files),
                "audit_sequence_text": _(
                    "Audit entry %s (sealed within seconds)", entry.id
                ),
                "generation_seconds": elapsed,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    # ------------------------------------------------------------------
    # Content
    # ------------------------------------------------------------------
    def _pack_files(self, meta):
        """``[(name, bytes)]``: the PDFs and the CSVs of their rows."""
        self.ensure_one()
        Pdf = self.env["access.governance.evidence.pdf"]
        period = {"date_from": self.date_from, "date_to": self.date_to}
        elevated = self.env["access.governance.elevated.access"].create(period)
        sod = self.env["access.governance.sod.report"].create(period)
        leavers = self.env["access.governance.leavers"].create(period)
        personal = self.env["access.governance.personal.data.access"].search([])
        reviews = self._pack_reviews()

        def render(xmlid, records):
            start = time.perf_counter()
            pdf = Pdf._evidence_render(
                self.env.ref(f"access_governance.{xmlid}"), records.ids, meta=meta
            )
            _logger.info(
                "access_governance: evidence pack: %s rendered in %.2f s",
                xmlid,
                time.perf_counter() - start,
            )
            return pdf

        files = [
            (
                "elevated_access.pdf",
                render("access_governance_elevated_access_report", elevated),
            ),
            ("elevated_access.csv", self._csv_elevated(elevated._elevated_grants())),
            ("sod.pdf", render("access_governance_sod_report", sod)),
        ]
        files += self._csv_sod(sod)
        files += [
            ("leavers.pdf", render("access_governance_leavers_report", leavers)),
            ("leavers.csv", self._csv_leavers(leavers._leavers_offboardings())),
            (
                "personal_data.pdf",
                render("access_governance_personal_data_report", personal),
            ),
            ("personal_data.csv", self._csv_personal(personal)),
        ]
        if reviews:
            files.append(
                (
                    "review_campaigns.pdf",
                    render("access_governance_review_report", reviews),
                )
            )
        files.append(("review_lines.csv", self._csv_reviews(reviews)))
        files.append(("audit_trail.csv", self._csv_audit(meta)))
        return files

    def _pack_reviews(self):
        """Campaigns under way at some moment of the period."""
        return self.env["access.governance.review"].search(
            [
                ("state", "!=", "draft"),
                ("date_start", "<=", self.date_to.date()),
                "|",
                ("date_closed", "=", False),
                ("date_closed", ">=", self.date_from),
            ],
            order="date_start, id",
        )

    def _fmt(self, value):
        return fields.Datetime.to_string(value) if value else ""

    def _csv_elevated(self, grants):
        header = [
            "grant", "beneficiary", "beneficiary_login", "groups", "profile",
            "break_glass", "risk", "requested_by", "reason", "approvals",
            "activated_utc", "planned_end_utc", "ended_utc", "state", "how_it_ended",
            "audit_entries",
        ]  # fmt: skip
        rows = [
            [
                g.name,
                g.beneficiary_id.name,
                g.beneficiary_id.login,
                g.evidence_group_names,
                g.profile_id.name or "",
                g.break_glass,
                g.risk,
                g.requester_id.name,
                g.reason or "",
                g.evidence_approvals,
                self._fmt(g.date_activated),
                self._fmt(g.date_end),
                self._fmt(g.date_ended),
                g.state,
                g.evidence_end,
                g.evidence_audit_refs.replace("\n", "; "),
            ]
            for g in grants
        ]
        return _csv(header, rows)

    def _csv_sod(self, wizard):
        conflicts = wizard._sod_conflict_rows()
        keys = [
            "user",
            "login",
            "rule",
            "severity",
            "side_a",
            "side_b",
            "mitigated",
            "status",
        ]
        mitigations = wizard._sod_mitigations()
        return [
            (
                "sod_conflicts.csv",
                _csv(keys, [[c[k] for k in keys] for c in conflicts]),
            ),
            (
                "sod_mitigations.csv",
                _csv(
                    [
                        "user",
                        "login",
                        "rule",
                        "control",
                        "approved_by",
                        "recorded_utc",
                        "valid_until",
                        "status",
                    ],
                    [
                        [
                            m.user_id.name,
                            m.user_id.login,
                            m.rule_id.name,
                            m.control,
                            m.approver_id.name,
                            self._fmt(m.create_date),
                            m.date_end or "",
                            wizard._sod_mitigation_status(m),
                        ]
                        for m in mitigations
                    ],
                ),
            ),
        ]

    def _csv_leavers(self, offboardings):
        header = [
            "leaver", "login", "run_utc", "run_by", "automatic", "reason",
            "deactivated", "roles_ended", "groups_removed", "sessions_revoked",
            "api_keys_deleted", "records_reassigned",
        ]  # fmt: skip
        rows = [
            [
                o.user_id.name,
                o.user_id.login,
                self._fmt(o.date_done),
                o.done_by_id.name or "",
                o.automatic,
                o.reason or "",
                o.user_deactivated,
                o.assignments_ended_names or "",
                o.groups_removed_names or "",
                o.sessions_revoked_count,
                o.apikeys_deleted_names or "",
                o.records_reassigned_details or "",
            ]
            for o in offboardings
        ]
        return _csv(header, rows)

    def _csv_personal(self, rows):
        header = [
            "model",
            "model_name",
            "user",
            "login",
            "portal_or_public",
            "can_write",
            "granted_by",
        ]
        return _csv(
            header,
            [
                [
                    r.model_id.model,
                    r.model_id.name,
                    r.user_id.name,
                    r.user_id.login,
                    r.share,
                    r.can_write,
                    r.via_groups,
                ]
                for r in rows
            ],
        )

    def _csv_reviews(self, reviews):
        header = [
            "campaign", "campaign_state", "user", "login", "access", "reviewer",
            "recommendation", "decision", "default_decision", "decided_by",
            "decided_utc", "comment", "applied", "result",
        ]  # fmt: skip
        rows = []
        for review in reviews:
            for line in review.line_ids:
                rows.append(
                    [
                        review.name,
                        review.state,
                        line.user_id.name,
                        line.user_id.login,
                        f"Role {line.role_id.name}"
                        if line.role_id
                        else line.group_id.full_name,
                        line.reviewer_id.name or "",
                        line.recommendation or "",
                        line.decision or "",
                        line.decision_auto,
                        line.decided_by_id.name or "",
                        self._fmt(line.date_decided),
                        line.comment or "",
                        line.applied,
                        line.result or "",
                    ]
                )
        return _csv(header, rows)

    def _csv_audit(self, meta):
        """The sealed entries of the period up to the head: sequence, hash
        and what they say."""
        entries = self.env["access.governance.audit"].search(
            [
                ("sequence", "!=", False),
                ("sequence", "<=", meta["head_sequence"]),
                ("date", ">=", self.date_from),
                ("date", "<=", self.date_to),
            ],
            order="sequence",
        )
        header = [
            "sequence", "date_utc", "event", "actor_login", "user_login", "groups",
            "record_model", "record_id", "record_name", "description",
            "previous_hash", "hash",
        ]  # fmt: skip
        rows = [
            [
                e.sequence,
                self._fmt(e.date),
                e.event,
                e.actor_login or "",
                e.user_login or "",
                e.group_names or "",
                e.res_model or "",
                e.res_id or "",
                e.record_name or "",
                e.description or "",
                e.previous_hash or "",
                e.hash or "",
            ]
            for e in entries
        ]
        return _csv(header, rows)

    # ------------------------------------------------------------------
    # Packing
    # ------------------------------------------------------------------
    def _pack_manifest(self, meta, files):
        return {
            "format": PACK_FORMAT,
            "database": meta["database"],
            "company": meta["company_name"],
            "period": {
                "from_utc": self._fmt(self.date_from),
                "to_utc": self._fmt(self.date_to),
            },
            "generated_at_utc": self._fmt(meta["generated_at"]),
            "generated_by": self.env.user.login,
            "audit_head": {
                "sequence": meta["head_sequence"],
                "hash": meta["head_hash"],
            },
            "files": [
                {"name": name, "sha256": sha256_hex(data), "size": len(data)}
                for name, data in files
            ],
        }

    def _pack_zip(self, files, manifest):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in [
                *files,
                (MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode()),
            ]:
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        return buffer.getvalue()

    def _pack_audit(self, name, digest, manifest):
        head = manifest["audit_head"]
        return self.env["access.governance.audit"]._audit_log(
            "evidence_pack",
            description=_(
                "Evidence pack %(name)s for %(period)s: SHA-256 %(sha)s, audit "
                "chain head #%(seq)s.",
                name=name,
                period=self.period_text,
                sha=digest,
                seq=head["sequence"],
            ),
            details={
                "pack": name,
                "sha256": digest,
                "head_sequence": head["sequence"],
                "head_hash": head["hash"],
                "period": manifest["period"],
                "files": {f["name"]: f["sha256"] for f in manifest["files"]},
            },
        )
