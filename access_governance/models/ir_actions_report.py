# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

# Reports rendered by access.governance.evidence.pdf: their templates call
# access_governance.evidence_html / evidence_page (self-contained HTML). A
# new evidence report adds its report_name here.
EVIDENCE_REPORTS = frozenset(
    f"access_governance.{name}_report_document"
    for name in (
        "access_governance_review",
        "access_governance_elevated_access",
        "access_governance_sod",
        "access_governance_leavers",
        "access_governance_personal_data",
        "access_governance_explain",
    )
)


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """Evidence reports are rendered self-contained (see
        ``access.governance.evidence.pdf``), also under tests, where Odoo
        would otherwise return HTML."""
        report = self._get_report(report_ref)
        if (
            report.report_type != "qweb-pdf"
            or report.report_name not in EVIDENCE_REPORTS
        ):
            return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        if isinstance(res_ids, int):
            res_ids = [res_ids]
        pdf = self.env["access.governance.evidence.pdf"]._evidence_render(
            report, res_ids, data=data
        )
        return pdf, "pdf"
