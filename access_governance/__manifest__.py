# Copyright 2026 access_governance authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Access Governance",
    "summary": "Identity governance for Odoo: claims-based group management, "
    "tamper-evident audit trail, roles, elevation, reviews",
    "version": "18.0.1.0.0",
    "category": "Administration",
    "license": "LGPL-3",
    "author": "access_governance authors",
    "website": "https://github.com/access-governance/access_governance",
    "depends": ["mail", "hr", "auth_totp"],
    "data": [
        "security/access_governance_groups.xml",
        "security/ir.model.access.csv",
        "security/access_governance_security.xml",
        "data/ir_cron_data.xml",
        "data/ir_actions_server_data.xml",
        "wizard/access_governance_audit_verify_views.xml",
        "views/access_governance_audit_views.xml",
        "views/access_governance_claim_views.xml",
        "views/res_groups_views.xml",
        "views/res_users_views.xml",
        "views/access_governance_menus.xml",
        "data/access_governance_role_data.xml",
        "wizard/access_governance_offboard_views.xml",
        "views/access_governance_role_views.xml",
        "views/access_governance_role_assignment_views.xml",
        "views/access_governance_offboarding_views.xml",
        "views/access_governance_reassignment_rule_views.xml",
        "views/hr_employee_views.xml",
        "views/res_config_settings_views.xml",
        "views/access_governance_lifecycle_menus.xml",
    ],
    "demo": [
        "demo/res_groups_demo.xml",
        "demo/access_governance_role_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "access_governance/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
    "installable": True,
    "application": True,
}
