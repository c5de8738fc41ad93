# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Joiner, mover and leaver triggers on employees."""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .access_governance_guarded import is_trusted

_logger = logging.getLogger(__name__)

MAPPING_FIELDS = {"user_id", "job_id", "department_id"}
MAPPED_FIELDS = {
    "governance_mapped_job_id",
    "governance_mapped_department_id",
    "governance_mapped_user_id",
}


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    governance_mapped_job_id = fields.Many2one(
        "hr.job",
        string="Job Mapped to Roles",
        readonly=True,
        copy=False,
        groups="access_governance.group_governance_auditor",
        help="The job position the user's roles were last mapped from.",
    )
    governance_mapped_department_id = fields.Many2one(
        "hr.department",
        readonly=True,
        copy=False,
        groups="access_governance.group_governance_auditor",
    )
    governance_mapped_user_id = fields.Many2one(
        "res.users",
        readonly=True,
        copy=False,
        groups="access_governance.group_governance_auditor",
    )

    @api.model_create_multi
    def create(self, vals_list):
        employees = super().create(vals_list)
        employees.filtered("user_id")._governance_map_roles()
        return employees

    def write(self, vals):
        mapped = MAPPED_FIELDS & vals.keys()
        if mapped and not (self.env.su or is_trusted()):
            # The last mapping is recorded by the role sync only.
            raise AccessError(
                _(
                    "%s: recorded by the role mapping itself, never by hand.",
                    ", ".join(
                        self._fields[name]._description_string(self.env)
                        for name in sorted(mapped)
                    ),
                )
            )
        archiving = "active" in vals and not vals["active"]
        leavers = self.filtered("active") if archiving else self.browse()
        res = super().write(vals)
        if MAPPING_FIELDS & vals.keys():
            self._governance_map_roles()
        if leavers:
            self.env["access.governance.offboarding"]._governance_auto_offboard(leavers)
        return res

    # ------------------------------------------------------------------
    # Joiner / mover
    # ------------------------------------------------------------------
    def _governance_map_roles(self):
        """Re-map the roles of these employees' users (and of the users they
        were mapped for before) from their job positions."""
        employees = self.sudo().with_context(active_test=False)
        users = employees.user_id | employees.governance_mapped_user_id
        self.env["access.governance.role.assignment"]._governance_sync_job_roles(users)
        employees._governance_store_mapping()

    def _governance_store_mapping(self):
        for employee in self.sudo():
            user = employee.user_id if employee.active else self.env["res.users"]
            vals = {
                "governance_mapped_job_id": employee.job_id.id,
                "governance_mapped_department_id": employee.department_id.id,
                "governance_mapped_user_id": user.id,
            }
            if any(employee[key].id != value for key, value in vals.items()):
                employee.write(vals)

    @api.model
    def _governance_employees_to_remap(self):
        """Employees whose job, department or user changed since their roles
        were last mapped (imports, RPC, SQL)."""
        self.flush_model(
            [
                "user_id",
                "job_id",
                "department_id",
                "active",
                "governance_mapped_job_id",
                "governance_mapped_department_id",
                "governance_mapped_user_id",
            ]
        )
        self.env.cr.execute(
            """
            SELECT id FROM hr_employee
             WHERE (active AND user_id IS NOT NULL AND (
                        job_id IS DISTINCT FROM governance_mapped_job_id
                     OR department_id IS DISTINCT FROM
                        governance_mapped_department_id
                     OR user_id IS DISTINCT FROM governance_mapped_user_id))
                OR (governance_mapped_user_id IS NOT NULL
                    AND (NOT active OR user_id IS NULL))
             ORDER BY id
            """
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        return self.sudo().with_context(active_test=False).browse(ids)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_governance_provision_user(self):
        """Create the user of an employee, login from the work email."""
        self.ensure_one()
        if not self.env.user.has_group("access_governance.group_governance_manager"):
            raise AccessError(_("Only Access Governance managers can provision users."))
        if self.user_id:
            raise UserError(_("%s already has a user.", self.name))
        if not self.work_email:
            raise UserError(
                _(
                    "%s has no work email: set one first, it becomes the "
                    "login of the new user.",
                    self.name,
                )
            )
        taken = (
            self.env["res.users"]
            .with_context(active_test=False)
            .search_count([("login", "=", self.work_email)], limit=1)
        )
        if taken:
            raise UserError(
                _(
                    "A user with login %s already exists: link it to the "
                    "employee instead.",
                    self.work_email,
                )
            )
        user = self._governance_provision_user_as_superuser()
        _logger.info(
            "access_governance: user %s provisioned for employee #%s by uid #%s",
            user.login,
            self.id,
            self.env.uid,
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("User provisioned"),
                "message": _(
                    "%(user)s can now log in as %(login)s with the roles of "
                    "their job position.",
                    user=user.name,
                    login=user.login,
                ),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _governance_provision_user_as_superuser(self):
        # sudo: governance managers provision users without being user
        # administrators. Least privilege: the new user is an internal user
        # and nothing else (explicit groups, so Odoo's default user template,
        # which with hr installed holds Employees / Administrator, does not
        # apply); the roles mapped from the job then add their groups.
        return (
            self.env["res.users"]
            .sudo()
            .create(
                {
                    "name": self.name,
                    "login": self.work_email,
                    "email": self.work_email,
                    "partner_id": self.work_contact_id.id or False,
                    "company_id": self.company_id.id,
                    "company_ids": [fields.Command.link(self.company_id.id)],
                    "groups_id": [
                        fields.Command.set(self.env.ref("base.group_user").ids)
                    ],
                    "create_employee_id": self.id,
                }
            )
        )

    def action_governance_offboard(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_offboard_action"
        )
        action["context"] = {
            "default_employee_id": self.id,
            "default_user_id": self.user_id.id,
        }
        return action
