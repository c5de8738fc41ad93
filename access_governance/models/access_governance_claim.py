# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Claims: why a user holds each governed group.

Every governed group a user holds directly is justified by at least one
active claim: a role assignment, a grant, or a baseline (held before
governance managed the user, or set directly by an administrator).

This model is also the claims *engine*: the only code that adds or removes
governed groups. Later features call its small API:

* :meth:`_claims_start` — start claims of one source on users × groups; adds
  the groups each user lacks and records on each claim whether it added it.
* :meth:`_claims_end` / :meth:`_claims_end_source` — end claims; a group
  leaves a user only when no other active claim holds it, directly or
  through a group that implies it (as Odoo's own ``_remove_group`` does).
* :meth:`_claims_sync_source` — make one source's claims exactly a mapping.
* :meth:`_claims_capture_changes` — record changes made outside the engine
  (user form, ``groups_id`` writes, the group form) as baseline changes.

Changes are applied in batches: users whose diff is identical share one
``write``; preference and technical groups are never touched.
"""

import logging
from collections import defaultdict
from contextvars import ContextVar

from odoo import api, fields, models
from odoo.fields import Command

_logger = logging.getLogger(__name__)

# True while the engine itself writes groups: res.users / res.groups writes
# made then are not out-of-band changes. Not settable through the context.
ENGINE_WRITING = ContextVar("access_governance_engine_writing", default=False)

# Source model -> the claim's link to it.
SOURCE_LINKS = {
    "access.governance.grant": "grant_id",
    "access.governance.role.assignment": "role_assignment_id",
}

CLAIM_KINDS = [
    ("baseline", "Baseline"),
    ("role", "Role"),
    ("grant", "Grant"),
]


class AccessGovernanceClaim(models.Model):
    _name = "access.governance.claim"
    _description = "Access Claim"
    _inherit = ["access.governance.guarded"]
    # Claims are written by the engine only: every stored field.
    _governance_protect_all_stored = True
    _order = "user_id, group_id, date_start desc, id desc"

    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, readonly=True
    )
    group_id = fields.Many2one(
        "res.groups", required=True, ondelete="cascade", index=True, readonly=True
    )
    kind = fields.Selection(
        CLAIM_KINDS, string="Justified By", required=True, index=True, readonly=True
    )
    source_ref = fields.Char(
        string="Source",
        index=True,
        readonly=True,
        help="The record that justifies the group ('model,id'): a role "
        "assignment or a grant. Empty for a baseline claim.",
    )
    source_name = fields.Char(readonly=True)
    grant_id = fields.Many2one(
        "access.governance.grant",
        string="Grant",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
        help="The grant that justifies this claim (kind Grant).",
    )
    role_assignment_id = fields.Many2one(
        "access.governance.role.assignment",
        string="Role Assignment",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
        help="The role assignment that justifies this claim (kind Role).",
    )
    added = fields.Boolean(
        string="Gave the Group",
        readonly=True,
        help="The user lacked the group when this claim started, so this claim "
        "added it.",
    )
    active = fields.Boolean(default=True, index=True, readonly=True)
    date_start = fields.Datetime(
        required=True, default=fields.Datetime.now, readonly=True
    )
    date_end = fields.Datetime(readonly=True)
    started_by_id = fields.Many2one("res.users", readonly=True, ondelete="set null")
    ended_by_id = fields.Many2one("res.users", readonly=True, ondelete="set null")
    note = fields.Char(readonly=True)
    group_risk = fields.Selection(related="group_id.governance_risk")
    # "My Access" groups what a person holds by application.
    application = fields.Char(compute="_compute_application", store=True)

    @api.depends("group_id.category_id.name")
    def _compute_application(self):
        for claim in self:
            claim.application = claim.group_id.category_id.name or self.env._("Other")

    def _governance_is_evidence(self):
        """An ended claim is the evidence of why a group was held."""
        self.ensure_one()
        return not self.active

    def init(self):
        # One active claim per (user, group, kind, source): starting the same
        # claim twice is a no-op, never a duplicate.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS access_governance_claim_active_uniq
            ON access_governance_claim
               (user_id, group_id, kind, COALESCE(source_ref, ''))
            WHERE active
            """
        )

    @api.depends("kind", "group_id", "source_name")
    def _compute_display_name(self):
        kinds = dict(CLAIM_KINDS)
        for claim in self:
            label = claim.source_name or kinds.get(claim.kind, "")
            claim.display_name = f"{claim.group_id.full_name} ({label})"

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @api.model
    def _claims_source_ref(self, source):
        """Return (ref, name) for a source record or string."""
        if not source:
            return False, False
        if isinstance(source, str):
            return source, source
        source.ensure_one()
        return f"{source._name},{source.id}", source.sudo().display_name

    @api.model
    def _claims_source_links(self, refs):
        """{ref: {grant_id: id} or {role_assignment_id: id}}: the real links
        of source references whose record exists (``source_ref`` stays, as
        evidence). One query per source model."""
        ids = defaultdict(set)
        for ref in refs:
            model, _sep, res_id = (ref or "").partition(",")
            if model in SOURCE_LINKS and res_id.isdigit():
                ids[model].add(int(res_id))
        links = {}
        for model, res_ids in ids.items():
            existing = self.env[model].sudo().browse(sorted(res_ids)).exists()
            for res_id in existing.ids:
                links[f"{model},{res_id}"] = {SOURCE_LINKS[model]: res_id}
        return links

    @api.model
    def _claims_group_data(self):
        """Governed group ids and the transitive implication map, from SQL.

        Read once per engine run; cheap even with hundreds of groups.
        """
        cr = self.env.cr
        self.env["res.groups"].flush_model(["governance_scope", "implied_ids"])
        cr.execute("SELECT id FROM res_groups WHERE governance_scope = 'governed'")
        governed = {row[0] for row in cr.fetchall()}
        cr.execute("SELECT gid, hid FROM res_groups_implied_rel")
        direct = defaultdict(set)
        for gid, hid in cr.fetchall():
            direct[gid].add(hid)
        closure = {}

        def implied(gid, _seen=()):
            if gid not in closure:
                result = set()
                for hid in direct.get(gid, ()):
                    if hid in _seen:
                        continue
                    result.add(hid)
                    result |= implied(hid, (*_seen, gid))
                closure[gid] = result
            return closure[gid]

        return governed, implied

    @api.model
    def _claims_untouchable_groups(self):
        """Ids of the groups the engine never removes as implied by a removed
        one: user types (internal, portal, public) and preference groups."""
        cr = self.env.cr
        self.env["res.groups"].flush_model(["governance_scope", "category_id"])
        user_type = self.env.ref(
            "base.module_category_user_type", raise_if_not_found=False
        )
        cr.execute(
            """
            SELECT id FROM res_groups
             WHERE governance_scope = 'preference' OR category_id = %s
            """,
            [user_type.id if user_type else None],
        )
        return {row[0] for row in cr.fetchall()}

    @api.model
    def _claims_current_groups(self, user_ids):
        """{uid: set(gid)} of the groups users hold (implied closure included)."""
        self.env["res.users"].flush_model(["groups_id"])
        current = {uid: set() for uid in user_ids}
        if user_ids:
            self.env.cr.execute(
                "SELECT uid, gid FROM res_groups_users_rel WHERE uid = ANY(%s)",
                [list(user_ids)],
            )
            for uid, gid in self.env.cr.fetchall():
                current[uid].add(gid)
        return current

    @api.model
    def _claims_active_by_user(self, user_ids):
        """{uid: {gid: [(claim id, kind, source_ref)]}} of active claims."""
        self.flush_model()
        result = defaultdict(lambda: defaultdict(list))
        if user_ids:
            self.env.cr.execute(
                """
                SELECT id, user_id, group_id, kind, source_ref
                  FROM access_governance_claim
                 WHERE active AND user_id = ANY(%s)
                """,
                [list(user_ids)],
            )
            for cid, uid, gid, kind, ref in self.env.cr.fetchall():
                result[uid][gid].append((cid, kind, ref))
        return result

    @api.model
    def _claims_explicit(self, held, implied):
        """The explicit part of a set of held groups: those not implied by
        another held group (Odoo stores the implied closure as real rows)."""
        implied_by_others = set()
        for gid in held:
            implied_by_others |= implied(gid)
        return held - implied_by_others

    # ------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------
    @api.model
    def _claims_start(self, users, groups, kind, source=None, note=None):
        """Start claims of ``kind`` for ``source`` on every group for every user.

        Only governed groups are claimed. The groups a user lacks are added
        (one write per batch of users with the same diff); each new claim
        records whether it added its group. An identical active claim is kept,
        not duplicated. Returns the new claims.
        """
        ref, name = self._claims_source_ref(source)
        pairs = [(user.id, group.id) for user in users for group in groups]
        return self._claims_apply(
            start=[(uid, gid, kind, ref, name) for uid, gid in pairs],
            note=note,
        )["started"]

    @api.model
    def _claims_end(self, claims, note=None):
        """End active claims; remove what no other active claim justifies."""
        return self._claims_apply(end=claims.filtered("active"), note=note)

    @api.model
    def _claims_end_source(self, source, users=None, groups=None, note=None):
        """End the active claims of ``source`` (optionally for some users or
        groups only)."""
        ref, _name = self._claims_source_ref(source)
        domain = [("source_ref", "=", ref), ("active", "=", True)]
        if users is not None:
            domain.append(("user_id", "in", users.ids))
        if groups is not None:
            domain.append(("group_id", "in", groups.ids))
        return self._claims_end(self.sudo().search(domain), note=note)

    @api.model
    def _claims_sync_source(self, kind, source, user_groups, note=None):
        """Make the active claims of ``source`` exactly ``user_groups``.

        ``user_groups`` maps a res.users record (or id) to res.groups records
        (or ids). Users absent from the mapping keep their claims; map a user
        to an empty set to end all of theirs. One engine run for everything.
        """
        ref, name = self._claims_source_ref(source)
        wanted = {
            getattr(user, "id", user): set(getattr(groups, "ids", groups))
            for user, groups in user_groups.items()
        }
        existing = self.sudo().search(
            [
                ("source_ref", "=", ref),
                ("kind", "=", kind),
                ("active", "=", True),
                ("user_id", "in", list(wanted)),
            ]
        )
        have = defaultdict(set)
        to_end = self.browse()
        for claim in existing:
            if claim.group_id.id in wanted[claim.user_id.id]:
                have[claim.user_id.id].add(claim.group_id.id)
            else:
                to_end |= claim
        start = [
            (uid, gid, kind, ref, name)
            for uid, gids in wanted.items()
            for gid in gids - have[uid]
        ]
        return self._claims_apply(start=start, end=to_end, note=note)

    @api.model
    def _claims_capture_baseline(self, users, origin="baseline_capture"):
        """Record a baseline claim for every governed group each user holds
        explicitly and no active claim justifies yet (install, new users)."""
        return self._claims_capture_changes(
            {user.id: set() for user in users}, origin=origin
        )

    # ------------------------------------------------------------------
    # The engine
    # ------------------------------------------------------------------
    @api.model
    def _claims_apply(self, start=(), end=None, note=None):
        """Start and end claims, then apply the group diff per user.

        :param start: iterable of (uid, gid, kind, source_ref, source_name)
        :param end: claims to end
        :return: dict with ``started`` (new claims), ``ended`` (claims ended),
            ``added`` and ``removed`` ({uid: set(gid)}, implied groups that
            Odoo added are included in ``added``).
        """
        return self._claims_apply_as_superuser(list(start), end, note)

    @api.model
    def _claims_apply_as_superuser(self, start, end, note):
        # sudo: callers have already decided the change is allowed (an
        # approved grant, a role assignment, an administrator's edit); the
        # engine must then write res.users.groups_id and the claims, which
        # no governance group may write directly.
        Claim = self.sudo()
        end = (end or Claim.browse()).sudo()
        # A grant follows its claims: ending one of an active grant's claims
        # from anywhere else ends the grant, all of its claims in this pass.
        end, followed = self._claims_follow_grants(end)
        governed, implied = self._claims_group_data()
        start = [item for item in start if item[1] in governed]
        user_ids = {item[0] for item in start} | set(end.mapped("user_id").ids)
        result = {"started": Claim.browse(), "ended": end, "added": {}, "removed": {}}
        if not user_ids:
            return result
        current = self._claims_current_groups(user_ids)
        active = self._claims_active_by_user(user_ids)
        now = fields.Datetime.now()
        # 1. New claims (identical active ones are kept, not duplicated).
        new_vals = self._claims_new_values(start, current, active, now, note)
        started = Claim._governance_create(new_vals) if new_vals else Claim.browse()
        # 2. End claims.
        if end:
            end._governance_write(
                {
                    "active": False,
                    "date_end": now,
                    "ended_by_id": self.env.uid,
                    "note": note,
                }
            )
        # 3. Diff per user from the claims as they now stand; 4. one write per
        # batch of users sharing the same diff.
        diffs = self._claims_diffs(
            user_ids, current, active, new_vals, end, governed, implied
        )
        self._claims_write_diffs(diffs)
        after = self._claims_current_groups(user_ids) if diffs else current
        for uid in user_ids:
            if after[uid] - current[uid]:
                result["added"][uid] = after[uid] - current[uid]
            if current[uid] - after[uid]:
                result["removed"][uid] = current[uid] - after[uid]
        result["started"] = started
        self._claims_audit(started, end, current, after)
        if followed:
            followed._grant_follow_claims(note)
        return result

    @api.model
    def _claims_follow_grants(self, end):
        """(claims to end, grants they end): the claims of ``end`` plus every
        other active claim of the active grants among them.

        A grant ending by itself (expiry, revocation) is no longer active
        when its claims end (its state is written first), so only access
        ended elsewhere (review, offboarding, finding, administrator) is
        followed here."""
        grants = end.grant_id.filtered(lambda g: g.state == "active")
        if not grants:
            return end, grants
        others = self.sudo().search(
            [("grant_id", "in", grants.ids), ("active", "=", True)]
        )
        return end | others, grants

    @api.model
    def _claims_new_values(self, start, current, active, now, note):
        """Values of the claims to create, skipping identical active ones."""
        new_vals = []
        seen = set()
        links = self._claims_source_links({item[3] for item in start})
        adding = set()
        for uid, gid, kind, ref, name in start:
            key = (uid, gid, kind, ref or False)
            if key in seen or any(
                (k, r or False) == key[2:] for _c, k, r in active[uid][gid]
            ):
                continue
            seen.add(key)
            # Two sources starting the same group in one pass: the first one
            # added it.
            added = gid not in current[uid] and (uid, gid) not in adding
            if added:
                adding.add((uid, gid))
            new_vals.append(
                {
                    "user_id": uid,
                    "group_id": gid,
                    "kind": kind,
                    "source_ref": ref,
                    "source_name": name,
                    **links.get(ref, {}),
                    "added": added,
                    "date_start": now,
                    "started_by_id": self.env.uid,
                    "note": note,
                }
            )
        return new_vals

    @api.model
    def _claims_diffs(
        self, user_ids, current, active, new_vals, end, governed, implied
    ):
        """{(add, remove): [uid]}: what each user gains and loses.

        A group is removed only when no remaining claim holds it and no group
        the user keeps implies it (Odoo's own ``_remove_group`` rule); the
        groups a removed group implied leave with it whatever their scope,
        user types and preferences aside.
        """
        ending_ids = set(end.ids)
        claimed = defaultdict(set)
        for uid in user_ids:
            for gid, rows in active[uid].items():
                if any(cid not in ending_ids for cid, _k, _r in rows):
                    claimed[uid].add(gid)
        to_add = defaultdict(set)
        for vals in new_vals:
            claimed[vals["user_id"]].add(vals["group_id"])
            if vals["added"]:
                to_add[vals["user_id"]].add(vals["group_id"])
        candidates = defaultdict(set)
        for claim in end:
            candidates[claim.user_id.id].add(claim.group_id.id)
        untouchable = self._claims_untouchable_groups() if candidates else set()
        diffs = defaultdict(list)
        for uid in user_ids:
            held = current[uid]
            cand = candidates[uid] & governed
            for gid in candidates[uid] & governed:
                cand |= implied(gid) - untouchable
            # What a removed group implied leaves with it, whatever its scope
            # (a hidden "officer" group confers rights too), unless a group
            # the user keeps still implies it; user types and preferences the
            # user chose stay.
            cand = (cand & held) - claimed[uid]
            keep = set()
            for gid in (held | to_add[uid]) - cand:
                keep |= implied(gid)
            # The engine adds the implied closure itself (Odoo would re-link
            # it with one write per distinct set of groups, i.e. per user).
            add = set(to_add[uid])
            for gid in to_add[uid]:
                add |= implied(gid)
            add, remove = add - held, cand - keep
            if add or remove:
                diffs[(frozenset(add), frozenset(remove))].append(uid)
        return diffs

    @api.model
    def _claims_write_diffs(self, diffs):
        """Apply {(add, remove): [uid]} with one write per distinct diff.

        ``add`` already holds the implied closure, so Odoo's own re-linking
        of implied groups (one write per distinct set of held groups) is
        skipped with its ``no_add_implied_groups`` context key.
        """
        Users = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False, no_add_implied_groups=True)
        )
        token = ENGINE_WRITING.set(True)
        try:
            for (add, remove), uids in diffs.items():
                commands = [Command.link(gid) for gid in sorted(add)]
                commands += [Command.unlink(gid) for gid in sorted(remove)]
                Users.browse(uids).write({"groups_id": commands})
        finally:
            ENGINE_WRITING.reset(token)

    @api.model
    def _claims_audit(self, started, ended, before, after):
        """One audit entry per user and source for started / ended claims."""
        Groups = self.env["res.groups"].sudo()
        Users = self.env["res.users"].sudo().with_context(active_test=False)
        buckets = defaultdict(lambda: self.browse())
        for event, claims in (("claim_start", started), ("claim_end", ended)):
            for claim in claims:
                key = (event, claim.user_id.id, claim.kind, claim.source_ref or "")
                buckets[key] |= claim
        # Browse all users at once so their snapshots are read in one query.
        # Texts use self.env._(): a bare _() would take the language of the
        # local ``uid`` (the user the entry is about), one query per user.
        users = {
            user.id: user for user in Users.browse(sorted({k[1] for k in buckets}))
        }
        entries = []
        for (event, uid, kind, ref), claims in buckets.items():
            added = Groups.browse(sorted(after[uid] - before[uid]))
            removed = Groups.browse(sorted(before[uid] - after[uid]))
            source = claims[0].source_name or dict(CLAIM_KINDS)[kind]
            verb = (
                self.env._("started") if event == "claim_start" else self.env._("ended")
            )
            description = self.env._(
                "%(kind)s claim %(verb)s (%(justification)s) on %(groups)s.",
                kind=dict(CLAIM_KINDS)[kind],
                verb=verb,
                justification=source,
                groups=", ".join(claims.group_id.mapped("full_name")),
            )
            if event == "claim_start" and added:
                description += " " + self.env._(
                    "Added: %s.", ", ".join(added.mapped("full_name"))
                )
            if event == "claim_end" and removed:
                description += " " + self.env._(
                    "Removed: %s.", ", ".join(removed.mapped("full_name"))
                )
            entries.append(
                {
                    "event": event,
                    "user": users[uid],
                    "groups": claims.group_id,
                    "description": description,
                    "details": {
                        "kind": kind,
                        "source": ref,
                        "claims": claims.ids,
                        "groups_added": added.mapped("full_name"),
                        "groups_removed": removed.mapped("full_name"),
                        "note": claims[0].note or "",
                    },
                }
            )
        self.env["access.governance.audit"]._audit_log_batch(entries)

    @api.model
    def _claims_release_ungoverned(self, groups):
        """End the active claims on groups that left governance, without
        touching anybody's groups (governance no longer manages them)."""
        return self._claims_release_ungoverned_as_superuser(groups)

    @api.model
    def _claims_release_ungoverned_as_superuser(self, groups):
        # sudo: claims have no write access for anybody; the caller is the
        # administrator's scope change, already checked in res.groups.write.
        claims = self.sudo().search(
            [("group_id", "in", groups.ids), ("active", "=", True)]
        )
        claims._governance_write(
            {
                "active": False,
                "date_end": fields.Datetime.now(),
                "ended_by_id": self.env.uid,
                "note": "scope_change",
            }
        )
        return claims

    # ------------------------------------------------------------------
    # Changes made outside the engine
    # ------------------------------------------------------------------
    @api.model
    def _claims_capture_changes(self, before, after=None, origin="baseline_change"):
        """Record group changes made outside the engine as baseline changes.

        :param before: {uid: set(gid)} held before the change
        :param after: {uid: set(gid)} held after it (read now when omitted)
        :param origin: ``baseline_change`` (out-of-band edit) or
            ``baseline_capture`` (install, user creation)

        A governed group given explicitly gains a baseline claim unless a claim
        already justifies it; a governed group taken away ends its baseline
        claims (role and grant claims stay and are named in the audit entry).
        """
        return self._claims_capture_as_superuser(before, after, origin)

    @api.model
    def _claims_capture_as_superuser(self, before, after, origin):
        # sudo: recording evidence of a change already made (and already
        # permitted by Odoo's own access rules on res.users / res.groups).
        Claim = self.sudo()
        if not before:
            return Claim.browse()
        governed, implied = self._claims_group_data()
        if after is None:
            after = self._claims_current_groups(set(before))
        active = self._claims_active_by_user(set(before))
        now = fields.Datetime.now()
        actor = self.env.uid
        new_vals = []
        to_end_ids = []
        grant_claim_ids = []
        changes = {}
        for uid, old in before.items():
            new = after.get(uid, set())
            explicit = self._claims_explicit(new, implied)
            # Explicit governed groups nothing justifies yet: new ones, and
            # ones a removed parent group left behind as explicit.
            gained = {gid for gid in explicit & governed if not active[uid].get(gid)}
            lost = (old - new) & governed
            overridden = []
            for gid in lost:
                for cid, kind, ref in active[uid].get(gid, ()):
                    if kind == "baseline":
                        to_end_ids.append(cid)
                    elif kind == "grant":
                        # The grant follows: it ends, as revoked.
                        grant_claim_ids.append(cid)
                    else:
                        overridden.append((gid, kind, ref))
            for gid in gained:
                new_vals.append(
                    {
                        "user_id": uid,
                        "group_id": gid,
                        "kind": "baseline",
                        "added": origin != "baseline_capture" and gid not in old,
                        "date_start": now,
                        "started_by_id": actor,
                        "note": origin,
                    }
                )
            if gained or lost:
                changes[uid] = (gained, lost, overridden, (new - old) & governed)
        claims = Claim._governance_create(new_vals) if new_vals else Claim.browse()
        if to_end_ids:
            Claim.browse(to_end_ids)._governance_write(
                {"active": False, "date_end": now, "ended_by_id": actor, "note": origin}
            )
        self._claims_audit_capture(changes, origin)
        if grant_claim_ids:
            self._claims_apply(end=Claim.browse(grant_claim_ids), note="out_of_band")
        return claims

    @api.model
    def _claims_audit_capture(self, changes, origin):
        Groups = self.env["res.groups"].sudo()
        Users = self.env["res.users"].sudo().with_context(active_test=False)
        # Browse all users at once so their snapshots are read in one query.
        users = {user.id: user for user in Users.browse(sorted(changes))}
        entries = []
        for uid, (gained, lost, overridden, added_all) in changes.items():
            gained_g = Groups.browse(sorted(gained))
            lost_g = Groups.browse(sorted(lost))
            sensitive = (gained_g | lost_g).filtered(
                lambda g: g.governance_risk in ("high", "critical")
            )
            if origin != "baseline_change":
                description = self.env._(
                    "Baseline recorded: %s.", ", ".join(gained_g.mapped("full_name"))
                )
            else:
                parts = []
                if gained_g:
                    parts.append(
                        self.env._("given %s", ", ".join(gained_g.mapped("full_name")))
                    )
                if lost_g:
                    parts.append(
                        self.env._("removed %s", ", ".join(lost_g.mapped("full_name")))
                    )
                description = self.env._(
                    "Changed outside governance: %s.", "; ".join(parts)
                )
            entries.append(
                {
                    "event": origin,
                    "user": users[uid],
                    "groups": gained_g | lost_g,
                    "description": description,
                    "details": {
                        "gained": gained_g.mapped("full_name"),
                        "lost": lost_g.mapped("full_name"),
                        "implied_added": Groups.browse(
                            sorted(added_all - gained)
                        ).mapped("full_name"),
                        "overridden_claims": [
                            {"group": gid, "kind": kind, "source": ref}
                            for gid, kind, ref in overridden
                        ],
                        "sensitive": sensitive.mapped("full_name"),
                    },
                }
            )
        self.env["access.governance.audit"]._audit_log_batch(entries)
