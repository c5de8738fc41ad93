# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Leaver: one offboarding and its evidence.

Steps, each idempotent: end role assignments and every claim through the
claims engine, remove the remaining governed and preference groups (the
user-type group stays), deactivate the user (never delete), revoke sessions,
delete API keys, reassign open records per reassignment rule. Re-running an
offboarding changes nothing twice; the evidence counts accumulate.
"""

import logging

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command

from .access_governance_claim import ENGINE_WRITING
from .access_governance_guarded import is_trusted

_logger = logging.getLogger(__name__)

AUTO_PARAM = "access_governance.auto_offboard"


class AccessGovernanceOffboarding(models.Model):
    _name = "access.governance.offboarding"
    _description = "Offboarding"
    _inherit = ["mail.thread", "access.governance.guarded"]
    _order = "id desc"

    # The state and the evidence of each step: written by running only.
    _governance_protected_fields = frozenset(
        {
            "automatic",
            "state",
            "date_done",
            "done_by_id",
            "run_count",
            "user_deactivated",
            "assignments_ended_count",
            "assignments_ended_names",
            "claims_ended_count",
            "groups_removed_count",
            "groups_removed_names",
            "sessions_revoked_count",
            "apikeys_deleted_count",
            "apikeys_deleted_names",
            "records_reassigned_count",
            "records_reassigned_details",
        }
    )

    name = fields.Char(compute="_compute_name", store=True)
    user_id = fields.Many2one(
        "res.users",
        string="Leaver",
        required=True,
        index=True,
        ondelete="restrict",
        domain=[("share", "=", False)],
        tracking=True,
    )
    employee_id = fields.Many2one("hr.employee", ondelete="set null", tracking=True)
    reassign_to_id = fields.Many2one(
        "res.users",
        string="Reassign Open Records To",
        domain=[("share", "=", False), ("active", "=", True)],
        tracking=True,
        help="Who receives the leaver's open records. Default: the manager.",
    )
    reason = fields.Text()
    automatic = fields.Boolean(readonly=True)
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
    )
    date_done = fields.Datetime(string="Run On", readonly=True)
    done_by_id = fields.Many2one("res.users", string="Run By", readonly=True)
    run_count = fields.Integer(readonly=True)
    # Evidence, per step.
    user_deactivated = fields.Boolean(readonly=True)
    assignments_ended_count = fields.Integer(
        string="Role Assignments Ended", readonly=True
    )
    assignments_ended_names = fields.Text(string="Roles Ended", readonly=True)
    claims_ended_count = fields.Integer(string="Claims Ended", readonly=True)
    groups_removed_count = fields.Integer(string="Groups Removed", readonly=True)
    groups_removed_names = fields.Text(string="Groups Removed (names)", readonly=True)
    sessions_revoked_count = fields.Integer(string="Sessions Revoked", readonly=True)
    apikeys_deleted_count = fields.Integer(string="API Keys Deleted", readonly=True)
    apikeys_deleted_names = fields.Text(string="API Keys (names)", readonly=True)
    records_reassigned_count = fields.Integer(
        string="Records Reassigned", readonly=True
    )
    records_reassigned_details = fields.Text(
        string="Records Reassigned (details)", readonly=True
    )

    @api.depends("user_id")
    def _compute_name(self):
        for offboarding in self:
            offboarding.name = _("Offboarding of %s", offboarding.user_id.name or "")

    def _governance_is_evidence(self):
        self.ensure_one()
        return self.state == "done"

    @api.onchange("employee_id")
    def _onchange_employee_id(self):
        if self.employee_id:
            self.user_id = self.employee_id.user_id or self.user_id
            self.reassign_to_id = self.employee_id.parent_id.user_id

    @api.model_create_multi
    def create(self, vals_list):
        if (
            self.env.su
            and not is_trusted()
            and any(vals.get("automatic") for vals in vals_list)
        ):
            # Automatic offboardings are started by superuser code (the
            # stale-account audit); ``automatic`` stays protected for anybody
            # else. Prefer _governance_create in new code.
            return self._governance_create(vals_list)
        for vals in vals_list:
            user = self.env["res.users"].browse(vals.get("user_id"))
            employee = self.env["hr.employee"].browse(vals.get("employee_id"))
            if user and not employee:
                employee = (
                    self.env["hr.employee"]
                    .with_context(active_test=False)
                    .search([("user_id", "=", user.id)], limit=1)
                )
                vals["employee_id"] = employee.id
            if "reassign_to_id" not in vals and employee:
                vals["reassign_to_id"] = employee.parent_id.user_id.id
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------
    def _check_can_offboard(self):
        """The one rule for acting on a person's access: never oneself, an
        administrator by Settings administrators only, never the last active
        Settings administrator. The caller is the real user even through
        sudo (automatic offboarding by an HR officer)."""
        self.user_id._governance_check_can_act_on(deactivate=True)

    # ------------------------------------------------------------------
    # Run
    # ------------------------------------------------------------------
    def action_run(self):
        if not self.env.user.has_group("access_governance.group_governance_manager"):
            raise AccessError(_("Only Access Governance managers can offboard."))
        self._check_can_offboard()
        for offboarding in self:
            offboarding._governance_run()
        return True

    def _governance_run(self):
        """Run every step; write the evidence of what changed (nothing on a
        re-run that finds nothing left to do)."""
        self.ensure_one()
        evidence = {}
        evidence.update(self._step_end_access())
        evidence.update(self._step_deactivate())
        evidence.update(self._step_revoke_sessions_as_superuser())
        evidence.update(self._step_delete_apikeys_as_superuser())
        evidence.update(self._step_reassign_records_as_superuser())
        changed = any(
            value for key, value in evidence.items() if key.endswith("_count")
        ) or evidence.get("user_deactivated")
        vals = {"run_count": self.run_count + 1}
        if self.state != "done":
            vals.update(
                state="done", date_done=fields.Datetime.now(), done_by_id=self.env.uid
            )
        if changed:
            for key, value in evidence.items():
                if key.endswith("_count"):
                    vals[key] = self[key] + value
                elif key.endswith(("_names", "_details")):
                    if value:
                        vals[key] = "\n".join(filter(None, [self[key], value]))
                elif value:
                    vals[key] = value
            self._governance_audit(evidence)
        self._governance_write(vals)
        return changed

    def _governance_audit(self, evidence):
        self.env["access.governance.audit"]._audit_log(
            "offboarding",
            user=self.user_id,
            record=self,
            description=_(
                "Offboarding of %(user)s: deactivated: %(deactivated)s, "
                "%(roles)d role assignments and %(claims)d claims ended, "
                "%(groups)d groups removed, %(sessions)d sessions revoked, "
                "%(keys)d API keys deleted, %(records)d records reassigned.",
                user=self.user_id.name,
                deactivated=_("yes") if evidence["user_deactivated"] else _("no"),
                roles=evidence["assignments_ended_count"],
                claims=evidence["claims_ended_count"],
                groups=evidence["groups_removed_count"],
                sessions=evidence["sessions_revoked_count"],
                keys=evidence["apikeys_deleted_count"],
                records=evidence["records_reassigned_count"],
            ),
            details={
                key: value for key, value in evidence.items() if value is not None
            },
        )
        body = Markup("<p>%s</p>") % _("Offboarding steps run:")
        items = Markup("").join(
            Markup("<li>%s: %s</li>") % (self._fields[key].string, value)
            for key, value in evidence.items()
            if value and key in self._fields
        )
        self.message_post(body=body + Markup("<ul>%s</ul>") % items)

    # ------------------------------------------------------------------
    # Steps
    # ------------------------------------------------------------------
    def _step_end_access(self):
        """End role assignments and every claim in one engine run, then
        remove the governed and preference groups nothing claims."""
        user = self.user_id.sudo()
        Assignment = self.env["access.governance.role.assignment"].sudo()
        Claim = self.env["access.governance.claim"]
        assignments = Assignment.search(
            [("user_id", "=", user.id), ("state", "!=", "ended")]
        )
        ended_assignments = assignments._governance_end(note="offboarding", apply=False)
        claims = Claim.sudo().search([("user_id", "=", user.id), ("active", "=", True)])
        before = Claim._claims_current_groups({user.id})[user.id]
        Claim._claims_apply(end=claims, note="offboarding")
        self._remove_remaining_groups_as_superuser()
        after = Claim._claims_current_groups({user.id})[user.id]
        gone = self.env["res.groups"].sudo().browse(sorted(before - after))
        return {
            "assignments_ended_count": len(ended_assignments),
            "assignments_ended_names": ", ".join(
                ended_assignments.role_id.mapped("name")
            ),
            "claims_ended_count": len(claims),
            "groups_removed_count": len(gone),
            "groups_removed_names": ", ".join(gone.mapped("full_name")),
        }

    def _remove_remaining_groups_as_superuser(self):
        # sudo: writes res.users.groups_id, which governance managers cannot
        # do themselves; the manager's right to offboard was checked.
        user = self.user_id.sudo().with_context(active_test=False)
        keep = self.env["res.groups"]
        for group in user.groups_id:
            if group.category_id == self.env.ref("base.module_category_user_type"):
                keep |= group | group.trans_implied_ids
        remove = (
            user.groups_id.filtered(
                lambda g: g.governance_scope in ("governed", "preference")
            )
            - keep
        )
        if remove:
            token = ENGINE_WRITING.set(True)
            try:
                user.write({"groups_id": [Command.unlink(g.id) for g in remove]})
            finally:
                ENGINE_WRITING.reset(token)
        return remove

    def _step_deactivate(self):
        user = self.user_id
        if not user.active:
            return {"user_deactivated": False}
        self._deactivate_user_as_superuser()
        return {"user_deactivated": True}

    def _deactivate_user_as_superuser(self):
        # sudo: governance managers are not user administrators; the user is
        # archived, never deleted, so the evidence stays.
        self.user_id.sudo().write({"active": False})

    def _step_revoke_sessions_as_superuser(self):
        # sudo: res.device only shows a user their own devices; revoking a
        # leaver's sessions is the point of the step.
        # res.device is a SQL view over res.device.log: flush the log first.
        self.env["res.device.log"].flush_model()
        devices = (
            self.env["res.device"].sudo().search([("user_id", "=", self.user_id.id)])
        )
        sessions = set(devices.mapped("session_identifier"))
        if devices:
            devices._revoke()
        return {"sessions_revoked_count": len(sessions)}

    def _step_delete_apikeys_as_superuser(self):
        # sudo: only the key's owner or a Settings administrator may remove
        # API keys; deleting a leaver's keys is the point of the step.
        keys = (
            self.env["res.users.apikeys"]
            .sudo()
            .search([("user_id", "=", self.user_id.id)])
        )
        names = ", ".join(keys.mapped("name"))
        count = len(keys)
        if keys:
            keys._remove()
        return {"apikeys_deleted_count": count, "apikeys_deleted_names": names}

    def _step_reassign_records_as_superuser(self):
        # sudo: the offboarding moves records of every application (leads,
        # tasks, orders) the governance manager may not be able to read.
        target = self.reassign_to_id
        if not target or target == self.user_id:
            return {"records_reassigned_count": 0, "records_reassigned_details": ""}
        rules = self.env["access.governance.reassignment.rule"].sudo().search([])
        count = 0
        details = []
        for rule in rules:
            records = rule._governance_open_records(self.user_id)
            if not records:
                continue
            rule._governance_reassign(records, self.user_id, target)
            count += len(records)
            details.append(
                f"{rule.model_id.name}: {len(records)} → {target.name} "
                f"({', '.join(str(i) for i in records.ids[:50])})"
            )
        return {
            "records_reassigned_count": count,
            "records_reassigned_details": "\n".join(details),
        }

    # ------------------------------------------------------------------
    # Automatic offboarding
    # ------------------------------------------------------------------
    @api.model
    def _governance_auto_offboard(self, employees):
        """Offboard the users of archived employees when switched on."""
        param = self.env["ir.config_parameter"].sudo().get_param(AUTO_PARAM)
        if not param or param in ("0", "False", "false"):
            return self.browse()
        return self._governance_auto_offboard_as_superuser(employees)

    @api.model
    def _governance_auto_offboard_as_superuser(self, employees):
        # sudo: HR archiving an employee triggers the offboarding the
        # governance administrators switched on; the HR user need not be a
        # governance manager. The actor recorded stays the HR user.
        offboardings = self.sudo().browse()
        for employee in employees.sudo():
            user = employee.user_id
            if not user or not user.active or user.share:
                continue
            others = (
                self.env["hr.employee"]
                .sudo()
                .search_count(
                    [("user_id", "=", user.id), ("id", "!=", employee.id)], limit=1
                )
            )
            if others:
                continue  # still employed elsewhere (another company)
            offboarding = self._governance_create(
                [
                    {
                        "user_id": user.id,
                        "employee_id": employee.id,
                        "automatic": True,
                        "reason": _("Employee archived."),
                    }
                ]
            )
            try:
                offboarding._check_can_offboard()
            except (AccessError, UserError) as error:
                offboarding.message_post(body=str(error))
                employee.message_post(
                    body=_("Automatic offboarding refused: %s", error)
                )
                _logger.warning("access_governance: %s", error)
                continue
            offboarding._governance_run()
            offboardings |= offboarding
        return offboardings

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_user_audit(self):
        self.ensure_one()
        return self.user_id.action_governance_audit()
