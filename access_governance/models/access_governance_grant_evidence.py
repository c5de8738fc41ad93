# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A grant as evidence: who approved it, when and why, how it ended, and the
audit entries that prove each step. Computed, never stored: they read the
approvals, the grant and the audit trail as they are, with the reader's own
rights (auditors and managers read them all)."""

from collections import defaultdict

from odoo import _, fields, models

AUDITORS = "access_governance.group_governance_auditor"


class AccessGovernanceGrantEvidence(models.Model):
    _inherit = "access.governance.grant"

    evidence_group_names = fields.Char(
        string="Groups (names)", compute="_compute_evidence", groups=AUDITORS
    )
    evidence_approvals = fields.Text(
        string="Approvals", compute="_compute_evidence", groups=AUDITORS
    )
    evidence_end = fields.Text(
        string="How It Ended", compute="_compute_evidence", groups=AUDITORS
    )
    evidence_audit_refs = fields.Text(
        string="Audit Entries", compute="_compute_evidence", groups=AUDITORS
    )

    def _evidence_audit_entries(self):
        """Audit entries about these grants, oldest first, by grant id."""
        entries = (
            self.env["access.governance.audit"]
            .search(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                order="id",
            )
            .sorted(lambda e: (not e.sequence, e.sequence, e.id))
        )
        by_grant = defaultdict(list)
        for entry in entries:
            by_grant[entry.res_id].append(entry)
        return by_grant

    def _compute_evidence(self):
        Pdf = self.env["access.governance.evidence.pdf"]
        fmt = Pdf._evidence_format
        events = dict(
            self.env["access.governance.audit"]
            ._fields["event"]
            ._description_selection(self.env)
        )
        decisions = dict(
            self.env["access.governance.approval"]
            ._fields["decision"]
            ._description_selection(self.env)
        )
        audit = self._evidence_audit_entries() if self.ids else {}
        for grant in self:
            entries = audit.get(grant.id, [])
            grant.evidence_group_names = ", ".join(
                grant._evidence_groups().sorted("full_name").mapped("full_name")
            )
            # Approvals: the policy, each approver's decision, break-glass.
            lines = []
            if grant.policy_approved:
                when = next(
                    (e.date for e in entries if e.event == "grant_policy_approved"),
                    False,
                )
                lines.append(
                    _(
                        "Approved by policy (low risk, requestable, no SoD "
                        "conflict) on %(when)s",
                        when=fmt(when) or "?",
                    )
                )
            for approval in grant.approval_ids.sorted(lambda a: (a.date, a.id)):
                lines.append(
                    _(
                        "%(approver)s: %(decision)s on %(when)s%(comment)s",
                        approver=approval.approver_id.name,
                        decision=decisions.get(approval.decision, approval.decision),
                        when=fmt(approval.date),
                        comment=f" - {approval.comment}" if approval.comment else "",
                    )
                )
            if grant.break_glass:
                lines.append(_("Break-glass: activated by the beneficiary"))
                if grant.reviewed_by_id:
                    lines.append(
                        _(
                            "Signed off by %(user)s on %(when)s",
                            user=grant.reviewed_by_id.name,
                            when=fmt(grant.date_reviewed),
                        )
                    )
                elif grant.review_required:
                    lines.append(_("Sign-off pending"))
            grant.evidence_approvals = "\n".join(lines) or _("No approval recorded")
            grant.evidence_end = grant._evidence_end_text(fmt)
            grant.evidence_audit_refs = "\n".join(
                "{} {}".format(
                    f"#{e.sequence}" if e.sequence else _("(pending seal)"),
                    events.get(e.event, e.event),
                )
                for e in entries
            )

    def _evidence_groups(self):
        """What was approved (frozen at approval where the grant records it),
        else what was requested."""
        self.ensure_one()
        if "approved_group_ids" in self._fields and self.approved_group_ids:
            return self.approved_group_ids
        return self.group_ids

    def _evidence_end_text(self, fmt):
        self.ensure_one()
        if self.state == "active":
            if self.date_end:
                return _("Still active, ends %s", fmt(self.date_end))
            return _("Still active, permanent")
        if self.state == "expired":
            return _("Expired on %s", fmt(self.date_ended))
        if self.state == "revoked":
            return _(
                "Revoked on %(when)s by %(user)s: %(reason)s",
                when=fmt(self.date_ended),
                user=self.revoked_by_id.name or "?",
                reason=self.revoke_reason or "",
            )
        labels = dict(self._fields["state"]._description_selection(self.env))
        return labels.get(self.state, self.state)
