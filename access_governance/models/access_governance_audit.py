# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Append-only, hash-chained audit trail.

Entries are written only by :meth:`AccessGovernanceAudit._audit_log`, which
runs as superuser and sets a flag that no RPC call or context can set. ORM
``create`` from anywhere else, ``write`` and ``unlink`` raise ``AccessError``
for everybody, administrators included. A PostgreSQL trigger rejects UPDATE,
DELETE and TRUNCATE on the table, so even raw SQL cannot rewrite history.

Each entry stores ``hash = sha256(previous hash + canonical JSON of the
entry)``; :meth:`_audit_verify_chain` recomputes the chain and names the
first broken entry. A one-row head table holds the last sequence and hash,
which also serialises concurrent writers and reveals a truncated tail.
"""

import hashlib
import json
import logging
from contextvars import ContextVar

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

_logger = logging.getLogger(__name__)

# Set only inside _audit_log(): unlike the context, RPC callers cannot set it.
_AUDIT_WRITING = ContextVar("access_governance_audit_writing", default=False)

HASH_VERSION = 1
HASH_PREFIX = f"${HASH_VERSION}$"

# The columns that reference other records. PostgreSQL may set them to NULL
# when the referenced user is deleted (ON DELETE SET NULL); the trigger allows
# exactly that and nothing else. They are not part of the hash: the snapshot
# columns (login, name, id) are.
FK_COLUMNS = ("actor_id", "user_id", "create_uid", "write_uid")

# The columns covered by the hash, in the canonical entry.
HASHED_FIELDS = (
    "sequence",
    "date",
    "event",
    "actor_uid",
    "actor_login",
    "user_uid",
    "user_login",
    "user_name",
    "group_names",
    "res_model",
    "res_id",
    "record_name",
    "description",
    "details",
)
INT_FIELDS = ("sequence", "actor_uid", "user_uid", "res_id")

EVENTS = [
    ("install", "Governance installed"),
    ("baseline_capture", "Baseline captured"),
    ("user_created", "User created"),
    ("baseline_change", "Out-of-band change"),
    ("claim_start", "Claim started"),
    ("claim_end", "Claim ended"),
    ("group_policy", "Group policy changed"),
    ("chain_verified", "Audit chain verified"),
    ("chain_broken", "Audit chain broken"),
    ("role_assignment_start", "Role assigned"),
    ("role_assignment_end", "Role assignment ended"),
    ("joiner", "Joiner"),
    ("mover", "Mover"),
    ("offboarding", "Offboarding"),
    ("role_from_user", "Role created from a user"),
    ("grant_submitted", "Grant submitted"),
    ("grant_policy_approved", "Grant approved by policy"),
    ("grant_approval", "Grant approval given"),
    ("grant_approved", "Grant approved"),
    ("grant_rejected", "Grant rejected"),
    ("grant_activated", "Grant activated"),
    ("grant_expired", "Grant expired"),
    ("grant_revoked", "Grant revoked"),
    ("grant_cancelled", "Grant cancelled"),
    ("grant_break_glass", "Break-glass activation"),
    ("grant_signed_off", "Break-glass signed off"),
    ("sod_conflict", "SoD conflict on request"),
    ("sod_mitigation", "SoD mitigation recorded"),
    ("review_start", "Review campaign started"),
    ("review_decision", "Review decision applied"),
    ("review_escalate", "Review line escalated"),
    ("review_close", "Review campaign closed"),
    ("finding_opened", "Finding opened"),
    ("finding_accepted", "Finding accepted"),
    ("finding_reopened", "Finding reopened"),
    ("finding_resolved", "Finding resolved"),
]


class AccessGovernanceAudit(models.Model):
    _name = "access.governance.audit"
    _description = "Access Governance Audit Entry"
    _order = "sequence desc"
    _rec_name = "sequence"

    sequence = fields.Integer(readonly=True, index=True)
    date = fields.Datetime(readonly=True, index=True)
    event = fields.Selection(EVENTS, readonly=True, index=True)
    actor_id = fields.Many2one(
        "res.users", string="Actor", readonly=True, ondelete="set null", index=True
    )
    actor_uid = fields.Integer(string="Actor ID", readonly=True)
    actor_login = fields.Char(readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="About User",
        readonly=True,
        ondelete="set null",
        index=True,
    )
    user_uid = fields.Integer(string="User ID", readonly=True)
    user_login = fields.Char(string="User Login", readonly=True)
    user_name = fields.Char(readonly=True)
    group_ids = fields.Many2many(
        "res.groups",
        "access_governance_audit_group_rel",
        "audit_id",
        "group_id",
        string="Groups",
        readonly=True,
    )
    group_names = fields.Text(
        readonly=True, help="Names of the groups involved, as they were at the time."
    )
    res_model = fields.Char(string="Record Model", readonly=True)
    res_id = fields.Integer(string="Record ID", readonly=True)
    record_name = fields.Char(readonly=True)
    description = fields.Text(readonly=True)
    details = fields.Text(readonly=True, help="Canonical JSON with the full detail.")
    previous_hash = fields.Char(readonly=True)
    hash = fields.Char(readonly=True)

    _sql_constraints = [
        ("sequence_uniq", "unique (sequence)", "Audit sequence numbers are unique."),
    ]

    # ------------------------------------------------------------------
    # Database protections
    # ------------------------------------------------------------------
    def init(self):
        cr = self.env.cr
        cr.execute(
            """
            CREATE TABLE IF NOT EXISTS access_governance_audit_head (
                id integer PRIMARY KEY CHECK (id = 1),
                last_sequence integer NOT NULL,
                last_hash varchar NOT NULL
            );
            INSERT INTO access_governance_audit_head (id, last_sequence, last_hash)
            VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING;

            CREATE OR REPLACE FUNCTION access_governance_audit_protect()
            RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                fk text[] := ARRAY['actor_id', 'user_id', 'create_uid', 'write_uid'];
                col text;
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    -- Allow only ON DELETE SET NULL of a referenced user:
                    -- every other column unchanged, references only nulled.
                    IF (to_jsonb(NEW) - fk) = (to_jsonb(OLD) - fk) THEN
                        FOREACH col IN ARRAY fk LOOP
                            IF (to_jsonb(NEW) -> col) <> 'null'::jsonb
                               AND (to_jsonb(NEW) -> col) <> (to_jsonb(OLD) -> col) THEN
                                RAISE EXCEPTION
                                    'access_governance_audit is append-only';
                            END IF;
                        END LOOP;
                        RETURN NEW;
                    END IF;
                END IF;
                RAISE EXCEPTION 'access_governance_audit is append-only: % refused', TG_OP;
            END;
            $$;

            DROP TRIGGER IF EXISTS access_governance_audit_no_change
                ON access_governance_audit;
            CREATE TRIGGER access_governance_audit_no_change
                BEFORE UPDATE OR DELETE ON access_governance_audit
                FOR EACH ROW EXECUTE FUNCTION access_governance_audit_protect();

            DROP TRIGGER IF EXISTS access_governance_audit_no_truncate
                ON access_governance_audit;
            CREATE TRIGGER access_governance_audit_no_truncate
                BEFORE TRUNCATE ON access_governance_audit
                FOR EACH STATEMENT EXECUTE FUNCTION access_governance_audit_protect();
            """
        )

    # ------------------------------------------------------------------
    # ORM guards
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not _AUDIT_WRITING.get():
            raise AccessError(
                _(
                    "Audit entries are written by Access Governance itself; "
                    "nobody can create them directly."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        self._raise_append_only(_("entries cannot be modified"))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_append_only(self):
        self._raise_append_only(_("entries cannot be deleted"))

    def _raise_append_only(self, what):
        """Refuse any change to existing entries, for everybody (superuser
        included); copy() is refused by the create guard above."""
        raise AccessError(_("The audit trail is append-only: %s.", what))

    @api.depends("sequence", "event")
    def _compute_display_name(self):
        labels = dict(self._fields["event"]._description_selection(self.env))
        for entry in self:
            entry.display_name = f"#{entry.sequence} {labels.get(entry.event, '')}"

    # ------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------
    @api.model
    def _audit_log(
        self,
        event,
        user=None,
        groups=None,
        record=None,
        description="",
        details=None,
    ):
        """Append one entry; see :meth:`_audit_log_batch`."""
        return self._audit_log_batch(
            [
                {
                    "event": event,
                    "user": user,
                    "groups": groups,
                    "record": record,
                    "description": description,
                    "details": details,
                }
            ]
        )

    @api.model
    def _audit_log_batch(self, entries):
        """Append entries to the chain, in order, in one transaction.

        Each entry is a dict with ``event`` and optionally ``user`` (res.users
        record the entry is about), ``groups`` (res.groups records),
        ``record`` (any record, snapshotted by model, id and name),
        ``description`` (text) and ``details`` (JSON-serialisable data).
        The actor is the current user (``self.env.uid``).
        """
        if not entries:
            return self.browse()
        actor = self.env.user
        now = fields.Datetime.now()
        vals_list = []
        for entry in entries:
            user = entry.get("user")
            groups = entry.get("groups") or self.env["res.groups"]
            record = entry.get("record")
            details = entry.get("details")
            vals_list.append(
                {
                    "date": now,
                    "event": entry["event"],
                    "actor_id": actor.id,
                    "actor_uid": actor.id,
                    "actor_login": actor.sudo().login,
                    "user_id": user.id if user else False,
                    "user_uid": user.id if user else 0,
                    "user_login": user.sudo().login if user else False,
                    "user_name": user.sudo().name if user else False,
                    "group_ids": [fields.Command.set(groups.ids)],
                    "group_names": ", ".join(sorted(groups.sudo().mapped("full_name")))
                    or False,
                    "res_model": record._name if record else False,
                    "res_id": record.id if record else 0,
                    "record_name": record.sudo().display_name if record else False,
                    "description": entry.get("description") or False,
                    "details": json.dumps(
                        details, sort_keys=True, separators=(",", ":"), default=str
                    )
                    if details is not None
                    else False,
                }
            )
        return self._audit_append(vals_list)

    @api.model
    def _audit_append(self, vals_list):
        """Chain and insert prepared values as superuser.

        sudo: the audit table has no create ACL for anybody; this method is
        the single trusted writer, and the context variable below is what the
        ``create`` guard checks.
        """
        cr = self.env.cr
        # Row lock on the head serialises writers; under REPEATABLE READ a
        # concurrent writer gets a serialisation failure and its request is
        # retried by Odoo, so two entries never share a sequence or parent.
        cr.execute(
            "SELECT last_sequence, last_hash FROM access_governance_audit_head "
            "WHERE id = 1 FOR UPDATE"
        )
        sequence, previous = cr.fetchone()
        for vals in vals_list:
            sequence += 1
            vals["sequence"] = sequence
            vals["previous_hash"] = previous
            vals["hash"] = previous = self._audit_compute_hash(previous, vals)
        token = _AUDIT_WRITING.set(True)
        try:
            entries = self.sudo().create(vals_list)
        finally:
            _AUDIT_WRITING.reset(token)
        entries.flush_recordset()
        cr.execute(
            "UPDATE access_governance_audit_head "
            "SET last_sequence = %s, last_hash = %s WHERE id = 1",
            (sequence, previous),
        )
        return entries.with_env(self.env)

    # ------------------------------------------------------------------
    # Hashing and verification
    # ------------------------------------------------------------------
    @api.model
    def _audit_canonical(self, values):
        """Canonical JSON of the hashed fields of an entry.

        ``values`` is either the dict given to create or a row read back from
        the database; both normalise to the same text.
        """
        canonical = {}
        for name in HASHED_FIELDS:
            value = values.get(name)
            if name in INT_FIELDS:
                value = int(value or 0)
            elif name == "date":
                value = fields.Datetime.to_string(value) if value else ""
            else:
                value = value or ""
            canonical[name] = value
        return json.dumps(
            canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    @api.model
    def _audit_compute_hash(self, previous_hash, values):
        payload = (previous_hash or "") + self._audit_canonical(values)
        return HASH_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @api.model
    def _audit_verify_chain(self, batch_size=5000):
        """Recompute the whole chain from the database.

        Returns a dict: ``state`` (``intact`` / ``broken``), ``checked``
        (entries read), ``last_sequence``, and for a broken chain
        ``broken_sequence``, ``broken_id`` and ``reason`` naming the first
        broken entry in words an auditor can act on.
        """
        self.env.flush_all()
        cr = self.env.cr
        columns = ["id", "previous_hash", "hash", *HASHED_FIELDS]
        result = {"state": "intact", "checked": 0, "last_sequence": 0}
        expected_sequence = 1
        previous_hash = ""
        query = (
            "SELECT {} FROM access_governance_audit WHERE sequence > %s "
            "ORDER BY sequence LIMIT %s".format(", ".join(columns))
        )
        broken = None
        last_read = -1
        while not broken:
            # Keyset pagination keeps memory flat on long chains.
            cr.execute(query, (last_read, batch_size))
            rows = cr.fetchall()
            if not rows:
                break
            last_read = rows[-1][columns.index("sequence")]
            for row in rows:
                values = dict(zip(columns, row, strict=True))
                result["checked"] += 1
                seq = values["sequence"]
                if seq != expected_sequence:
                    if seq > expected_sequence:
                        reason = _(
                            "Entries #%(first)s to #%(last)s are missing: "
                            "they were deleted.",
                            first=expected_sequence,
                            last=seq - 1,
                        )
                    else:
                        reason = _("Sequence number %(seq)s appears twice.", seq=seq)
                    broken = (values, reason)
                elif (values["previous_hash"] or "") != previous_hash:
                    broken = (
                        values,
                        _(
                            "Its link to the previous entry does not match: the "
                            "previous entry was altered or replaced."
                        ),
                    )
                elif values["hash"] != self._audit_compute_hash(previous_hash, values):
                    broken = (
                        values,
                        _(
                            "Its content no longer matches its hash: the entry "
                            "was altered after it was written."
                        ),
                    )
                if broken:
                    break
                previous_hash = values["hash"]
                expected_sequence = seq + 1
                result["last_sequence"] = seq
        if not broken:
            cr.execute(
                "SELECT last_sequence, last_hash FROM access_governance_audit_head "
                "WHERE id = 1"
            )
            head_sequence, head_hash = cr.fetchone() or (0, "")
            if head_sequence != result["last_sequence"] or head_hash != previous_hash:
                broken = (
                    {"id": False, "sequence": result["last_sequence"] + 1},
                    _(
                        "The chain ends at entry #%(last)s but %(head)s entries "
                        "were written: the most recent entries were deleted.",
                        last=result["last_sequence"],
                        head=head_sequence,
                    ),
                )
        if broken:
            values, reason = broken
            result.update(
                state="broken",
                broken_sequence=values["sequence"],
                broken_id=values["id"],
                reason=reason,
            )
        return result

    # ------------------------------------------------------------------
    # Actions and cron
    # ------------------------------------------------------------------
    @api.model
    def action_verify_integrity(self):
        """Verify the chain and show the result to the auditor."""
        if not self.env.user.has_group("access_governance.group_governance_auditor"):
            raise AccessError(
                _("Only governance auditors and managers can verify the audit trail.")
            )
        wizard = self.env["access.governance.audit.verify"].create({})
        wizard.action_run()
        return {
            "type": "ir.actions.act_window",
            "name": _("Audit Trail Integrity"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def _cron_verify_audit_chain(self):
        result = self._audit_verify_chain()
        self._audit_record_verification(result)
        return result

    @api.model
    def _audit_record_verification(self, result):
        """Record the outcome of a verification in the trail itself.

        A broken chain is logged loudly and recorded as its own event; the
        findings module hooks into :meth:`_audit_chain_broken`.
        """
        if result["state"] == "broken":
            self._audit_chain_broken(result)
        else:
            self._audit_log(
                "chain_verified",
                description=_(
                    "Audit chain intact: %(count)s entries verified.",
                    count=result["checked"],
                ),
                details={"checked": result["checked"]},
            )

    @api.model
    def _audit_chain_broken(self, result):
        _logger.error(
            "access_governance: audit chain BROKEN at entry #%s: %s",
            result.get("broken_sequence"),
            result.get("reason"),
        )
        self._audit_log(
            "chain_broken",
            description=_(
                "Audit chain broken at entry #%(seq)s: %(reason)s",
                seq=result.get("broken_sequence"),
                reason=result.get("reason"),
            ),
            details={
                key: result.get(key)
                for key in ("broken_sequence", "broken_id", "reason", "checked")
            },
        )


class AccessGovernanceAuditFindings(models.Model):
    """Findings on the audit trail's verification (scheduled audits)."""

    _inherit = "access.governance.audit"

    @api.model
    def _audit_record_verification(self, result):
        res = super()._audit_record_verification(result)
        if result["state"] != "broken":
            self.env["access.governance.finding"]._finding_chain_intact()
        return res

    @api.model
    def _audit_chain_broken(self, result):
        res = super()._audit_chain_broken(result)
        self.env["access.governance.finding"]._finding_chain_broken(result)
        return res
