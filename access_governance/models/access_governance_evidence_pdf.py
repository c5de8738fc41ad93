# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Evidence PDFs an auditor can file, rendered the same way everywhere.

The evidence reports (every ``qweb-pdf`` report of this module) are rendered
from one self-contained HTML document: inline CSS, the company logo as a data
URI, no JavaScript and nothing fetched from the server. ``wkhtmltopdf`` then
needs no network access (so a report renders inside a test transaction, where
fetching assets from the test server would wait on the registry lock) and no
"patched Qt" build: Debian's package ignores ``--header-html`` /
``--footer-html``, so the running header and the footer (generation time,
audit-chain head, *Page x / y*) are stamped on each page afterwards with
reportlab, which Odoo already depends on.
"""

import io
import logging
import os
import subprocess
from datetime import datetime, time, timedelta

import lxml.html
import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

_logger = logging.getLogger(__name__)

WKHTMLTOPDF_TIMEOUT = 300
# Page margins in millimetres; the stamped header and footer live in them.
MARGINS = {"top": 16, "bottom": 14, "left": 10, "right": 10}
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


class AccessGovernanceEvidencePdf(models.AbstractModel):
    _name = "access.governance.evidence.pdf"
    _description = "Access Governance: Evidence PDF Rendering"

    # ------------------------------------------------------------------
    # Periods and metadata
    # ------------------------------------------------------------------
    @api.model
    def _evidence_tz(self):
        return pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")

    @api.model
    def _evidence_local_to_utc(self, value):
        """Naive local datetime -> naive UTC datetime (the ORM's storage)."""
        local = self._evidence_tz().localize(value)
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _evidence_last_quarter(self, today=None):
        """(start, end) of the last full calendar quarter in the user's time
        zone, as naive UTC datetimes: first second to last second."""
        if today is None:
            now = pytz.utc.localize(fields.Datetime.now())
            today = now.astimezone(self._evidence_tz()).date()
        first_month = 3 * ((today.month - 1) // 3) + 1
        this_quarter = today.replace(month=first_month, day=1)
        last_day = this_quarter - timedelta(days=1)
        start = last_day.replace(month=3 * ((last_day.month - 1) // 3) + 1, day=1)
        return (
            self._evidence_local_to_utc(datetime.combine(start, time.min)),
            self._evidence_local_to_utc(datetime.combine(last_day, time(23, 59, 59))),
        )

    @api.model
    def _evidence_format(self, value, with_tz=True):
        """A datetime as the auditor reads it: local time, to the minute,
        with the time zone."""
        if not value:
            return ""
        local = pytz.utc.localize(value).astimezone(self._evidence_tz())
        return local.strftime("%Y-%m-%d %H:%M %Z" if with_tz else "%Y-%m-%d %H:%M")

    @api.model
    def _evidence_period_text(self, date_from, date_to):
        return _(
            "%(start)s to %(end)s",
            start=self._evidence_format(date_from),
            end=self._evidence_format(date_to),
        )

    @api.model
    def _evidence_meta(self):
        """What every evidence document states about its own generation:
        when, by whom, for which company, and the head of the audit chain
        (last sealed sequence and hash) at that moment."""
        sequence, digest = self.env["access.governance.audit"]._audit_head()
        now = fields.Datetime.now()
        return {
            "generated_at": now,
            "generated_at_text": self._evidence_format(now),
            "generated_by": self.env.user.name,
            "company_name": self.env.company.name,
            "head_sequence": sequence,
            "head_hash": digest,
            "database": self.env.cr.dbname,
        }

    # ------------------------------------------------------------------
    # Rendering
    # ------------------------------------------------------------------
    @api.model
    def _evidence_render(self, report, res_ids, data=None, meta=None):
        """PDF bytes of an evidence report for ``res_ids``."""
        meta = meta or self._evidence_meta()
        data = dict(data or {}, evidence_meta=meta, report_type="pdf")
        html = self.env["ir.actions.report"]._render_qweb_html(
            report.id, res_ids, data=data
        )[0]
        pdf = self._evidence_wkhtmltopdf(self._evidence_keep_rows(html))
        return self._evidence_stamp(pdf, report.name, meta)

    @api.model
    def _evidence_keep_rows(self, html):
        """Every row of a ``table.ag-rows`` with a header becomes its own
        table, so that no row is ever split across two pages.

        wkhtmltopdf built on stock Qt (Debian's) ignores ``page-break-inside:
        avoid`` on table rows but honours it on tables. The tables share fixed
        column widths (from the table's ``colgroup`` when the template gives
        one, else from the length of the texts), so the columns stay aligned;
        the header stays with the first row.
        """
        root = lxml.html.fromstring(html, parser=lxml.html.HTMLParser(encoding="utf-8"))
        for table in root.xpath("//table[contains(@class, 'ag-rows')][thead]"):
            rows = table.xpath("./tbody/tr")
            if len(rows) < 2:
                continue
            widths = self._evidence_column_widths(table, rows)
            parent = table.getparent()
            position = parent.index(table)
            parent.remove(table)
            classes = table.get("class", "") + " ag-split"
            for index, row in enumerate(rows):
                piece = lxml.html.Element("table", {"class": classes})
                group = lxml.html.Element("colgroup")
                for width in widths:
                    group.append(
                        lxml.html.Element("col", {"style": f"width: {width}%"})
                    )
                piece.append(group)
                if index == 0:
                    piece.append(table.find("thead"))
                body = lxml.html.Element("tbody")
                body.append(row)
                piece.append(body)
                parent.insert(position + index, piece)
        return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")

    @api.model
    def _evidence_column_widths(self, table, rows):
        """Percentages of the columns: the template's ``<col width="..">``,
        else in proportion to the texts (headers count, long texts capped)."""
        declared = [col.get("width") for col in table.xpath("./colgroup/col")]
        if declared and all(declared):
            values = [float(w.rstrip("%")) for w in declared]
        else:
            # A column is as wide as its header and its longest word, at
            # least 8 characters; long texts wrap beyond 45.
            headers = table.xpath("./thead/tr[1]/th")
            values = [max(len(h.text_content().strip()) + 2, 8) for h in headers]
            for row in rows:
                cells = row.xpath("./td")
                if len(cells) != len(values):
                    continue
                for i, cell in enumerate(cells):
                    words = cell.text_content().split()
                    longest = max((len(word) for word in words), default=0)
                    values[i] = max(
                        values[i], longest + 1, min(len(" ".join(words)), 45)
                    )
        total = sum(values) or 1
        return [round(100 * value / total, 2) for value in values]

    @api.model
    def _evidence_wkhtmltopdf(self, html):
        """Run wkhtmltopdf on a self-contained HTML document (stdin to
        stdout): A4 landscape, no JavaScript, no local files."""
        try:
            binary = _get_wkhtmltopdf_bin()
        except OSError:
            binary = None
        if not binary:
            raise UserError(
                _(
                    "wkhtmltopdf is not installed on the server: the PDF cannot "
                    "be created (see the README)."
                )
            )
        command = [
            binary,
            "--quiet",
            "--disable-local-file-access",
            "--disable-javascript",
            "--encoding",
            "utf-8",
            "--page-size",
            "A4",
            "--orientation",
            "Landscape",
            "--dpi",
            "96",
            "--margin-top",
            f"{MARGINS['top']}mm",
            "--margin-bottom",
            f"{MARGINS['bottom']}mm",
            "--margin-left",
            f"{MARGINS['left']}mm",
            "--margin-right",
            f"{MARGINS['right']}mm",
            "-",
            "-",
        ]
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        try:
            process = subprocess.run(
                command,
                input=html.encode() if isinstance(html, str) else html,
                capture_output=True,
                timeout=WKHTMLTOPDF_TIMEOUT,
                check=False,
                env=env,
            )
        except subprocess.TimeoutExpired as error:
            raise UserError(_("wkhtmltopdf did not finish in time.")) from error
        # 1: finished with warnings (e.g. a missing image); the PDF is there.
        if process.returncode not in (0, 1) or not process.stdout.startswith(b"%PDF"):
            message = process.stderr.decode(errors="replace")[-1000:]
            _logger.warning("wkhtmltopdf failed (%s): %s", process.returncode, message)
            raise UserError(
                _(
                    "wkhtmltopdf failed (error code %(code)s): %(message)s",
                    code=process.returncode,
                    message=message,
                )
            )
        return process.stdout

    @api.model
    def _evidence_font(self):
        """A font with accents and most scripts when the system has one."""
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        if os.path.exists(DEJAVU):
            if "AGDejaVuSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("AGDejaVuSans", DEJAVU))
            return "AGDejaVuSans"
        return "Helvetica"

    @api.model
    def _evidence_stamp(self, pdf, title, meta):
        """Stamp the running header (company, report) and footer (generation,
        audit-chain head, Page x / y) on every page."""
        from reportlab.lib.units import mm
        from reportlab.pdfgen import canvas

        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        count = reader.getNumPages()
        font = self._evidence_font()
        packet = io.BytesIO()
        overlay = canvas.Canvas(packet)
        footer = _(
            "Generated %(when)s by %(who)s · audit chain head #%(seq)s %(hash)s",
            when=meta["generated_at_text"],
            who=meta["generated_by"],
            seq=meta["head_sequence"],
            hash=meta["head_hash"] or "-",
        )
        for number in range(count):
            box = reader.getPage(number).mediaBox
            width, height = float(box.getWidth()), float(box.getHeight())
            overlay.setPageSize((width, height))
            overlay.setFont(font, 8)
            overlay.setFillGray(0.3)
            top = height - 9 * mm
            overlay.drawString(MARGINS["left"] * mm, top, meta["company_name"] or "")
            overlay.drawRightString(width - MARGINS["right"] * mm, top, title)
            overlay.setStrokeGray(0.6)
            overlay.line(
                MARGINS["left"] * mm,
                top - 2 * mm,
                width - MARGINS["right"] * mm,
                top - 2 * mm,
            )
            bottom = 7 * mm
            overlay.setFont(font, 7)
            overlay.drawString(MARGINS["left"] * mm, bottom, footer)
            overlay.setFont(font, 8)
            overlay.drawRightString(
                width - MARGINS["right"] * mm,
                bottom,
                _("Page %(page)s / %(pages)s", page=number + 1, pages=count),
            )
            overlay.showPage()
        overlay.save()
        stamps = PdfFileReader(packet, strict=False)
        writer = PdfFileWriter()
        for number in range(count):
            page = reader.getPage(number)
            page.mergePage(stamps.getPage(number))
            writer.addPage(page)
        output = io.BytesIO()
        writer.write(output)
        return output.getvalue()
