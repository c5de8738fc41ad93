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
        """Fields of ``model`` that Odoo lets only some groups read, grouped
        by their restriction, with which of these rows' users may read them:
        ``[{"groups", "fields", "names", "readers", "hidden_from"}]``."""
        if model.model not in self.env:
            return []
        by_spec = defaultdict(list)
        for name, field in sorted(self.env[model.model]._fields.items()):
            if field.groups:
                by_spec[field.groups].append((name, field.string))
        users = self.user_id.sorted("name")
        result = []
        for spec, fields_ in sorted(by_spec.items()):
            labels = []
            for part in spec.split(","):
                part = part.strip()
                group = self.env.ref(part.lstrip("!"), raise_if_not_found=False)
                label = group.full_name if group else part.lstrip("!")
                labels.append(f"not {label}" if part.startswith("!") else label)
            readers, hidden = [], []
            for user in users:
                (readers if user.has_groups(spec) else hidden).append(user.name)
            result.append(
                {
                    "groups": ", ".join(labels),
                    "fields": ", ".join(f"{label} ({name})" for name, label in fields_),
                    "names": [name for name, _label in fields_],
                    "readers": readers,
                    "hidden_from": hidden,
                }
            )
        return result
