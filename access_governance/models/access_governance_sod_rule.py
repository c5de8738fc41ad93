# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Separation of duties: holding any group of side A together with any group
of side B is a conflict. Conflicts are computed on effective groups (the
implied closure), on the access a user holds or would hold after a grant."""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .res_groups import RISK_LEVELS

_logger = logging.getLogger(__name__)

SOD_ACTIONS = [
    ("warn", "Warn"),
    ("require_approval", "Require Owner Approval"),
    ("block", "Block"),
]


class AccessGovernanceSodRule(models.Model):
    _name = "access.governance.sod.rule"
    _description = "Separation-of-Duties Rule"
    _inherit = ["mail.thread", "access.governance.guarded"]
    _order = "sequence, name"

    # Set by loading the shipped rules only.
    _governance_protected_fields = frozenset({"default_loaded"})

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    description = fields.Text(
        translate=True, help="The risk in plain words: what could go wrong."
    )
    group_a_ids = fields.Many2many(
        "res.groups",
        "access_governance_sod_rule_group_a_rel",
        "rule_id",
        "group_id",
        string="Side A",
    )
    group_b_ids = fields.Many2many(
        "res.groups",
        "access_governance_sod_rule_group_b_rel",
        "rule_id",
        "group_id",
        string="Side B",
    )
    severity = fields.Selection(
        RISK_LEVELS,
        default="high",
        required=True,
        tracking=True,
        # Grouped by level (low to critical), not alphabetically.
        group_expand=True,
    )
    action = fields.Selection(
        SOD_ACTIONS,
        string="Preventive Action",
        default="require_approval",
        required=True,
        tracking=True,
        help="What happens when a request would create this conflict: a "
        "warning in the chatter, the owner's approval on top of the usual "
        "ones, or a refusal.",
    )
    owner_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        domain=[("share", "=", False)],
        help="Approves requests that would create this conflict.",
    )
    mitigation_ids = fields.One2many(
        "access.governance.mitigation", "rule_id", string="Mitigations"
    )
    default_side_a_xmlids = fields.Char(
        readonly=True,
        help="Shipped rule: xml ids of side A groups, resolved when their "
        "modules are installed.",
    )
    default_side_b_xmlids = fields.Char(readonly=True)
    default_loaded = fields.Boolean(readonly=True)

    @api.constrains("active", "group_a_ids", "group_b_ids")
    def _check_sides(self):
        for rule in self:
            if not rule.active:
                continue
            if not rule.group_a_ids or not rule.group_b_ids:
                raise ValidationError(
                    _("Rule %s needs at least one group on each side.", rule.name)
                )
            both = rule.group_a_ids & rule.group_b_ids
            if both:
                raise ValidationError(
                    _(
                        "A group cannot be on both sides of rule %(rule)s: %(groups)s",
                        rule=rule.name,
                        groups=", ".join(both.mapped("full_name")),
                    )
                )

    # ------------------------------------------------------------------
    # Conflicts
    # ------------------------------------------------------------------
    @api.model
    def _sod_conflicts(self, user, extra_groups=None):
        """Conflicts of ``user`` holding their groups plus ``extra_groups``
        (with everything those imply).

        Returns a list of dicts: ``rule``, ``groups_a`` and ``groups_b`` (the
        effective groups on each side), ``mitigation`` (a valid mitigation,
        possibly empty: the conflict is then accepted).
        """
        held = set(user.sudo().groups_id.ids)
        if extra_groups:
            extra = extra_groups.sudo()
            held |= set((extra | extra.trans_implied_ids).ids)
        return self._sod_evaluate({user.id: held}).get(user.id, [])

    @api.model
    def _sod_evaluate(self, held, cache=None):
        """The one SoD evaluation: ``held`` is {uid: set(effective gids)}.

        Returns {uid: [conflict dict as :meth:`_sod_conflicts`]} for the users
        in conflict. Rules and mitigations are read once for all users (a
        constant number of queries whatever their number); with ``cache`` (a
        dict kept by the caller, e.g. a detector run) once for all calls.
        """
        return self._sod_evaluate_as_superuser(held, cache)

    @api.model
    def _sod_rules_and_mitigations(self, cache=None, user_ids=None):
        """(rules with their sides, {(uid, rule id): valid mitigation}).

        Without ``cache``, the mitigations of ``user_ids`` only; with it, every
        valid mitigation, once."""
        if cache is None:
            cache, only = {}, list(user_ids or [])
        else:
            only = None
        if "sod_rules" not in cache:
            # sudo: a requester must be checked against every rule and every
            # mitigation, which only auditors may read; only the outcome leaves.
            rules = self.sudo().search([])
            cache["sod_rules"] = [
                (rule, set(rule.group_a_ids.ids), set(rule.group_b_ids.ids))
                for rule in rules
            ]
            mitigations = (
                self.env["access.governance.mitigation"]
                .sudo()
                .search(
                    [("rule_id", "in", rules.ids), ("is_valid", "=", True)]
                    + ([("user_id", "in", only)] if only is not None else []),
                    order="id desc",
                )
            )
            valid = {}
            for mitigation in mitigations:
                key = (mitigation.user_id.id, mitigation.rule_id.id)
                valid.setdefault(key, mitigation)
            cache["sod_mitigations"] = valid
        return cache["sod_rules"], cache["sod_mitigations"]

    @api.model
    def _sod_evaluate_as_superuser(self, held, cache):
        sides, valid = self._sod_rules_and_mitigations(cache, list(held))
        found = {}
        for uid, groups in held.items():
            pairs = [
                (rule, side_a & groups, side_b & groups)
                for rule, side_a, side_b in sides
                if side_a & groups and side_b & groups
            ]
            if pairs:
                found[uid] = pairs
        if not found:
            return {}
        Mitigation = self.env["access.governance.mitigation"]
        Groups = self.env["res.groups"]
        return {
            uid: [
                {
                    "rule": rule.with_env(self.env),
                    "groups_a": Groups.browse(sorted(side_a)),
                    "groups_b": Groups.browse(sorted(side_b)),
                    "mitigation": valid.get((uid, rule.id), Mitigation).with_env(
                        self.env
                    ),
                }
                for rule, side_a, side_b in pairs
            ]
            for uid, pairs in found.items()
        }

    @api.model
    def _sod_new_conflicts(self, user, extra_groups):
        """Conflicts that ``extra_groups`` would introduce for ``user``."""
        existing = {c["rule"].id for c in self._sod_conflicts(user)}
        return [
            conflict
            for conflict in self._sod_conflicts(user, extra_groups)
            if conflict["rule"].id not in existing
        ]

    @api.model
    def _sod_conflict_text(self, conflict):
        rule = conflict["rule"].sudo()
        text = _(
            "%(rule)s (%(severity)s): %(a)s vs. %(b)s",
            rule=rule.name,
            severity=dict(RISK_LEVELS)[rule.severity],
            a=", ".join(conflict["groups_a"].sudo().mapped("full_name")),
            b=", ".join(conflict["groups_b"].sudo().mapped("full_name")),
        )
        mitigation = conflict["mitigation"].sudo()
        if mitigation:
            text += " " + _(
                "[mitigated until %s]", mitigation.date_end or _("further notice")
            )
        return text

    # ------------------------------------------------------------------
    # Shipped rules
    # ------------------------------------------------------------------
    @api.model
    def _sod_load_default_rules(self):
        """Fill and activate the shipped rules whose groups now exist.

        Shipped rules are inactive records naming their groups by xml id;
        groups of modules not installed are skipped. A rule is loaded once:
        an administrator who deactivates it later is not overruled. Called on
        install and update of this module, and from the rules' list.
        """
        rules = self.with_context(active_test=False).search(
            [("default_loaded", "=", False), ("default_side_a_xmlids", "!=", False)]
        )
        loaded = self.browse()
        for rule in rules:
            sides = []
            for xmlids in (rule.default_side_a_xmlids, rule.default_side_b_xmlids):
                groups = self.env["res.groups"]
                for xmlid in (xmlids or "").split(","):
                    if xmlid.strip():
                        groups |= (
                            self.env.ref(xmlid.strip(), raise_if_not_found=False)
                            or self.env["res.groups"]
                        )
                sides.append(groups)
            if sides[0] and sides[1] and not sides[0] & sides[1]:
                rule._governance_write(
                    {
                        "group_a_ids": [fields.Command.set(sides[0].ids)],
                        "group_b_ids": [fields.Command.set(sides[1].ids)],
                        "active": True,
                        "default_loaded": True,
                    }
                )
                loaded |= rule
        if loaded:
            _logger.info("SoD: %d shipped rules activated", len(loaded))
        return loaded

    @api.model
    def _sod_follow_modules(self, module_names):
        """Follow modules installed after this one: activate the shipped rules
        whose groups now exist, and add the groups of these modules to the
        shipped rules loaded before them (an active rule only: one an
        administrator deactivated stays as it is). Returns those rules."""
        rules = self._sod_load_default_rules()
        prefixes = tuple(f"{name}." for name in module_names)
        loaded = self.search(
            [("default_loaded", "=", True), ("default_side_a_xmlids", "!=", False)]
        )
        for rule in loaded - rules:
            vals = {}
            for field, xmlids in (
                ("group_a_ids", rule.default_side_a_xmlids),
                ("group_b_ids", rule.default_side_b_xmlids),
            ):
                groups = self.env["res.groups"]
                for xmlid in (xmlids or "").split(","):
                    if xmlid.strip().startswith(prefixes):
                        groups |= (
                            self.env.ref(xmlid.strip(), raise_if_not_found=False)
                            or groups
                        )
                missing = groups - rule[field]
                if missing:
                    vals[field] = [fields.Command.link(g.id) for g in missing]
            if vals:
                rule._governance_write(vals)
                rules |= rule
        return rules

    def action_load_default_rules(self):
        if not self.env.user.has_group("access_governance.group_governance_admin"):
            raise AccessError(
                _("Only Access Governance administrators load the shipped rules.")
            )
        self._sod_load_default_rules()
        return True
