# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Who can read personal data, down to the fields Odoo restricts to groups."""

from collections import defaultdict

from odoo import models


class AccessGovernancePersonalDataEvidence(models.Model):
    _inherit = "access.governance.personal.data.access"

    def _evidence_by_model(self):
        """The rows grouped by model: ``[(ir.model, rows)]`` by model name."""
        by_model = defaultdict(lambda: self.browse())
        for row in self:
            by_model[row.model_id] |= row
        return sorted(by_model.items(), key=lambda item: item[0].model)

    def _evidence_restricted_fields(self, model):
        """Fields of ``model`` that Odoo lets only some groups read, each with
        the groups and which of these rows' users may read it:
        ``[{"name", "label", "groups", "readers", "hidden_from"}]``."""
        if model.model not in self.env:
            return []
        result = []
        fields_ = self.env[model.model]._fields
        for name in sorted(fields_):
            field = fields_[name]
            if not field.groups:
                continue
            labels = []
            for spec in field.groups.split(","):
                spec = spec.strip()
                negate = spec.startswith("!")
                group = self.env.ref(spec.lstrip("!"), raise_if_not_found=False)
                label = group.full_name if group else spec.lstrip("!")
                labels.append(f"not {label}" if negate else label)
            readers, hidden = [], []
            for user in self.user_id.sorted("name"):
                (readers if user.has_groups(field.groups) else hidden).append(user.name)
            result.append(
                {
                    "name": name,
                    "label": field.string,
                    "groups": ", ".join(labels),
                    "readers": readers,
                    "hidden_from": hidden,
                }
            )
        return result
