# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Business roles: named bundles of governed groups, mapped from jobs."""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .res_groups import RISK_LEVELS

_logger = logging.getLogger(__name__)

# Role templates created for the modules that are installed: code ->
# (name, description, group xml ids). Groups that do not exist are skipped;
# a template none of whose groups exist is not created.
ROLE_TEMPLATES = {
    # Sales / User: Own Documents Only is also CRM's user group (crm has no
    # group of its own): own leads, quotations and orders, not the team's.
    "SALES_REP": (
        "Sales Representative",
        "Sells: own quotations, orders and CRM leads.",
        ["sales_team.group_sale_salesman"],
    ),
    "SALES_MANAGER": (
        "Sales Manager",
        "Runs the sales team: every quotation, order and lead.",
        ["sales_team.group_sale_manager"],
    ),
    "ACCOUNTANT": (
        "Accountant",
        "Invoices and bills.",
        ["account.group_account_invoice"],
    ),
    "FINANCE_DIRECTOR": (
        "Finance Director",
        "Administers accounting.",
        ["account.group_account_manager"],
    ),
    "WAREHOUSE": (
        "Warehouse Staff",
        "Moves stock.",
        ["stock.group_stock_user"],
    ),
    "HR_MANAGER": (
        "HR Manager",
        "Administers employees and attendances.",
        ["hr.group_hr_manager", "hr_attendance.group_hr_attendance_manager"],
    ),
    "IT_ADMIN": (
        "IT Admin",
        "Administers the Settings of the database.",
        ["base.group_system"],
    ),
}


class AccessGovernanceRole(models.Model):
    _name = "access.governance.role"
    _description = "Business Role"
    _inherit = [
        "mail.thread",
        "access.governance.guarded",
        "access.governance.policy.guarded",
    ]
    _order = "name"

    # Four-eyes: what gives the role's holders more access, or the role to
    # more people, waits for a second governance administrator.
    _governance_policy_fields = {
        "group_ids": "add",
        "job_ids": "add",
        "department_ids": "widen",
        "active": "enable",
    }
    # A new role gets its job positions through a policy change.
    _governance_policy_create_fields = frozenset({"job_ids"})

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(required=True, tracking=True)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True, tracking=True)
    group_ids = fields.Many2many(
        "res.groups",
        "access_governance_role_group_rel",
        "role_id",
        "group_id",
        string="Groups",
        domain=[("governance_scope", "=", "governed")],
        help="Governed groups a holder of this role receives.",
    )
    owner_id = fields.Many2one(
        "res.users",
        string="Owner",
        domain=[("share", "=", False)],
        tracking=True,
        help="Reviews who holds this role and decides its content.",
    )
    risk = fields.Selection(
        RISK_LEVELS,
        # Grouped by level (low to critical), not alphabetically.
        group_expand=True,
        compute="_compute_risk",
        store=True,
        help="The highest risk level of the role's groups and of the groups "
        "they imply; critical when one of them is an administrator group.",
    )
    job_ids = fields.Many2many(
        "hr.job",
        "access_governance_role_job_rel",
        "role_id",
        "job_id",
        string="Job Positions",
        help="Employees in these job positions receive the role.",
    )
    department_ids = fields.Many2many(
        "hr.department",
        "access_governance_role_department_rel",
        "role_id",
        "department_id",
        string="Departments",
        help="When set, only employees of these departments (in one of the job "
        "positions) receive the role.",
    )
    assignment_ids = fields.One2many(
        "access.governance.role.assignment", "role_id", string="Assignments"
    )
    holder_count = fields.Integer(string="Holders", compute="_compute_holder_count")

    _sql_constraints = [
        ("code_uniq", "unique (code)", "A role's code must be unique."),
    ]

    @api.depends("group_ids.governance_risk", "group_ids.implied_ids.governance_risk")
    def _compute_risk(self):
        for role in self:
            role.risk = role.group_ids._governance_effective_risk()

    def _compute_holder_count(self):
        data = self.env["access.governance.role.assignment"]._read_group(
            [("role_id", "in", self.ids), ("state", "=", "active")],
            ["role_id"],
            ["user_id:count_distinct"],
        )
        counts = {role.id: count for role, count in data}
        for role in self:
            role.holder_count = counts.get(role.id, 0)

    @api.constrains("group_ids")
    def _check_group_ids(self):
        for role in self:
            wrong = role.group_ids.filtered(lambda g: g.governance_scope != "governed")
            if wrong:
                raise ValidationError(
                    _(
                        "Role %(role)s can only bundle governed groups; these are "
                        "not: %(groups)s. Change their governance scope first or "
                        "remove them from the role.",
                        role=role.name,
                        groups=", ".join(wrong.mapped("full_name")),
                    )
                )

    # ------------------------------------------------------------------
    # ORM overrides
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        vals_list, later = self._governance_policy_split_create(vals_list)
        roles = super().create(vals_list)
        roles._governance_policy_check_admin_groups()
        roles._governance_policy_write_later(later)
        mapped = roles.filtered("job_ids")
        if mapped:
            self._governance_remap_jobs(mapped.job_ids)
        return roles

    def write(self, vals):
        # Four-eyes: the sensitive part becomes a pending policy change.
        vals = self._governance_policy_divert(vals)
        if not vals:
            return True
        old_jobs = self.job_ids
        res = super().write(vals)
        if "group_ids" in vals or "active" in vals:
            # Holders follow the role's content in one engine run.
            assignments = self.with_context(active_test=False).assignment_ids
            assignments._governance_apply()
        if {"job_ids", "department_ids", "active"} & vals.keys():
            self._governance_remap_jobs(old_jobs | self.job_ids)
        return res

    @api.model
    def _governance_check_admin(self):
        if not self.env.user.has_group("access_governance.group_governance_admin"):
            raise AccessError(
                _("Only Access Governance administrators configure roles.")
            )

    # ------------------------------------------------------------------
    # Four-eyes policy
    # ------------------------------------------------------------------
    def _governance_role_gives_access(self):
        """Whether the role reaches anybody: live assignments or jobs."""
        self.ensure_one()
        role = self.sudo().with_context(active_test=False)
        return bool(
            role.job_ids or role.assignment_ids.filtered(lambda a: a.state != "ended")
        )

    def _governance_policy_sensitive(self, name, old, new):
        sensitive = super()._governance_policy_sensitive(name, old, new)
        if not sensitive or name not in ("group_ids", "active"):
            return sensitive
        if name == "group_ids":
            added = self.env["res.groups"].browse(sorted(set(new) - set(old)))
            if added._governance_implies_admin():
                return True
        # Groups added to, or re-activating, a role nobody holds or receives
        # gives nobody access.
        return self._governance_role_gives_access()

    def _governance_policy_groups_after(self, changes):
        self.ensure_one()
        ids = changes.get("group_ids", (None, self.sudo().group_ids.ids))[1]
        return self.env["res.groups"].browse(ids)

    def _governance_policy_requires_system(self, changes):
        return self._governance_policy_groups_after(changes)._governance_implies_admin()

    def _governance_policy_gainers(self, changes):
        """Holders of the role, and the users of the employees the role maps
        to after the change."""
        self.ensure_one()
        role = self.sudo().with_context(active_test=False)
        holders = role.assignment_ids.filtered(lambda a: a.state != "ended").user_id
        jobs = changes.get("job_ids", (None, role.job_ids.ids))[1]
        departments = changes.get("department_ids", (None, role.department_ids.ids))[1]
        domain = [("job_id", "in", jobs), ("user_id", "!=", False)]
        if departments:
            domain.append(("department_id", "in", departments))
        mapped = self.env["res.users"].sudo()
        if jobs:
            mapped = self.env["hr.employee"].sudo().search(domain).user_id
        return (holders | mapped).with_env(self.env)

    @api.model
    def _governance_remap_jobs(self, jobs):
        """Re-map the users of the employees holding ``jobs``."""
        employees = (
            self.env["hr.employee"]
            .sudo()
            .search([("job_id", "in", jobs.ids), ("user_id", "!=", False)])
        )
        employees._governance_map_roles()

    # ------------------------------------------------------------------
    # Mapping
    # ------------------------------------------------------------------
    @api.model
    def _governance_roles_for_employees(self, employees):
        """Roles mapped from the job positions (and departments) of employees."""
        if not employees.job_id:
            return self.browse()
        roles = self.search([("job_ids", "in", employees.job_id.ids)])
        return roles.filtered(
            lambda role: any(
                employee.job_id in role.job_ids
                and (
                    not role.department_ids
                    or employee.department_id in role.department_ids
                )
                for employee in employees
            )
        )

    @api.model
    def _governance_on_unmapped_employee(self, employee):
        """Called for an employee with a user whose job maps to no role.

        The employee keeps only the internal-user baseline. The audits
        (findings) extend this hook to raise a finding.
        """
        return False

    # ------------------------------------------------------------------
    # Templates
    # ------------------------------------------------------------------
    @api.model
    def _governance_templates_follow(self, module_names):
        """Follow modules installed after this one: create the templates that
        name their groups, and add those groups to the templates created
        before (a role still carrying its template xml id; its holders receive
        them). Returns the roles created or completed."""
        prefixes = tuple(f"{name}." for name in module_names)
        codes = [
            code
            for code, (_name, _desc, xmlids) in ROLE_TEMPLATES.items()
            if any(xmlid.startswith(prefixes) for xmlid in xmlids)
        ]
        if not codes:
            return self.browse()
        roles = self._create_role_templates(codes=codes)
        for code in codes:
            role = self.env.ref(
                f"access_governance.role_template_{code.lower()}",
                raise_if_not_found=False,
            )
            if not role or role in roles:
                continue
            groups = self.env["res.groups"]
            for xmlid in ROLE_TEMPLATES[code][2]:
                if xmlid.startswith(prefixes):
                    groups |= self.env.ref(xmlid, raise_if_not_found=False) or groups
            groups = groups.filtered(lambda g: g.governance_scope == "governed")
            missing = groups - role.group_ids
            if missing:
                role.write({"group_ids": [fields.Command.link(g.id) for g in missing]})
                roles |= role
        return roles

    @api.model
    def _create_role_templates(self, codes=None):
        """Create the template roles whose groups exist; skip existing codes."""
        existing = set(self.with_context(active_test=False).search([]).mapped("code"))
        created = self.browse()
        for code, (name, description, xmlids) in ROLE_TEMPLATES.items():
            if code in existing or (codes is not None and code not in codes):
                continue
            groups = self.env["res.groups"]
            for xmlid in xmlids:
                groups |= self.env.ref(xmlid, raise_if_not_found=False) or groups
            groups = groups.filtered(lambda g: g.governance_scope == "governed")
            if not groups or (
                groups._governance_implies_admin()
                and not self._governance_policy_bypass()
                and not self.env.user.has_group("base.group_system")
            ):
                continue
            role = self.create(
                {
                    "name": name,
                    "code": code,
                    "description": description,
                    "group_ids": [fields.Command.set(groups.ids)],
                }
            )
            self.env["ir.model.data"]._update_xmlids(
                [
                    {
                        "xml_id": f"access_governance.role_template_{code.lower()}",
                        "record": role,
                        "noupdate": True,
                    }
                ]
            )
            created |= role
        if created:
            _logger.info(
                "access_governance: created role templates %s",
                ", ".join(created.mapped("code")),
            )
        return created

    @api.model
    def action_create_role_templates(self):
        self._governance_check_admin()
        created = self._create_role_templates()
        message = (
            _("Created: %s.", ", ".join(created.mapped("name")))
            if created
            else _("Every role template whose modules are installed exists.")
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Role templates"),
                "message": message,
                "type": "success" if created else "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_holders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_role_assignment_action"
        )
        action["domain"] = [("role_id", "=", self.id)]
        action["context"] = {"default_role_id": self.id, "search_default_active": 1}
        action["name"] = _("Holders of %s", self.name)
        return action

    @api.model
    def _action_create_from_user(self, user):
        """Create a role bundling ``user``'s explicit governed groups."""
        self._governance_check_admin()
        Claim = self.env["access.governance.claim"]
        governed, implied = Claim._claims_group_data()
        held = Claim._claims_current_groups({user.id})[user.id]
        explicit = Claim._claims_explicit(held & governed, implied)
        if not explicit:
            raise UserError(
                _("%s holds no governed group to bundle into a role.", user.name)
            )
        code = base = f"FROM_{user.login}".upper()
        suffix = 1
        while self.with_context(active_test=False).search_count(
            [("code", "=", code)], limit=1
        ):
            suffix += 1
            code = f"{base}_{suffix}"
        role = self.create(
            {
                "name": _("Role of %s", user.name),
                "code": code,
                "group_ids": [fields.Command.set(sorted(explicit))],
                "owner_id": self.env.uid,
            }
        )
        self.env["access.governance.audit"]._audit_log(
            "role_from_user",
            user=user,
            groups=role.group_ids,
            record=role,
            description=_(
                "Role %(role)s created from the groups of %(user)s.",
                role=role.name,
                user=user.name,
            ),
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "access.governance.role",
            "res_id": role.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_compare(self):
        """Users who hold every group of the role without holding the role."""
        self.ensure_one()
        if not self.env.user.has_group("access_governance.group_governance_auditor"):
            raise AccessError(
                _("Only Access Governance auditors compare who holds what.")
            )
        users = self.env["res.users"].search([("share", "=", False)])
        for group in self.group_ids:
            users = users.filtered(lambda u, g=group: g in u.groups_id)
        holders = self.assignment_ids.filtered(lambda a: a.state == "active").user_id
        return {
            "type": "ir.actions.act_window",
            "name": _("Hold the groups of %s without the role", self.name),
            "res_model": "res.users",
            "view_mode": "list,form",
            "domain": [("id", "in", (users - holders).ids)],
        }


class AccessGovernanceRoleFindings(models.Model):
    """Unmapped job positions raise findings (scheduled audits)."""

    _inherit = "access.governance.role"

    @api.model
    def _governance_on_unmapped_employee(self, employee):
        res = super()._governance_on_unmapped_employee(employee)
        self.env["access.governance.detector.unmapped_access"]._unmapped_employee(
            employee
        )
        return res
