# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A user holds a role, for a window of time, for a reason (origin).

Assignments start and end through the claims engine with kind ``role`` and
the assignment as source, so the role's groups leave with it unless another
claim holds them. Job-origin assignments follow the employee's job position
(joiner / mover); the hourly cron starts and ends assignments by their window.
"""

import logging

from markupsafe import Markup

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .access_governance_guarded import is_trusted
from .detectors.base import in_cron_worker

_logger = logging.getLogger(__name__)

ORIGINS = [
    ("job", "Job Mapping"),
    ("manual", "Manual"),
    ("grant", "Grant"),
]
STATES = [
    ("scheduled", "Scheduled"),
    ("active", "Active"),
    ("ended", "Ended"),
]


class AccessGovernanceRoleAssignment(models.Model):
    _name = "access.governance.role.assignment"
    _description = "Role Assignment"
    _inherit = ["access.governance.guarded"]
    _order = "state, date_from desc, id desc"

    # Set by the system only: job mapping (origin job, employee) or a manual
    # assignment by an administrator (origin manual, the default).
    _governance_protected_fields = frozenset({"origin", "employee_id"})

    user_id = fields.Many2one(
        "res.users",
        required=True,
        index=True,
        ondelete="cascade",
        domain=[("share", "=", False)],
    )
    role_id = fields.Many2one(
        "access.governance.role", required=True, index=True, ondelete="restrict"
    )
    origin = fields.Selection(ORIGINS, required=True, default="manual", index=True)
    employee_id = fields.Many2one(
        "hr.employee",
        ondelete="set null",
        help="The employee whose job position mapped the role (job origin).",
    )
    date_from = fields.Datetime(
        string="From", required=True, default=fields.Datetime.now, index=True
    )
    date_to = fields.Datetime(string="To", index=True)
    state = fields.Selection(
        STATES, compute="_compute_state", store=True, index=True, readonly=True
    )
    role_risk = fields.Selection(related="role_id.risk")
    note = fields.Char()

    @api.depends("date_from", "date_to")
    def _compute_state(self):
        now = fields.Datetime.now()
        for assignment in self:
            date_to = assignment.date_to
            if date_to and (date_to <= now or date_to <= assignment.date_from):
                # Ended, or ended at its start before it ever began.
                assignment.state = "ended"
            elif assignment.date_from and assignment.date_from > now:
                assignment.state = "scheduled"
            else:
                assignment.state = "active"

    @api.depends("user_id", "role_id")
    def _compute_display_name(self):
        for assignment in self:
            assignment.display_name = (
                f"{assignment.role_id.name} / {assignment.user_id.name}"
            )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for assignment in self:
            if assignment.date_to and assignment.date_to < assignment.date_from:
                raise ValidationError(_("An assignment cannot end before it starts."))

    # ------------------------------------------------------------------
    # ORM overrides
    # ------------------------------------------------------------------
    def _governance_is_evidence(self):
        self.ensure_one()
        return self.state == "ended"

    @api.model_create_multi
    def create(self, vals_list):
        assignments = super().create(vals_list)
        if not self.env.su and not is_trusted():
            # Checked on the created records, so that values coming from
            # context defaults (default_user_id...) are checked as well.
            assignments._governance_check_caller(assignments.user_id)
        manual = assignments.filtered(lambda a: a.origin == "manual")
        manual._governance_check_sod()
        if not self.env.context.get("governance_defer_apply"):
            assignments._governance_apply()
            self._governance_audit_assignments(manual, self.browse())
        return assignments

    def write(self, vals):
        if not self.env.su and not is_trusted():
            self._governance_check_caller(
                self.user_id | self.env["res.users"].browse(vals.get("user_id") or [])
            )
        if {"user_id", "role_id"} & vals.keys() and any(
            a.state != "scheduled" for a in self
        ):
            raise UserError(
                _(
                    "The user and role of an assignment that started cannot "
                    "change: end it and create a new one."
                )
            )
        res = super().write(vals)
        if "role_id" in vals and not self.env.su and not is_trusted():
            self._governance_check_caller(self.user_id)
        if {"date_from", "date_to", "user_id", "role_id"} & vals.keys():
            self.filtered(lambda a: a.origin == "manual")._governance_check_sod()
            self._governance_apply()
        return res

    def _governance_check_caller(self, users):
        """Manual assignments are decided by governance administrators, never
        for themselves; roles bundling an administrator group by Settings
        administrators only. (Job and grant origins are protected fields:
        the system sets them.)"""
        user = self.env.user
        if not user.has_group("access_governance.group_governance_admin"):
            raise AccessError(
                _("Only Access Governance administrators can assign roles.")
            )
        if user in users:
            raise AccessError(
                _(
                    "You cannot assign roles to yourself or change your own "
                    "role assignments: ask another administrator."
                )
            )
        admin_roles = self.role_id.filtered(
            lambda role: role.group_ids._governance_implies_admin()
        )
        if admin_roles and not user.has_group("base.group_system"):
            raise AccessError(
                _(
                    "%s bundles an administrator group: only a Settings "
                    "administrator can assign it.",
                    ", ".join(admin_roles.mapped("name")),
                )
            )

    def _governance_check_sod(self):
        """Refuse assignments whose role breaks an unmitigated blocking
        separation-of-duties rule for its user."""
        Rule = self.env["access.governance.sod.rule"]
        for assignment in self.filtered(lambda a: a.state != "ended"):
            blocked = assignment._governance_blocking_conflicts(
                assignment.user_id, assignment.role_id.group_ids
            )
            if blocked:
                raise UserError(
                    _(
                        "Role %(role)s cannot be assigned to %(user)s: it breaks "
                        "the separation-of-duties rule %(detail)s",
                        role=assignment.role_id.name,
                        user=assignment.user_id.name,
                        detail=Rule._sod_conflict_text(blocked[0]),
                    )
                )

    @api.model
    def _governance_blocking_conflicts(self, user, groups):
        """New conflicts of blocking SoD rules, with no valid mitigation, that
        ``groups`` would introduce for ``user``."""
        return [
            conflict
            for conflict in self.env["access.governance.sod.rule"]._sod_new_conflicts(
                user, groups
            )
            if conflict["rule"].sudo().action == "block" and not conflict["mitigation"]
        ]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        """An assignment that started is evidence of who held the role: end
        it instead. Scheduled ones never gave anything and may go."""
        started = self.filtered(lambda a: a.state == "active")
        if started:
            raise UserError(
                _(
                    "%s started: end the assignment instead of deleting it; it "
                    "is the evidence of who held the role.",
                    ", ".join(started.mapped("display_name")[:5]),
                )
            )

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------
    def _governance_wanted(self):
        """{assignment: groups} this assignment should hold claims on now."""
        return {
            assignment: (
                assignment.role_id.group_ids
                if assignment.state == "active" and assignment.role_id.active
                else self.env["res.groups"]
            )
            for assignment in self
        }

    def _governance_apply(self, note=None):
        """Make the role claims of these assignments match their state and
        role content, in one engine run for all of them."""
        if not self:
            return {"added": {}, "removed": {}, "started": [], "ended": []}
        Claim = self.env["access.governance.claim"]
        refs = {f"{a._name},{a.id}": a for a in self}
        existing = Claim.sudo().search(
            [
                ("source_ref", "in", list(refs)),
                ("kind", "=", "role"),
                ("active", "=", True),
            ]
        )
        wanted = {
            (a.user_id.id, gid, f"{a._name},{a.id}")
            for a, groups in self._governance_wanted().items()
            for gid in groups.ids
        }
        have = set()
        end = Claim.sudo().browse()
        for claim in existing:
            key = (claim.user_id.id, claim.group_id.id, claim.source_ref)
            if key in wanted:
                have.add(key)
            else:
                end |= claim
        start = [
            (uid, gid, "role", ref, refs[ref].sudo().display_name)
            for uid, gid, ref in sorted(wanted - have)
        ]
        return Claim._claims_apply(start=start, end=end, note=note)

    def _governance_end(self, note=None, apply=True):
        """End these assignments now (scheduled ones never start)."""
        now = fields.Datetime.now()
        running = self.filtered(lambda a: a.state != "ended")
        for assignment in running:
            vals = {"date_to": min(now, assignment.date_to or now)}
            if assignment.state == "scheduled":
                vals["date_to"] = assignment.date_from
            if note:
                vals["note"] = note
            super(AccessGovernanceRoleAssignment, assignment).write(vals)
        if apply:
            running._governance_apply(note=note)
        return running

    def action_end(self):
        """End assignments now (governance managers revoke access): never
        one's own, an administrator's by Settings administrators only."""
        if not self.env.user.has_group("access_governance.group_governance_manager"):
            raise AccessError(
                _("Only Access Governance managers can end role assignments.")
            )
        for assignment in self.filtered(lambda a: a.state != "ended"):
            assignment.user_id._governance_check_can_act_on(
                groups=assignment.role_id.sudo().group_ids
            )
        ended = self._action_end_as_superuser()
        self._governance_audit_assignments(self.browse(), ended.with_env(self.env))
        return True

    def _action_end_as_superuser(self):
        # sudo: managers may revoke (end) assignments but not create or edit
        # them; ending only removes access, through the claims engine.
        return self.sudo()._governance_end(note="manual_end")

    def _governance_audit_assignments(self, started, ended, event=None):
        entries = []
        for assignment, verb in [(a, "start") for a in started] + [
            (a, "end") for a in ended
        ]:
            entries.append(
                {
                    "event": event
                    or (
                        "role_assignment_start"
                        if verb == "start"
                        else "role_assignment_end"
                    ),
                    "user": assignment.user_id,
                    "groups": assignment.role_id.group_ids,
                    "record": assignment,
                    "description": _(
                        "Role %(role)s %(verb)s for %(user)s (%(origin)s).",
                        role=assignment.role_id.name,
                        verb=_("assigned") if verb == "start" else _("ended"),
                        user=assignment.user_id.name,
                        origin=dict(ORIGINS)[assignment.origin],
                    ),
                    "details": {
                        "role": assignment.role_id.code,
                        "origin": assignment.origin,
                        "date_from": str(assignment.date_from or ""),
                        "date_to": str(assignment.date_to or ""),
                    },
                }
            )
        self.env["access.governance.audit"]._audit_log_batch(entries)

    # ------------------------------------------------------------------
    # Job mapping: joiner and mover
    # ------------------------------------------------------------------
    @api.model
    def _governance_sync_job_roles(self, users):
        """Assign the roles mapped from the users' job positions and end the
        job-origin assignments no longer mapped, in one engine run.

        Returns {user: {'started': assignments, 'ended': assignments,
        'added': set(gid), 'removed': set(gid)}} for users that changed.
        """
        return self._governance_sync_job_roles_as_superuser(users)

    @api.model
    def _governance_job_roles_self_check(self, user, new_roles):
        """Refuse an HR user's change that would give their own user roles.

        Job positions, departments and employee users are edited by HR
        officers; the roles they map to are governance policy. Only the
        superuser (install, crons) and governance administrators may cause
        new roles for themselves through their own employee.
        """
        if (
            not new_roles
            or user.id != self.env.uid
            or self.env.uid == SUPERUSER_ID
            or self.env.user.has_group("access_governance.group_governance_admin")
        ):
            return
        raise UserError(
            _(
                "You cannot change your own job position's access: this change "
                "would assign you the roles %s. Ask another HR officer or an "
                "Access Governance administrator.",
                ", ".join(new_roles.mapped("name")),
            )
        )

    @api.model
    def _governance_job_roles_sod_skip(self, user, employees, roles):
        """Roles mapped from the job that break a blocking SoD rule for
        ``user``: they are not assigned; the refusal is logged, audited and
        posted on the employee."""
        Rule = self.env["access.governance.sod.rule"].sudo()
        if not Rule.search_count([("action", "=", "block")], limit=1):
            return roles.browse()
        skipped = roles.browse()
        accepted = self.env["res.groups"]
        entries = []
        for role in roles:
            blocked = self._governance_blocking_conflicts(
                user, accepted | role.group_ids
            )
            if not blocked:
                accepted |= role.group_ids
                continue
            skipped |= role
            employee = employees.filtered(lambda e, r=role: e.job_id in r.job_ids)[:1]
            detail = Rule._sod_conflict_text(blocked[0])
            _logger.warning(
                "access_governance: job role %s not assigned to user #%s: "
                "blocking SoD rule %s",
                role.code,
                user.id,
                detail,
            )
            message = _(
                "Role %(role)s mapped from the job position was not assigned to "
                "%(user)s: it breaks the separation-of-duties rule %(detail)s",
                role=role.name,
                user=user.name,
                detail=detail,
            )
            entries.append(
                {
                    "event": "sod_conflict",
                    "user": user,
                    "groups": role.group_ids,
                    "record": employee or None,
                    "description": message,
                    "details": {
                        "role": role.code,
                        "rule": blocked[0]["rule"].sudo().name,
                        "action": "block",
                        "origin": "job",
                    },
                }
            )
            if employee:
                employee.message_post(body=message, subtype_xmlid="mail.mt_note")
        self.env["access.governance.audit"]._audit_log_batch(entries)
        return skipped

    @api.model
    def _governance_sync_job_roles_as_superuser(self, users):
        # sudo: the mapping from job positions to roles is policy configured
        # by governance administrators; the HR change that triggers it (a job,
        # department or user on an employee) was already allowed by HR rights.
        Assignment = self.sudo().with_context(governance_defer_apply=True)
        Role = self.env["access.governance.role"].sudo()
        users = users.sudo().filtered(lambda u: u.active and not u.share)
        if not users:
            return {}
        employees = (
            self.env["hr.employee"].sudo().search([("user_id", "in", users.ids)])
        )
        current = Assignment.search(
            [
                ("user_id", "in", users.ids),
                ("origin", "=", "job"),
                ("state", "!=", "ended"),
            ]
        )
        to_create = []
        to_end = Assignment.browse()
        unmapped = self.env["hr.employee"]
        for user in users:
            user_employees = employees.filtered(lambda e, u=user: e.user_id == u)
            roles = Role._governance_roles_for_employees(user_employees)
            held = current.filtered(lambda a, u=user: a.user_id == u)
            new_roles = roles - held.role_id
            self._governance_job_roles_self_check(user, new_roles)
            new_roles -= self._governance_job_roles_sod_skip(
                user, user_employees, new_roles
            )
            for role in new_roles:
                employee = user_employees.filtered(
                    lambda e, r=role: e.job_id in r.job_ids
                )[:1]
                to_create.append(
                    {
                        "user_id": user.id,
                        "role_id": role.id,
                        "origin": "job",
                        "employee_id": employee.id,
                    }
                )
            to_end |= held.filtered(lambda a, r=roles: a.role_id not in r)
            if not roles:
                unmapped |= user_employees.filtered("job_id")[:1]
        started = Assignment._governance_create(to_create) if to_create else Assignment
        to_end._governance_end(note="job_change", apply=False)
        result = (started | to_end)._governance_apply(note="job_change")
        for employee in unmapped:
            Role._governance_on_unmapped_employee(employee)
        employees._governance_store_mapping()
        changes = {}
        for user in users:
            user_started = started.filtered(lambda a, u=user: a.user_id == u)
            user_ended = to_end.filtered(lambda a, u=user: a.user_id == u)
            if not (user_started or user_ended):
                continue
            changes[user] = {
                "started": user_started,
                "ended": user_ended,
                "added": result["added"].get(user.id, set()),
                "removed": result["removed"].get(user.id, set()),
            }
        if changes:
            self._governance_notify_job_change(changes, employees)
        return changes

    @api.model
    def _governance_notify_job_change(self, changes, employees):
        """Audit a joiner / mover and tell the user and their manager."""
        Groups = self.env["res.groups"].sudo()
        entries = []
        for user, change in changes.items():
            joiner = not change["ended"] and not self.sudo().search_count(
                [
                    ("user_id", "=", user.id),
                    ("origin", "=", "job"),
                    ("id", "not in", change["started"].ids),
                ],
                limit=1,
            )
            event = "joiner" if joiner else "mover"
            added = Groups.browse(sorted(change["added"]))
            removed = Groups.browse(sorted(change["removed"]))
            started_names = ", ".join(change["started"].role_id.mapped("name"))
            ended_names = ", ".join(change["ended"].role_id.mapped("name"))
            entries.append(
                {
                    "event": event,
                    "user": user,
                    "groups": added | removed,
                    "description": _(
                        "%(event)s: roles assigned: %(started)s; roles ended: "
                        "%(ended)s.",
                        event=_("Joiner") if joiner else _("Mover"),
                        started=started_names or "-",
                        ended=ended_names or "-",
                    ),
                    "details": {
                        "roles_started": change["started"].role_id.mapped("code"),
                        "roles_ended": change["ended"].role_id.mapped("code"),
                        "groups_added": added.mapped("full_name"),
                        "groups_removed": removed.mapped("full_name"),
                    },
                }
            )
            employee = employees.filtered(lambda e, u=user: e.user_id == u)[:1]
            if not employee:
                continue
            body = Markup("<p>%s</p>") % _(
                "Access updated after a job change of %s.", employee.name
            )
            for label, names in (
                (_("Roles assigned"), started_names),
                (_("Roles ended"), ended_names),
                (_("Access received"), ", ".join(added.mapped("full_name"))),
                (_("Access removed"), ", ".join(removed.mapped("full_name"))),
            ):
                if names:
                    body += Markup("<p><b>%s:</b> %s</p>") % (label, names)
            partners = user.partner_id | employee.parent_id.user_id.partner_id
            employee.message_post(
                body=body,
                partner_ids=partners.ids,
                subtype_xmlid="mail.mt_note",
            )
        self.env["access.governance.audit"]._audit_log_batch(entries)

    # ------------------------------------------------------------------
    # Cron methods
    # ------------------------------------------------------------------
    @api.model
    def _cron_sync_roles(self, batch_size=200):
        """Start and end assignments by their window, then re-map employees
        whose job, department or user changed outside the UI.

        Idempotent: both parts pick their work from the stored state, so a
        run that stopped half-way resumes where it was. In a scheduler worker
        one batch per call: the scheduler commits it and calls again while
        work remains; elsewhere (*Run Manually*, tests) all of it, in the
        caller's transaction.
        """
        step = in_cron_worker(self.env)
        now = fields.Datetime.now()
        due = self.search(
            [
                "|",
                "&",
                ("state", "=", "scheduled"),
                ("date_from", "<=", now),
                "&",
                ("state", "!=", "ended"),
                ("date_to", "<=", now),
            ]
        )
        employees = self.env["hr.employee"]._governance_employees_to_remap()
        total = len(due) + len(employees)
        done = 0
        for start in range(0, len(due), batch_size):
            batch = due[start : start + batch_size]
            before = {a: a.state for a in batch}
            self.env.add_to_compute(self._fields["state"], batch)
            batch.flush_recordset(["state"])
            batch._governance_apply(note="window")
            changed = batch.filtered(lambda a, b=before: b[a] != a.state)
            self._governance_audit_assignments(
                changed.filtered(lambda a: a.state == "active"),
                changed.filtered(lambda a: a.state == "ended"),
            )
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
            if step and total > done:
                return done
        for start in range(0, len(employees), batch_size):
            batch = employees[start : start + batch_size]
            batch._governance_map_roles()
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
            if step and total > done:
                return done
        return done
