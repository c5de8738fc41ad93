# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One access to certify in a review campaign: a (user, group) justified by
baseline or grant claims, or a (user, role assignment)."""

import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .access_governance_guarded import is_trusted, trusted

_logger = logging.getLogger(__name__)

DECISIONS = [("keep", "Keep"), ("revoke", "Revoke")]
# What a reviewer who is not a governance manager may change on a line.
REVIEWER_FIELDS = {"decision", "comment"}
# What a governance manager may change on a line; the outcome (decided by,
# applied, claims, decided by default...) is written by the code only.
MANAGER_FIELDS = REVIEWER_FIELDS | {"reviewer_id"}


class AccessGovernanceReviewLine(models.Model):
    _name = "access.governance.review.line"
    _description = "Access Review Line"
    _inherit = ["access.governance.guarded"]
    _order = "review_id, reviewer_id, user_id, id"

    # What the campaign decided to review and what came of it: written by
    # starting, deciding, escalating and closing only.
    _governance_protected_fields = frozenset(
        {
            "review_id",
            "user_id",
            "group_id",
            "role_id",
            "assignment_id",
            "claim_ids",
            "why",
            "last_used",
            "sod_conflicts",
            "recommendation",
            "recommendation_reason",
            "decision_auto",
            "decided_by_id",
            "date_decided",
            "applied",
            "result",
            "original_reviewer_id",
            "escalated",
        }
    )

    review_id = fields.Many2one(
        "access.governance.review",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    review_state = fields.Selection(related="review_id.state")
    user_id = fields.Many2one(
        "res.users", required=True, index=True, ondelete="cascade", readonly=True
    )
    group_id = fields.Many2one(
        "res.groups", index=True, ondelete="cascade", readonly=True
    )
    role_id = fields.Many2one(
        "access.governance.role", index=True, ondelete="cascade", readonly=True
    )
    assignment_id = fields.Many2one(
        "access.governance.role.assignment", ondelete="set null", readonly=True
    )
    claim_ids = fields.Many2many(
        "access.governance.claim",
        string="Reviewed Claims",
        readonly=True,
        help="The claims a revoke ends.",
    )
    risk = fields.Selection(
        [
            ("low", "Low"),
            ("medium", "Medium"),
            ("high", "High"),
            ("critical", "Critical"),
        ],
        # Grouped by level (low to critical), not alphabetically.
        group_expand=True,
        compute="_compute_risk",
        store=True,
    )
    reviewer_id = fields.Many2one(
        "res.users", required=True, index=True, ondelete="restrict"
    )
    original_reviewer_id = fields.Many2one(
        "res.users", readonly=True, help="Reviewer before escalation."
    )
    escalated = fields.Boolean(readonly=True)
    why = fields.Text(readonly=True)
    last_used = fields.Datetime(readonly=True)
    sod_conflicts = fields.Char(string="SoD Conflicts", readonly=True)
    recommendation = fields.Selection(DECISIONS, readonly=True)
    recommendation_reason = fields.Char(readonly=True)
    decision = fields.Selection(DECISIONS, index=True)
    decision_auto = fields.Boolean(
        string="Decided by Default",
        readonly=True,
        help="Nobody decided: the campaign's default applied at closing.",
    )
    comment = fields.Char()
    decided_by_id = fields.Many2one("res.users", readonly=True)
    date_decided = fields.Datetime(readonly=True)
    applied = fields.Boolean(readonly=True, index=True)
    result = fields.Char(readonly=True, help="What closing the campaign changed.")

    @api.depends("group_id.governance_risk", "role_id.risk")
    def _compute_risk(self):
        for line in self:
            line.risk = line.group_id.governance_risk or line.role_id.risk or "low"

    @api.depends("user_id", "group_id", "role_id")
    def _compute_display_name(self):
        for line in self:
            access = line.role_id.name or line.group_id.full_name or ""
            line.display_name = f"{line.user_id.name} / {access}"

    @api.constrains("reviewer_id", "user_id")
    def _check_reviewer(self):
        for line in self:
            if line.reviewer_id == line.user_id:
                raise ValidationError(
                    _("%s cannot review their own access.", line.user_id.name)
                )

    @api.constrains("group_id", "role_id")
    def _check_group_or_role(self):
        for line in self:
            if bool(line.group_id) == bool(line.role_id):
                raise ValidationError(_("A review line is about a group or a role."))

    def _governance_is_evidence(self):
        self.ensure_one()
        return self.applied or self.review_id.state == "closed"

    def write(self, vals):
        if not is_trusted():
            given = self._governance_protected() & vals.keys()
            if given:
                self._governance_refuse(given, _("by hand"))
            if not self.env.su:
                self._review_check_write(vals)
        if "decision" in vals:
            if any(line.review_id.state != "in_progress" for line in self):
                raise UserError(_("Decisions are taken while the campaign runs."))
            auto = bool(vals.get("decision_auto"))
            vals = dict(
                vals,
                decision_auto=auto,
                decided_by_id=self.env.uid if vals["decision"] and not auto else False,
                date_decided=fields.Datetime.now() if vals["decision"] else False,
            )
            # The decision's own evidence fields (who, when) go with it.
            with trusted():
                return super().write(vals)
        return super().write(vals)

    def _review_check_write(self, vals):
        """Who may change what on a line, for a caller (not the code)."""
        user = self.env.user
        if user.has_group("access_governance.group_governance_manager"):
            self._review_check_manager_write(vals)
        else:
            self._review_check_reviewer(vals)
        if {"decision", "reviewer_id"} & vals.keys():
            own = self.filtered(lambda line: line.user_id == user)
            if own:
                raise AccessError(
                    _(
                        "You cannot decide on, nor hand over, the review of your "
                        "own access: %s.",
                        ", ".join(own.mapped("display_name")),
                    )
                )
        if vals.get("decision") == "revoke":
            for line in self:
                line.user_id._governance_check_can_act_on(
                    groups=line._review_access_groups()
                )

    def _review_access_groups(self):
        """The groups a revoke of this line would take away."""
        self.ensure_one()
        return self.group_id.sudo() or self.role_id.sudo().group_ids

    def _review_check_manager_write(self, vals):
        """A manager decides, comments and reassigns; never to the user."""
        if set(vals) - MANAGER_FIELDS:
            raise AccessError(
                _("Managers may only decide, comment and reassign review lines.")
            )
        if vals.get("reviewer_id") and any(
            line.user_id.id == vals["reviewer_id"] for line in self
        ):
            # ValidationError, like _check_reviewer: refused before writing.
            raise ValidationError(_("Nobody can review their own access."))

    def _review_check_reviewer(self, vals):
        """A reviewer decides and comments on their own lines, nothing else."""
        if set(vals) - REVIEWER_FIELDS:
            raise AccessError(_("Reviewers may only decide and comment."))
        if any(line.reviewer_id != self.env.user for line in self):
            raise AccessError(_("You can only decide the lines you review."))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_keep(self):
        self.write({"decision": "keep"})
        return True

    def action_revoke(self):
        self.write({"decision": "revoke"})
        return True

    def action_apply_recommendation(self):
        for decision in ("keep", "revoke"):
            self.filtered(lambda line, d=decision: line.recommendation == d).write(
                {"decision": decision}
            )
        return True

    # ------------------------------------------------------------------
    # Apply at closing
    # ------------------------------------------------------------------
    def _review_apply(self):
        """Apply decided lines through the claims engine, in one run for the
        group lines and one for the role lines; audit every decision."""
        Claim = self.env["access.governance.claim"]
        lines = self.filtered(lambda line: line.decision and not line.applied)
        revoke = lines.filtered(lambda line: line.decision == "revoke")
        results = revoke._review_refused_revokes()
        revoke = revoke.filtered(lambda line: line not in results)
        group_revoke = revoke.filtered("group_id")
        role_revoke = revoke.filtered("role_id")
        removed = defaultdict(set)
        if group_revoke:
            res = Claim._claims_end(group_revoke.claim_ids, note="review_revoke")
            for uid, gids in res["removed"].items():
                removed[uid] |= gids
        assignments = role_revoke.assignment_id.filtered(lambda a: a.state != "ended")
        if assignments:
            ended = assignments._governance_end(note="review_revoke", apply=False)
            res = ended._governance_apply(note="review_revoke")
            for uid, gids in res["removed"].items():
                removed[uid] |= gids
            assignments._governance_audit_assignments(assignments.browse(), ended)
        Groups = self.env["res.groups"].sudo()
        for line in revoke:
            if line.group_id:
                if line.group_id.id in removed[line.user_id.id]:
                    results[line] = _("Removed.")
                elif line.group_id in line.user_id.sudo().groups_id:
                    results[line] = _("Still held through another claim.")
                else:
                    results[line] = _("Already removed.")
            else:
                gone = Groups.browse(
                    sorted(removed[line.user_id.id] & set(line.role_id.group_ids.ids))
                )
                results[line] = _(
                    "Role ended; removed: %s.",
                    ", ".join(gone.mapped("full_name")) or "-",
                )
        entries = []
        by_result = defaultdict(lambda: self.browse())
        for line in lines:
            result = results.get(line) or _("Kept.")
            by_result[result] |= line
            entries.append(
                {
                    "event": "review_decision",
                    "user": line.user_id,
                    "groups": line.group_id or line.role_id.group_ids,
                    "record": line.review_id,
                    "description": _(
                        "Review of %(access)s for %(user)s: %(decision)s by "
                        "%(by)s. %(result)s",
                        access=line.group_id.full_name or line.role_id.name,
                        user=line.user_id.name,
                        decision=dict(DECISIONS)[line.decision],
                        by=line.decided_by_id.name or _("default of the campaign"),
                        result=result,
                    ),
                    "details": {
                        "line": line.id,
                        "decision": line.decision,
                        "auto": line.decision_auto,
                        "reviewer": line.reviewer_id.login,
                        "decided_by": line.decided_by_id.login or "",
                        "comment": line.comment or "",
                        "recommendation": line.recommendation or "",
                        "claims": line.claim_ids.ids,
                        "role": line.role_id.code or "",
                        "result": result,
                    },
                }
            )
        for result, batch in by_result.items():
            batch._review_mark_applied(result)
        self.env["access.governance.audit"]._audit_log_batch(entries)
        return lines

    def _review_refused_revokes(self):
        """{line: result} for revocations that may not be applied: of an
        administrator unless a Settings administrator decided (or closes,
        for lines decided by the campaign's default), of the last active
        Settings administrator's Settings (counted over the whole batch).
        They are recorded, not applied.

        The authority is the person who decided, checked again now; for
        lines nobody decided, the person closing. Revoking the closer's own
        access by the campaign's default is applied (nobody escapes a
        review by closing it), the last-administrator rule still holds.
        """
        refused = {}
        system = self.env.ref("base.group_system")
        root = self.env.ref("base.user_root")
        admins_left = self.env["res.users"]._governance_active_system_admins()
        for line in self:
            groups = line._review_access_groups()
            actor = line.decided_by_id or self.env.user
            if actor == line.user_id:
                actor = root
            try:
                line.user_id._governance_check_can_act_on(groups=groups, actor=actor)
                if line.user_id in admins_left and system in (
                    groups | groups.trans_implied_ids
                ):
                    if not admins_left - line.user_id:
                        raise UserError(
                            _(
                                "%s is the last active Settings administrator.",
                                line.user_id.name,
                            )
                        )
                    admins_left -= line.user_id
            except (AccessError, UserError) as error:
                refused[line] = _("Not applied: %s", error.args[0])
        return refused

    def _review_mark_applied(self, result):
        # ``applied`` and ``result`` are outcome fields that only closing
        # writes, whoever closes (a manager or the cron).
        self._governance_write({"applied": True, "result": result})
