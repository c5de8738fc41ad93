# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Access review campaigns: who certifies which access, and what happens.

A campaign selects users (internal users, optionally of some departments and
companies, or of a domain) and access (all governed groups, groups at or
above a risk level, chosen groups, or role assignments). Starting it builds
one line per (user, group) or (user, role assignment) in one pass over the
claims, with the reason the user holds it and a recommendation. Reviewers
(the user's manager, the group or role owner, or a named reviewer; the
fallback reviewer otherwise, and always instead of the user themselves) get
one activity per campaign. Closing applies the decisions through the claims
engine and audits every one of them.
"""

import ast
import logging
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression

from .access_governance_claim import CLAIM_KINDS
from .access_governance_guarded import trusted
from .detectors.base import in_cron_worker
from .res_groups import RISK_LEVELS, RISK_ORDER

_logger = logging.getLogger(__name__)

STATES = [
    ("draft", "Draft"),
    ("in_progress", "In Progress"),
    ("closed", "Closed"),
]
ACCESS_SCOPES = [
    ("all", "All governed groups"),
    ("risk", "Groups at or above a risk level"),
    ("groups", "Chosen groups"),
    ("roles", "Roles"),
]
REVIEWER_MODES = [
    ("manager", "User's manager"),
    ("owner", "Group or role owner"),
    ("named", "Named reviewer"),
]
DEFAULT_DECISIONS = [
    ("keep", "Keep"),
    ("revoke", "Revoke"),
    ("recommendation", "Apply the recommendation"),
]
RECURRENCES = [
    ("none", "None"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("yearly", "Yearly"),
]
RECURRENCE_DELTAS = {
    "monthly": relativedelta(months=1),
    "quarterly": relativedelta(months=3),
    "yearly": relativedelta(years=1),
}


class AccessGovernanceReview(models.Model):
    _name = "access.governance.review"
    _description = "Access Review Campaign"
    _inherit = ["mail.thread", "mail.activity.mixin", "access.governance.guarded"]
    _order = "date_start desc, id desc"

    # Set by starting, escalating, reminding, closing and recurring only.
    _governance_protected_fields = frozenset(
        {
            "state",
            "date_start",
            "date_closed",
            "escalated",
            "reminded",
            "previous_id",
            "next_id",
        }
    )

    name = fields.Char(required=True, tracking=True)
    state = fields.Selection(
        STATES, default="draft", required=True, tracking=True, readonly=True
    )
    responsible_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        tracking=True,
    )
    # Scope: users
    department_ids = fields.Many2many(
        "hr.department",
        string="Departments",
        help="Only users whose employee belongs to one of these departments.",
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        help="Only users of one of these companies.",
    )
    user_domain = fields.Char(
        string="Users Filter",
        default="[]",
        help="Further restricts the internal users in scope.",
    )
    # Scope: access
    access_scope = fields.Selection(
        ACCESS_SCOPES, default="all", required=True, tracking=True
    )
    min_risk = fields.Selection(RISK_LEVELS, string="Minimum Risk", default="high")
    group_ids = fields.Many2many(
        "res.groups",
        string="Groups",
        domain=[("governance_scope", "=", "governed")],
    )
    role_ids = fields.Many2many(
        "access.governance.role",
        string="Roles",
        help="Roles to review; every role when empty.",
    )
    include_grants = fields.Boolean(
        default=True,
        help="Also review groups held through grants. When unchecked, a group "
        "held only by a grant is not in scope and a revoke never ends a grant.",
    )
    # Reviewers
    reviewer_mode = fields.Selection(
        REVIEWER_MODES, default="manager", required=True, tracking=True
    )
    reviewer_id = fields.Many2one(
        "res.users", string="Named Reviewer", domain=[("share", "=", False)]
    )
    fallback_reviewer_id = fields.Many2one(
        "res.users",
        required=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        tracking=True,
        help="Reviews the lines nobody else can (no manager or owner, or the "
        "user themselves) and takes over overdue lines.",
    )
    # Dates and outcome
    date_start = fields.Date(readonly=True, tracking=True)
    date_deadline = fields.Date(
        string="Deadline",
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=14),
        tracking=True,
    )
    escalation_days = fields.Integer(
        default=7,
        help="Days after the deadline during which the fallback reviewer decides "
        "the overdue lines; the campaign closes itself after them.",
    )
    date_closed = fields.Datetime(readonly=True)
    escalated = fields.Boolean(readonly=True, copy=False)
    reminded = fields.Boolean(readonly=True, copy=False)
    default_decision = fields.Selection(
        DEFAULT_DECISIONS,
        string="Undecided Lines",
        default="keep",
        required=True,
        help="Decision applied at closing to the lines nobody decided.",
    )
    recurrence = fields.Selection(RECURRENCES, default="none", required=True)
    next_date = fields.Date(
        string="Next Campaign", copy=False, help="Start of the next campaign."
    )
    previous_id = fields.Many2one(
        "access.governance.review", readonly=True, copy=False, index=True
    )
    next_id = fields.Many2one("access.governance.review", readonly=True, copy=False)
    line_ids = fields.One2many("access.governance.review.line", "review_id")
    line_count = fields.Integer(compute="_compute_progress")
    decided_count = fields.Integer(compute="_compute_progress")
    revoke_count = fields.Integer(compute="_compute_progress")
    progress = fields.Float(compute="_compute_progress")

    @api.depends("line_ids.decision")
    def _compute_progress(self):
        data = {
            (review.id, decision): count
            for review, decision, count in self.env[
                "access.governance.review.line"
            ]._read_group(
                [("review_id", "in", self.ids)],
                ["review_id", "decision"],
                ["__count"],
            )
        }
        for review in self:
            keep = data.get((review.id, "keep"), 0)
            revoke = data.get((review.id, "revoke"), 0)
            total = keep + revoke + data.get((review.id, False), 0)
            review.line_count = total
            review.decided_count = keep + revoke
            review.revoke_count = revoke
            review.progress = 100.0 * (keep + revoke) / total if total else 0.0

    def _governance_is_evidence(self):
        """A closed campaign (with its lines) is the evidence of the review."""
        self.ensure_one()
        return self.state == "closed"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        started = self.filtered(lambda review: review.state != "draft")
        if started:
            raise UserError(
                _(
                    "%s started: a campaign under way or closed cannot be "
                    "deleted; its lines and decisions are evidence.",
                    ", ".join(started.mapped("name")),
                )
            )

    @api.constrains("access_scope", "group_ids", "reviewer_mode", "reviewer_id")
    def _check_scope(self):
        for review in self:
            if review.access_scope == "groups" and not review.group_ids:
                raise ValidationError(_("Choose the groups to review."))
            if review.reviewer_mode == "named" and not review.reviewer_id:
                raise ValidationError(_("Choose the named reviewer."))

    @api.constrains("user_domain")
    def _check_user_domain(self):
        for review in self:
            review._review_parse_domain()

    def _review_parse_domain(self):
        self.ensure_one()
        try:
            domain = ast.literal_eval(self.user_domain or "[]")
        except (ValueError, SyntaxError) as error:
            raise ValidationError(
                _("The users filter is not a valid domain: %s", error)
            ) from error
        if not isinstance(domain, list):
            raise ValidationError(_("The users filter must be a list."))
        return domain

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _review_check_manager(self):
        """Starting and closing change access: governance managers only."""
        if not self.env.su and not self.env.user.has_group(
            "access_governance.group_governance_manager"
        ):
            raise AccessError(
                _("Only governance managers can start or close a review.")
            )

    def action_start(self):
        self._review_check_manager()
        for review in self:
            if review.state != "draft":
                raise UserError(_("Only a draft campaign can start."))
        for review in self:
            review._review_start()
        return True

    def action_close(self):
        self._review_check_manager()
        for review in self:
            if review.state != "in_progress":
                raise UserError(_("Only a campaign in progress can close."))
        self._review_close()
        return True

    def action_open_lines(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_review_line_action"
        )
        action["domain"] = [("review_id", "=", self.id)]
        action["context"] = {"default_review_id": self.id}
        return action

    def action_open_my_lines(self):
        self.ensure_one()
        action = self.action_open_lines()
        action["domain"] = expression.AND(
            [action["domain"], [("reviewer_id", "=", self.env.uid)]]
        )
        return action

    def action_print(self):
        self.ensure_one()
        return self.env.ref(
            "access_governance.access_governance_review_report"
        ).report_action(self)

    # ------------------------------------------------------------------
    # Start
    # ------------------------------------------------------------------
    def _review_users(self):
        """Internal users in scope, in one search."""
        self.ensure_one()
        domain = [("share", "=", False)]
        if self.department_ids:
            domain.append(("employee_ids.department_id", "in", self.department_ids.ids))
        if self.company_ids:
            domain.append(("company_ids", "in", self.company_ids.ids))
        user_domain = self._review_parse_domain()
        if user_domain:
            # The campaign's own filter runs with the caller's rights: it
            # must not search fields or users the manager may not read.
            allowed = self.env["res.users"].search(user_domain)
            domain = expression.AND([domain, [("id", "in", allowed.ids)]])
        return self._review_users_as_superuser(domain)

    def _review_users_as_superuser(self, domain):
        # sudo: the scope fields (departments, companies) read employees and
        # users of every company; ``domain`` holds no caller-supplied
        # condition (the users filter was searched in the caller's env).
        return self.env["res.users"].sudo().search(domain)

    def _review_groups(self):
        """Governed groups in scope (for group scopes)."""
        self.ensure_one()
        Groups = self.env["res.groups"].sudo()
        governed = Groups.search([("governance_scope", "=", "governed")])
        if self.access_scope == "groups":
            return self.group_ids & governed
        if self.access_scope == "risk":
            level = RISK_ORDER[self.min_risk or "high"]
            return governed.filtered(
                lambda g: RISK_ORDER.get(g.governance_risk or "low", 0) >= level
            )
        return governed

    def _review_start(self):
        """Build the lines, route them, notify reviewers; audit."""
        self.ensure_one()
        users = self._review_users()
        if self.access_scope == "roles":
            vals_list = self._review_role_line_values(users)
        else:
            vals_list = self._review_group_line_values(users)
        self._review_enrich_signals(vals_list)
        vals_list = self._review_route(vals_list)
        lines = self.env["access.governance.review.line"]._governance_create(vals_list)
        today = fields.Date.context_today(self)
        vals = {"state": "in_progress", "date_start": today}
        delta = RECURRENCE_DELTAS.get(self.recurrence)
        if delta and not self.next_date:
            vals["next_date"] = today + delta
        self._governance_write(vals)
        self._review_schedule_activities(lines)
        self.env["access.governance.audit"]._audit_log(
            "review_start",
            record=self,
            description=_(
                "Review campaign %(name)s started: %(lines)s lines, %(reviewers)s "
                "reviewers.",
                name=self.name,
                lines=len(lines),
                reviewers=len(lines.reviewer_id),
            ),
            details={
                "lines": len(lines),
                "users": len(lines.user_id),
                "reviewers": lines.reviewer_id.mapped("login"),
                "scope": self.access_scope,
            },
        )
        _logger.info(
            "access_governance: review %s started with %d lines", self.id, len(lines)
        )
        return lines

    def _review_claim_rows(self, user_ids, group_ids):
        """Active claims of these users on these groups, from SQL."""
        Claim = self.env["access.governance.claim"]
        Claim.flush_model()
        self.env.cr.execute(
            """
            SELECT id, user_id, group_id, kind, source_ref, source_name,
                   date_start, started_by_id
              FROM access_governance_claim
             WHERE active AND user_id = ANY(%s) AND group_id = ANY(%s)
             ORDER BY user_id, group_id, date_start
            """,
            [list(user_ids), list(group_ids)],
        )
        return self.env.cr.fetchall()

    def _review_group_line_values(self, users):
        groups = self._review_groups()
        rows = self._review_claim_rows(users.ids, groups.ids)
        kinds = {"baseline", "grant"} if self.include_grants else {"baseline"}
        by_pair = defaultdict(list)
        for row in rows:
            by_pair[(row[1], row[2])].append(row)
        starters = self.env["res.users"].sudo().browse({r[7] for r in rows if r[7]})
        starter_names = {u.id: u.name for u in starters}
        users_by_id = {u.id: u for u in users}
        groups_by_id = {g.id: g for g in groups}
        stale = self._review_stale_users(users)
        vals_list = []
        for (uid, gid), claims in by_pair.items():
            reviewed = [c for c in claims if c[3] in kinds]
            if not reviewed:
                # Held only through roles (reviewed in role campaigns) or
                # grants out of scope.
                continue
            user, group = users_by_id[uid], groups_by_id[gid]
            last_used = self._review_last_used(user, group)
            recommendation, reason = self._review_recommend_group(
                user, group, claims, last_used, stale
            )
            vals_list.append(
                {
                    "review_id": self.id,
                    "user_id": uid,
                    "group_id": gid,
                    "claim_ids": [fields.Command.set([c[0] for c in reviewed])],
                    "why": self._review_why(claims, starter_names),
                    "last_used": last_used,
                    "sod_conflicts": self._review_sod_conflicts(user, group),
                    "recommendation": recommendation,
                    "recommendation_reason": reason,
                }
            )
        return vals_list

    def _review_role_line_values(self, users):
        domain = [("user_id", "in", users.ids), ("state", "=", "active")]
        if self.role_ids:
            domain.append(("role_id", "in", self.role_ids.ids))
        assignments = (
            self.env["access.governance.role.assignment"].sudo().search(domain)
        )
        origins = dict(
            self.env["access.governance.role.assignment"]
            ._fields["origin"]
            ._description_selection(self.env)
        )
        stale = self._review_stale_users(assignments.user_id)
        vals_list = []
        for assignment in assignments:
            user = assignment.user_id
            last_used = self._review_last_used(user, assignment.role_id.group_ids)
            recommendation, reason = self._review_recommend_user(user, last_used, stale)
            if not recommendation:
                recommendation = "keep"
                reason = _("Assigned by %s.", origins[assignment.origin])
            vals_list.append(
                {
                    "review_id": self.id,
                    "user_id": user.id,
                    "role_id": assignment.role_id.id,
                    "assignment_id": assignment.id,
                    "why": _(
                        "Role %(role)s (%(origin)s) since %(date)s, assigned by "
                        "%(by)s; groups: %(groups)s.",
                        role=assignment.role_id.name,
                        origin=origins[assignment.origin],
                        date=fields.Date.to_string(assignment.date_from.date()),
                        by=assignment.create_uid.name or "-",
                        groups=", ".join(assignment.role_id.group_ids.mapped("name")),
                    ),
                    "last_used": last_used,
                    "sod_conflicts": self._review_sod_conflicts(
                        user, assignment.role_id.group_ids
                    ),
                    "recommendation": recommendation,
                    "recommendation_reason": reason,
                }
            )
        return vals_list

    @api.model
    def _review_why(self, claims, starter_names):
        """One sentence per active claim: which role, grant or baseline,
        since when and set by whom."""
        kinds = dict(CLAIM_KINDS)
        parts = []
        for _cid, _uid, _gid, kind, _ref, name, date_start, by in claims:
            since = fields.Date.to_string(date_start.date())
            who = starter_names.get(by, "-")
            if kind == "baseline":
                parts.append(
                    _("Baseline since %(date)s, set by %(by)s", date=since, by=who)
                )
            else:
                parts.append(
                    _(
                        "%(kind)s %(name)s since %(date)s, by %(by)s",
                        kind=kinds[kind],
                        name=name or "",
                        date=since,
                        by=who,
                    )
                )
        return "; ".join(parts) + "."

    @api.model
    def _review_last_used(self, user, group):
        """When the user last used this access; False when unknown.

        Hook for the unused-access signal of the findings feature.
        """
        return False

    @api.model
    def _review_sod_conflicts(self, user, group):
        """SoD conflicts this access takes part in; '' when none.

        Hook for the separation-of-duties rules.
        """
        return ""

    def _review_enrich_signals(self, vals_list):
        """Fill *last used* from open unused-access findings and *SoD
        conflicts* from the SoD rules, for all lines at once (a handful of
        queries whatever the number of lines), and recommend revoking access
        the audits found unused."""
        if not vals_list:
            return vals_list
        user_ids = {vals["user_id"] for vals in vals_list}
        roles = (
            self.env["access.governance.role"]
            .sudo()
            .browse({vals["role_id"] for vals in vals_list if vals.get("role_id")})
        )
        role_groups = {role.id: set(role.group_ids.ids) for role in roles}
        unused = self._review_unused_signals(user_ids)
        conflicts = self._review_sod_signals(user_ids)
        for vals in vals_list:
            uid = vals["user_id"]
            gids = (
                role_groups.get(vals["role_id"], set())
                if vals.get("role_id")
                else {vals["group_id"]}
            )
            names = sorted(
                {name for name, involved in conflicts.get(uid, ()) if gids & involved}
            )
            if names:
                vals["sod_conflicts"] = ", ".join(names)
            dates = [unused[(uid, gid)] for gid in gids if (uid, gid) in unused]
            if dates and (not vals.get("role_id") or len(dates) == len(gids)):
                vals["last_used"] = vals.get("last_used") or min(dates)
                if vals.get("recommendation") != "revoke":
                    vals["recommendation"] = "revoke"
                    vals["recommendation_reason"] = self.env._(
                        "The access audit found this access unused: no record "
                        "created or changed through it since %s.",
                        fields.Date.to_string(min(dates).date()),
                    )
        return vals_list

    @api.model
    def _review_unused_signals(self, user_ids):
        """{(uid, gid): no-activity-since} from open unused-access findings."""
        if "access.governance.finding" not in self.env:
            return {}
        Finding = self.env["access.governance.finding"]
        days = self.env["access.governance.detector"]._detector_param_int("unused_days")
        # sudo: reviewers may not read other users' findings; only the date
        # of the signal is copied onto the line.
        findings = Finding.sudo().search(
            [
                ("finding_type", "=", "unused_access"),
                ("state", "=", "open"),
                ("user_id", "in", list(user_ids)),
            ]
        )
        signals = {}
        for finding in findings:
            since = finding.first_seen - timedelta(days=days)
            for group in finding.group_ids:
                signals[(finding.user_id.id, group.id)] = since
        return signals

    @api.model
    def _review_sod_signals(self, user_ids):
        """{uid: [(rule label, involved group ids)]} for every active SoD rule
        a user breaks through their effective groups (implied included)."""
        if "access.governance.sod.rule" not in self.env:
            return {}
        held = self.env["access.governance.claim"]._claims_current_groups(user_ids)
        conflicts = self.env["access.governance.sod.rule"]._sod_evaluate(held)
        result = defaultdict(list)
        for uid, user_conflicts in conflicts.items():
            for conflict in user_conflicts:
                # sudo: rules are readable by auditors only; the line carries
                # the rule's name.
                label = conflict["rule"].sudo().name
                if conflict["mitigation"]:
                    label = self.env._("%s (mitigated)", label)
                involved = set((conflict["groups_a"] | conflict["groups_b"]).ids)
                result[uid].append((label, involved))
        return result

    @api.model
    def _review_open_for_findings(self, findings):
        """A draft campaign certifying the access the findings are about:
        their users, their groups, reviewed by each user's manager."""
        users = findings.user_id
        groups = (findings.group_ids | findings.revoke_group_ids).filtered(
            lambda g: g.governance_scope == "governed"
        )
        review = self.create(
            {
                "name": self.env._(
                    "Review of findings: %s", ", ".join(findings.mapped("name"))
                ),
                "user_domain": repr([("id", "in", users.ids)]),
                "access_scope": "groups" if groups else "all",
                "group_ids": [fields.Command.set(groups.ids)],
                "reviewer_mode": "manager",
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": review.id,
            "view_mode": "form",
        }

    @api.model
    def _review_stale_users(self, users):
        """{uid: last activity} of the stale users, by the stale-account
        detector's threshold and activity signals (the one definition)."""
        Stale = self.env["access.governance.detector.stale_account"]
        return {
            uid: last or created
            for uid, (last, created) in Stale._stale_users(users.ids).items()
        }

    @api.model
    def _review_recommend_user(self, user, last_used, stale=None):
        """(revoke, reason) when the user themselves makes access doubtful.

        ``stale``: :meth:`_review_stale_users` of the campaign's users."""
        if not user.active:
            return "revoke", _("The user is archived.")
        if stale is None:
            stale = self._review_stale_users(user)
        Stale = self.env["access.governance.detector.stale_account"]
        limit, days = Stale._stale_limit()
        if user.id in stale:
            return "revoke", _("No activity for more than %s days.", days)
        if last_used and fields.Datetime.to_datetime(last_used) < limit:
            return "revoke", _("Not used for more than %s days.", days)
        return False, False

    @api.model
    def _review_recommend_group(self, user, group, claims, last_used, stale=None):
        recommendation, reason = self._review_recommend_user(user, last_used, stale)
        if recommendation:
            return recommendation, reason
        kinds = {c[3] for c in claims}
        if kinds == {"baseline"} and group.governance_risk in ("high", "critical"):
            return "revoke", _(
                "High-risk access held only as a baseline: no role or grant "
                "justifies it."
            )
        if "role" in kinds:
            return "keep", _("Also justified by a role.")
        if "grant" in kinds:
            return "keep", _("Justified by a grant.")
        return "keep", _("Low-risk baseline access.")

    def _review_route(self, vals_list):
        """Set the reviewer of each line; never the user themselves."""
        self.ensure_one()
        managers = {}
        if self.reviewer_mode == "manager":
            employees = (
                self.env["hr.employee"]
                .sudo()
                .search([("user_id", "in", list({v["user_id"] for v in vals_list}))])
            )
            for employee in employees:
                managers.setdefault(employee.user_id.id, employee.parent_id.user_id.id)
        owners = {}
        if self.reviewer_mode == "owner":
            Groups = self.env["res.groups"].sudo()
            Roles = self.env["access.governance.role"].sudo()
            for group in Groups.browse(
                {v["group_id"] for v in vals_list if "group_id" in v}
            ):
                owners[("group", group.id)] = group.governance_owner_id.id
            for role in Roles.browse(
                {v["role_id"] for v in vals_list if "role_id" in v}
            ):
                owners[("role", role.id)] = role.owner_id.id
        # Administrators' access is reviewed by Settings administrators only.
        system_admins = self.env["res.users"]._governance_active_system_admins()
        # sudo: whether a reviewed user is an administrator decides who may
        # review them, whatever the campaign manager may read of that user.
        reviewed = (
            self.env["res.users"].sudo().browse({v["user_id"] for v in vals_list})
        )
        admins = {user.id for user in reviewed if user._governance_is_admin()}
        for vals in vals_list:
            if self.reviewer_mode == "manager":
                reviewer = managers.get(vals["user_id"])
            elif self.reviewer_mode == "owner":
                key = (
                    ("role", vals["role_id"])
                    if "role_id" in vals
                    else (
                        "group",
                        vals["group_id"],
                    )
                )
                reviewer = owners.get(key)
            else:
                reviewer = self.reviewer_id.id
            if vals["user_id"] in admins and reviewer not in system_admins.ids:
                reviewer = None
            if not reviewer or reviewer == vals["user_id"]:
                reviewer = self._review_fallback_for(
                    vals["user_id"],
                    system_admins if vals["user_id"] in admins else None,
                )
            vals["reviewer_id"] = reviewer
        unreviewable = {v["user_id"] for v in vals_list if not v["reviewer_id"]}
        if unreviewable:
            # The only Settings administrator: nobody else may certify their
            # access. Said on the campaign rather than refusing to start it.
            # sudo: only the names, for the campaign's own message.
            names = self.env["res.users"].sudo().browse(unreviewable).mapped("name")
            self.message_post(
                body=_(
                    "Nobody else can review the access of %(names)s (nobody "
                    "reviews their own access, and administrators are reviewed "
                    "by another Settings administrator): their lines were left "
                    "out. Add a second Settings administrator to review them.",
                    names=", ".join(names),
                )
            )
        return [v for v in vals_list if v["reviewer_id"]]

    def _review_fallback_for(self, user_id, only=None):
        """The fallback reviewer, else the responsible, else another Settings
        administrator; nobody reviews their own access. ``only``: the users
        allowed to review this one (Settings administrators for an
        administrator)."""
        self.ensure_one()
        admins = self.env["res.users"]._governance_active_system_admins()
        candidates = [self.fallback_reviewer_id, self.responsible_id, *admins]
        for candidate in candidates:
            if (
                candidate
                and candidate.id != user_id
                and (only is None or candidate in only)
            ):
                return candidate.id
        return False

    # ------------------------------------------------------------------
    # Activity methods
    # ------------------------------------------------------------------
    def _review_schedule_activities(self, lines, note=None):
        """One activity per reviewer per campaign, not one per line."""
        self.ensure_one()
        existing = self.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_todo")
        ).user_id
        counts = defaultdict(int)
        for line in lines:
            counts[line.reviewer_id] += 1
        # Due a few days after the start (so the to-do shows today, with a
        # badge), never after the campaign's deadline.
        due = min(
            fields.Date.context_today(self) + timedelta(days=self._review_todo_days()),
            self.date_deadline,
        )
        for reviewer in lines.reviewer_id - existing:
            count = counts[reviewer]
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=due,
                user_id=reviewer.id,
                summary=_("Access review: %s", self.name),
                note=note
                or _(
                    "Please certify %(count)s access lines (keep or revoke) by "
                    "%(date)s.",
                    count=count,
                    date=self.date_deadline,
                ),
            )

    @api.model
    def _review_todo_days(self):
        """Days after the start a reviewer's to-do is due (setting)."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("access_governance.review_todo_days", "3")
        )
        try:
            return max(int(value), 0)
        except ValueError:
            return 3

    def _review_done_activities(self, reviewers=None):
        activities = self.activity_ids.filtered(
            lambda a: reviewers is None or a.user_id in reviewers
        )
        activities.action_feedback(feedback=_("Review closed."))

    # ------------------------------------------------------------------
    # Close
    # ------------------------------------------------------------------
    def _review_close(self):
        """Apply the decisions (default for undecided lines) and audit them."""
        Line = self.env["access.governance.review.line"].sudo()
        for review in self:
            lines = Line.search(
                [("review_id", "=", review.id), ("applied", "=", False)]
            )
            undecided = lines.filtered(lambda line: not line.decision)
            for decision in ("keep", "revoke"):
                if review.default_decision == "recommendation":
                    batch = undecided.filtered(
                        lambda line, d=decision: line.recommendation == d
                    )
                else:
                    batch = undecided if review.default_decision == decision else Line
                with trusted():
                    batch.write({"decision": decision, "decision_auto": True})
            lines._review_apply()
            review._governance_write(
                {"state": "closed", "date_closed": fields.Datetime.now()}
            )
            review._review_done_activities()
            self.env["access.governance.audit"]._audit_log(
                "review_close",
                record=review,
                description=_(
                    "Review campaign %(name)s closed: %(keep)s kept, %(revoke)s "
                    "revoked, %(auto)s decided by default.",
                    name=review.name,
                    keep=len(lines.filtered(lambda line: line.decision == "keep")),
                    revoke=len(lines.filtered(lambda line: line.decision == "revoke")),
                    auto=len(undecided),
                ),
                details={
                    "lines": len(lines),
                    "default_decision": review.default_decision,
                    "undecided": len(undecided),
                },
            )
        return True

    # ------------------------------------------------------------------
    # Cron methods
    # ------------------------------------------------------------------
    @api.model
    def _cron_review_campaigns(self):
        """Start due recurring campaigns, remind and escalate reviewers, close
        campaigns past their deadline plus escalation days.

        Idempotent: each step picks its work from stored state (``next_id``,
        ``reminded``, ``escalated``, ``state``), so a second run changes
        nothing and a run stopped half-way resumes.
        """
        step = in_cron_worker(self.env)
        today = fields.Date.context_today(self)
        Review = self.sudo()
        recurring = Review.search(
            [
                ("recurrence", "!=", "none"),
                ("state", "!=", "draft"),
                ("next_date", "<=", today),
                ("next_id", "=", False),
            ]
        )
        remind = Review.search(
            [
                ("state", "=", "in_progress"),
                ("reminded", "=", False),
                ("date_deadline", "<=", today + timedelta(days=2)),
            ]
        )
        escalate = Review.search(
            [
                ("state", "=", "in_progress"),
                ("escalated", "=", False),
                ("date_deadline", "<", today),
            ]
        )
        close = Review.search([("state", "=", "in_progress")]).filtered(
            lambda r: r.date_deadline + timedelta(days=r.escalation_days) < today
        )
        steps = [
            (recurring, "_review_start_next"),
            (remind, "_review_remind"),
            (escalate, "_review_escalate"),
            (close, "_review_close"),
        ]
        total = sum(len(records) for records, _method in steps)
        done = 0
        for records, method in steps:
            for review in records:
                getattr(review, method)()
                done += 1
                self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
                if step and total > done:
                    # The scheduler commits this campaign and calls again.
                    return done
        return done

    def _review_start_next(self):
        """Create and start the next campaign of a recurrence, once."""
        self.ensure_one()
        if self.next_id:
            return self.next_id
        today = fields.Date.context_today(self)
        duration = (self.date_deadline - (self.date_start or today)).days
        with trusted():
            next_review = self.copy(
                {
                    "name": _("%(name)s (%(date)s)", name=self.name, date=today),
                    "previous_id": self.id,
                    "date_deadline": today + timedelta(days=max(duration, 1)),
                }
            )
        self._governance_write({"next_id": next_review.id})
        next_review._review_start()
        return next_review

    def _review_remind(self):
        self.ensure_one()
        pending = self.line_ids.filtered(lambda line: not line.decision)
        if pending.reviewer_id:
            self.message_post(
                body=_(
                    "Reminder: %(count)s access lines still await a decision; "
                    "deadline %(date)s.",
                    count=len(pending),
                    date=self.date_deadline,
                ),
                partner_ids=pending.reviewer_id.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )
        self._governance_write({"reminded": True})

    def _review_escalate(self):
        """Hand the overdue undecided lines to the fallback reviewer."""
        self.ensure_one()
        pending = self.line_ids.filtered(
            lambda line: (
                not line.decision
                and line.reviewer_id != self.fallback_reviewer_id
                and line.user_id != self.fallback_reviewer_id
            )
        )
        entries = []
        for line in pending:
            entries.append(
                {
                    "event": "review_escalate",
                    "user": line.user_id,
                    "groups": line.group_id,
                    "record": self,
                    "description": _(
                        "Review line escalated from %(from)s to %(to)s.",
                        **{
                            "from": line.reviewer_id.name,
                            "to": self.fallback_reviewer_id.name,
                        },
                    ),
                    "details": {"line": line.id, "from": line.reviewer_id.login},
                }
            )
        late = pending.reviewer_id
        with trusted():
            for line in pending:
                line.original_reviewer_id = line.reviewer_id
            pending.write(
                {"reviewer_id": self.fallback_reviewer_id.id, "escalated": True}
            )
        self._review_done_activities(reviewers=late)
        if pending:
            self._review_schedule_activities(
                pending,
                note=_("%s overdue access lines were escalated to you.", len(pending)),
            )
        self._governance_write({"escalated": True})
        self.env["access.governance.audit"]._audit_log_batch(entries)
