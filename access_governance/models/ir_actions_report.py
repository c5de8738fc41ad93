# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

EVIDENCE_PREFIX = "access_governance."


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """The module's reports are evidence: rendered self-contained (see
        ``access.governance.evidence.pdf``), also under tests, where Odoo
        would otherwise return HTML."""
        report = self._get_report(report_ref)
        if report.report_type != "qweb-pdf" or not report.report_name.startswith(
            EVIDENCE_PREFIX
        ):
            return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        if isinstance(res_ids, int):
            res_ids = [res_ids]
        pdf = self.env["access.governance.evidence.pdf"]._evidence_render(
            report, res_ids, data=data
        )
        return pdf, "pdf"
