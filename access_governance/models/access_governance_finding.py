# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Findings: problems the scheduled permission audits detect.

A finding is keyed on (type, user, subject): while it is open or accepted,
re-running an audit only moves ``last_seen`` forward (a partial unique index
guarantees one live finding per key). A finding the next full audit no
longer sees is resolved automatically; an accepted finding reopens when its
acceptance expires. Every state change is written to the audit trail.

The audits themselves are ``@api.model`` methods below (section "Audits"),
usable on demand and from the three crons of ``data/ir_cron_data.xml``.
"""

import json
import logging
from collections import defaultdict
from datetime import timedelta

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .res_groups import RISK_LEVELS, RISK_ORDER

_logger = logging.getLogger(__name__)

FINDING_TYPES = [
    ("sod_conflict", "SoD Conflict"),
    ("stale_account", "Stale Account"),
    ("shared_account", "Shared Account"),
    ("over_privileged", "Over-Privileged"),
    ("unused_access", "Unused Access"),
    ("admin_without_2fa", "Administrator without 2FA"),
    ("out_of_band_change", "Out-of-Band Change"),
    ("unmapped_access", "Unmapped Access"),
    ("broken_audit_chain", "Broken Audit Chain"),
]
FINDING_STATES = [
    ("open", "Open"),
    ("accepted", "Accepted"),
    ("resolved", "Resolved"),
]
# What a governance manager edits on the form; everything else (state,
# acceptance, resolution, the audit's facts) changes through the actions.
MANAGER_FIELDS = {"accept_reason", "accept_until", "revoke_group_ids"}
# The chatter stays open on findings, as on every governance record.
CHATTER_FIELDS = {"message_follower_ids", "message_ids", "website_message_ids"}
RESOLUTIONS = [
    ("not_seen", "No longer detected"),
    ("mitigated", "Mitigated"),
    ("remediated", "Remediated"),
]

PARAM = "access_governance."
# Types run by ir_cron_audit_access, in order; each can be switched off.
ACCESS_AUDITS = (
    "over_privileged",
    "admin_without_2fa",
    "shared_account",
    "unused_access",
    "out_of_band_change",
    "unmapped_access",
)
DISABLED_AUDITS_PARAM = PARAM + "audits_disabled"
ALLOWED_ADMINS_PARAM = PARAM + "allowed_admin_ids"
OOB_SEQUENCE_PARAM = PARAM + "audit_oob_last_sequence"
DIGEST_USERS_PARAM = PARAM + "digest_user_ids"
# Integer settings and their defaults.
INT_PARAMS = {
    "stale_days": 90,
    "stale_grace_days": 30,
    "unused_days": 90,
    "shared_window_days": 7,
    "shared_min_ips": 2,
    "shared_min_devices": 3,
    "shared_overlap_minutes": 60,
    "accept_days": 90,
}
ADMIN_XMLIDS = ("base.group_system", "base.group_erp_manager")


class AccessGovernanceFinding(models.Model):
    _name = "access.governance.finding"
    _description = "Access Governance Finding"
    _inherit = ["mail.thread"]
    _order = "state, severity_order desc, last_seen desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    finding_type = fields.Selection(
        FINDING_TYPES, string="Type", required=True, index=True, readonly=True
    )
    severity = fields.Selection(
        RISK_LEVELS, required=True, default="medium", index=True, tracking=True
    )
    severity_order = fields.Integer(compute="_compute_severity_order", store=True)
    user_id = fields.Many2one(
        "res.users",
        string="User",
        index=True,
        readonly=True,
        ondelete="cascade",
        context={"active_test": False},
    )
    subject = fields.Char(
        readonly=True,
        required=True,
        help="What the finding is about for this user (a rule, a group, the "
        "account itself); part of the finding's key.",
    )
    key = fields.Char(readonly=True, required=True, index=True)
    group_ids = fields.Many2many(
        "res.groups",
        "access_governance_finding_group_rel",
        "finding_id",
        "group_id",
        string="Groups Involved",
        readonly=True,
    )
    revoke_group_ids = fields.Many2many(
        "res.groups",
        "access_governance_finding_revoke_group_rel",
        "finding_id",
        "group_id",
        string="Groups to Revoke",
        help="What 'Revoke Groups' removes: the claims on these groups end "
        "through the claims engine.",
    )
    rule_id = fields.Many2one(
        "access.governance.sod.rule", string="SoD Rule", readonly=True, index=True
    )
    res_model = fields.Char(string="Record Model", readonly=True)
    res_id = fields.Integer(string="Record ID", readonly=True)
    details = fields.Text(readonly=True, help="What the audit measured (JSON).")
    explanation = fields.Text(readonly=True)
    remedy = fields.Text(string="Suggested Remedy", readonly=True)
    state = fields.Selection(
        FINDING_STATES,
        default="open",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    first_seen = fields.Datetime(readonly=True, default=fields.Datetime.now)
    last_seen = fields.Datetime(readonly=True, default=fields.Datetime.now)
    accept_reason = fields.Text(string="Reason for Accepting", tracking=True)
    accept_until = fields.Date(
        string="Accepted Until",
        tracking=True,
        help="The finding reopens after this date.",
    )
    accepted_by_id = fields.Many2one(
        "res.users", string="Accepted By", readonly=True, tracking=True
    )
    accepted_date = fields.Datetime(readonly=True)
    resolution = fields.Selection(RESOLUTIONS, readonly=True, tracking=True)
    resolved_date = fields.Datetime(readonly=True)
    resolved_by_id = fields.Many2one("res.users", readonly=True)

    def init(self):
        # One live (open or accepted) finding per key: re-running an audit
        # updates it; a resolved finding is history and may recur.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS access_governance_finding_live_key_uniq
            ON access_governance_finding (key)
            WHERE state IN ('open', 'accepted')
            """
        )

    @api.depends("finding_type", "user_id", "subject")
    def _compute_name(self):
        labels = dict(FINDING_TYPES)
        for finding in self:
            who = finding.user_id.name or _("System")
            finding.name = f"{labels.get(finding.finding_type, '')}: {who}"

    @api.depends("severity")
    def _compute_severity_order(self):
        for finding in self:
            finding.severity_order = RISK_ORDER.get(finding.severity, 0)

    @api.constrains("accepted_by_id", "user_id")
    def _check_accepted_by(self):
        for finding in self:
            if finding.accepted_by_id and finding.accepted_by_id == finding.user_id:
                raise ValidationError(
                    _("A finding must be accepted by someone other than its user.")
                )

    def write(self, vals):
        if not self.env.su:
            forbidden = set(vals) - MANAGER_FIELDS - CHATTER_FIELDS
            if forbidden:
                raise AccessError(
                    _(
                        "Findings change through their actions; you may only "
                        "edit the reason, the end of an acceptance and the "
                        "groups to revoke (not: %s).",
                        ", ".join(sorted(forbidden)),
                    )
                )
            if {"accept_reason", "accept_until"} & set(vals) and any(
                finding.state != "open" for finding in self
            ):
                raise UserError(_("Only an open finding's acceptance can be edited."))
            if "revoke_group_ids" in vals and any(
                finding.state == "resolved" for finding in self
            ):
                raise UserError(_("A resolved finding cannot be changed."))
        return super().write(vals)

    def _finding_write_as_superuser(self, vals):
        # sudo: state, acceptance and resolution fields are refused to direct
        # writes (see write); the action_* methods check the caller, then
        # record the change through this method.
        return self.sudo().write(vals)

    # ------------------------------------------------------------------
    # Settings helpers
    # ------------------------------------------------------------------
    @api.model
    def _finding_param_int(self, name):
        # sudo: reading governance settings; parameters are admin-only records.
        value = self.env["ir.config_parameter"].sudo().get_param(PARAM + name)
        try:
            return int(value) if value else INT_PARAMS[name]
        except ValueError:
            return INT_PARAMS[name]

    @api.model
    def _finding_param_ids(self, param):
        # sudo: reading governance settings (see _finding_param_int).
        value = self.env["ir.config_parameter"].sudo().get_param(param) or ""
        return [int(part) for part in value.split(",") if part.strip().isdigit()]

    @api.model
    def _finding_audit_enabled(self, finding_type):
        # sudo: reading governance settings (see _finding_param_int).
        value = (
            self.env["ir.config_parameter"].sudo().get_param(DISABLED_AUDITS_PARAM, "")
        )
        return finding_type not in value.split(",")

    # ------------------------------------------------------------------
    # Recording what an audit saw
    # ------------------------------------------------------------------
    @api.model
    def _finding_key(self, finding_type, user, subject):
        return f"{finding_type}|{user.id if user else 0}|{subject}"

    @api.model
    def _finding_report(self, results):
        """Upsert what an audit saw; return the keys seen.

        ``results`` is a list of dicts with ``type``, ``user`` (res.users or
        None), ``subject``, ``severity``, ``explanation``, ``remedy`` and
        optionally ``groups``, ``revoke_groups``, ``rule``, ``record``,
        ``details``. A live finding with the same key only gets ``last_seen``
        (and refreshed facts); a new one is created and audited.
        """
        if not results:
            return set()
        return self._finding_report_as_superuser(results)

    @api.model
    def _finding_report_as_superuser(self, results):
        # sudo: audits run from crons and hooks on behalf of governance; the
        # user who triggers a hook (an HR officer) has no write access on
        # findings but the detection must be recorded.
        Finding = self.sudo()
        now = fields.Datetime.now()
        keys = {
            self._finding_key(r["type"], r.get("user"), r["subject"]): r
            for r in results
        }
        live = Finding.search(
            [("key", "in", list(keys)), ("state", "in", ("open", "accepted"))]
        )
        live_by_key = {finding.key: finding for finding in live}
        to_create = []
        seen_again = Finding.browse()
        for key, result in keys.items():
            groups = result.get("groups") or self.env["res.groups"]
            record = result.get("record")
            details = result.get("details")
            vals = {
                "severity": result["severity"],
                "explanation": result["explanation"],
                "remedy": result["remedy"],
                "group_ids": [fields.Command.set(groups.ids)],
                "details": json.dumps(details, sort_keys=True, default=str)
                if details is not None
                else False,
                "last_seen": now,
            }
            finding = live_by_key.get(key)
            if finding:
                # Refresh only what changed: a re-run writes last_seen alone.
                changed = {
                    name: value
                    for name, value in vals.items()
                    if name not in ("group_ids", "last_seen") and finding[name] != value
                }
                if set(finding.group_ids.ids) != set(groups.ids):
                    changed["group_ids"] = vals["group_ids"]
                if changed:
                    finding.write(dict(changed, last_seen=now))
                else:
                    seen_again |= finding
                continue
            revoke = result.get("revoke_groups")
            revoke = groups if revoke is None else revoke
            user = result.get("user")
            vals.update(
                {
                    "finding_type": result["type"],
                    "user_id": user.id if user else False,
                    "subject": result["subject"],
                    "key": key,
                    "first_seen": now,
                    "revoke_group_ids": [fields.Command.set(revoke.ids)],
                    "rule_id": result["rule"].id if result.get("rule") else False,
                    "res_model": record._name if record else False,
                    "res_id": record.id if record else 0,
                }
            )
            to_create.append(vals)
        # Unchanged findings: one write for all of them.
        seen_again.write({"last_seen": now})
        created = Finding.with_context(mail_create_nolog=True).create(to_create)
        self._finding_audit(created, "finding_opened")
        return set(keys)

    @api.model
    def _finding_resolve_unseen(self, finding_types, seen_keys, domain=None):
        """Resolve live findings of ``finding_types`` the audit did not see."""
        live = self.sudo().search(
            [
                ("finding_type", "in", list(finding_types)),
                ("state", "in", ("open", "accepted")),
                *(domain or []),
            ]
        )
        gone = live.filtered(lambda f: f.key not in seen_keys)
        gone._finding_resolve("not_seen")
        return gone

    def _finding_resolve(self, resolution):
        findings = self.filtered(lambda f: f.state != "resolved")
        if not findings:
            return findings
        findings.sudo().write(
            {
                "state": "resolved",
                "resolution": resolution,
                "resolved_date": fields.Datetime.now(),
                "resolved_by_id": self.env.uid,
            }
        )
        self._finding_audit(findings, "finding_resolved")
        return findings

    @api.model
    def _finding_reopen_expired(self):
        """Accepted findings whose acceptance has expired become open again."""
        today = fields.Date.context_today(self)
        expired = self.sudo().search(
            [("state", "=", "accepted"), ("accept_until", "<", today)]
        )
        if expired:
            expired.write({"state": "open"})
            self._finding_audit(expired, "finding_reopened")
        return expired

    def _finding_audit(self, findings, event):
        labels = dict(FINDING_TYPES)
        states = dict(FINDING_STATES)
        entries = []
        for finding in findings:
            entries.append(
                {
                    "event": event,
                    "user": finding.user_id or None,
                    "groups": finding.group_ids,
                    "record": finding,
                    "description": _(
                        "Finding %(type)s (%(severity)s) %(state)s: %(text)s",
                        type=labels[finding.finding_type],
                        severity=finding.severity,
                        state=states[finding.state].lower(),
                        text=finding.explanation or "",
                    ),
                    "details": {
                        "key": finding.key,
                        "state": finding.state,
                        "resolution": finding.resolution or None,
                        "accept_reason": finding.accept_reason or None,
                        "accept_until": finding.accept_until or None,
                    },
                }
            )
        self.env["access.governance.audit"]._audit_log_batch(entries)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _check_manager(self):
        if not self.env.user.has_group("access_governance.group_governance_manager"):
            raise AccessError(_("Only Access Governance managers can handle findings."))

    def action_accept(self):
        """Accept the risk: a reason, an approver other than the user, and an
        expiry (default from Settings) after which the finding reopens."""
        self._check_manager()
        today = fields.Date.context_today(self)
        for finding in self:
            if finding.state != "open":
                raise UserError(_("Only open findings can be accepted."))
            if finding.user_id == self.env.user:
                raise UserError(_("You cannot accept a finding about yourself."))
            if not (finding.accept_reason or "").strip():
                raise UserError(
                    _("Explain why the risk is accepted before accepting it.")
                )
            until = finding.accept_until or today + timedelta(
                days=self._finding_param_int("accept_days")
            )
            if until < today:
                raise UserError(_("The acceptance must end in the future."))
            finding._finding_write_as_superuser(
                {
                    "state": "accepted",
                    "accept_until": until,
                    "accepted_by_id": self.env.uid,
                    "accepted_date": fields.Datetime.now(),
                }
            )
        self._finding_audit(self, "finding_accepted")
        return True

    def action_reopen(self):
        self._check_manager()
        accepted = self.filtered(lambda f: f.state == "accepted")
        accepted._finding_write_as_superuser({"state": "open"})
        self._finding_audit(accepted, "finding_reopened")
        return True

    def action_revoke_groups(self):
        """End the user's claims on the groups to revoke (and on the groups
        that imply them) through the claims engine."""
        self.ensure_one()
        self._check_manager()
        if self.state == "resolved" or not self.user_id:
            raise UserError(_("There is nothing to revoke on this finding."))
        groups = self.revoke_group_ids
        if not groups:
            raise UserError(_("Choose the groups to revoke first."))
        # Same rule as every remediation path: never one's own access, only
        # Settings administrators act on administrators, never the last one.
        self.user_id._governance_check_can_act_on(groups)
        Claim = self.env["access.governance.claim"]
        implying = self.user_id.groups_id.filtered(
            lambda g: g.trans_implied_ids & groups
        )
        claims = Claim.search(
            [
                ("user_id", "=", self.user_id.id),
                ("active", "=", True),
                ("group_id", "in", (groups | implying).ids),
            ]
        )
        Claim._claims_end(claims, note="finding")
        self.user_id.invalidate_recordset(["groups_id"])
        still = groups & self.user_id.groups_id
        if still:
            self.message_post(
                body=_(
                    "Still held after revoking (not governed or justified "
                    "elsewhere): %s",
                    ", ".join(still.mapped("full_name")),
                )
            )
        else:
            self._finding_resolve("remediated")
        return True

    def action_deactivate_account(self):
        """Offboard the user of a stale (or shared) account."""
        self.ensure_one()
        self._check_manager()
        if not self.user_id or not self.user_id.active:
            raise UserError(_("This account is already inactive."))
        offboarding = self.env["access.governance.offboarding"].create(
            {
                "user_id": self.user_id.id,
                "reason": _("Finding: %s", self.explanation or self.name),
            }
        )
        offboarding.action_run()
        self._finding_resolve("remediated")
        return {
            "type": "ir.actions.act_window",
            "res_model": offboarding._name,
            "res_id": offboarding.id,
            "view_mode": "form",
        }

    def action_open_review(self):
        """Open an access review of the finding's user (needs review campaigns)."""
        self.ensure_one()
        self._check_manager()
        if "access.governance.review" not in self.env:
            raise UserError(
                _("Access review campaigns are not available in this database.")
            )
        Review = self.env["access.governance.review"]
        if hasattr(Review, "_review_open_for_findings"):
            return Review._review_open_for_findings(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": "access.governance.review",
            "view_mode": "form",
            "context": {"default_name": self.name},
        }

    @api.model
    def action_run_audits(self):
        """Run every audit now (governance managers)."""
        self._check_manager()
        self._audits_run_as_superuser()
        return {
            "type": "ir.actions.client",
            "tag": "reload",
        }

    @api.model
    def _audits_run_as_superuser(self):
        # sudo: the audits read every user, group, claim and device log; the
        # manager only triggers them (the results are what they already see).
        Finding = self.sudo()
        Finding._audit_stale_accounts()
        Finding._audit_sod()
        Finding._audit_access()
        return True

    def action_view_user(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.users",
            "res_id": self.user_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Cron helpers
    # ------------------------------------------------------------------
    @api.model
    def _finding_progress(self, done, remaining):
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if self.env.context.get("ir_cron_progress_id"):
            # Cron batching: keep finished batches if a later one fails.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _finding_internal_user_ids(self):
        """Active internal users (OdooBot excluded), by id."""
        self.env["res.users"].flush_model(["active", "share"])
        self.env.cr.execute(
            "SELECT id FROM res_users WHERE active AND NOT share AND id != %s "
            "ORDER BY id",
            [SUPERUSER_ID],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _finding_users(self, ids):
        return self.env["res.users"].sudo().with_context(active_test=False).browse(ids)

    @api.model
    def _finding_holders(self, group_ids, user_ids=None):
        """{uid: set(gid)} of active internal users holding the groups
        (effective groups: Odoo stores the implied closure)."""
        if not group_ids:
            return {}
        self.env["res.users"].flush_model(["groups_id"])
        query = SQL(
            """
            SELECT r.uid, r.gid FROM res_groups_users_rel r
            JOIN res_users u ON u.id = r.uid
            WHERE r.gid = ANY(%s) AND u.active AND NOT u.share AND u.id != %s
            """,
            list(group_ids),
            SUPERUSER_ID,
        )
        if user_ids is not None:
            query = SQL("%s AND u.id = ANY(%s)", query, list(user_ids))
        self.env.cr.execute(query)
        holders = defaultdict(set)
        for uid, gid in self.env.cr.fetchall():
            holders[uid].add(gid)
        return holders

    # ------------------------------------------------------------------
    # Audits: stale accounts
    # ------------------------------------------------------------------
    @api.model
    def _cron_audit_stale_accounts(self):
        return self._audit_stale_accounts()

    @api.model
    def _audit_stale_accounts(self, batch_size=1000):
        """Active internal users with no activity for N days.

        Activity is the latest of the interactive login (``res.users.log``)
        and the device activity (``res.device.log.last_activity``, about one
        hour resolution). Odoo 18 does not record API key usage, so accounts
        used only through API keys look stale: accept such findings with a
        reason. Users who never logged in count once their account is older
        than N days.
        """
        self._finding_reopen_expired()
        days = self._finding_param_int("stale_days")
        now = fields.Datetime.now()
        limit = now - timedelta(days=days)
        user_ids = self._finding_internal_user_ids()
        seen = set()
        for start in range(0, len(user_ids), batch_size):
            batch = user_ids[start : start + batch_size]
            self.env.cr.execute(
                """
                SELECT u.id, u.create_date, l.last_login, d.last_activity
                FROM res_users u
                LEFT JOIN (
                    SELECT create_uid, max(create_date) AS last_login
                    FROM res_users_log WHERE create_uid = ANY(%(ids)s)
                    GROUP BY create_uid
                ) l ON l.create_uid = u.id
                LEFT JOIN (
                    SELECT user_id, max(last_activity) AS last_activity
                    FROM res_device_log WHERE user_id = ANY(%(ids)s)
                    GROUP BY user_id
                ) d ON d.user_id = u.id
                WHERE u.id = ANY(%(ids)s)
                """,
                {"ids": batch},
            )
            rows = self.env.cr.fetchall()
            stale = {}
            for uid, created, last_login, last_activity in rows:
                last = max(filter(None, [last_login, last_activity]), default=None)
                if (last or created) < limit:
                    stale[uid] = (last, created)
            results = []
            users = self._finding_users(list(stale))
            sensitive = self._finding_holders(
                self._finding_sensitive_group_ids(), users.ids
            )
            for user in users:
                last, created = stale[user.id]
                if last:
                    explanation = _(
                        "%(user)s has not used Odoo since %(date)s (more than "
                        "%(days)s days).",
                        user=user.name,
                        date=fields.Datetime.to_string(last),
                        days=days,
                    )
                else:
                    explanation = _(
                        "%(user)s has never logged in; the account was created "
                        "on %(date)s (more than %(days)s days ago).",
                        user=user.name,
                        date=fields.Datetime.to_string(created),
                        days=days,
                    )
                results.append(
                    {
                        "type": "stale_account",
                        "user": user,
                        "subject": "account",
                        "severity": "high" if sensitive.get(user.id) else "medium",
                        "explanation": explanation,
                        "remedy": _(
                            "Deactivate the account through offboarding, or "
                            "accept the finding if it is used through API keys "
                            "only (Odoo does not record their use)."
                        ),
                        "revoke_groups": self.env["res.groups"],
                        "details": {"last_activity": last, "created": created},
                    }
                )
            seen |= self._finding_report(results)
            self._finding_progress(
                start + len(batch), len(user_ids) - start - len(batch)
            )
        self._finding_resolve_unseen(["stale_account"], seen)
        self._finding_auto_deactivate()
        return seen

    @api.model
    def _finding_auto_deactivate(self):
        """Offboard stale accounts still open after the grace period, when
        switched on in Settings."""
        # sudo: reading governance settings.
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(PARAM + "stale_auto_deactivate")
        )
        if not param or param in ("0", "False", "false"):
            return self.browse()
        grace = self._finding_param_int("stale_grace_days")
        limit = fields.Datetime.now() - timedelta(days=grace)
        findings = self.sudo().search(
            [
                ("finding_type", "=", "stale_account"),
                ("state", "=", "open"),
                ("first_seen", "<=", limit),
            ]
        )
        return self._finding_auto_deactivate_as_superuser(findings)

    @api.model
    def _finding_auto_deactivate_as_superuser(self, findings):
        # sudo: the administrators switched automatic deactivation on; the
        # cron runs it through the offboarding flow and its evidence.
        Offboarding = self.env["access.governance.offboarding"].sudo()
        done = self.browse()
        for finding in findings.sudo():
            offboarding = Offboarding.create(
                {
                    "user_id": finding.user_id.id,
                    "automatic": True,
                    "reason": _("Stale account: %s", finding.explanation),
                }
            )
            try:
                offboarding._check_can_offboard()
            except UserError as error:
                offboarding.message_post(body=str(error))
                finding.message_post(
                    body=_("Automatic deactivation refused: %s", error)
                )
                _logger.warning("access_governance: %s", error)
                continue
            offboarding._governance_run()
            finding._finding_resolve("remediated")
            done |= finding
        return done

    @api.model
    def _finding_sensitive_group_ids(self):
        # sudo: the audits read every group's risk level.
        return (
            self.env["res.groups"]
            .sudo()
            .search([("governance_risk", "in", ("high", "critical"))])
            .ids
        )

    # ------------------------------------------------------------------
    # Audits: separation of duties
    # ------------------------------------------------------------------
    @api.model
    def _cron_audit_sod(self):
        return self._audit_sod()

    @api.model
    def _audit_sod(self, batch_size=500):
        """Users holding both sides of an active rule through their effective
        groups. A valid mitigation resolves the finding; once it expires, the
        next run opens a new one."""
        self._finding_reopen_expired()
        # sudo: the audit reads every rule, whoever runs it.
        rules = self.env["access.governance.sod.rule"].sudo().search([])
        group_ids = set((rules.group_a_ids | rules.group_b_ids).ids)
        holders = self._finding_holders(group_ids)
        # Only users holding both sides of some rule are checked in detail.
        sides = [(set(r.group_a_ids.ids), set(r.group_b_ids.ids)) for r in rules]
        user_ids = sorted(
            uid
            for uid, held in holders.items()
            if any(held & side_a and held & side_b for side_a, side_b in sides)
        )
        SodRule = self.env["access.governance.sod.rule"]
        seen = set()
        mitigated = set()
        for start in range(0, len(user_ids), batch_size):
            batch = user_ids[start : start + batch_size]
            results = []
            for user in self._finding_users(batch):
                for conflict in SodRule._sod_conflicts(user):
                    rule = conflict["rule"].sudo()
                    subject = f"rule:{rule.id}"
                    if conflict["mitigation"]:
                        mitigated.add(self._finding_key("sod_conflict", user, subject))
                        continue
                    side_a = conflict["groups_a"].sudo()
                    side_b = conflict["groups_b"].sudo()
                    results.append(
                        {
                            "type": "sod_conflict",
                            "user": user,
                            "subject": subject,
                            "severity": rule.severity,
                            "rule": rule,
                            "groups": side_a | side_b,
                            "revoke_groups": side_b,
                            "explanation": _(
                                "%(user)s can both %(a)s and %(b)s: rule "
                                "'%(rule)s' forbids holding both.",
                                user=user.name,
                                a=", ".join(side_a.mapped("full_name")),
                                b=", ".join(side_b.mapped("full_name")),
                                rule=rule.name,
                            ),
                            "remedy": _(
                                "Revoke one side, or record a mitigation with a "
                                "compensating control approved by someone else."
                            ),
                        }
                    )
            seen |= self._finding_report(results)
            self._finding_progress(
                start + len(batch), len(user_ids) - start - len(batch)
            )
        live = self.sudo().search(
            [
                ("finding_type", "=", "sod_conflict"),
                ("state", "in", ("open", "accepted")),
            ]
        )
        live.filtered(lambda f: f.key in mitigated)._finding_resolve("mitigated")
        self._finding_resolve_unseen(["sod_conflict"], seen)
        return seen

    # ------------------------------------------------------------------
    # Audits: access (over-privileged, 2FA, shared, unused, out-of-band,
    # unmapped)
    # ------------------------------------------------------------------
    @api.model
    def _cron_audit_access(self):
        result = self._audit_access()
        self._finding_send_digest()
        return result

    @api.model
    def _audit_access(self, audits=None):
        """Run the access audits switched on in Settings (or ``audits``)."""
        self._finding_reopen_expired()
        audits = audits or [a for a in ACCESS_AUDITS if self._finding_audit_enabled(a)]
        result = {}
        for done, audit in enumerate(audits, start=1):
            result[audit] = getattr(self, f"_audit_{audit}")()
            self._finding_progress(done, len(audits) - done)
        return result

    @api.model
    def _audit_over_privileged(self):
        """Holders of Settings / Access Rights or any critical group who are
        not on the allowed administrators list."""
        admin_groups = self.env["res.groups"]
        for xmlid in ADMIN_XMLIDS:
            admin_groups |= self.env.ref(xmlid)
        # sudo: the audit reads every group's risk level.
        groups = admin_groups | self.env["res.groups"].sudo().search(
            [("governance_risk", "=", "critical")]
        )
        allowed = set(self._finding_param_ids(ALLOWED_ADMINS_PARAM))
        holders = self._finding_holders(groups.ids)
        results = []
        for user in self._finding_users(sorted(set(holders) - allowed)):
            held = groups.sudo().browse(sorted(holders[user.id]))
            results.append(
                {
                    "type": "over_privileged",
                    "user": user,
                    "subject": "admin",
                    "severity": "critical",
                    "groups": held,
                    "explanation": _(
                        "%(user)s holds %(groups)s but is not on the list of "
                        "allowed administrators.",
                        user=user.name,
                        groups=", ".join(held.mapped("full_name")),
                    ),
                    "remedy": _(
                        "Revoke the administrative groups, or add the user to "
                        "the allowed administrators in Settings."
                    ),
                }
            )
        seen = self._finding_report(results)
        self._finding_resolve_unseen(["over_privileged"], seen)
        return seen

    @api.model
    def _audit_admin_without_2fa(self):
        """Holders of high or critical groups without two-factor authentication."""
        holders = self._finding_holders(self._finding_sensitive_group_ids())
        self.env.cr.execute(
            "SELECT id FROM res_users WHERE id = ANY(%s) AND totp_secret IS NULL",
            [list(holders)],
        )
        user_ids = sorted(row[0] for row in self.env.cr.fetchall())
        results = []
        for user in self._finding_users(user_ids):
            held = self.env["res.groups"].sudo().browse(sorted(holders[user.id]))
            results.append(
                {
                    "type": "admin_without_2fa",
                    "user": user,
                    "subject": "2fa",
                    "severity": "high",
                    "groups": held,
                    "revoke_groups": self.env["res.groups"],
                    "explanation": _(
                        "%(user)s holds sensitive access (%(groups)s) and signs "
                        "in with a password only.",
                        user=user.name,
                        groups=", ".join(held.mapped("full_name")),
                    ),
                    "remedy": _(
                        "Ask the user to enable two-factor authentication "
                        "(Preferences > Account Security)."
                    ),
                }
            )
        seen = self._finding_report(results)
        self._finding_resolve_unseen(["admin_without_2fa"], seen)
        return seen

    @api.model
    def _audit_shared_account(self):
        """One login active from several IP addresses (or many devices) at
        overlapping times within the window, from ``res.device.log``."""
        now = fields.Datetime.now()
        since = now - timedelta(days=self._finding_param_int("shared_window_days"))
        overlap = timedelta(minutes=self._finding_param_int("shared_overlap_minutes"))
        min_ips = self._finding_param_int("shared_min_ips")
        min_devices = self._finding_param_int("shared_min_devices")
        self.env["res.device.log"].flush_model()
        self.env.cr.execute(
            """
            SELECT a.user_id, a.ip_address, a.session_identifier,
                   array_agg(DISTINCT b.ip_address),
                   array_agg(DISTINCT b.session_identifier)
            FROM res_device_log a
            JOIN res_device_log b
              ON b.user_id = a.user_id
             AND b.last_activity >= %(since)s
             AND COALESCE(b.first_activity, b.last_activity)
                 <= a.last_activity + %(overlap)s
             AND COALESCE(a.first_activity, a.last_activity)
                 <= b.last_activity + %(overlap)s
            JOIN res_users u ON u.id = a.user_id AND u.active AND NOT u.share
            WHERE a.last_activity >= %(since)s
              AND (b.ip_address IS DISTINCT FROM a.ip_address
                   OR b.session_identifier != a.session_identifier)
            GROUP BY a.user_id, a.id
            """,
            {"since": since, "overlap": overlap},
        )
        by_user = {}
        for uid, ip, session, other_ips, sessions in self.env.cr.fetchall():
            ips = sorted({ip, *other_ips} - {None, ""})
            devices = len({session, *sessions})
            best = by_user.get(uid, ((), 0))
            by_user[uid] = (max(best[0], ips, key=len), max(best[1], devices))
        results = []
        flagged = {
            uid: value
            for uid, value in by_user.items()
            if len(value[0]) >= min_ips or value[1] >= min_devices
        }
        for user in self._finding_users(sorted(flagged)):
            ips, devices = flagged[user.id]
            results.append(
                {
                    "type": "shared_account",
                    "user": user,
                    "subject": "shared",
                    "severity": "high",
                    "revoke_groups": self.env["res.groups"],
                    "explanation": _(
                        "%(user)s was active at the same time from %(count)s IP "
                        "addresses (%(ips)s) and %(devices)s sessions: the "
                        "login looks shared.",
                        user=user.name,
                        count=len(ips),
                        ips=", ".join(ips),
                        devices=devices,
                    ),
                    "remedy": _(
                        "Confirm with the user; give each person their own "
                        "account and revoke the sessions of this one."
                    ),
                    "details": {"ips": ips, "sessions": devices},
                }
            )
        seen = self._finding_report(results)
        self._finding_resolve_unseen(["shared_account"], seen)
        return seen

    @api.model
    def _audit_unused_access(self, groups=None):
        """Governed groups whose models (by the group's ACLs granting create
        or write) the user has not created or written records in for N days.

        One grouped query per model table (``create_uid`` / ``write_uid``),
        cached for the run; users younger than N days are skipped.
        """
        days = self._finding_param_int("unused_days")
        since = fields.Datetime.now() - timedelta(days=days)
        # A run limited to some groups resolves only their findings.
        domain = [("group_ids", "in", groups.ids)] if groups else None
        # sudo: the audit reads every governed group and its ACLs.
        groups = (groups or self.env["res.groups"]).sudo() or self.env[
            "res.groups"
        ].sudo().search([("governance_scope", "=", "governed")])
        acls = (
            self.env["ir.model.access"]
            .sudo()
            .search(
                [
                    ("group_id", "in", groups.ids),
                    ("active", "=", True),
                    "|",
                    ("perm_write", "=", True),
                    ("perm_create", "=", True),
                ]
            )
        )
        tables_by_group = defaultdict(set)
        for acl in acls:
            model = self.env.get(acl.model_id.model)
            if (
                model is None
                or model._abstract
                or model._transient
                or not model._auto
                or "create_uid" not in model._fields
                or "write_uid" not in model._fields
            ):
                continue
            tables_by_group[acl.group_id.id].add(model._table)
        holders = self._finding_holders(tables_by_group)
        if not holders:
            seen = set()
            self._finding_resolve_unseen(["unused_access"], seen, domain=domain)
            return seen
        self.env.cr.execute(
            "SELECT id FROM res_users WHERE id = ANY(%s) AND create_date < %s",
            [list(holders), since],
        )
        old_enough = [row[0] for row in self.env.cr.fetchall()]
        self.env.flush_all()
        active_by_table = {}
        results = []
        for gid, tables in tables_by_group.items():
            users = [uid for uid in old_enough if gid in holders[uid]]
            if not users:
                continue
            active = set()
            for table in sorted(tables):
                if table not in active_by_table:
                    active_by_table[table] = self._finding_table_activity(
                        table, old_enough, since
                    )
                active |= active_by_table[table]
            group = self.env["res.groups"].sudo().browse(gid)
            for user in self._finding_users(
                [uid for uid in users if uid not in active]
            ):
                results.append(
                    {
                        "type": "unused_access",
                        "user": user,
                        "subject": f"group:{gid}",
                        "severity": "low",
                        "groups": group,
                        "explanation": _(
                            "%(user)s holds %(group)s but has not created or "
                            "changed any record it gives access to for "
                            "%(days)s days.",
                            user=user.name,
                            group=group.full_name,
                            days=days,
                        ),
                        "remedy": _("Revoke the group if the user no longer needs it."),
                        "details": {"tables": sorted(tables)},
                    }
                )
        seen = self._finding_report(results)
        self._finding_resolve_unseen(["unused_access"], seen, domain=domain)
        return seen

    @api.model
    def _finding_table_activity(self, table, user_ids, since):
        """Users among ``user_ids`` who created or wrote in ``table`` since."""
        self.env.cr.execute(
            SQL(
                """
                SELECT create_uid FROM %(t)s
                 WHERE create_uid = ANY(%(ids)s) AND create_date >= %(since)s
                 GROUP BY create_uid
                UNION
                SELECT write_uid FROM %(t)s
                 WHERE write_uid = ANY(%(ids)s) AND write_date >= %(since)s
                 GROUP BY write_uid
                """,
                t=SQL.identifier(table),
                ids=list(user_ids),
                since=since,
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _audit_out_of_band_change(self, batch_size=1000):
        """Sensitive groups given outside governance (baseline changes the
        claims engine recorded) since the last run, by audit sequence."""
        ICP = self.env["ir.config_parameter"].sudo()
        last = int(ICP.get_param(OOB_SEQUENCE_PARAM, "0") or 0)
        sensitive = set(self._finding_sensitive_group_ids())
        # sudo: the audit reads the whole trail.
        Audit = self.env["access.governance.audit"].sudo()
        seen = set()
        while True:
            entries = Audit.search(
                [("sequence", ">", last), ("event", "=", "baseline_change")],
                order="sequence",
                limit=batch_size,
            )
            if not entries:
                break
            results = []
            holders = self._finding_holders(sensitive, entries.user_id.ids)
            for entry in entries:
                user = entry.user_id
                held = holders.get(user.id, set())
                groups = entry.group_ids.filtered(lambda g, h=held: g.id in h)
                for group in groups:
                    results.append(
                        {
                            "type": "out_of_band_change",
                            "user": user,
                            "subject": f"group:{group.id}",
                            "severity": group.governance_risk,
                            "groups": group,
                            "record": entry,
                            "explanation": _(
                                "%(actor)s gave %(user)s the sensitive group "
                                "%(group)s directly, outside governance (audit "
                                "entry #%(seq)s).",
                                actor=entry.actor_login,
                                user=user.name,
                                group=group.full_name,
                                seq=entry.sequence,
                            ),
                            "remedy": _(
                                "Revoke the group, or have it requested through a "
                                "grant or a role and accept this finding."
                            ),
                        }
                    )
            seen |= self._finding_report(results)
            last = entries[-1].sequence
            ICP.set_param(OOB_SEQUENCE_PARAM, str(last))
            self._finding_progress(len(seen), 0)
        # Resolved once the user no longer holds the group.
        live = self.sudo().search(
            [
                ("finding_type", "=", "out_of_band_change"),
                ("state", "in", ("open", "accepted")),
            ]
        )
        holders = self._finding_holders(live.group_ids.ids, live.user_id.ids)
        live.filtered(
            lambda f: not set(f.group_ids.ids) & holders.get(f.user_id.id, set())
        )._finding_resolve("not_seen")
        return seen

    @api.model
    def _audit_unmapped_access(self):
        """Governed groups held only through baseline claims: nothing (role or
        grant) justifies them."""
        self.env["access.governance.claim"].flush_model()
        self.env.cr.execute(
            """
            SELECT c.user_id, array_agg(DISTINCT c.group_id ORDER BY c.group_id)
            FROM (
                SELECT user_id, group_id
                FROM access_governance_claim
                WHERE active
                GROUP BY user_id, group_id
                HAVING bool_and(kind = 'baseline')
            ) c
            JOIN res_users u ON u.id = c.user_id
            JOIN res_groups g ON g.id = c.group_id
            WHERE u.active AND NOT u.share AND u.id != %s
              AND g.governance_scope = 'governed'
            GROUP BY c.user_id
            """,
            [SUPERUSER_ID],
        )
        rows = dict(self.env.cr.fetchall())
        results = []
        for user in self._finding_users(sorted(rows)):
            groups = self.env["res.groups"].sudo().browse(rows[user.id])
            risk = max(
                groups.mapped("governance_risk"), key=lambda r: RISK_ORDER.get(r, 0)
            )
            results.append(
                {
                    "type": "unmapped_access",
                    "user": user,
                    "subject": "baseline",
                    "severity": risk or "low",
                    "groups": groups,
                    "explanation": _(
                        "%(user)s holds %(groups)s with no role or grant "
                        "justifying them (baseline only).",
                        user=user.name,
                        groups=", ".join(groups.mapped("full_name")),
                    ),
                    "remedy": _(
                        "Map the user's job position to a role that contains "
                        "this access, have it requested, or revoke it."
                    ),
                }
            )
        seen = self._finding_report(results)
        self._finding_resolve_unseen(
            ["unmapped_access"], seen, domain=[("subject", "=", "baseline")]
        )
        # An unmapped job is fixed once a role justifies the user's access.
        jobs = self.sudo().search(
            [
                ("finding_type", "=", "unmapped_access"),
                ("subject", "=like", "job:%"),
                ("state", "in", ("open", "accepted")),
            ]
        )
        with_role = set(
            self.env["access.governance.claim"]
            .sudo()
            .search([("user_id", "in", jobs.user_id.ids), ("kind", "=", "role")])
            .user_id.ids
        )
        jobs.filtered(lambda f: f.user_id.id in with_role)._finding_resolve("not_seen")
        return seen

    @api.model
    def _finding_unmapped_employee(self, employee):
        """Hook of the job mapping: the employee's job maps to no role."""
        user = employee.sudo().user_id
        if not user:
            return set()
        job = employee.sudo().job_id
        return self._finding_report(
            [
                {
                    "type": "unmapped_access",
                    "user": user,
                    "subject": f"job:{job.id}",
                    "severity": "low",
                    "groups": self.env["res.groups"],
                    "explanation": _(
                        "The job position %(job)s of %(user)s maps to no role: "
                        "the user keeps only their baseline access.",
                        job=job.name or "",
                        user=user.name,
                    ),
                    "remedy": _(
                        "Map the job position to a role (Configuration > Roles)."
                    ),
                    "record": employee.sudo(),
                }
            ]
        )

    @api.model
    def _finding_chain_broken(self, result):
        """Hook of the audit trail verification: the chain is broken."""
        return self._finding_report(
            [
                {
                    "type": "broken_audit_chain",
                    "user": None,
                    "subject": "chain",
                    "severity": "critical",
                    "explanation": _(
                        "The audit trail's hash chain is broken at entry "
                        "#%(seq)s: %(reason)s",
                        seq=result.get("broken_sequence"),
                        reason=result.get("reason"),
                    ),
                    "remedy": _(
                        "Investigate who changed the audit table (database "
                        "access, trigger dropped) and restore it from a backup."
                    ),
                    "details": {
                        key: result.get(key)
                        for key in ("broken_sequence", "broken_id", "reason")
                    },
                }
            ]
        )

    @api.model
    def _finding_chain_intact(self):
        live = self.sudo().search(
            [
                ("finding_type", "=", "broken_audit_chain"),
                ("state", "in", ("open", "accepted")),
            ]
        )
        return live._finding_resolve("not_seen")

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------
    @api.model
    def _demo_prepare_audits(self, stale_user_ids, shared_user_ids):
        """Backdate demo users (creation, last login) and record device
        activity from two IP addresses, so that the audits find something."""
        now = fields.Datetime.now()
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_users SET create_date = %s WHERE id = ANY(%s)",
            [now - timedelta(days=400), stale_user_ids],
        )
        for uid in stale_user_ids:
            self.env.cr.execute(
                "INSERT INTO res_users_log (create_uid, create_date, write_uid, "
                "write_date) VALUES (%s, %s, %s, %s)",
                [uid, now - timedelta(days=200), uid, now - timedelta(days=200)],
            )
        Log = self.env["res.device.log"].sudo()
        for uid in shared_user_ids:
            for index, ip in enumerate(("198.51.100.7", "203.0.113.42")):
                Log.create(
                    {
                        "session_identifier": f"demo-shared-{uid}-{index}",
                        "platform": "linux",
                        "browser": "firefox",
                        "ip_address": ip,
                        "device_type": "computer",
                        "user_id": uid,
                        "first_activity": now - timedelta(minutes=50 - 20 * index),
                        "last_activity": now - timedelta(minutes=40 - 20 * index),
                    }
                )
        self.env.invalidate_all()
        return True

    # ------------------------------------------------------------------
    # Digest
    # ------------------------------------------------------------------
    @api.model
    def _finding_send_digest(self):
        """Summarise the findings first seen in the last day, by severity, to
        the digest recipients chosen in Settings."""
        recipients = self._finding_users(self._finding_param_ids(DIGEST_USERS_PARAM))
        recipients = recipients.filtered("active")
        if not recipients:
            return False
        since = fields.Datetime.now() - timedelta(days=1)
        # sudo: the digest counts every finding, whoever runs the cron.
        data = self.sudo()._read_group(
            [("first_seen", ">=", since)], ["severity"], ["__count"]
        )
        if not data:
            return False
        labels = dict(RISK_LEVELS)
        lines = ", ".join(
            f"{labels[severity]}: {count}"
            for severity, count in sorted(data, key=lambda d: -RISK_ORDER[d[0]])
        )
        return self._finding_notify_as_superuser(recipients, lines)

    @api.model
    def _finding_notify_as_superuser(self, recipients, lines):
        # sudo: the digest is sent by the cron on behalf of governance.
        self.env["mail.thread"].sudo().message_notify(
            partner_ids=recipients.partner_id.ids,
            subject=_("Access governance: new findings"),
            body=_("New findings in the last 24 hours: %s", lines),
        )
        return True
