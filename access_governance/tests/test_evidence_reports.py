# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Evidence PDFs rendered for real (wkhtmltopdf) and read back (pdftotext)."""

import logging
import os
import shutil
import subprocess
import time
from datetime import date, datetime

from freezegun import freeze_time

from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import AccessGovernanceCommon

_logger = logging.getLogger(__name__)

ELEVATED = "access_governance.access_governance_elevated_access_report"


def pdf_pages(pdf):
    """The text of each page of a PDF, whitespace collapsed."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    return [" ".join(page.split()) for page in out.split("\f") if page.strip()]


def pdf_text(pdf):
    """The text of a PDF, whitespace collapsed (table cells wrap)."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    return " ".join(out.split())


class EvidenceReportCase(AccessGovernanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        missing = [b for b in ("wkhtmltopdf", "pdftotext") if not shutil.which(b)]
        if missing:
            cls.skipTest(cls, f"missing {missing}: run scripts/ensure_pdf_tools.sh")
        cls.env = cls.env(context=dict(cls.env.context, tz="UTC"))
        for user in (cls.user_auditor, cls.user_manager, cls.user_admin_gov):
            user.tz = "UTC"
        cls.Grant = cls.env["access.governance.grant"]

    def render(self, report, records, user=None):
        """PDF bytes and text of ``report`` for ``records``, as ``user``
        (the auditor by default); also how long the rendering took."""
        Report = self.env["ir.actions.report"].with_user(user or self.user_auditor)
        start = time.perf_counter()
        pdf, kind = Report._render_qweb_pdf(report, records.ids)
        elapsed = time.perf_counter() - start
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), "a real PDF, not HTML")
        self.assertLess(elapsed, 30, "one evidence PDF renders in seconds")
        _logger.info("%s rendered in %.2f s (%d bytes)", report, elapsed, len(pdf))
        # AG_EVIDENCE_PDF_DIR=/some/dir keeps the PDFs for a human to look at.
        keep = os.environ.get("AG_EVIDENCE_PDF_DIR")
        if keep:
            name = f"{self._testMethodName}-{report.split('.')[-1]}.pdf"
            with open(os.path.join(keep, name), "wb") as file:
                file.write(pdf)
        return pdf, pdf_text(pdf)

    def assertEvidenceFrame(self, text):
        """What every evidence PDF states: company, generation, chain head,
        page numbers."""
        self.assertIn(self.env.company.name, text)
        self.assertIn("Generated", text)
        head_sequence, head_hash = self.Audit._audit_head()
        self.assertIn(f"audit chain head #{head_sequence}", text)
        if head_hash:
            self.assertIn(head_hash, text.replace(" ", ""))
        self.assertIn("Page 1 /", text)


@tagged("post_install", "-at_install", "evidence_reports")
class TestElevatedAccessReport(EvidenceReportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group_b.governance_requestable = True
        cls.profile_q = cls.env["access.governance.profile"].create(
            {
                "name": "AG Quarter Close",
                "group_ids": [Command.set(cls.group_a.ids)],
                "approvals_required": 2,
                "approver_user_ids": [
                    Command.set((cls.user_manager | cls.user_admin_gov).ids)
                ],
            }
        )

    def grant_window(self, start, end, reason, user=None):
        """A grant requested, approved by both approvers at ``start`` and
        expired at ``end``."""
        user = user or self.user_employee
        with freeze_time(start):
            grant = self.Grant.with_user(user).create(
                {
                    "beneficiary_id": user.id,
                    "profile_id": self.profile_q.id,
                    "reason": reason,
                    "date_start": start,
                    "date_end": end,
                }
            )
            grant.action_submit()
            grant.with_user(self.user_manager).action_approve()
            grant.with_user(self.user_admin_gov).action_approve()
            self.assertEqual(grant.state, "active")
        with freeze_time(end):
            self.Grant.browse(grant.id)._grant_expire()
            self.assertEqual(grant.state, "expired")
        return grant

    def test_q3_elevated_access(self):
        june_july = self.grant_window(
            datetime(2026, 6, 20, 9), datetime(2026, 7, 15, 9), "Quarter close Q3"
        )
        may = self.grant_window(
            datetime(2026, 5, 4, 9), datetime(2026, 5, 6, 9), "May payroll fix"
        )
        with freeze_time(datetime(2026, 8, 3, 10)):
            policy = self.Grant.with_user(self.user_employee2).create(
                {
                    "beneficiary_id": self.user_employee2.id,
                    "requested_group_ids": [Command.set(self.group_b.ids)],
                    "reason": "Read the sales reports",
                }
            )
            policy.action_submit()
            self.assertTrue(policy.policy_approved)
            self.assertEqual(policy.state, "active")
        profile_bg = self.env["access.governance.profile"].create(
            {
                "name": "AG Emergency",
                "group_ids": [Command.set(self.group_c.ids)],
                "break_glass": True,
                "default_duration_hours": 4,
                "max_duration_hours": 4,
                "approver_user_ids": [Command.set(self.user_manager.ids)],
            }
        )
        with freeze_time(datetime(2026, 8, 10, 9)):
            glass = self.Grant.with_user(self.user_employee).create(
                {
                    "beneficiary_id": self.user_employee.id,
                    "profile_id": profile_bg.id,
                    "reason": "Production incident 4711",
                }
            )
            glass.action_break_glass()
            self.assertEqual(glass.state, "active")
        with freeze_time(datetime(2026, 8, 10, 12)):
            glass.with_user(self.user_manager).action_sign_off()
        with freeze_time(datetime(2026, 8, 10, 13, 1)):
            self.Grant.browse(glass.id)._grant_expire()
        october = self.grant_window(
            datetime(2026, 10, 5, 9), datetime(2026, 10, 7, 9), "October audit"
        )
        self.seal_audit()
        with freeze_time(datetime(2026, 11, 2, 8)):
            wizard = (
                self.env["access.governance.elevated.access"]
                .with_user(self.user_auditor)
                .create({})
            )
            # Default period: the last full quarter.
            self.assertEqual(wizard.date_from, datetime(2026, 7, 1))
            self.assertEqual(wizard.date_to, datetime(2026, 9, 30, 23, 59, 59))
            found = wizard._elevated_grants()
            self.assertEqual(found, june_july | policy | glass)
            action = wizard.action_open()
            self.assertEqual(action["target"], "main", "no stacked breadcrumbs")
            self.assertEqual(
                self.Grant.with_user(self.user_auditor).search(action["domain"]),
                june_july | policy | glass,
            )
            june_july = june_july.with_user(self.user_auditor)
            policy = policy.with_user(self.user_auditor)
            approvals = june_july.evidence_approvals
            self.assertIn("Mark Manager: Approved on 2026-06-20 09:00", approvals)
            self.assertIn("Ada Administrator: Approved on 2026-06-20 09:00", approvals)
            self.assertIn("Approved by policy", policy.evidence_approvals)
            self.assertIn("Expired on 2026-07-15 09:00", june_july.evidence_end)
            activated = self.Audit.search(
                [
                    ("res_model", "=", june_july._name),
                    ("res_id", "=", june_july.id),
                    ("event", "=", "grant_activated"),
                ]
            )
            self.assertIn(
                f"#{activated.sequence} Grant activated", june_july.evidence_audit_refs
            )
            # The list's columns export as they show (Export / XLSX).
            exported = june_july.export_data(
                ["name", "reason", "evidence_approvals", "evidence_end"]
            )["datas"]
            self.assertEqual(exported[0][0], june_july.name)
            self.assertIn("Ada Administrator", exported[0][2])
            self.assertIn("Expired on", exported[0][3])
        _pdf, text = self.render(ELEVATED, wizard)
        self.assertEvidenceFrame(text)
        self.assertIn("Elevated access in a period", text)
        self.assertIn("2026-07-01 00:00 UTC to 2026-09-30 23:59 UTC", text)
        for expected in (
            june_july.name,
            "Quarter close Q3",
            "Mark Manager",
            "Ada Administrator",
            "AG Quarter Close",
            policy.name,
            "Read the sales reports",
            "Approved by policy",
            "Expired on 2026-07-15 09:00",
            f"#{activated.sequence} Grant activated",
            glass.name,
            "Production incident 4711",
            "Break-glass",
            "Signed off by Mark Manager on 2026-08-10 12:00",
        ):
            self.assertIn(expected, text)
        for absent in (may.name, "May payroll fix", october.name, "October audit"):
            self.assertNotIn(absent, text)

    def test_rows_never_split_across_pages(self):
        """Tall rows (long reasons) over several pages: each grant's row,
        from its reference to the last line of its reason, on one page."""
        grants = self.Grant.browse()
        for n in range(24):
            reason = "\n".join(f"Step {i} of the plan {n}" for i in range(10))
            grants |= self.Grant.create(
                {
                    "beneficiary_id": self.user_employee.id,
                    "requested_group_ids": [Command.set(self.group_c.ids)],
                    "reason": f"{reason}\nEND-OF-{n}-END",
                }
            )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE access_governance_grant SET state = 'expired', "
            "date_activated = %s, date_ended = %s WHERE id = ANY(%s)",
            [datetime(2026, 7, 2), datetime(2026, 7, 3), grants.ids],
        )
        self.env.invalidate_all()
        wizard = (
            self.env["access.governance.elevated.access"]
            .with_user(self.user_auditor)
            .create(
                {
                    "date_from": datetime(2026, 7, 1),
                    "date_to": datetime(2026, 9, 30, 23, 59, 59),
                }
            )
        )
        pdf, _text = self.render(ELEVATED, wizard)
        pages = pdf_pages(pdf)
        self.assertGreater(len(pages), 2)
        for number, page in enumerate(pages, start=1):
            self.assertIn(f"Page {number} / {len(pages)}", page)
        for n, grant in enumerate(grants):
            holding = [i for i, page in enumerate(pages) if grant.name in page]
            self.assertEqual(len(holding), 1, grant.name)
            self.assertIn(f"END-OF-{n}-END", pages[holding[0]], grant.name)
            self.assertIn(f"Step 0 of the plan {n}", pages[holding[0]], grant.name)

    def test_default_period_is_last_full_quarter(self):
        Wizard = self.env["access.governance.elevated.access"].with_user(
            self.user_auditor
        )
        Pdf = self.env["access.governance.evidence.pdf"]
        self.assertEqual(
            Pdf._evidence_last_quarter(date(2026, 1, 10)),
            (datetime(2025, 10, 1), datetime(2025, 12, 31, 23, 59, 59)),
        )
        self.assertEqual(
            Pdf._evidence_last_quarter(date(2026, 4, 1))[0], datetime(2026, 1, 1)
        )
        brussels = Pdf.with_context(tz="Europe/Brussels")._evidence_last_quarter(
            date(2026, 8, 1)
        )
        self.assertEqual(brussels[0], datetime(2026, 3, 31, 22, 0))
        with freeze_time("2026-05-20 12:00:00"):
            wizard = Wizard.create({})
        self.assertEqual(wizard.date_from, datetime(2026, 1, 1))
        self.assertEqual(wizard.date_to, datetime(2026, 3, 31, 23, 59, 59))


@tagged("post_install", "-at_install", "evidence_reports")
class TestEvidencePdfs(EvidenceReportCase):
    def test_campaign_certification(self):
        self.give_baseline(self.user_employee, self.group_b)
        review = self.env["access.governance.review"].create(
            {
                "name": "AG Q3 Certification",
                "access_scope": "groups",
                "group_ids": [Command.set(self.group_b.ids)],
                "user_domain": f"[('id', '=', {self.user_employee.id})]",
                "reviewer_mode": "named",
                "reviewer_id": self.user_manager.id,
                "fallback_reviewer_id": self.user_manager.id,
            }
        )
        review.action_start()
        review.line_ids.with_user(self.user_manager).write(
            {"decision": "revoke", "comment": "Left the sales team"}
        )
        review.action_close()
        self.seal_audit()
        _pdf, text = self.render(
            "access_governance.access_governance_review_report", review
        )
        self.assertEvidenceFrame(text)
        for expected in (
            "Access review campaign: AG Q3 Certification",
            "Emma Employee",
            "AG Test B",
            "Mark Manager",
            "Left the sales team",
            "Removed.",
        ):
            self.assertIn(expected, text)

    def test_sod_report_with_expired_mitigation(self):
        self.give_baseline(self.user_employee, self.group_a | self.group_b)
        rule = self.env["access.governance.sod.rule"].create(
            {
                "name": "AG Bills vs. payments",
                "group_a_ids": [Command.set(self.group_a_base.ids)],
                "group_b_ids": [Command.set(self.group_b.ids)],
                "severity": "high",
                "action": "warn",
            }
        )
        with freeze_time("2026-08-01 10:00:00"):
            self.env["access.governance.mitigation"].with_user(
                self.user_admin_gov
            ).create(
                {
                    "user_id": self.user_employee.id,
                    "rule_id": rule.id,
                    "control": "Controller reviews every payment monthly",
                    "date_end": date(2026, 8, 15),
                }
            )
        wizard = (
            self.env["access.governance.sod.report"]
            .with_user(self.user_auditor)
            .create(
                {
                    "date_from": datetime(2026, 7, 1),
                    "date_to": datetime(2026, 9, 30, 23, 59, 59),
                }
            )
        )
        _pdf, text = self.render(
            "access_governance.access_governance_sod_report", wizard
        )
        self.assertEvidenceFrame(text)
        for expected in (
            "Separation of duties: conflicts and mitigations (SOX)",
            "AG Bills vs. payments",
            "Emma Employee",
            "NOT MITIGATED: mitigation expired on 2026-08-15",
            "Controller reviews every payment monthly",
            "EXPIRED on 2026-08-15",
            "Ada Administrator",
        ):
            self.assertIn(expected, text)

    def test_leaver_in_period(self):
        self.give_baseline(self.user_employee2, self.group_c)
        with freeze_time("2026-08-20 15:00:00"):
            wizard = (
                self.env["access.governance.offboard"]
                .with_user(self.user_manager)
                .with_context(
                    active_model="res.users", active_id=self.user_employee2.id
                )
                .create({"reason": "Resigned, last day 20 August"})
            )
            wizard.action_offboard()
        leavers = (
            self.env["access.governance.leavers"]
            .with_user(self.user_auditor)
            .create(
                {
                    "date_from": datetime(2026, 7, 1),
                    "date_to": datetime(2026, 9, 30, 23, 59, 59),
                }
            )
        )
        self.assertEqual(leavers._leavers_offboardings().user_id, self.user_employee2)
        self.assertEqual(leavers.action_open()["target"], "main")
        _pdf, text = self.render(
            "access_governance.access_governance_leavers_report", leavers
        )
        self.assertEvidenceFrame(text)
        for expected in (
            "Leavers in a period and what offboarding removed",
            "Eric Employee",
            "ag_employee2",
            "2026-08-20 15:00 UTC",
            "Mark Manager",
            "Resigned, last day 20 August",
            "AG Test C",
        ):
            self.assertIn(expected, text)

    def test_personal_data_and_explain(self):
        rows = (
            self.env["access.governance.personal.data.access"]
            .with_user(self.user_auditor)
            .search(
                [("model_id.model", "=", "res.users"), ("user_id.share", "=", False)]
            )
        )
        self.assertTrue(rows)
        restricted = rows._evidence_restricted_fields(rows.model_id)
        # Settings administrators read fields reserved to them; employees not.
        system_only = next(
            r
            for r in restricted
            if "Sam Settings" in r["readers"] and "Emma Employee" in r["hidden_from"]
        )
        _pdf, text = self.render(
            "access_governance.access_governance_personal_data_report", rows
        )
        self.assertEvidenceFrame(text)
        self.assertIn("Who can read personal data", text)
        self.assertIn("Fields restricted to groups", text)
        self.assertIn(f"({system_only['names'][0]})", text)
        explain = (
            self.env["access.governance.explain"]
            .with_user(self.user_auditor)
            .create({"user_id": self.user_employee.id})
        )
        action = explain.action_print()
        self.assertEqual(action["type"], "ir.actions.report")
        _pdf, text = self.render(
            "access_governance.access_governance_explain_report", explain
        )
        self.assertIn("Access explained: Emma Employee (ag_employee)", text)
        self.assertIn("Internal User", text)

    def test_auditors_can_export(self):
        self.assertTrue(self.user_auditor.has_group("base.group_allow_export"))
        self.assertFalse(self.user_employee.has_group("base.group_allow_export"))


@tagged("post_install", "-at_install", "evidence_reports")
class TestEvidenceDownload(HttpCase):
    """The PDF through the web client's route, as an auditor's browser gets
    it: rendered by the server, nothing fetched back from it."""

    def test_download_elevated_access_pdf(self):
        if not (shutil.which("wkhtmltopdf") and shutil.which("pdftotext")):
            self.skipTest("run scripts/ensure_pdf_tools.sh")
        auditor = mail_new_test_user(
            self.env,
            login="ag_pdf_auditor",
            name="Paula Pdf",
            groups="base.group_user,access_governance.group_governance_auditor",
        )
        wizard = (
            self.env["access.governance.elevated.access"]
            .with_user(auditor)
            .create(
                {
                    "date_from": datetime(2026, 7, 1),
                    "date_to": datetime(2026, 9, 30, 23, 59, 59),
                }
            )
        )
        self.authenticate("ag_pdf_auditor", "ag_pdf_auditor")
        name = "access_governance.access_governance_elevated_access_report_document"
        response = self.url_open(f"/report/pdf/{name}/{wizard.id}", timeout=60)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        text = pdf_text(response.content)
        self.assertIn("Elevated access in a period", text)
        self.assertIn("Paula Pdf", text)
        self.assertIn("Page 1 / 1", text)
