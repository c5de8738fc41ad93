# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Check that the chain carried over from 18.0.1.0.0 is intact."""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    result = env["access.governance.audit"]._audit_verify_chain()
    if result["state"] == "broken":
        _logger.error(
            "access_governance: the audit chain was already broken before the "
            "upgrade, at entry #%s: %s",
            result["broken_sequence"],
            result["reason"],
        )
    else:
        _logger.info(
            "access_governance: audit chain intact after the upgrade: %s entries "
            "verified, %s pending",
            result["checked"],
            result["pending"],
        )
