# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from .access_governance_claim import ENGINE_WRITING
from .res_users import ADMIN_GROUP_XMLIDS

RISK_LEVELS = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
]
RISK_ORDER = {key: index for index, (key, _label) in enumerate(RISK_LEVELS)}

SCOPES = [
    ("governed", "Governed"),
    ("preference", "Preference"),
    ("technical", "Technical"),
]

# Groups a user switches on for themselves (notification preference).
PREFERENCE_XMLIDS = {"mail.group_mail_notification_type_inbox"}
# Technical switches: user types, company / currency flags, debug features.
TECHNICAL_XMLIDS = {
    "base.group_user",
    "base.group_portal",
    "base.group_public",
    "base.group_no_one",
    "base.group_multi_company",
    "base.group_multi_currency",
    "access_governance.group_governance_user",
}
# Hidden-category groups that are real business access, not feature flags.
GOVERNED_XMLIDS = {
    "base.group_system",
    "base.group_erp_manager",
    "base.group_allow_export",
    "base.group_sanitize_override",
    "base.group_partner_manager",
}
CRITICAL_XMLIDS = {
    "base.group_system",
    "base.group_erp_manager",
    "access_governance.group_governance_admin",
}
HIGH_XMLIDS = {
    "base.group_sanitize_override",
    "access_governance.group_governance_manager",
}
MEDIUM_XMLIDS = {
    "base.group_allow_export",
    "access_governance.group_governance_auditor",
}
# Category trees (by xml id of the category or its parent) whose
# administrator / manager groups start at high risk.
SENSITIVE_CATEGORY_XMLIDS = {
    "base.module_category_accounting",
    "base.module_category_accounting_accounting",
    "base.module_category_human_resources",
    "base.module_category_administration",
    "base.module_category_administration_administration",
}
TECHNICAL_CATEGORY_XMLIDS = {
    "base.module_category_user_type",
    "base.module_category_hidden",
}
ADMIN_WORDS = ("administrator", "manager", "admin", "settings")

GOVERNANCE_FIELDS = {
    "governance_risk",
    "governance_owner_id",
    "governance_requestable",
    "governance_scope",
}


class ResGroups(models.Model):
    _inherit = ["res.groups", "access.governance.policy.guarded"]
    _name = "res.groups"

    # Four-eyes: lowering a risk, making a group requestable, changing its
    # owner (who approves requests for it) or its governance scope waits for
    # a second governance administrator (access.governance.policy.change).
    _governance_policy_fields = {
        "governance_risk": "lower",
        "governance_requestable": "enable",
        "governance_owner_id": "set",
        "governance_scope": "change",
    }

    governance_risk = fields.Selection(
        RISK_LEVELS,
        # Grouped by level (low to critical), not alphabetically.
        group_expand=True,
        string="Risk Level",
        default="low",
        required=True,
        index=True,
        help="How much harm misuse of this group could do. High and critical "
        "groups need approval and are watched by the audits.",
    )
    governance_owner_id = fields.Many2one(
        "res.users",
        string="Group Owner",
        ondelete="set null",
        domain=[("share", "=", False)],
        help="Reviews who holds this group and approves requests for it.",
    )
    governance_requestable = fields.Boolean(
        string="Requestable",
        help="Employees may request this group from the access request form.",
    )
    governance_scope = fields.Selection(
        SCOPES,
        string="Governance Scope",
        default="governed",
        required=True,
        index=True,
        help="Governed: business access, added and removed only by governance "
        "flows and justified by claims. Preference: switched by users "
        "themselves (e.g. notifications). Technical: user types and feature "
        "flags. Preference and technical groups are never touched by "
        "governance.",
    )
    governance_effective_risk = fields.Selection(
        RISK_LEVELS,
        string="Effective Risk",
        compute="_compute_governance_effective_risk",
        help="The highest risk of the group and of every group it implies. A "
        "group that is or implies an administrator group (Settings, Access "
        "Rights, Access Governance administrator) is critical whatever its "
        "own risk level says.",
    )
    governance_claim_ids = fields.One2many(
        "access.governance.claim", "group_id", string="Claims", readonly=True
    )
    governance_holder_count = fields.Integer(
        string="Holders", compute="_compute_governance_holder_count"
    )

    def _compute_governance_holder_count(self):
        data = self.env["res.users"]._read_group(
            [("groups_id", "in", self.ids), ("share", "=", False)],
            ["groups_id"],
            ["__count"],
        )
        counts = {group.id: count for group, count in data}
        for group in self:
            group.governance_holder_count = counts.get(group.id, 0)

    @api.depends("governance_risk", "implied_ids")
    def _compute_governance_effective_risk(self):
        for group in self:
            group.governance_effective_risk = group._governance_effective_risk()

    # ------------------------------------------------------------------
    # Effective risk: computed on the implied closure
    # ------------------------------------------------------------------
    @api.model
    def _governance_admin_groups(self):
        """The administrator groups (Settings, Access Rights, governance
        administrator) that exist in this database."""
        groups = self.env["res.groups"]
        for xmlid in ADMIN_GROUP_XMLIDS:
            groups |= self.env.ref(xmlid, raise_if_not_found=False) or groups
        return groups.sudo()

    def _governance_closure(self):
        """These groups and every group they imply."""
        groups = self.sudo()
        return groups | groups.trans_implied_ids

    def _governance_implies_admin(self):
        """Whether any of these groups is or implies an administrator group:
        its policy is for Settings administrators only."""
        return bool(self._governance_closure() & self._governance_admin_groups())

    def _governance_effective_risk(self):
        """The risk of holding all these groups: the highest risk level among
        them and every group they imply; ``critical`` as soon as one of them
        is or implies an administrator group, whatever the flags say;
        ``low`` for no group. Use it (not ``governance_risk``) to decide
        whether access may be approved by policy: critical access never is."""
        closure = self._governance_closure()
        if closure & self._governance_admin_groups():
            return "critical"
        risks = closure.mapped("governance_risk") or ["low"]
        return max(risks, key=RISK_ORDER.get)

    # ------------------------------------------------------------------
    # Classification
    # ------------------------------------------------------------------
    @api.model
    def _governance_default_values(self, xmlid, category_xmlids, name, share):
        """Scope and risk for a group, from its xml id, category and name."""
        scope = "governed"
        if share or xmlid in TECHNICAL_XMLIDS:
            scope = "technical"
        elif xmlid in PREFERENCE_XMLIDS:
            scope = "preference"
        elif (
            xmlid not in GOVERNED_XMLIDS and category_xmlids & TECHNICAL_CATEGORY_XMLIDS
        ):
            scope = "technical"
        risk = "low"
        lowered = (name or "").lower()
        admin_like = any(word in lowered for word in ADMIN_WORDS)
        if xmlid in CRITICAL_XMLIDS:
            risk = "critical"
        elif xmlid in HIGH_XMLIDS or (
            admin_like and category_xmlids & SENSITIVE_CATEGORY_XMLIDS
        ):
            risk = "high"
        elif (
            xmlid in MEDIUM_XMLIDS
            or admin_like
            or category_xmlids & SENSITIVE_CATEGORY_XMLIDS
        ):
            # Finance and HR data, or an application's administration.
            risk = "medium"
        return {"governance_scope": scope, "governance_risk": risk}

    def _governance_category_xmlids(self):
        categories = self.mapped("category_id") | self.mapped("category_id.parent_id")
        refs = categories.get_external_id()
        return {
            group.id: {
                refs.get(cat.id)
                for cat in (group.category_id | group.category_id.parent_id)
                if refs.get(cat.id)
            }
            for group in self
        }

    @api.model
    def _governance_classify_groups(self, groups=None):
        """Classify groups (all by default) by the rules above. Groups implied
        by a user type (features switched on in Settings) are technical."""
        groups = (groups or self.search([])).sudo()
        xmlids = groups.get_external_id()
        categories = groups._governance_category_xmlids()
        user_types = (
            self.env["res.groups"]
            .sudo()
            .search(
                [
                    (
                        "category_id",
                        "=",
                        self.env.ref("base.module_category_user_type").id,
                    )
                ]
            )
        )
        by_user_type = user_types.trans_implied_ids
        with_rights = groups._governance_with_rights()
        feature_flags = self._governance_feature_flag_xmlids()
        for group in groups:
            xmlid = xmlids.get(group.id) or ""
            values = self._governance_default_values(
                xmlid,
                categories[group.id],
                group.with_context(lang="en_US").name,
                group.share,
            )
            if group in by_user_type and xmlid not in GOVERNED_XMLIDS:
                values["governance_scope"] = "technical"
            elif (
                values["governance_scope"] == "technical"
                and group in with_rights
                and not group.share
                and xmlid not in TECHNICAL_XMLIDS
                and xmlid not in feature_flags
            ):
                # A hidden group that carries access rules or record rules
                # confers rights (approving attendances, time off...): it is
                # business access whatever its category says.
                values["governance_scope"] = "governed"
            group._governance_write_policy(values)
        return groups

    @api.model
    def _governance_feature_flag_xmlids(self):
        """Xml ids of the groups a Settings checkbox switches on for every
        user (``implied_group`` of res.config.settings): features, not access
        granted to some people (analytic accounting, lots, pricelists...)."""
        flags = set()
        for name, field in self.env["res.config.settings"]._fields.items():
            if name.startswith("group_") and getattr(field, "implied_group", None):
                flags.update(field.implied_group.split(","))
        return flags

    def _governance_with_rights(self):
        """Those of these groups that carry access rules or record rules."""
        if not self:
            return self
        self.env["ir.model.access"].flush_model(["group_id", "active"])
        self.env["ir.rule"].flush_model(["groups", "active"])
        self.env.cr.execute(
            """
            SELECT group_id FROM ir_model_access
             WHERE active AND group_id = ANY(%(ids)s)
             UNION
            SELECT rel.group_id FROM rule_group_rel rel
              JOIN ir_rule r ON r.id = rel.rule_group_id
             WHERE r.active AND rel.group_id = ANY(%(ids)s)
            """,
            {"ids": self.ids},
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _governance_classify_module_groups(self, module_names):
        """Classify the groups just installed modules created, and the
        technical groups those modules gave access rules or record rules.

        Called when a module is installed after this one: groups are
        classified at creation from their category and name only, before their
        access rules exist. Groups that become governed get baseline claims
        for their holders, as at install. Returns the groups whose scope or
        risk changed.
        """
        Data = self.env["ir.model.data"].sudo()
        rows = Data.search_read(
            [("module", "in", list(module_names)), ("model", "=", "res.groups")],
            ["res_id"],
        )
        groups = self.sudo().browse([row["res_id"] for row in rows]).exists()
        rights = Data.search_read(
            [
                ("module", "in", list(module_names)),
                ("model", "in", ("ir.model.access", "ir.rule")),
            ],
            ["model", "res_id"],
        )
        accesses = (
            self.env["ir.model.access"]
            .sudo()
            .browse(
                [row["res_id"] for row in rights if row["model"] == "ir.model.access"]
            )
        )
        rules = (
            self.env["ir.rule"]
            .sudo()
            .browse([row["res_id"] for row in rights if row["model"] == "ir.rule"])
        )
        # Groups of other modules these give rights to: only their scope may
        # change (technical to governed), never a risk an administrator set.
        others = (accesses.exists().group_id | rules.exists().groups).filtered(
            lambda g: g.governance_scope == "technical"
        ) - groups
        before = {
            g.id: (g.governance_scope, g.governance_risk) for g in groups | others
        }
        if groups:
            self._governance_classify_groups(groups)
        if others:
            risks = {g.id: g.governance_risk for g in others}
            self._governance_classify_groups(others)
            for group in others:
                group._governance_write_policy({"governance_risk": risks[group.id]})
        groups |= others
        changed = groups.filtered(
            lambda g: before[g.id] != (g.governance_scope, g.governance_risk)
        )
        newly_governed = changed.filtered(
            lambda g: g.governance_scope == "governed" and before[g.id][0] != "governed"
        )
        if newly_governed:
            holders = newly_governed.with_context(active_test=False).users
            self.env["access.governance.claim"]._claims_capture_baseline(holders)
        return changed

    def _governance_write_policy(self, values):
        """Write classification values without the admin check (install)."""
        changed = {key: value for key, value in values.items() if self[key] != value}
        if changed:
            return super().write(changed)
        return True

    # ------------------------------------------------------------------
    # ORM overrides
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        # Groups created later (a module installed after this one) are
        # classified at once from their category, name and share flag.
        for vals in vals_list:
            if "governance_scope" in vals or "governance_risk" in vals:
                continue
            category = self.env["ir.module.category"].browse(
                vals.get("category_id") or []
            )
            refs = (category | category.parent_id).get_external_id()
            defaults = self._governance_default_values(
                "",
                {ref for ref in refs.values() if ref},
                vals.get("name"),
                vals.get("share"),
            )
            for key, value in defaults.items():
                vals.setdefault(key, value)
        user_ids = [vals.get("users") for vals in vals_list]
        if ENGINE_WRITING.get() or not any(user_ids):
            return super().create(vals_list)
        groups = super().create(vals_list)
        # Users given at creation: capture as out-of-band additions.
        users = groups.with_context(active_test=False).users
        before = {uid: set() for uid in users.ids}
        current = self.env["access.governance.claim"]._claims_current_groups(
            set(before)
        )
        for uid in before:
            before[uid] = current[uid] - set(groups.ids)
        self.env["access.governance.claim"]._claims_capture_changes(before, current)
        return groups

    def write(self, vals):
        policy_keys = GOVERNANCE_FIELDS & vals.keys()
        if not self.env.su:
            self._governance_check_write(vals, policy_keys)
        if policy_keys:
            # Four-eyes: the sensitive part waits for another administrator.
            vals = self._governance_policy_divert(vals)
            policy_keys = GOVERNANCE_FIELDS & vals.keys()
            if not vals:
                return True
        old_policy = {}
        if policy_keys:
            old_policy = {
                group.id: {key: group[key] for key in policy_keys} for group in self
            }
        if "users" not in vals or ENGINE_WRITING.get():
            res = super().write(vals)
        else:
            res = self._governance_write_users(vals)
        if policy_keys:
            self._governance_after_policy_change(old_policy, policy_keys)
        return res

    def _governance_check_write(self, vals, policy_keys):
        """Governance administrators may write the governance fields of a
        group (their ACL allows writing res.groups for that purpose), but
        nothing else unless they also administer access rights."""
        user = self.env.user
        if policy_keys and not user.has_group(
            "access_governance.group_governance_admin"
        ):
            raise AccessError(
                _(
                    "Only Access Governance administrators can change a "
                    "group's risk level, owner, requestable flag or "
                    "governance scope."
                )
            )
        if vals.keys() - GOVERNANCE_FIELDS and not user.has_group(
            "base.group_erp_manager"
        ):
            raise AccessError(
                _(
                    "Only Access Rights administrators can change a group's "
                    "name, users, implied groups, menus or access rules."
                )
            )

    # ------------------------------------------------------------------
    # Four-eyes policy
    # ------------------------------------------------------------------
    def _governance_policy_requires_system(self, changes):
        self.ensure_one()
        return self._governance_implies_admin()

    def _governance_policy_gainers(self, changes):
        """The new owner (approves requests for the group) and whoever has a
        request for the group under way."""
        self.ensure_one()
        gainers = self.env["res.users"]
        owner = changes.get("governance_owner_id", (False, False))[1]
        if owner:
            gainers |= gainers.browse(owner)
        return gainers | self._governance_pending_requesters()

    def _governance_pending_requesters(self):
        """Beneficiaries of requests not yet decided that include the group."""
        # sudo: the proposer may not read every request; only who is
        # excluded from approving is derived.
        grants = (
            self.env["access.governance.grant"]
            .sudo()
            .search(
                [
                    ("state", "in", ("draft", "submitted")),
                    "|",
                    ("requested_group_ids", "in", self.ids),
                    ("profile_id.group_ids", "in", self.ids),
                ]
            )
        )
        return grants.beneficiary_id.with_env(self.env)

    def _governance_write_users(self, vals):
        """Write the group form's user list and record it as a baseline change."""
        Claim = self.env["access.governance.claim"]
        watched = self | self.trans_implied_ids
        self.env["res.users"].flush_model(["groups_id"])
        self.env.cr.execute(
            "SELECT uid, gid FROM res_groups_users_rel WHERE gid = ANY(%s)",
            [watched.ids],
        )
        rows_before = set(self.env.cr.fetchall())
        res = super().write(vals)
        self.env["res.users"].flush_model(["groups_id"])
        self.env.cr.execute(
            "SELECT uid, gid FROM res_groups_users_rel WHERE gid = ANY(%s)",
            [watched.ids],
        )
        rows_after = set(self.env.cr.fetchall())
        touched = {uid for uid, _gid in rows_before ^ rows_after}
        if touched:
            after = Claim._claims_current_groups(touched)
            before = {uid: set(gids) for uid, gids in after.items()}
            for uid, gid in rows_after - rows_before:
                before[uid].discard(gid)
            for uid, gid in rows_before - rows_after:
                before[uid].add(gid)
            Claim._claims_capture_changes(before, after)
        return res

    def _governance_after_policy_change(self, old_policy, keys):
        """Audit policy changes; start or stop governing a group's holders."""
        Claim = self.env["access.governance.claim"]
        entries = []
        newly_governed = self.browse()
        ungoverned = self.browse()
        for group in self:
            old = old_policy[group.id]
            changed = {
                key: (old[key], group[key]) for key in keys if old[key] != group[key]
            }
            if not changed:
                continue
            if "governance_scope" in changed:
                if group.governance_scope == "governed":
                    newly_governed |= group
                elif changed["governance_scope"][0] == "governed":
                    ungoverned |= group
            entries.append(
                {
                    "event": "group_policy",
                    "groups": group,
                    "record": group,
                    "description": _(
                        "Policy of %(group)s changed: %(changes)s",
                        group=group.full_name,
                        changes=", ".join(
                            f"{key}: {getattr(before, 'display_name', before)} → "
                            f"{getattr(after, 'display_name', after)}"
                            for key, (before, after) in changed.items()
                        ),
                    ),
                    "details": {
                        key: [
                            getattr(before, "id", before),
                            getattr(after, "id", after),
                        ]
                        for key, (before, after) in changed.items()
                    },
                }
            )
        self.env["access.governance.audit"]._audit_log_batch(entries)
        if newly_governed:
            holders = newly_governed.with_context(active_test=False).users
            Claim._claims_capture_baseline(holders)
        if ungoverned:
            Claim._claims_release_ungoverned(ungoverned)
