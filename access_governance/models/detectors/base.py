# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What every detector shares: settings, batching, reporting, resolving.

A detector (``access.governance.detector.<finding type>``) implements one
hook, :meth:`AccessGovernanceDetector._detect`, which turns a batch of its
scope (user ids unless it says otherwise, see :meth:`_detect_scope`) into
results. Everything else lives here, once:

- **report**: a result is keyed on (type, user, subject); a live finding with
  the same key is refreshed (``last_seen``, the run that saw it), a new one
  is created and audited;
- **resolve unseen**: after the last batch, the live findings of the type the
  run did not see are resolved;
- **batching and progress**: outside the scheduler (tests, *Run Manually*, the
  managers' button) a run goes to the end in the caller's transaction and
  never commits; in a scheduler worker it examines one batch per call,
  reports ``_notify_progress(done=, remaining=)`` and returns, and Odoo's
  scheduler commits and calls again while work remains (``ir_cron._run_job``).
  The run's cursor is committed with the batch it closes, so a crash redoes
  only the batch that failed, and the unique index on live keys makes a
  second finding for one key impossible anyway.
"""

import json
import logging
from collections import defaultdict
from datetime import timedelta

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.tools import SQL

from ..res_groups import RISK_LEVELS, RISK_ORDER

_logger = logging.getLogger(__name__)

PARAM = "access_governance."
DISABLED_AUDITS_PARAM = PARAM + "audits_disabled"
ALLOWED_ADMINS_PARAM = PARAM + "allowed_admin_ids"
OOB_SEQUENCE_PARAM = PARAM + "audit_oob_last_sequence"
DIGEST_USERS_PARAM = PARAM + "digest_user_ids"
# Integer settings and their defaults (README, Configuration).
INT_PARAMS = {
    "stale_days": 90,
    "stale_grace_days": 30,
    "unused_days": 90,
    "shared_window_days": 7,
    "shared_min_ips": 2,
    "shared_min_devices": 3,
    "shared_overlap_minutes": 60,
    "accept_days": 90,
    "apikey_unused_days": 90,
    "apikey_rotation_days": 365,
    "apikey_max_ips": 3,
    "signin_window_hours": 24,
    "signin_burst": 10,
    "admin_daily_days": 30,
    "admin_daily_min_records": 5,
}
ADMIN_XMLIDS = ("base.group_system", "base.group_erp_manager")
LIVE = ("open", "accepted")
# Detectors run by ir_cron_audit_access, in order; each can be switched off.
ACCESS_DETECTORS = (
    "over_privileged",
    "admin_without_2fa",
    "shared_account",
    "unused_access",
    "out_of_band_change",
    "unmapped_access",
    "apikey",
    "failed_signin",
    "admin_daily_use",
)


def in_cron_worker(env):
    """True when called by a scheduler worker (``ir_cron._run_job``).

    *Run Manually* (``method_direct_trigger``) also puts a progress record in
    the context, but not ``cron_id``: it runs inside an HTTP request, which
    must stay one transaction; so do tests.
    """
    return bool(env.context.get("cron_id") and env.context.get("ir_cron_progress_id"))


def highest_risk(risks, default="low"):
    """The highest of risk levels (``low`` < ... < ``critical``)."""
    return max(filter(None, risks), key=RISK_ORDER.get, default=default)


class AccessGovernanceDetector(models.AbstractModel):
    _name = "access.governance.detector"
    _description = "Access Governance Detector"

    # Set by each detector.
    _finding_type = None
    _batch_size = 1000

    # ------------------------------------------------------------------
    # Hooks of a detector
    # ------------------------------------------------------------------
    @api.model
    def _detect_scope(self, after=0):
        """Sorted ids to examine in batches, those above ``after`` (the run's
        cursor) at least: active internal users by default."""
        return self._detector_internal_user_ids()

    @api.model
    def _detect(self, ids):
        """Results for a batch of the scope (see :meth:`_detector_report`)."""
        raise NotImplementedError

    @api.model
    def _detect_finish(self, run):
        """After the last batch: resolve the live findings the run did not see."""
        return self._detector_resolve_unseen(run)

    @api.model
    def _detect_resolve_domain(self):
        """Which of the type's live findings the run answers for."""
        return []

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------
    @api.model
    def _detector_param_int(self, name):
        # sudo: reading governance settings; parameters are admin-only records.
        value = self.env["ir.config_parameter"].sudo().get_param(PARAM + name)
        try:
            return int(value) if value else INT_PARAMS[name]
        except ValueError:
            return INT_PARAMS[name]

    @api.model
    def _detector_param_ids(self, param):
        # sudo: reading governance settings (see _detector_param_int).
        value = self.env["ir.config_parameter"].sudo().get_param(param) or ""
        return [int(part) for part in value.split(",") if part.strip().isdigit()]

    @api.model
    def _detector_enabled(self, finding_type=None):
        # sudo: reading governance settings (see _detector_param_int).
        value = (
            self.env["ir.config_parameter"].sudo().get_param(DISABLED_AUDITS_PARAM, "")
        )
        return (finding_type or self._finding_type) not in value.split(",")

    @api.model
    def _detectors_enabled(self, always=()):
        """``always`` then the access detectors switched on in Settings."""
        return [*always, *(t for t in ACCESS_DETECTORS if self._detector_enabled(t))]

    # ------------------------------------------------------------------
    # Scheduled jobs (data/ir_cron_data.xml)
    # ------------------------------------------------------------------
    @api.model
    def _cron_audit_stale_accounts(self):
        return self._detectors_run(["stale_account"])

    @api.model
    def _cron_audit_sod(self):
        return self._detectors_run(["sod_conflict"])

    @api.model
    def _cron_audit_access(self):
        finished = self._detectors_run(self._detectors_enabled())
        if finished:
            self._detector_send_digest()
        return finished

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------
    @api.model
    def _detector_run(self):
        """Run this detector: to the end, or one batch in a scheduler worker.

        Returns ``(examined, remaining)``.
        """
        return self._detector_run_as_superuser()

    @api.model
    def _detector_run_as_superuser(self):
        # sudo: a detector reads every user, group, claim, device log and key,
        # and records findings nobody may write directly; whoever starts it
        # (the scheduler, a manager's button) sees only the findings.
        # A language in the context: _() looks it up from the user otherwise,
        # once per finding (scheduled jobs run without one).
        lang = self.env.lang or self.env.user.lang or "en_US"
        detector = self.sudo().with_context(lang=lang)
        step = in_cron_worker(self.env)
        run = detector._detector_current_run()
        detector = detector.with_context(governance_detector_run=run.id)
        ids = [i for i in detector._detect_scope(run.cursor) if i > run.cursor]
        examined = 0
        while ids:
            batch, ids = ids[: detector._batch_size], ids[detector._batch_size :]
            found = detector._detector_report(detector._detect(batch), run)
            run.write(
                {
                    "cursor": batch[-1],
                    "done_count": run.done_count + len(batch),
                    "found_count": run.found_count + found,
                    "batch_count": run.batch_count + 1,
                }
            )
            examined += len(batch)
            if step and ids:
                # The scheduler commits this batch and calls again.
                return examined, len(ids)
        resolved = detector._detect_finish(run)
        run.write(
            {
                "state": "done",
                "date_end": fields.Datetime.now(),
                "resolved_count": len(resolved or ()),
            }
        )
        return examined, 0

    @api.model
    def _detector_current_run(self):
        Run = self.env["access.governance.detector.run"].sudo()
        run = Run.search(
            [("detector", "=", self._name), ("state", "=", "running")], limit=1
        )
        return run or Run.create(
            {"detector": self._name, "finding_type": self._finding_type}
        )

    @api.model
    def _detectors_run(self, finding_types):
        """Run detectors in order, for a scheduled job.

        Outside the scheduler every detector runs to the end. In a worker,
        each call resumes the detector left running (those before it are
        done for this cycle), examines one batch, reports the progress and
        returns while work remains; a detector that finishes hands over to
        the next one in the same call, so at most one is ever left running.
        """
        self.env["access.governance.finding"]._finding_reopen_expired()
        detectors = [
            self.env[f"access.governance.detector.{finding_type}"]
            for finding_type in finding_types
        ]
        if in_cron_worker(self.env):
            # sudo: reading the detectors' own run records.
            running = set(
                self.env["access.governance.detector.run"]
                .sudo()
                .search([("state", "=", "running")])
                .mapped("detector")
            )
            started = [i for i, d in enumerate(detectors) if d._name in running]
            if started:
                detectors = detectors[started[0] :]
        examined = 0
        for index, detector in enumerate(detectors):
            done, remaining = detector._detector_run()
            examined += done
            if remaining:
                self.env["ir.cron"]._notify_progress(
                    done=max(examined, 1),
                    remaining=remaining + len(detectors) - index - 1,
                )
                return False
        self.env["ir.cron"]._notify_progress(done=examined, remaining=0)
        return True

    # ------------------------------------------------------------------
    # Reporting what a detector saw
    # ------------------------------------------------------------------
    @api.model
    def _detector_key(self, finding_type, user, subject):
        return f"{finding_type}|{user.id if user else 0}|{subject}"

    @api.model
    def _detector_report(self, results, run=None):
        """Upsert what a detector saw; return how many results it reported.

        ``results`` is a list of dicts with ``user`` (res.users or None),
        ``subject``, ``severity``, ``explanation``, ``remedy`` and optionally
        ``type`` (defaults to the detector's), ``groups``, ``revoke_groups``,
        ``rule``, ``record``, ``details``; or ``resolution`` (with ``user``
        and ``subject``) to resolve the live finding of that key (an SoD
        conflict mitigated). A live finding with the same key gets
        ``last_seen`` and the run (and refreshed facts); a new one is created
        and audited.
        """
        if not results:
            return 0
        return self._detector_report_as_superuser(results, run)

    @api.model
    def _detector_report_as_superuser(self, results, run):
        # sudo: detectors run from crons and hooks on behalf of governance; the
        # user who triggers a hook (an HR officer) has no write access on
        # findings but the detection must be recorded.
        Finding = self.env["access.governance.finding"].sudo()
        now = fields.Datetime.now()
        keys = {}
        resolutions = defaultdict(set)
        for result in results:
            key = self._detector_key(
                result.get("type") or self._finding_type,
                result.get("user"),
                result["subject"],
            )
            if result.get("resolution"):
                resolutions[result["resolution"]].add(key)
            else:
                keys[key] = result
        live = Finding.search(
            [("key", "in", list(keys) + [k for s in resolutions.values() for k in s])]
            + [("state", "in", LIVE)]
        )
        live_by_key = {finding.key: finding for finding in live}
        for resolution, resolved_keys in resolutions.items():
            live.filtered(lambda f, k=resolved_keys: f.key in k)._finding_resolve(
                resolution
            )
        to_create = []
        seen_again = []
        run_id = run.id if run else False
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
                    finding.write(dict(changed, last_seen=now, detector_run_id=run_id))
                else:
                    seen_again.append(finding.id)
                continue
            revoke = result.get("revoke_groups")
            revoke = groups if revoke is None else revoke
            user = result.get("user")
            vals.update(
                {
                    "finding_type": result.get("type") or self._finding_type,
                    "user_id": user.id if user else False,
                    "subject": result["subject"],
                    "key": key,
                    "first_seen": now,
                    "detector_run_id": run_id,
                    "revoke_group_ids": [fields.Command.set(revoke.ids)],
                    "rule_id": result["rule"].id if result.get("rule") else False,
                    "res_model": record._name if record else False,
                    "res_id": record.id if record else 0,
                }
            )
            to_create.append(vals)
        # Unchanged findings: one write for all of them.
        self._detector_mark_seen(Finding.browse(seen_again), now, run_id)
        created = Finding.with_context(mail_create_nolog=True).create(to_create)
        Finding._finding_audit(created, "finding_opened")
        return len(keys)

    @api.model
    def _detector_mark_seen(self, findings, now, run_id):
        """Bookkeeping of unchanged findings (last seen, by which run): one
        UPDATE, not an ORM write of every finding of every run (neither
        field is tracked, computed from, or protected)."""
        if not findings:
            return
        findings.flush_recordset(["last_seen", "detector_run_id"])
        self.env.cr.execute(
            """
            UPDATE access_governance_finding
               SET last_seen = %s, detector_run_id = %s,
                   write_date = %s, write_uid = %s
             WHERE id = ANY(%s)
            """,
            [now, run_id or None, now, self.env.uid, findings.ids],
        )
        findings.invalidate_recordset(
            ["last_seen", "detector_run_id", "write_date", "write_uid"]
        )

    @api.model
    def _detector_resolve_unseen(self, run):
        """Resolve the live findings of the type that ``run`` did not see."""
        # sudo: detectors answer for every finding of their type.
        gone = (
            self.env["access.governance.finding"]
            .sudo()
            .search(
                [
                    ("finding_type", "=", self._finding_type),
                    ("state", "in", LIVE),
                    "|",
                    ("detector_run_id", "=", False),
                    ("detector_run_id", "!=", run.id),
                    *self._detect_resolve_domain(),
                ]
            )
        )
        return gone._finding_resolve("not_seen")

    # ------------------------------------------------------------------
    # Shared reads
    # ------------------------------------------------------------------
    @api.model
    def _detector_internal_user_ids(self):
        """Active internal users (OdooBot excluded), by id."""
        self.env["res.users"].flush_model(["active", "share"])
        self.env.cr.execute(
            "SELECT id FROM res_users WHERE active AND NOT share AND id != %s "
            "ORDER BY id",
            [SUPERUSER_ID],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _detector_users(self, ids):
        return self.env["res.users"].sudo().with_context(active_test=False).browse(ids)

    @api.model
    def _detector_groups(self, ids):
        return self.env["res.groups"].sudo().browse(ids)

    @api.model
    def _detector_holders(self, group_ids, user_ids=None):
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

    @api.model
    def _detector_run_cache(self):
        """A cache for the batches of the current run in this transaction
        (kept on the cursor, keyed by the run)."""
        key = (
            "access_governance_detector",
            self.env.context.get("governance_detector_run"),
        )
        return self.env.cr.cache.setdefault(key, {})

    @api.model
    def _detector_by_risk(self, group_ids):
        """Groups ordered from the highest risk down, then by name; each
        group's rank is read once per run and transaction, not once per
        user."""
        rank = self._detector_run_cache().setdefault("group_rank", {})
        missing = set(group_ids) - set(rank)
        for group in self._detector_groups(list(missing)):
            rank[group.id] = (
                -RISK_ORDER.get(group.governance_risk or "low", 0),
                group.full_name or "",
            )
        return self._detector_groups(sorted(set(group_ids), key=rank.__getitem__))

    @api.model
    def _detector_sensitive_group_ids(self):
        # sudo: detectors read every group's risk level.
        return (
            self.env["res.groups"]
            .sudo()
            .search([("governance_risk", "in", ("high", "critical"))])
            .ids
        )

    @api.model
    def _detector_admin_groups(self):
        """Settings and Access Rights: the administrators' groups."""
        groups = self.env["res.groups"]
        for xmlid in ADMIN_XMLIDS:
            groups |= self.env.ref(xmlid)
        return groups.sudo()

    # ------------------------------------------------------------------
    # Digest
    # ------------------------------------------------------------------
    @api.model
    def _detector_send_digest(self):
        """Summarise the findings first seen in the last day, by severity, to
        the digest recipients chosen in Settings."""
        recipients = self._detector_users(self._detector_param_ids(DIGEST_USERS_PARAM))
        recipients = recipients.filtered("active")
        if not recipients:
            return False
        since = fields.Datetime.now() - timedelta(days=1)
        # sudo: the digest counts every finding, whoever runs the cron.
        data = (
            self.env["access.governance.finding"]
            .sudo()
            ._read_group([("first_seen", ">=", since)], ["severity"], ["__count"])
        )
        if not data:
            return False
        labels = dict(RISK_LEVELS)
        lines = ", ".join(
            f"{labels[severity]}: {count}"
            for severity, count in sorted(data, key=lambda d: -RISK_ORDER[d[0]])
        )
        return self._detector_notify_as_superuser(recipients, lines)

    @api.model
    def _detector_notify_as_superuser(self, recipients, lines):
        # sudo: the digest is sent by the cron on behalf of governance.
        self.env["mail.thread"].sudo().message_notify(
            partner_ids=recipients.partner_id.ids,
            subject=_("Access governance: new findings"),
            body=_("New findings in the last 24 hours: %s", lines),
        )
        return True

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------
    @api.model
    def _demo_prepare_audits(self, stale_user_ids, shared_user_ids):
        """Backdate demo users (creation, last login) and record device
        activity from two IP addresses, so that the detectors find something."""
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
