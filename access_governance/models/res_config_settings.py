# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .access_governance_offboarding import AUTO_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    governance_auto_offboard = fields.Boolean(
        string="Offboard Leavers Automatically",
        config_parameter=AUTO_PARAM,
        help="Archiving an employee (or registering their departure) "
        "offboards their user: deactivated, access removed, sessions and API "
        "keys revoked, open records handed to their manager.",
    )
