# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Four-eyes policy: changes that could give access wait for a second
administrator.

A model that opts in (groups, roles, elevation profiles) names its policy
fields and how a change of each is sensitive in ``_governance_policy_fields``:

* ``add``: an x2many gains records (groups or job positions of a role);
* ``change``: any change (the scope of a group, the approvers of a profile);
* ``set``: a many2one set to somebody (a group's owner approves requests);
* ``lower``: a selection or number goes down (a risk level, the number of
  approvals required);
* ``enable``: a flag switched on (requestable, auto-approve, break-glass);
* ``widen``: a filter x2many extended or emptied while it filtered
  (a role's departments).

``write`` (form, RPC, import: every path ends there) applies the rest of the
values at once and diverts the sensitive part, record by record, into a
submitted :class:`access.governance.policy.change`. Approving that change is
the only way it takes effect; the proposer and anybody who would gain access
from it can never approve it (:meth:`_governance_policy_gainers`), and a
change touching an administrator group is for Settings administrators only
(:meth:`_governance_policy_requires_system`).

The database superuser (``sudo()`` code, data files, install) and the
policy change's own application (:func:`trusted`) write directly.
"""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command

from .access_governance_guarded import is_trusted, trusted

POLICY_KINDS = ("add", "change", "set", "lower", "enable", "widen")


class AccessGovernancePolicyGuarded(models.AbstractModel):
    _name = "access.governance.policy.guarded"
    _description = "Access Governance: four-eyes policy changes"

    # {field name: kind}, kinds in POLICY_KINDS.
    _governance_policy_fields = {}
    # Fields a creation does not set at once: they are written right after
    # the record exists, so a sensitive value becomes a policy change.
    _governance_policy_create_fields = frozenset()

    governance_pending_change_count = fields.Integer(
        string="Pending Changes",
        compute="_compute_governance_pending_change_count",
        help="Policy changes of this record awaiting a second administrator.",
    )

    def _compute_governance_pending_change_count(self):
        data = (
            self.env["access.governance.policy.change"]
            .sudo()
            ._read_group(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("state", "=", "submitted"),
                ],
                ["res_id"],
                ["__count"],
            )
        )
        counts = dict(data)
        for record in self:
            record.governance_pending_change_count = counts.get(record.id, 0)

    def action_governance_pending_changes(self):
        """The policy changes of this record awaiting approval."""
        self.ensure_one()
        self.env["access.governance.policy.change"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "access_governance.access_governance_policy_change_action"
        )
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        action["context"] = {"search_default_pending": 1}
        return action

    # ------------------------------------------------------------------
    # Values
    # ------------------------------------------------------------------
    @api.model
    def _governance_policy_bypass(self):
        """The superuser and a policy change being applied write directly."""
        return self.env.su or is_trusted()

    def _governance_policy_value(self, name):
        """The current value of a policy field, as plain JSON data."""
        self.ensure_one()
        field = self._fields[name]
        value = self.sudo()[name]
        if field.type in ("many2many", "one2many"):
            return sorted(value.ids)
        if field.type == "many2one":
            return value.id or False
        return value

    def _governance_policy_new_value(self, name, value):
        """The value ``name`` would have after writing ``value``."""
        self.ensure_one()
        field = self._fields[name]
        if field.type in ("many2many", "one2many"):
            return sorted(self._governance_x2many_result(name, value))
        if field.type == "many2one":
            if isinstance(value, models.BaseModel):
                return value.id or False
            return value or False
        if field.type == "boolean":
            return bool(value)
        if field.type == "selection":
            keys = [key for key, _label in field._description_selection(self.env)]
            if value not in keys:
                raise UserError(
                    _(
                        "%(value)s is not a valid %(field)s.",
                        value=value,
                        field=field._description_string(self.env),
                    )
                )
        return value

    def _governance_x2many_result(self, name, commands):
        """The ids an x2many holds after ``commands``. Creating or editing
        the related records from here is refused: edit them on their own."""
        ids = set(self._governance_policy_value(name))
        # The ORM's shorthands (fields.X2many.write_batch): records, a tuple
        # or a list of ids replace the value; False clears it.
        if isinstance(commands, models.BaseModel):
            return set(commands.ids)
        if isinstance(commands, tuple) or (
            isinstance(commands, list)
            and commands
            and not isinstance(commands[0], (tuple, list))
        ):
            return set(commands)
        for command in commands or ():
            if not isinstance(command, (tuple, list)) or not command:
                raise UserError(_("Unexpected value for %s.", name))
            code = command[0]
            if code == Command.LINK:
                ids.add(command[1])
            elif code == Command.UNLINK:
                ids.discard(command[1])
            elif code == Command.CLEAR:
                ids = set()
            elif code == Command.SET:
                ids = set(command[2] or ())
            else:
                raise UserError(
                    _(
                        "%(field)s of %(record)s: link existing records only; "
                        "create or edit them on their own form.",
                        field=self._fields[name]._description_string(self.env),
                        record=self.display_name,
                    )
                )
        return ids

    @api.model
    def _governance_policy_sensitive(self, name, old, new):
        """Whether changing policy field ``name`` from ``old`` to ``new`` needs
        a second administrator (by the field's kind; models refine it)."""
        kind = self._governance_policy_fields[name]
        if old == new:
            return False
        if kind == "add":
            return bool(set(new) - set(old))
        if kind == "widen":
            return bool(old) and (not new or bool(set(new) - set(old)))
        if kind == "set":
            return bool(new)
        if kind == "enable":
            return bool(new) and not old
        if kind == "lower":
            field = self._fields[name]
            if field.type == "selection":
                # Selections of levels are declared from lowest to highest.
                order = [key for key, _label in field._description_selection(self.env)]
                if old not in order:
                    return True
                return order.index(new) < order.index(old)
            return (new or 0) < (old or 0)
        return True

    def _governance_policy_changes(self, vals):
        """{record: {field: (old, new)}}: the sensitive part of ``vals`` for
        each record of ``self``."""
        names = [name for name in self._governance_policy_fields if name in vals]
        result = {}
        if not names:
            return result
        for record in self:
            changes = {}
            for name in names:
                old = record._governance_policy_value(name)
                new = record._governance_policy_new_value(name, vals[name])
                if record._governance_policy_sensitive(name, old, new):
                    changes[name] = (old, new)
            if changes:
                result[record] = changes
        return result

    # ------------------------------------------------------------------
    # Who gains, who decides (models refine these)
    # ------------------------------------------------------------------
    def _governance_policy_gainers(self, changes):
        """Users who would gain access (or the power to approve access) from
        ``changes`` ({field: (old, new)}) on this record: they can neither
        propose nor approve it."""
        self.ensure_one()
        return self.env["res.users"]

    def _governance_policy_requires_system(self, changes):
        """Whether ``changes`` touch an administrator group: then only
        Settings administrators may propose and approve them."""
        self.ensure_one()
        return False

    def _governance_policy_check_admin_groups(self):
        """Records (with ``group_ids``) bundling an administrator group are
        configured by Settings administrators only."""
        if self._governance_policy_bypass() or self.env.user.has_group(
            "base.group_system"
        ):
            return
        admin = self.filtered(lambda rec: rec.group_ids._governance_implies_admin())
        if admin:
            raise AccessError(
                _(
                    "%(records)s: includes an administrator group (Settings, "
                    "Access Rights or Access Governance administrator); only a "
                    "Settings administrator can configure it.",
                    records=", ".join(admin.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------
    # Write paths
    # ------------------------------------------------------------------
    def _governance_policy_divert(self, vals):
        """Propose the sensitive part of ``vals`` as policy changes; return
        what to write on every record of ``self`` at once.

        A field sensitive for some records only is written at once, record
        by record, on the others (the write comes back here and finds
        nothing sensitive).
        """
        if self._governance_policy_bypass() or not self:
            return vals
        pending = self._governance_policy_changes(vals)
        if not pending:
            return vals
        diverted = {name for changes in pending.values() for name in changes}
        PolicyChange = self.env["access.governance.policy.change"]
        for record, changes in pending.items():
            PolicyChange._policy_propose(record, changes)
        for record in self:
            rest = {
                name: vals[name]
                for name in diverted
                if name not in pending.get(record, {})
            }
            if rest:
                record.write(rest)
        return {name: value for name, value in vals.items() if name not in diverted}

    @api.model
    def _governance_policy_split_create(self, vals_list):
        """Take the fields in ``_governance_policy_create_fields`` out of
        creation values: ([vals to create], [vals to write afterwards])."""
        if self._governance_policy_bypass():
            return vals_list, [{} for _vals in vals_list]
        names = self._governance_policy_create_fields
        to_create, later = [], []
        for vals in vals_list:
            keep = dict(vals)
            after = {name: keep.pop(name) for name in names if name in keep}
            # A default (context default_* key, user default) is a value
            # given at creation too: it goes the same way.
            missing = [name for name in names if name not in vals]
            for name, value in self.default_get(missing).items():
                if value:
                    after[name] = value
                    keep[name] = self._governance_policy_neutral(name)
            to_create.append(keep)
            later.append(after)
        return to_create, later

    @api.model
    def _governance_policy_neutral(self, name):
        """The value that gives nothing, to create with."""
        field = self._fields[name]
        if field.type in ("many2many", "one2many"):
            return [Command.clear()]
        return False

    def _governance_policy_write_later(self, later):
        """Write, record by record, what creation left for later."""
        for record, vals in zip(self, later, strict=True):
            if vals:
                record.write(vals)

    def _governance_policy_apply(self, values):
        """Apply an approved policy change (called by the change itself).

        sudo: the change was approved by a second administrator, which is
        the check; the trusted path skips the diversion.
        """
        self.ensure_one()
        with trusted():
            return self.sudo().write(values)
