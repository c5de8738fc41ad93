# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessDenied, AccessError, UserError

from odoo.addons.base.models.res_users import is_reified_group

from .access_governance_claim import ENGINE_WRITING

_logger = logging.getLogger(__name__)

# Holding one of these makes a user an administrator: acting on their access
# (removing groups, deactivating) is for Settings administrators only.
ADMIN_GROUP_XMLIDS = (
    "base.group_system",
    "base.group_erp_manager",
    "access_governance.group_governance_admin",
)


def _changes_groups(vals):
    return "groups_id" in vals or any(is_reified_group(key) for key in vals)


class ResUsers(models.Model):
    _inherit = "res.users"

    governance_claim_ids = fields.One2many(
        "access.governance.claim",
        "user_id",
        string="Access Claims",
        readonly=True,
        groups="access_governance.group_governance_user",
    )
    governance_claim_count = fields.Integer(
        string="Claims",
        compute="_compute_governance_claim_count",
        groups="access_governance.group_governance_user",
    )

    def _compute_governance_claim_count(self):
        data = self.env["access.governance.claim"]._read_group(
            [("user_id", "in", self.ids)], ["user_id"], ["__count"]
        )
        counts = {user.id: count for user, count in data}
        for user in self:
            user.governance_claim_count = counts.get(user.id, 0)

    @api.model_create_multi
    def create(self, vals_list):
        if ENGINE_WRITING.get():
            return super().create(vals_list)
        # Group writes Odoo makes while creating the user (multi-company flag)
        # are part of the creation, captured once below.
        token = ENGINE_WRITING.set(True)
        try:
            users = super().create(vals_list)
        finally:
            ENGINE_WRITING.reset(token)
        # Whatever groups a new user starts with (explicit values or the
        # default user template) become baseline claims, audited.
        self.env["access.governance.claim"]._claims_capture_baseline(
            users, origin="user_created"
        )
        return users

    def write(self, vals):
        if not _changes_groups(vals) or ENGINE_WRITING.get() or not self:
            return super().write(vals)
        Claim = self.env["access.governance.claim"]
        before = Claim._claims_current_groups(set(self.ids))
        res = super().write(vals)
        Claim._claims_capture_changes(before)
        return res

    # ------------------------------------------------------------------
    # Acting on a person's access
    # ------------------------------------------------------------------
    def _governance_is_admin(self):
        """Whether this user administers the database or governance."""
        self.ensure_one()
        return any(self._has_group(xmlid) for xmlid in ADMIN_GROUP_XMLIDS)

    def _governance_check_can_act_on(self, groups=None, deactivate=False, actor=None):
        """Raise unless ``actor`` (the current user by default) may remove
        ``groups`` from, or deactivate, every user of ``self``.

        The one rule every remediation path uses (findings, review
        revocations, offboarding, revoking a grant):

        * nobody acts on their own access;
        * acting on an administrator (Settings, Access Rights or governance
          administrator) is for Settings administrators only;
        * the superuser is never acted on;
        * the last active Settings administrator never loses Settings
          (neither by losing the group, nor a group implying it, nor by
          being deactivated).
        """
        actor = actor or self.env.user
        groups = groups or self.env["res.groups"]
        system = self.env.ref("base.group_system")
        actor_is_system = actor._is_superuser() or actor._has_group("base.group_system")
        for user in self:
            if user.id == SUPERUSER_ID:
                raise UserError(_("The superuser (OdooBot) is never changed here."))
            if user == actor:
                raise AccessError(
                    _(
                        "You cannot act on your own access: another person must "
                        "decide about %s.",
                        user.name,
                    )
                )
            if user._governance_is_admin() and not actor_is_system:
                raise AccessError(
                    _(
                        "%s is an administrator: only a Settings administrator "
                        "can change their access.",
                        user.name,
                    )
                )
        loses_system = self.filtered(
            lambda u: (
                u.active
                and system in u.groups_id
                and (deactivate or (groups | groups.trans_implied_ids) & system)
            )
        )
        if loses_system:
            remaining = self._governance_active_system_admins() - loses_system
            if not remaining:
                raise UserError(
                    _(
                        "%s would leave the database without an active Settings "
                        "administrator: make someone else administrator first.",
                        ", ".join(loses_system.mapped("name")),
                    )
                )
        return True

    @api.model
    def _governance_active_system_admins(self):
        """Active internal Settings administrators, superuser excluded."""
        return self._governance_active_system_admins_as_superuser()

    @api.model
    def _governance_active_system_admins_as_superuser(self):
        # sudo: counting administrators must include those the caller may not
        # read (multi-company rules); only the count is used.
        system = self.env.ref("base.group_system")
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("id", "!=", SUPERUSER_ID),
                    ("groups_id", "in", system.id),
                    ("share", "=", False),
                ]
            )
        )

    def _governance_check_user(self):
        """Governance actions on a user are for governance users (not portal)."""
        if not self.env.user.has_group("access_governance.group_governance_user"):
            raise AccessError(_("Access Governance is for internal users only."))

    def action_governance_claims(self):
        self.ensure_one()
        self._governance_check_user()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_claim_action"
        )
        action["domain"] = [("user_id", "=", self.id)]
        action["context"] = {"search_default_active": 1}
        action["name"] = _("Access Claims of %s", self.name)
        return action

    def action_governance_audit(self):
        self.ensure_one()
        self._governance_check_user()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_audit_action"
        )
        action["domain"] = [("user_id", "=", self.id)]
        action["name"] = _("Audit Trail of %s", self.name)
        return action

    # ------------------------------------------------------------------
    # Roles and offboarding
    # ------------------------------------------------------------------
    governance_role_assignment_ids = fields.One2many(
        "access.governance.role.assignment",
        "user_id",
        string="Roles",
        readonly=True,
        groups="access_governance.group_governance_user",
    )

    def action_governance_offboard(self):
        self.ensure_one()
        self._governance_check_user()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_offboard_action"
        )
        action["context"] = {"default_user_id": self.id}
        return action

    def action_governance_create_role(self):
        """Bundle the user's explicit governed groups into a new role."""
        self.ensure_one()
        return self.env["access.governance.role"]._action_create_from_user(self)

    # ------------------------------------------------------------------
    # Grants (issue #4)
    # ------------------------------------------------------------------
    governance_grant_ids = fields.One2many(
        "access.governance.grant",
        "beneficiary_id",
        string="Grants in Force",
        domain=[("state", "in", ("approved", "active"))],
        readonly=True,
        groups="access_governance.group_governance_user",
    )

    def action_governance_request_elevation(self):
        self.ensure_one()
        self._governance_check_user()
        return {
            "type": "ir.actions.act_window",
            "name": _("Request Elevation"),
            "res_model": "access.governance.grant",
            "view_mode": "form",
            "target": "current",
            "context": {"default_beneficiary_id": self.id},
        }

    # ------------------------------------------------------------------
    # Findings (issue #5)
    # ------------------------------------------------------------------
    governance_finding_count = fields.Integer(
        string="Open Findings",
        compute="_compute_governance_finding_count",
        groups="access_governance.group_governance_user",
    )

    def _compute_governance_finding_count(self):
        data = self.env["access.governance.finding"]._read_group(
            [("user_id", "in", self.ids), ("state", "in", ("open", "accepted"))],
            ["user_id"],
            ["__count"],
        )
        counts = {user.id: count for user, count in data}
        for user in self:
            user.governance_finding_count = counts.get(user.id, 0)

    def action_governance_findings(self):
        self.ensure_one()
        self._governance_check_user()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_finding_action"
        )
        action["domain"] = [("user_id", "=", self.id)]
        action["context"] = {"search_default_live": 1}
        action["name"] = _("Findings about %s", self.name)
        return action

    # ------------------------------------------------------------------
    # Authentication signals (failed sign-ins)
    # ------------------------------------------------------------------
    @classmethod
    def _login(cls, db, credential, user_agent_env):
        try:
            return super()._login(db, credential, user_agent_env)
        except AccessDenied:
            if credential.get("type", "password") == "password":
                cls._governance_record_failed_signin(credential.get("login"))
            raise

    @classmethod
    def _governance_record_failed_signin(cls, login, reason="password", uid=None):
        # _login's cursor is rolled back on failure: write in a new one.
        try:
            with cls.pool.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["access.governance.signin"]._signin_record(login, reason, uid)
        except Exception:
            _logger.exception("access_governance: failed sign-in not recorded")

    def _totp_check(self, code):
        try:
            return super()._totp_check(code)
        except AccessDenied:
            # sudo: the user is half-authenticated; only the login is read.
            self._governance_record_failed_signin(
                self.sudo().login, reason="2fa", uid=self.id
            )
            raise
