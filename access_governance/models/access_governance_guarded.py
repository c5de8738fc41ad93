# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One mechanism for every governance model: protected fields and evidence.

A governance record's state and evidence fields (state, decision dates,
approvals, applied flags, outcome counts, snapshots, requester, origin, what
was approved...) change only inside the model's own transition methods. Those
methods run their writes inside :func:`trusted` (or through
:meth:`AccessGovernanceGuarded._governance_write` /
:meth:`AccessGovernanceGuarded._governance_create`), which sets a Python
``ContextVar``: nothing an RPC caller sends (values, ``default_*`` context
keys, user defaults in ``ir.default``, ``copy(default=...)``, ``load()`` /
import) can set it.

Outside that path:

* ``create`` refuses protected fields in the values and in ``default_*``
  context keys; ``default_get`` never proposes a value for them but the
  field's own default (so a user-defined ``ir.default`` cannot set a state);
* ``write`` refuses protected fields, and refuses any change to a record that
  is evidence (closed, decided, ended...);
* ``copy`` refuses protected fields in ``default`` and never copies them;
* ``unlink`` of evidence is refused for everybody, superuser included.

A model opts in with ``_inherit = [..., "access.governance.guarded"]``, lists
its flow fields in ``_governance_protected_fields`` and says which records are
evidence in :meth:`_governance_is_evidence`. Every stored computed field
without an inverse is protected as well (the ORM would otherwise store a value
written over RPC as is).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from odoo import _, api, models
from odoo.exceptions import AccessError

# True while a model's own transition method writes. Not a context key:
# nothing sent over RPC can set it.
_TRUSTED = ContextVar("access_governance_trusted", default=False)

# Written by Odoo itself on any mail.thread record (posting, following,
# activities) and by archiving: allowed on evidence records.
EVIDENCE_WRITABLE_PREFIXES = ("message_", "activity_", "website_message")
EVIDENCE_WRITABLE_FIELDS = {"active"}


@contextmanager
def trusted():
    """Mark the enclosed writes as a transition method's own."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def is_trusted():
    return _TRUSTED.get()


class AccessGovernanceGuarded(models.AbstractModel):
    _name = "access.governance.guarded"
    _description = "Access Governance: protected fields and immutable evidence"

    # Field names that only the model's own transition methods may set.
    _governance_protected_fields = frozenset()
    # True for models written only by their own code (claims, decisions):
    # every stored field is protected.
    _governance_protect_all_stored = False

    # ------------------------------------------------------------------
    # What is protected
    # ------------------------------------------------------------------
    @api.model
    def _governance_protected(self):
        """Protected field names: the declared ones and every stored computed
        field without an inverse."""
        computed = {
            name
            for name, field in self._fields.items()
            if field.compute and field.store and not field.inverse
        }
        if self._governance_protect_all_stored:
            computed |= {
                name
                for name, field in self._fields.items()
                if field.store and name not in models.MAGIC_COLUMNS
            }
        return set(self._governance_protected_fields) | computed

    def _governance_is_evidence(self):
        """Whether this record is evidence (immutable, never deleted)."""
        self.ensure_one()
        return False

    def _governance_field_labels(self, names):
        return ", ".join(
            sorted(
                self._fields[name]._description_string(self.env)
                if name in self._fields
                else name
                for name in names
            )
        )

    def _governance_refuse(self, names, how):
        raise AccessError(
            _(
                "%(model)s: %(fields)s cannot be set %(how)s; they change only "
                "through the record's own actions (submit, approve, close...).",
                model=self._description,
                fields=self._governance_field_labels(names),
                how=how,
            )
        )

    # ------------------------------------------------------------------
    # The trusted path, for the models' own transition methods
    # ------------------------------------------------------------------
    def _governance_write(self, vals):
        """Write flow-controlled fields from a transition method.

        sudo: the caller (a transition method) has checked that the current
        user may make this transition; the fields it sets are protected
        against everybody else, and the record rules of the actor (an
        approver, a reviewer) need not allow writing the record itself.
        """
        with trusted():
            return self.sudo().write(vals)

    @api.model
    def _governance_create(self, vals_list):
        """Create records with flow-controlled fields from a transition method.

        sudo: as :meth:`_governance_write`. ``default_*`` context keys are
        dropped: what the transition creates is exactly what it passes.
        """
        context = {
            key: value
            for key, value in self.env.context.items()
            if not key.startswith("default_")
        }
        # The whole context is replaced on purpose: default_* keys removed.
        records = self.sudo().with_context(context)  # pylint: disable=W8121
        with trusted():
            return records.create(vals_list)

    # ------------------------------------------------------------------
    # ORM guards
    # ------------------------------------------------------------------
    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        if is_trusted():
            return defaults
        # A protected field gets its own default only: never one from the
        # context or from a user default (ir.default).
        for name in self._governance_protected() & set(defaults):
            field = self._fields[name]
            if field.default:
                defaults[name] = field.default(self)
            else:
                del defaults[name]
        return defaults

    @api.model_create_multi
    def create(self, vals_list):
        if not is_trusted():
            protected = self._governance_protected()
            from_context = {
                key[len("default_") :]
                for key in self.env.context
                if key.startswith("default_")
            } & protected
            if from_context:
                self._governance_refuse(from_context, _("from context defaults"))
            for vals in vals_list:
                given = protected & vals.keys()
                if given:
                    self._governance_refuse(given, _("at creation"))
        return super().create(vals_list)

    def write(self, vals):
        if not is_trusted():
            given = self._governance_protected() & vals.keys()
            if given:
                self._governance_refuse(given, _("by hand"))
            self._governance_check_evidence_write(vals)
        return super().write(vals)

    def _governance_check_evidence_write(self, vals):
        changed = {
            name
            for name in vals
            if name not in EVIDENCE_WRITABLE_FIELDS
            and not name.startswith(EVIDENCE_WRITABLE_PREFIXES)
        }
        if not changed:
            return
        evidence = self.filtered(lambda rec: rec._governance_is_evidence())
        if evidence:
            raise AccessError(
                _(
                    "%(records)s: this is evidence (closed, decided or ended) "
                    "and can no longer be changed.",
                    records=", ".join(evidence.mapped("display_name")[:5]),
                )
            )

    def copy_data(self, default=None):
        protected = self._governance_protected()
        if not is_trusted() and default:
            given = protected & set(default)
            if given:
                self._governance_refuse(given, _("on a copy"))
        vals_list = super().copy_data(default=default)
        for vals in vals_list:
            if vals:
                for name in protected - set(default or ()):
                    vals.pop(name, None)
        return vals_list

    @api.ondelete(at_uninstall=False)
    def _unlink_except_governance_evidence(self):
        evidence = self.filtered(lambda rec: rec._governance_is_evidence())
        if evidence:
            raise AccessError(
                _(
                    "%(records)s: evidence cannot be deleted, by anybody. "
                    "Archive it if it should no longer show.",
                    records=", ".join(evidence.mapped("display_name")[:5]),
                )
            )
