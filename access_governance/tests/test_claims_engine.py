# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from unittest.mock import patch

from odoo.fields import Command
from odoo.tests import tagged

from .common import AccessGovernanceCommon

GRANT = "access.governance.grant,101"
GRANT_2 = "access.governance.grant,102"
ROLE_A = "access.governance.role.assignment,201"
ROLE_B = "access.governance.role.assignment,202"


@tagged("post_install", "-at_install")
class TestClaimsEngine(AccessGovernanceCommon):
    def source_claims(self, source):
        return self.Claim.sudo().search(
            [("source_ref", "=", source), ("active", "=", True)]
        )

    # ------------------------------------------------------------------
    # Grant-like claims
    # ------------------------------------------------------------------
    def test_grant_adds_only_missing_groups_and_releases_only_them(self):
        user = self.user_employee
        self.give_baseline(user, self.group_b)
        baseline = self.active_claims(user, self.group_b)
        self.assertEqual(baseline.kind, "baseline")

        claims = self.Claim._claims_start(
            user, self.group_b | self.group_c, "grant", source=GRANT
        )
        self.assertEqual(len(claims), 2)
        by_group = {claim.group_id: claim for claim in claims}
        self.assertFalse(
            by_group[self.group_b].added, "group B was held: the grant did not add it"
        )
        self.assertTrue(by_group[self.group_c].added)
        self.assertEqual(set(claims.mapped("kind")), {"grant"})
        self.assertEqual(set(claims.mapped("source_ref")), {GRANT})
        self.assertTrue(self.group_b | self.group_c <= self.groups_of(user))

        result = self.Claim._claims_end_source(GRANT)
        self.assertEqual(result["ended"], claims)
        self.assertEqual(result["removed"], {user.id: {self.group_c.id}})
        held = self.groups_of(user)
        self.assertIn(self.group_b, held, "the baseline group survives the grant")
        self.assertNotIn(self.group_c, held)
        self.assertTrue(baseline.active)
        self.assertFalse(any(claims.mapped("active")))
        self.assertTrue(all(claims.mapped("date_end")))

    def test_grant_on_implied_group_already_held(self):
        """A grant on a group the user holds through an implying group adds
        nothing and its end removes nothing."""
        user = self.user_employee
        self.give_baseline(user, self.group_a)
        self.assertIn(self.group_a_base, self.groups_of(user))
        claim = self.Claim._claims_start(user, self.group_a_base, "grant", GRANT)
        self.assertFalse(claim.added)
        result = self.Claim._claims_end(claim)
        self.assertFalse(result["removed"])
        self.assertTrue(self.group_a | self.group_a_base <= self.groups_of(user))

    def test_group_held_by_two_claims_survives_end_of_one(self):
        user = self.user_employee
        first = self.Claim._claims_start(user, self.group_b, "grant", source=GRANT)
        second = self.Claim._claims_start(user, self.group_b, "role", source=ROLE_A)
        self.assertTrue(first.added)
        self.assertFalse(second.added)

        result = self.Claim._claims_end_source(GRANT)
        self.assertFalse(result["removed"])
        self.assertIn(self.group_b, self.groups_of(user))
        self.assertEqual(self.active_claims(user, self.group_b), second)

        result = self.Claim._claims_end_source(ROLE_A)
        self.assertEqual(result["removed"], {user.id: {self.group_b.id}})
        self.assertNotIn(self.group_b, self.groups_of(user))
        self.assertFalse(self.active_claims(user, self.group_b))

    # ------------------------------------------------------------------
    # Role-like claims and implied groups
    # ------------------------------------------------------------------
    def test_role_end_removes_its_groups(self):
        user = self.user_employee
        self.Claim._claims_start(user, self.group_a | self.group_b, "role", ROLE_A)
        held = self.groups_of(user)
        self.assertTrue(self.group_a | self.group_a_base | self.group_b <= held)

        result = self.Claim._claims_end_source(ROLE_A)
        expected = {self.group_a.id, self.group_a_base.id, self.group_b.id}
        self.assertEqual(result["removed"], {user.id: expected})
        held = self.groups_of(user)
        self.assertFalse((self.group_a | self.group_a_base | self.group_b) & held)
        self.assertIn(self.env.ref("base.group_user"), held)

    def test_role_end_keeps_implied_group_claimed_elsewhere(self):
        """Group A implies A Base; a grant on A Base keeps it when the role
        holding A ends, and A Base leaves once nothing claims it."""
        user = self.user_employee
        role = self.Claim._claims_start(user, self.group_a, "role", ROLE_A)
        self.assertTrue(role.added)
        grant = self.Claim._claims_start(user, self.group_a_base, "grant", GRANT)
        self.assertFalse(grant.added, "A Base was already there through A")

        result = self.Claim._claims_end(role)
        self.assertEqual(result["removed"], {user.id: {self.group_a.id}})
        held = self.groups_of(user)
        self.assertNotIn(self.group_a, held)
        self.assertIn(self.group_a_base, held)

        result = self.Claim._claims_end(grant)
        self.assertEqual(result["removed"], {user.id: {self.group_a_base.id}})
        self.assertNotIn(self.group_a_base, self.groups_of(user))

    def test_role_end_keeps_group_implied_by_claimed_group(self):
        """A role on A Base ends while a grant holds A (which implies A Base):
        A Base stays; it leaves with A when the grant ends."""
        user = self.user_employee
        role = self.Claim._claims_start(user, self.group_a_base, "role", ROLE_A)
        grant = self.Claim._claims_start(user, self.group_a, "grant", GRANT)
        self.assertTrue(role.added)
        self.assertTrue(grant.added)

        result = self.Claim._claims_end(role)
        self.assertFalse(result["removed"])
        self.assertTrue(self.group_a | self.group_a_base <= self.groups_of(user))

        result = self.Claim._claims_end(grant)
        self.assertEqual(
            result["removed"], {user.id: {self.group_a.id, self.group_a_base.id}}
        )
        self.assertFalse((self.group_a | self.group_a_base) & self.groups_of(user))

    def test_role_end_keeps_baseline_group(self):
        user = self.user_employee
        self.give_baseline(user, self.group_b)
        claim = self.Claim._claims_start(user, self.group_b, "role", ROLE_A)
        self.assertFalse(claim.added)
        result = self.Claim._claims_end(claim)
        self.assertFalse(result["removed"])
        self.assertIn(self.group_b, self.groups_of(user))

    def test_implied_groups_follow_their_parent(self):
        user = self.user_employee
        start = [(user.id, self.group_a.id, "role", ROLE_A, "Role A")]
        result = self.Claim._claims_apply(start=start)
        self.assertEqual(
            result["added"], {user.id: {self.group_a.id, self.group_a_base.id}}
        )
        self.assertEqual(result["started"].group_id, self.group_a)
        self.assertIn(self.group_a_base, self.groups_of(user))
        self.assertFalse(
            self.active_claims(user, self.group_a_base),
            "the implied group needs no claim of its own",
        )

        result = self.Claim._claims_end(result["started"])
        self.assertEqual(
            result["removed"], {user.id: {self.group_a.id, self.group_a_base.id}}
        )
        self.assertNotIn(self.group_a_base, self.groups_of(user))

    # ------------------------------------------------------------------
    # Preference and technical groups
    # ------------------------------------------------------------------
    def test_notification_preference_survives_every_sync(self):
        user = self.user_employee
        user.with_user(user).notification_type = "inbox"
        self.assertIn(self.group_pref, self.groups_of(user))
        self.assertFalse(self.active_claims(user, self.group_pref))
        other = self.user_employee2
        self.assertEqual(other.notification_type, "email")

        steps = [
            lambda: self.Claim._claims_sync_source(
                "role", ROLE_A, {user: self.group_a | self.group_b, other: self.group_b}
            ),
            lambda: self.Claim._claims_sync_source(
                "role", ROLE_A, {user: self.group_c, other: self.group_c}
            ),
            lambda: self.Claim._claims_start(
                user | other, self.group_b, "grant", GRANT
            ),
            lambda: self.Claim._claims_end_source(GRANT),
            lambda: self.Claim._claims_sync_source(
                "role", ROLE_A, {user: [], other: []}
            ),
        ]
        for step in steps:
            result = step()
            if isinstance(result, dict):
                for removed in result["removed"].values():
                    self.assertNotIn(self.group_pref.id, removed)
                for added in result["added"].values():
                    self.assertNotIn(self.group_pref.id, added)
            self.assertIn(self.group_pref, self.groups_of(user))
            self.assertNotIn(self.group_pref, self.groups_of(other))
        user.invalidate_recordset(["notification_type"])
        self.assertEqual(user.notification_type, "inbox")

        # The user switches back on their own; governance records nothing.
        sequence = self.last_audit_sequence()
        user.with_user(user).notification_type = "email"
        self.assertNotIn(self.group_pref, self.groups_of(user))
        self.assertFalse(self.audit_since(sequence))

    def test_engine_never_touches_technical_or_preference_groups(self):
        user = self.user_employee
        portal = self.env.ref("base.group_portal")
        untouchable = self.group_pref | self.group_tech | portal
        self.assertEqual(
            set(untouchable.mapped("governance_scope")), {"preference", "technical"}
        )
        sequence = self.last_audit_sequence()
        claims = self.Claim._claims_start(user, untouchable, "grant", source=GRANT)
        self.assertFalse(claims)
        self.assertFalse(untouchable & self.groups_of(user))
        self.assertFalse(self.audit_since(sequence))
        result = self.Claim._claims_sync_source("role", ROLE_A, {user: untouchable})
        self.assertFalse(result["started"])
        self.assertFalse(result["added"])

        # Even a claim forged on such groups never removes them.
        user.notification_type = "inbox"
        user.write({"groups_id": [Command.link(self.group_tech.id)]})
        self.assertFalse(self.active_claims(user), "no claim on non-governed groups")
        forged = self.Claim._governance_create(
            [
                {"user_id": user.id, "group_id": group.id, "kind": "grant"}
                for group in self.group_pref | self.group_tech
            ]
        )
        result = self.Claim._claims_end(forged)
        self.assertFalse(result["removed"])
        self.assertTrue(self.group_pref | self.group_tech <= self.groups_of(user))

    # ------------------------------------------------------------------
    # Sync of a source
    # ------------------------------------------------------------------
    def test_sync_source_makes_claims_exactly_the_mapping(self):
        first, second = self.user_employee, self.user_employee2

        def claimed():
            return {
                (claim.user_id, claim.group_id) for claim in self.source_claims(ROLE_A)
            }

        self.Claim._claims_sync_source(
            "role", ROLE_A, {first: self.group_a | self.group_b, second: self.group_b}
        )
        self.assertEqual(
            claimed(),
            {(first, self.group_a), (first, self.group_b), (second, self.group_b)},
        )

        # Users absent from the mapping keep their claims; ids are accepted.
        result = self.Claim._claims_sync_source(
            "role", ROLE_A, {first.id: [self.group_b.id, self.group_c.id]}
        )
        self.assertEqual(
            claimed(),
            {(first, self.group_b), (first, self.group_c), (second, self.group_b)},
        )
        self.assertEqual(result["added"], {first.id: {self.group_c.id}})
        self.assertEqual(
            result["removed"], {first.id: {self.group_a.id, self.group_a_base.id}}
        )
        self.assertEqual(result["ended"].group_id, self.group_a)
        held = self.groups_of(first)
        self.assertFalse((self.group_a | self.group_a_base) & held)
        self.assertTrue(self.group_b | self.group_c <= held)
        self.assertIn(self.group_b, self.groups_of(second))

        # Same mapping again: nothing to do.
        result = self.Claim._claims_sync_source(
            "role", ROLE_A, {first: self.group_b | self.group_c}
        )
        self.assertFalse(result["started"] or result["ended"])
        self.assertFalse(result["added"] or result["removed"])

        # An empty mapping ends every claim of the user.
        self.Claim._claims_sync_source("role", ROLE_A, {first: [], second: []})
        self.assertFalse(claimed())
        self.assertFalse((self.group_b | self.group_c) & self.groups_of(first))
        self.assertNotIn(self.group_b, self.groups_of(second))

    def test_mover_role_swap_removes_what_only_old_role_justified(self):
        user = self.user_employee
        self.give_baseline(user, self.group_c)
        self.Claim._claims_sync_source(
            "role", ROLE_A, {user: self.group_a | self.group_b}
        )
        self.assertTrue(
            self.group_a | self.group_b | self.group_c <= self.groups_of(user)
        )

        # Mover: role B (B, C) starts, role A (A, B) ends.
        started = self.Claim._claims_sync_source(
            "role", ROLE_B, {user: self.group_b | self.group_c}
        )["started"]
        self.assertFalse(any(started.mapped("added")))
        result = self.Claim._claims_sync_source("role", ROLE_A, {user: []})
        self.assertEqual(
            result["removed"], {user.id: {self.group_a.id, self.group_a_base.id}}
        )
        held = self.groups_of(user)
        self.assertTrue(self.group_b | self.group_c <= held)
        self.assertFalse((self.group_a | self.group_a_base) & held)
        self.assertEqual(
            sorted(self.active_claims(user, self.group_c).mapped("kind")),
            ["baseline", "role"],
        )

    # ------------------------------------------------------------------
    # Idempotence
    # ------------------------------------------------------------------
    def test_starting_the_same_claim_twice_creates_no_duplicate(self):
        user = self.user_employee
        first = self.Claim._claims_start(user, self.group_b, "grant", source=GRANT)
        self.assertEqual(len(first), 1)
        again = self.Claim._claims_start(user, self.group_b, "grant", source=GRANT)
        self.assertFalse(again)
        doubled = self.Claim._claims_apply(
            start=[(user.id, self.group_c.id, "grant", GRANT, "Grant")] * 2
        )["started"]
        self.assertEqual(len(doubled), 1)
        self.assertEqual(len(self.source_claims(GRANT)), 2)
        # Another source on the same group is another claim.
        other = self.Claim._claims_start(user, self.group_b, "grant", source=GRANT_2)
        self.assertEqual(len(other), 1)
        self.assertEqual(len(self.active_claims(user, self.group_b)), 2)

    # ------------------------------------------------------------------
    # Batching
    # ------------------------------------------------------------------
    def _apply_and_release(self, count):
        """Start then end a 3-group grant on ``count`` new users with the same
        groups; return the query counts of both phases."""
        users = self.env["res.users"].create(
            [
                {
                    "name": f"AG Batch {count}/{index}",
                    "login": f"ag_batch_{count}_{index}",
                }
                for index in range(count)
            ]
        )
        groups = self.group_a | self.group_b | self.group_c
        source = f"access.governance.grant,{count}"
        Claim = type(self.Claim)
        diffs = []

        def write_diffs(claim_model, batch):
            diffs.append(batch)
            return original(claim_model, batch)

        original = Claim._claims_write_diffs
        counts = []
        with patch.object(Claim, "_claims_write_diffs", write_diffs):
            for run in (
                lambda: self.Claim._claims_start(users, groups, "grant", source),
                lambda: self.Claim._claims_end_source(source),
            ):
                self.env.flush_all()
                self.env.invalidate_all()
                before = self.env.cr.sql_log_count
                run()
                self.env.flush_all()
                counts.append(self.env.cr.sql_log_count - before)
        # One write for all users: their diff is the same.
        self.assertEqual([len(batch) for batch in diffs], [1, 1])
        for batch in diffs:
            self.assertEqual(sorted(next(iter(batch.values()))), sorted(users.ids))
        users.invalidate_recordset(["groups_id"])
        self.assertFalse(groups & users.groups_id)
        return counts

    def test_batch_query_count_does_not_grow_with_users(self):
        small = self._apply_and_release(10)
        large = self._apply_and_release(50)
        for phase, few, many in zip(("start", "end"), small, large, strict=True):
            # 5 times the users, the same number of queries (a little slack
            # for cache effects that do not depend on the number of users).
            self.assertLessEqual(
                many,
                few + 3,
                f"{phase}: {few} queries for 10 users but {many} for 50 users",
            )

    # ------------------------------------------------------------------
    # Audit
    # ------------------------------------------------------------------
    def test_one_audit_entry_per_user_and_source_with_actor(self):
        users = self.user_employee | self.user_employee2
        Claim = self.Claim.with_user(self.user_admin_gov)
        sequence = self.last_audit_sequence()
        claims = Claim._claims_start(users, self.group_a | self.group_b, "grant", GRANT)
        self.assertEqual(len(claims), 4)
        self.assertEqual(claims.started_by_id, self.user_admin_gov)
        entries = self.audit_since(sequence)
        self.assertEqual(len(entries), 2)
        self.assertEqual(set(entries.mapped("event")), {"claim_start"})
        self.assertEqual(entries.user_id, users)
        self.assertEqual(entries.actor_id, self.user_admin_gov)
        self.assertEqual(set(entries.mapped("actor_login")), {"ag_admin"})
        for entry in entries:
            self.assertEqual(entry.group_ids, self.group_a | self.group_b)
            self.assertEqual(entry.user_login, entry.user_id.login)
            details = json.loads(entry.details)
            self.assertEqual(details["source"], GRANT)
            self.assertEqual(details["kind"], "grant")
            self.assertEqual(
                set(details["groups_added"]),
                set(
                    (self.group_a | self.group_a_base | self.group_b).mapped(
                        "full_name"
                    )
                ),
            )

        # Two sources for one user in one run: one entry per source.
        sequence = self.last_audit_sequence()
        user = self.user_employee
        Claim._claims_apply(
            start=[
                (user.id, self.group_c.id, "grant", GRANT_2, "Grant 2"),
                (user.id, self.group_c.id, "role", ROLE_A, "Role A"),
            ]
        )
        entries = self.audit_since(sequence)
        self.assertEqual(len(entries), 2)
        self.assertEqual(entries.user_id, user)
        self.assertEqual(
            {json.loads(entry.details)["source"] for entry in entries},
            {GRANT_2, ROLE_A},
        )

        sequence = self.last_audit_sequence()
        Claim._claims_end_source(GRANT)
        entries = self.audit_since(sequence)
        self.assertEqual(len(entries), 2)
        self.assertEqual(set(entries.mapped("event")), {"claim_end"})
        self.assertEqual(entries.user_id, users)
        self.assertEqual(entries.actor_id, self.user_admin_gov)
        self.assertEqual(claims.ended_by_id, self.user_admin_gov)
        removed = json.loads(entries.filtered(lambda e: e.user_id == user).details)
        self.assertEqual(
            set(removed["groups_removed"]),
            set((self.group_a | self.group_a_base | self.group_b).mapped("full_name")),
        )
