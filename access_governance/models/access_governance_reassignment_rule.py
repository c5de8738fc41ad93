# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Where a leaver's open records live, and how to hand them over."""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tools.safe_eval import safe_eval

_logger = logging.getLogger(__name__)

# model -> (user field, open-records domain), created for installed models.
# Open means: a lead not won (lost leads are archived), a task neither done
# nor cancelled, a quotation not confirmed, an RFQ not yet ordered, a draft
# journal entry (posted ones are evidence), a pending activity (done ones are
# archived or deleted by Odoo).
DEFAULT_RULES = {
    "mail.activity": ("user_id", "[]"),
    "crm.lead": ("user_id", "[('stage_id.is_won', '=', False)]"),
    "project.task": ("user_ids", "[('state', 'not in', ['1_done', '1_canceled'])]"),
    "helpdesk.ticket": ("user_id", "[('stage_id.fold', '=', False)]"),
    "sale.order": ("user_id", "[('state', 'in', ['draft', 'sent'])]"),
    "purchase.order": ("user_id", "[('state', 'in', ['draft', 'sent', 'to approve'])]"),
    "account.move": ("invoice_user_id", "[('state', '=', 'draft')]"),
}


# Models whose user fields decide access or are evidence: handing their
# records over to another user could give that user the leaver's access
# (group members, company members, the user of an employee, a grant's
# beneficiary...). Offboarding never reassigns them.
FORBIDDEN_MODEL_PREFIXES = (
    "access.governance.",
    "auth_",
    "base.",
    "bus.",
    "hr.employee",
    "ir.",
    "res.company",
    "res.device",
    "res.groups",
    "res.users",
    "resource.",
)
# Authorship is evidence: never rewritten.
FORBIDDEN_FIELDS = {"create_uid", "write_uid"}


class AccessGovernanceReassignmentRule(models.Model):
    _name = "access.governance.reassignment.rule"
    _description = "Reassignment Rule"
    _order = "sequence, id"

    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    model_id = fields.Many2one(
        "ir.model", string="Model", required=True, ondelete="cascade"
    )
    model_name = fields.Char(related="model_id.model", string="Model Name")
    field_id = fields.Many2one(
        "ir.model.fields",
        string="User Field",
        required=True,
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('relation', '=', 'res.users'), "
        "('ttype', 'in', ('many2one', 'many2many')), ('store', '=', True)]",
        help="The field naming the user responsible for a record.",
    )
    domain = fields.Char(
        string="Open Records",
        default="[]",
        required=True,
        help="Which records are still open and must be handed over.",
    )

    _sql_constraints = [
        (
            "model_field_uniq",
            "unique (model_id, field_id)",
            "One reassignment rule per model and user field.",
        ),
    ]

    @api.depends("model_id", "field_id")
    def _compute_name(self):
        for rule in self:
            rule.name = (
                f"{rule.model_id.name or ''} / {rule.field_id.field_description or ''}"
            )

    def _governance_forbidden(self):
        """Why this rule may never run ('' when it may)."""
        self.ensure_one()
        if (self.model_id.model or "").startswith(FORBIDDEN_MODEL_PREFIXES):
            return _(
                "%s: its user fields decide who has access; offboarding never "
                "hands these records over.",
                self.model_id.name,
            )
        if self.field_id.name in FORBIDDEN_FIELDS:
            return _("Who created or last changed a record is never rewritten.")
        return ""

    @api.constrains("model_id", "field_id", "domain")
    def _check_domain(self):
        for rule in self:
            forbidden = rule._governance_forbidden()
            if forbidden:
                raise ValidationError(forbidden)
            if rule.field_id.model_id != rule.model_id or (
                rule.field_id.relation != "res.users"
                or rule.field_id.ttype not in ("many2one", "many2many")
            ):
                raise ValidationError(
                    _(
                        "The user field of %s must be a many2one or many2many "
                        "to users on that model.",
                        rule.model_id.name,
                    )
                )
            try:
                domain = safe_eval(rule.domain or "[]")
                self.env[rule.model_id.model].sudo().search_count(domain, limit=1)
            except Exception as error:
                raise ValidationError(
                    _(
                        "The open-records domain of %(rule)s is invalid: %(error)s",
                        rule=rule.model_id.name,
                        error=error,
                    )
                ) from error

    def _governance_open_records(self, user):
        """The open records of ``user`` this rule covers."""
        self.ensure_one()
        if self.model_id.model not in self.env or self._governance_forbidden():
            return None
        domain = safe_eval(self.domain or "[]") + [(self.field_id.name, "in", user.ids)]
        return self.env[self.model_id.model].sudo().search(domain)

    def _governance_reassign(self, records, leaver, target):
        """Hand ``records`` over from ``leaver`` to ``target``."""
        self.ensure_one()
        if self.field_id.ttype == "many2many":
            records.write(
                {
                    self.field_id.name: [
                        Command.unlink(leaver.id),
                        Command.link(target.id),
                    ]
                }
            )
        else:
            records.write({self.field_id.name: target.id})

    @api.model
    def _create_default_rules(self, modules=None):
        """Create the default rules for the installed models (skip existing);
        with ``modules`` (names), only for the models those modules define."""
        created = self.browse()
        for model, (field_name, domain) in DEFAULT_RULES.items():
            field = self.env["ir.model.fields"]._get(model, field_name)
            if not field:
                continue
            if modules is not None and not self.env["ir.model.data"].search_count(
                [
                    ("model", "=", "ir.model"),
                    ("res_id", "=", field.model_id.id),
                    ("module", "in", list(modules)),
                ],
                limit=1,
            ):
                continue
            if self.with_context(active_test=False).search_count(
                [("model_id.model", "=", model), ("field_id", "=", field.id)]
            ):
                continue
            created |= self.create(
                {
                    "model_id": field.model_id.id,
                    "field_id": field.id,
                    "domain": domain,
                }
            )
        return created
