# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The audits moved from the finding model to the detectors.

``data/ir_cron_data.xml`` is ``noupdate``: point the three audit jobs of
existing databases at ``access.governance.detector`` (same method names).
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

CRONS = {
    "access_governance.ir_cron_audit_stale_accounts": "_cron_audit_stale_accounts",
    "access_governance.ir_cron_audit_sod": "_cron_audit_sod",
    "access_governance.ir_cron_audit_access": "_cron_audit_access",
}


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    model_id = env["ir.model"]._get_id("access.governance.detector")
    for xmlid, method in CRONS.items():
        cron = env.ref(xmlid, raise_if_not_found=False)
        if not cron:
            continue
        cron.write({"model_id": model_id, "code": f"model.{method}()"})
        _logger.info("access_governance: %s now runs the detectors", xmlid)
