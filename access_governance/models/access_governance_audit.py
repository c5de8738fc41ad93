# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Append-only, hash-chained audit trail, sealed after commit.

Entries are written only by :meth:`AccessGovernanceAudit._audit_log`, which
runs as superuser and sets a flag that no RPC call or context can set. ORM
``create`` from anywhere else, ``write`` and ``unlink`` raise ``AccessError``
for everybody, administrators included.

Writers take no shared lock: an entry is inserted with its writer's
transaction id (``writer_txid``, set by the database) and without
``sequence``, ``previous_hash`` and ``hash``. The sealer
(:meth:`_audit_seal`) chains committed entries later, in the order of
``(writer_txid, id)``, and only entries whose writing transaction, and every
transaction that started writing before it, has finished (their id is below
the snapshot's xmin). That makes the order a pure function of the data: the
sequence numbers follow ``(writer_txid, id)``, which verification checks.
The sealer runs right after every commit that wrote entries and from a
scheduled action every minute; a transaction-scoped advisory lock lets one
sealer work at a time while the others skip.

A PostgreSQL trigger rejects UPDATE, DELETE and TRUNCATE, except PostgreSQL
nulling a reference to a deleted user and the one-time seal of an entry,
which it checks itself: the entry's writers have finished, no earlier
finished entry is still unsealed, the sequence and previous hash extend the
head, and the hash is ``sha256(previous hash + canonical JSON)`` computed in
SQL. The one-row head table (last sequence and hash) is advanced only by that
trigger; it reveals a deleted tail.

:meth:`_audit_verify_chain` recomputes the chain in Python and names the first
broken entry; unsealed entries are reported as pending, never as broken.
"""

import hashlib
import json
import logging
from contextvars import ContextVar

import psycopg2

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, html_escape

from ..tools.evidence_pack import HASHED_FIELDS, INT_FIELDS

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

# The columns filled once, by the sealer.
SEAL_COLUMNS = ("sequence", "previous_hash", "hash")

# The columns covered by the hash, in the canonical entry: one definition,
# shared with the Odoo-free evidence pack verifier (tools/evidence_pack.py).

# Key of the transaction-scoped advisory lock held by the one sealer at work
# (advisory locks are per database). Any constant unlikely to collide.
SEAL_LOCK_KEY = 0x61675F7365616C  # "ag_seal"
# Entries sealed per transaction.
SEAL_BATCH = 1000
# Passes (transactions) a sealer run after a commit makes at most, so that a
# bulk change does not keep its request busy long after its commit (sealing
# costs about 3 ms per entry); the scheduled action seals whatever is left.
SEAL_PASSES_AFTER_COMMIT = 2
# Passes of any other run (scheduled action, verification): bounded too, so
# that a run ends even while entries keep coming.
SEAL_MAX_PASSES = 100
# A sealer never waits long for a row lock (an entry being nulled by a user
# deletion, the head locked by a tamperer): it gives up and a later run
# seals the entry.
SEAL_LOCK_TIMEOUT = "5s"
# cr.postcommit.data key: the sealer is scheduled once per transaction.
SEAL_POSTCOMMIT_KEY = "access_governance.audit_seal"


def _canonical_sql(row):
    """SQL expression of the canonical JSON of ``row`` (a row variable of
    the audit table), byte for byte what :meth:`_audit_canonical` builds in
    Python: keys sorted, no spaces, strings escaped as ``json.dumps`` does
    with ``ensure_ascii=False`` (PostgreSQL's ``to_json`` escapes the same
    characters the same way)."""
    parts = []
    for name in sorted(HASHED_FIELDS):
        column = f"{row}.{name}"
        if name in INT_FIELDS:
            value = f"COALESCE({column}, 0)::text"
        elif name == "date":
            value = (
                f"to_json(COALESCE(to_char({column}, 'YYYY-MM-DD HH24:MI:SS'), "
                "''))::text"
            )
        else:
            value = f"to_json(COALESCE({column}::text, ''))::text"
        parts.append(f"""'"{name}":' || {value}""")
    return "'{' || " + " || ',' || ".join(parts) + " || '}'"


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
    _description = "Audit Trail Entry"
    # Entries not sealed yet (no sequence) come first, newest first.
    _order = "sequence desc, id desc"
    _rec_name = "sequence"

    sequence = fields.Integer(
        readonly=True,
        index=True,
        help="Position in the hash chain, given when the entry is sealed "
        "(within seconds of the change); empty while the entry is pending.",
    )
    date = fields.Datetime(readonly=True, index=True)
    event = fields.Selection(EVENTS, readonly=True, index=True)
    actor_id = fields.Many2one(
        "res.users",
        string="Actor User",
        readonly=True,
        ondelete="set null",
        index=True,
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
    details = fields.Text(
        string="Details (JSON)",
        readonly=True,
        help="Canonical JSON with the full detail.",
    )
    previous_hash = fields.Char(readonly=True)
    hash = fields.Char(readonly=True)
    # Readable forms of the evidence above (computed, never stored).
    actor_display = fields.Char(string="Actor", compute="_compute_readable")
    details_html = fields.Html(
        string="Details", compute="_compute_readable", sanitize=True
    )

    _sql_constraints = [
        ("sequence_uniq", "unique (sequence)", "Audit sequence numbers are unique."),
    ]

    # ------------------------------------------------------------------
    # Database protections
    # ------------------------------------------------------------------
    def init(self):
        cr = self.env.cr
        if cr.connection.server_version >= 130000:
            txid = "pg_current_xact_id()::text::bigint"
            own = "pg_current_xact_id_if_assigned()::text::bigint"
            snapshot = "pg_current_snapshot()"
            xmin, xmax = (
                "pg_snapshot_xmin(s)::text::bigint",
                ("pg_snapshot_xmax(s)::text::bigint"),
            )
        else:  # PostgreSQL 12: the same values, older names
            txid, own = "txid_current()", "txid_current_if_assigned()"
            snapshot = "txid_current_snapshot()"
            xmin, xmax = "txid_snapshot_xmin(s)", "txid_snapshot_xmax(s)"
        # Only constants of this module are formatted into the DDL.
        cr.execute(  # pylint: disable=sql-injection
            f"""
            CREATE TABLE IF NOT EXISTS access_governance_audit_head (
                id integer PRIMARY KEY CHECK (id = 1),
                last_sequence integer NOT NULL,
                last_hash varchar NOT NULL
            );

            -- The transaction that wrote the entry (set by the trigger below,
            -- 64-bit so that it never wraps). Not an ORM field: nobody but
            -- the database sets it.
            ALTER TABLE access_governance_audit
                ADD COLUMN IF NOT EXISTS writer_txid bigint;
            CREATE INDEX IF NOT EXISTS access_governance_audit_unsealed_idx
                ON access_governance_audit (writer_txid, id)
                WHERE sequence IS NULL;

            CREATE OR REPLACE FUNCTION access_governance_audit_txid()
            RETURNS bigint LANGUAGE sql VOLATILE AS $fn$ SELECT {txid} $fn$;

            -- Whether transaction ``txid`` and every transaction that started
            -- writing before it have finished, as of the calling statement's
            -- snapshot (STABLE: the caller's snapshot, not a new one). Below
            -- xmin: finished. At or above xmax and not the current
            -- transaction: not started in this cluster, so the entry comes
            -- from another one (a restored dump) and its writer has finished
            -- too (an entry of another transaction of this cluster that is
            -- still running is not visible to the snapshot).
            CREATE OR REPLACE FUNCTION access_governance_audit_finished(txid bigint)
            RETURNS boolean LANGUAGE sql STABLE AS $fn$
                SELECT txid < {xmin}
                    OR (txid >= {xmax} AND txid IS DISTINCT FROM {own})
                  FROM (SELECT {snapshot} AS s) AS snapshot
            $fn$;

            CREATE OR REPLACE FUNCTION access_governance_audit_hash(
                previous varchar, entry access_governance_audit
            ) RETURNS varchar LANGUAGE sql STABLE AS $fn$
                SELECT '{HASH_PREFIX}' || encode(sha256(convert_to(
                    COALESCE(previous, '') || {_canonical_sql("(entry)")},
                    'UTF8')), 'hex')
            $fn$;

            CREATE OR REPLACE FUNCTION access_governance_audit_protect()
            RETURNS trigger LANGUAGE plpgsql AS $fn$
            DECLARE
                fk text[] := ARRAY['actor_id', 'user_id', 'create_uid', 'write_uid'];
                seal text[] := ARRAY['sequence', 'previous_hash', 'hash'];
                col text;
                finished boolean;
                earlier boolean;
                head_sequence integer;
                head_hash varchar;
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    IF NEW.sequence IS NOT NULL OR NEW.previous_hash IS NOT NULL
                       OR NEW.hash IS NOT NULL THEN
                        RAISE EXCEPTION
                            'access_governance_audit: entries are sealed by the '
                            'sealer, not by their writer';
                    END IF;
                    NEW.writer_txid := access_governance_audit_txid();
                    RETURN NEW;
                END IF;
                IF TG_OP = 'UPDATE' THEN
                    -- ON DELETE SET NULL of a referenced user: every other
                    -- column unchanged, references only nulled.
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
                    -- The sealer's one-time fill of the seal columns, checked
                    -- here so that nobody can seal with values of their own.
                    IF (to_jsonb(NEW) - seal) = (to_jsonb(OLD) - seal)
                       AND OLD.sequence IS NULL AND OLD.previous_hash IS NULL
                       AND OLD.hash IS NULL AND NEW.sequence IS NOT NULL
                       AND NEW.previous_hash IS NOT NULL AND NEW.hash IS NOT NULL THEN
                        -- One statement, one snapshot for both checks.
                        SELECT access_governance_audit_finished(OLD.writer_txid),
                               EXISTS (
                                   SELECT 1 FROM access_governance_audit a
                                    WHERE a.sequence IS NULL
                                      AND (a.writer_txid, a.id)
                                          < (OLD.writer_txid, OLD.id)
                                      AND access_governance_audit_finished(
                                          a.writer_txid))
                          INTO finished, earlier;
                        IF finished IS NOT TRUE THEN
                            RAISE EXCEPTION
                                'access_governance_audit: entry % cannot be sealed '
                                'before its transaction and every earlier one '
                                'have finished', OLD.id;
                        END IF;
                        IF earlier THEN
                            RAISE EXCEPTION
                                'access_governance_audit: entry % cannot be sealed '
                                'before the entries written before it', OLD.id;
                        END IF;
                        SELECT last_sequence, last_hash INTO head_sequence, head_hash
                          FROM access_governance_audit_head WHERE id = 1 FOR UPDATE;
                        IF NEW.sequence <> head_sequence + 1
                           OR NEW.previous_hash <> head_hash THEN
                            RAISE EXCEPTION
                                'access_governance_audit: the seal of entry % does '
                                'not extend the chain at #%', OLD.id, head_sequence;
                        END IF;
                        IF NEW.hash <> access_governance_audit_hash(head_hash, NEW) THEN
                            RAISE EXCEPTION
                                'access_governance_audit: the hash of entry % does '
                                'not match its content', OLD.id;
                        END IF;
                        UPDATE access_governance_audit_head
                           SET last_sequence = NEW.sequence, last_hash = NEW.hash
                         WHERE id = 1;
                        RETURN NEW;
                    END IF;
                END IF;
                RAISE EXCEPTION 'access_governance_audit is append-only: % refused', TG_OP;
            END;
            $fn$;

            -- The head moves only when the trigger above seals an entry.
            CREATE OR REPLACE FUNCTION access_governance_audit_head_protect()
            RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
                    RETURN NEW;
                END IF;
                IF TG_OP = 'INSERT' AND NEW.id = 1 AND NEW.last_sequence = 0
                   AND NEW.last_hash = '' THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION
                    'access_governance_audit_head moves only when an audit entry '
                    'is sealed: % refused', TG_OP;
            END;
            $fn$;

            DROP TRIGGER IF EXISTS access_governance_audit_no_change
                ON access_governance_audit;
            CREATE TRIGGER access_governance_audit_no_change
                BEFORE INSERT OR UPDATE OR DELETE ON access_governance_audit
                FOR EACH ROW EXECUTE FUNCTION access_governance_audit_protect();

            DROP TRIGGER IF EXISTS access_governance_audit_no_truncate
                ON access_governance_audit;
            CREATE TRIGGER access_governance_audit_no_truncate
                BEFORE TRUNCATE ON access_governance_audit
                FOR EACH STATEMENT EXECUTE FUNCTION access_governance_audit_protect();

            DROP TRIGGER IF EXISTS access_governance_audit_head_guard
                ON access_governance_audit_head;
            CREATE TRIGGER access_governance_audit_head_guard
                BEFORE INSERT OR UPDATE OR DELETE ON access_governance_audit_head
                FOR EACH ROW EXECUTE FUNCTION access_governance_audit_head_protect();

            DROP TRIGGER IF EXISTS access_governance_audit_head_no_truncate
                ON access_governance_audit_head;
            CREATE TRIGGER access_governance_audit_head_no_truncate
                BEFORE TRUNCATE ON access_governance_audit_head
                FOR EACH STATEMENT
                EXECUTE FUNCTION access_governance_audit_head_protect();

            INSERT INTO access_governance_audit_head (id, last_sequence, last_hash)
            VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING;
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

    @api.depends("sequence", "event", "hash")
    def _compute_display_name(self):
        labels = dict(self._fields["event"]._description_selection(self.env))
        for entry in self:
            label = labels.get(entry.event, "")
            entry.display_name = (
                f"#{entry.sequence} {label}"
                if entry.hash
                else _("%(event)s (pending seal)", event=label)
            )

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
        """Append entries to the trail, in order, in one transaction; they
        are sealed into the hash chain once it has committed.

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
        """Insert prepared values as superuser, unsealed.

        No lock is taken: the database records the writing transaction, and
        the sealer chains the entries once it has committed (scheduled below,
        once per transaction).

        sudo: the audit table has no create ACL for anybody; this method is
        the single trusted writer, and the context variable below is what the
        ``create`` guard checks.
        """
        token = _AUDIT_WRITING.set(True)
        try:
            entries = self.sudo().create(vals_list)
        finally:
            _AUDIT_WRITING.reset(token)
        entries.flush_recordset()
        self._audit_seal_after_commit()
        return entries.with_env(self.env)

    @api.model
    def _audit_seal_after_commit(self):
        """Seal this transaction's entries right after it commits."""
        postcommit = self.env.cr.postcommit
        if postcommit.data.get(SEAL_POSTCOMMIT_KEY):
            return
        postcommit.data[SEAL_POSTCOMMIT_KEY] = True
        audit = self.browse()

        def seal():
            try:
                audit._audit_seal(max_passes=SEAL_PASSES_AFTER_COMMIT)
            except Exception:
                # After the commit: the change is saved whatever happens
                # here, and the scheduled action seals what is left.
                _logger.exception("access_governance: sealing after commit failed")

        postcommit.add(seal)

    # ------------------------------------------------------------------
    # Sealing
    # ------------------------------------------------------------------
    # The sealer works on cursors of its own with SQL only (no environment),
    # so that it can run anywhere, after any commit, in any thread.
    @api.model
    def _audit_seal(self, batch_size=SEAL_BATCH, max_passes=SEAL_MAX_PASSES):
        """Seal every entry that can be sealed now, in a cursor of its own.

        Each pass is one READ COMMITTED transaction holding the sealer's
        advisory lock; a pass that cannot take the lock skips (another sealer
        is at work and will see these entries too). Passes continue while
        they seal something, so that entries committed during a pass are
        sealed by the sealer already at work.

        Returns ``{"sealed": count, "skipped": bool}``; ``skipped`` when
        another sealer held the lock or a pass failed (logged; the next run
        retries).
        """
        registry = self.env.registry
        if registry.in_test_mode():
            # One shared test cursor: nothing it wrote has committed.
            return {"sealed": 0, "skipped": True}
        total, passes = 0, 0
        with registry.cursor() as cr:
            while True:
                try:
                    sealed = self._audit_seal_pass(cr, batch_size)
                except psycopg2.Error as error:
                    cr.rollback()
                    log = (
                        _logger.warning
                        if isinstance(error, psycopg2.OperationalError)
                        else _logger.error
                    )
                    log("access_governance: audit sealing pass failed: %s", error)
                    return {"sealed": total, "skipped": True}
                if sealed is None:
                    cr.rollback()
                    return {"sealed": total, "skipped": True}
                # The sealer's own cursor: each pass is its own transaction.
                cr.commit()  # pylint: disable=invalid-commit
                total += sealed
                passes += 1
                if not sealed or passes >= max_passes:
                    break
        return {"sealed": total, "skipped": False}

    @api.model
    def _audit_seal_pass(self, cr, batch_size=SEAL_BATCH):
        """Seal up to ``batch_size`` entries in the transaction of ``cr``,
        which must not have run any statement yet.

        Returns the number sealed, or None when another sealer holds the
        lock. The trigger checks every seal and advances the head.
        """
        # READ COMMITTED: each statement sees what earlier sealers committed,
        # even if they released the lock after this transaction began.
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cr.execute("SELECT set_config('lock_timeout', %s, true)", [SEAL_LOCK_TIMEOUT])
        cr.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
        if not cr.fetchone()[0]:
            return None
        head = self._audit_head(cr)
        seals = self._audit_seal_compute(
            head, self._audit_seal_candidates(cr, batch_size)
        )
        self._audit_seal_write(cr, seals)
        if seals and self._audit_head(cr) != (seals[-1][1], seals[-1][3]):
            raise psycopg2.InternalError(
                "the audit head does not match the last sealed entry"
            )
        return len(seals)

    @api.model
    def _audit_head(self, cr=None):
        """(last sequence, last hash) of the chain, from the head table."""
        cr = cr or self.env.cr
        cr.execute(
            "SELECT last_sequence, last_hash FROM access_governance_audit_head "
            "WHERE id = 1"
        )
        return cr.fetchone() or (0, "")

    @api.model
    def _audit_seal_candidates(self, cr, limit=None, finished_only=True):
        """Unsealed entries in sealing order, ``(writer_txid, id)``.

        With ``finished_only`` (the sealer), only entries whose transaction
        and every earlier-started one have finished: all of them are visible
        to this statement, so no entry can later appear before them. Without
        it, every visible unsealed entry, for a caller that seals with the
        trigger disabled (tests sealing their own transaction).
        """
        columns = ["id", *(f for f in HASHED_FIELDS if f != "sequence")]
        cr.execute(
            SQL(
                "SELECT %s FROM access_governance_audit WHERE sequence IS NULL %s "
                "ORDER BY writer_txid, id LIMIT %s",
                SQL(", ").join(SQL.identifier(column) for column in columns),
                SQL("AND access_governance_audit_finished(writer_txid)")
                if finished_only
                else SQL(),
                limit,
            )
        )
        return cr.dictfetchall()

    @api.model
    def _audit_seal_compute(self, head, rows):
        """``(id, sequence, previous_hash, hash)`` of each row, chained
        after ``head`` (last sequence, last hash) in the order given."""
        sequence, previous = head
        seals = []
        for row in rows:
            sequence += 1
            digest = self._audit_compute_hash(previous, dict(row, sequence=sequence))
            seals.append((row["id"], sequence, previous, digest))
            previous = digest
        return seals

    @api.model
    def _audit_seal_write(self, cr, seals, page_size=200):
        """Write the seals, one statement per entry and in order (the
        trigger checks each against the head the previous one advanced),
        several statements per round trip."""
        query = (
            "UPDATE access_governance_audit "
            "SET sequence = %s, previous_hash = %s, hash = %s "
            "WHERE id = %s AND sequence IS NULL"
        )
        for start in range(0, len(seals), page_size):
            statements = [
                cr.mogrify(query, (sequence, previous, digest, entry_id)).decode()
                for entry_id, sequence, previous, digest in seals[
                    start : start + page_size
                ]
            ]
            cr.execute(";\n".join(statements), log_exceptions=False)

    @api.model
    def _audit_pending_status(self):
        """How many visible entries wait for their seal, and since when
        (the date of the oldest)."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*), min(date) FROM access_governance_audit "
            "WHERE sequence IS NULL"
        )
        count, since = self.env.cr.fetchone()
        return {"pending": count, "pending_since": since or False}

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
        """Recompute the whole chain from the database, in sequence order.

        Returns a dict: ``state`` (``intact`` / ``broken``), ``checked``
        (sealed entries read), ``last_sequence``, ``pending`` (entries not
        sealed yet: they are not part of the chain, so never broken) and
        ``pending_since`` (date of the oldest, or False), and for a broken
        chain ``broken_sequence``, ``broken_id`` and ``reason`` naming the
        first broken entry in words an auditor can act on.
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
            head_sequence, head_hash = self._audit_head()
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
        result.update(self._audit_pending_status())
        return result

    @api.depends("actor_uid", "actor_login", "details")
    def _compute_readable(self):
        for entry in self:
            if entry.actor_uid == SUPERUSER_ID or entry.actor_login == "__system__":
                entry.actor_display = _("System (scheduled action or installation)")
            elif entry.actor_id:
                entry.actor_display = f"{entry.actor_id.name} ({entry.actor_login})"
            else:
                entry.actor_display = entry.actor_login or ""
            entry.details_html = entry._audit_details_html()

    def _audit_details_html(self):
        """The canonical JSON of the details as a readable list."""
        try:
            details = json.loads(self.details) if self.details else None
        except ValueError:
            return html_escape(self.details)
        if not isinstance(details, dict) or not details:
            return html_escape(self.details or "")
        rows = []
        for key in sorted(details):
            value = details[key]
            if isinstance(value, list | tuple):
                value = ", ".join(str(item) for item in value)
            elif isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in sorted(value.items()))
            label = key.replace("_", " ").capitalize()
            rows.append(
                f"<li><b>{html_escape(label)}</b>: {html_escape(str(value))}</li>"
            )
        return "<ul>" + "".join(rows) + "</ul>"

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
        # Seal what can be sealed first, so that only entries still being
        # written (or held back by a running transaction) show as pending.
        self._audit_seal()
        result = self._audit_verify_chain()
        self._audit_record_verification(result)
        return result

    @api.model
    def _cron_seal_audit(self):
        """Backstop of the sealing after each commit (every minute)."""
        return self._audit_seal()

    @api.model
    def _audit_record_verification(self, result):
        """Record the outcome of a verification in the trail itself.

        A broken chain is logged loudly and recorded as its own event; the
        findings module hooks into :meth:`_audit_chain_broken`.
        """
        if result["state"] == "broken":
            self._audit_chain_broken(result)
        else:
            description = _(
                "Audit chain intact: %(count)s entries verified.",
                count=result["checked"],
            )
            if result.get("pending"):
                description += " " + _(
                    "%(count)s more entries, written since %(since)s, are not "
                    "sealed yet.",
                    count=result["pending"],
                    since=result["pending_since"],
                )
            self._audit_log(
                "chain_verified",
                description=description,
                details={
                    "checked": result["checked"],
                    "pending": result.get("pending", 0),
                },
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
            self.env["access.governance.detector.broken_audit_chain"]._chain_intact()
        return res

    @api.model
    def _audit_chain_broken(self, result):
        res = super()._audit_chain_broken(result)
        self.env["access.governance.detector.broken_audit_chain"]._chain_broken(result)
        return res
