# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged

from .common import AccessGovernanceCommon


@tagged("post_install", "-at_install")
class TestAccessGovernanceUi(AccessGovernanceCommon, HttpCase):
    def test_auditor_verifies_audit_trail(self):
        sequence = self.last_audit_sequence()
        self.start_tour(
            "/odoo/action-access_governance.access_governance_audit_action",
            "access_governance_audit_tour",
            login="ag_auditor",
        )
        verified = self.audit_since(sequence, event="chain_verified")
        self.assertEqual(verified.actor_id, self.user_auditor)
