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
        "data/ir_sequence_data.xml",
        "data/mail_activity_type_data.xml",
        "data/access_governance_sod_rule_data.xml",
        "views/access_governance_grant_views.xml",
        "views/access_governance_profile_views.xml",
        "views/access_governance_sod_rule_views.xml",
        "views/access_governance_mitigation_views.xml",
        "views/access_governance_menus.xml",
    ],
    "demo": [
        "demo/res_groups_demo.xml",
    ],
    "post_init_hook": "post_init_hook",
    "installable": True,
    "application": True,
}
