# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.fields import Command

from .access_governance_offboarding import AUTO_PARAM
from .detectors.base import (
    ACCESS_DETECTORS,
    ALLOWED_ADMINS_PARAM,
    DIGEST_USERS_PARAM,
    DISABLED_AUDITS_PARAM,
)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    governance_auto_offboard = fields.Boolean(
        string="Offboard Leavers Automatically",
        config_parameter=AUTO_PARAM,
        help="Archiving an employee (or registering their departure) "
        "offboards their user: deactivated, access removed, sessions and API "
        "keys revoked, open records handed to their manager.",
    )

    # Scheduled permission audits (issue #5)
    governance_stale_days = fields.Integer(
        string="Stale After (days)",
        config_parameter="access_governance.stale_days",
        default=90,
        help="An active internal user with no login or device activity for "
        "this many days is a stale account.",
    )
    governance_stale_auto_deactivate = fields.Boolean(
        string="Deactivate Stale Accounts Automatically",
        config_parameter="access_governance.stale_auto_deactivate",
        help="Offboard stale accounts whose finding is still open after the "
        "grace period.",
    )
    governance_stale_grace_days = fields.Integer(
        string="Grace Period (days)",
        config_parameter="access_governance.stale_grace_days",
        default=30,
    )
    governance_unused_days = fields.Integer(
        string="Unused After (days)",
        config_parameter="access_governance.unused_days",
        default=90,
    )
    governance_shared_window_days = fields.Integer(
        string="Shared Accounts Window (days)",
        config_parameter="access_governance.shared_window_days",
        default=7,
    )
    governance_shared_overlap_minutes = fields.Integer(
        string="Overlap Tolerance (minutes)",
        config_parameter="access_governance.shared_overlap_minutes",
        default=60,
    )
    governance_shared_min_ips = fields.Integer(
        string="Simultaneous IP Addresses",
        config_parameter="access_governance.shared_min_ips",
        default=2,
    )
    governance_shared_min_devices = fields.Integer(
        string="Simultaneous Sessions",
        config_parameter="access_governance.shared_min_devices",
        default=3,
    )
    governance_accept_days = fields.Integer(
        string="Acceptance Lasts (days)",
        config_parameter="access_governance.accept_days",
        default=90,
    )
    governance_review_todo_days = fields.Integer(
        string="Reviewer To-Do Due After (days)",
        config_parameter="access_governance.review_todo_days",
        default=3,
    )
    # Signals this module records (issue #15).
    governance_apikey_unused_days = fields.Integer(
        string="Key Unused After (days)",
        config_parameter="access_governance.apikey_unused_days",
        default=90,
    )
    governance_apikey_rotation_days = fields.Integer(
        string="Key Rotation Period (days)",
        config_parameter="access_governance.apikey_rotation_days",
        default=365,
    )
    governance_apikey_max_ips = fields.Integer(
        string="Key Addresses Allowed",
        config_parameter="access_governance.apikey_max_ips",
        default=3,
    )
    governance_signin_window_hours = fields.Integer(
        string="Sign-in Window (hours)",
        config_parameter="access_governance.signin_window_hours",
        default=24,
    )
    governance_signin_burst = fields.Integer(
        string="Failed Sign-ins Alert",
        config_parameter="access_governance.signin_burst",
        default=10,
    )
    governance_admin_daily_days = fields.Integer(
        string="Administrator Work Period (days)",
        config_parameter="access_governance.admin_daily_days",
        default=30,
    )
    governance_admin_daily_min_records = fields.Integer(
        string="Business Records Allowed",
        config_parameter="access_governance.admin_daily_min_records",
        default=5,
    )
    governance_allowed_admin_ids = fields.Many2many(
        "res.users",
        "res_config_settings_governance_admin_rel",
        string="Allowed Administrators",
        domain=[("share", "=", False)],
    )
    governance_digest_user_ids = fields.Many2many(
        "res.users",
        "res_config_settings_governance_digest_rel",
        string="Daily Digest Recipients",
        domain=[("share", "=", False)],
    )
    governance_audit_over_privileged = fields.Boolean(string="Over-Privileged")
    governance_audit_admin_without_2fa = fields.Boolean(
        string="Administrators without 2FA"
    )
    governance_audit_shared_account = fields.Boolean(string="Shared Accounts")
    governance_audit_unused_access = fields.Boolean(string="Unused Access")
    governance_audit_out_of_band_change = fields.Boolean(string="Out-of-Band Changes")
    governance_audit_unmapped_access = fields.Boolean(string="Unmapped Access")
    governance_audit_apikey = fields.Boolean(string="API Keys")
    governance_audit_failed_signin = fields.Boolean(string="Sign-ins")
    governance_audit_admin_daily_use = fields.Boolean(
        string="Administrators Used for Daily Work"
    )

    @api.model
    def get_values(self):
        res = super().get_values()
        Detector = self.env["access.governance.detector"]
        res["governance_allowed_admin_ids"] = [
            Command.set(Detector._detector_param_ids(ALLOWED_ADMINS_PARAM))
        ]
        res["governance_digest_user_ids"] = [
            Command.set(Detector._detector_param_ids(DIGEST_USERS_PARAM))
        ]
        for audit in ACCESS_DETECTORS:
            res[f"governance_audit_{audit}"] = Detector._detector_enabled(audit)
        return res

    def set_values(self):
        res = super().set_values()
        # sudo: as Odoo's own config_parameter fields do; only settings
        # administrators reach set_values.
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param(
            ALLOWED_ADMINS_PARAM,
            ",".join(map(str, self.governance_allowed_admin_ids.ids)),
        )
        ICP.set_param(
            DIGEST_USERS_PARAM, ",".join(map(str, self.governance_digest_user_ids.ids))
        )
        disabled = [a for a in ACCESS_DETECTORS if not self[f"governance_audit_{a}"]]
        ICP.set_param(DISABLED_AUDITS_PARAM, ",".join(disabled))
        return res
