# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The app's home: one tile per question people open the app for.

Tiles are shipped records (data/access_governance_overview_data.xml), read
only for everybody. Their figures are computed for the person looking, with
that person's rights: an employee's "Active elevations" are their own, a
manager's are everybody's. Each tile opens the list behind its figure.
"""

from datetime import timedelta

from odoo import _, api, fields, models

TILES = [
    ("my_approvals", "My approvals to do"),
    ("my_reviews", "My reviews to do"),
    ("my_access", "My access"),
    ("active_elevations", "Active elevations"),
    ("ending_soon", "Elevations ending within 24 hours"),
    ("requests_waiting", "Requests waiting for approval"),
    ("open_findings", "Open findings"),
    ("campaigns", "Review campaigns in progress"),
    ("integrity", "Audit trail integrity"),
]
SEVERITY_LEVELS = ("critical", "high", "medium", "low")


class AccessGovernanceOverview(models.Model):
    _name = "access.governance.overview"
    _description = "Overview Tile"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, readonly=True)
    tile = fields.Selection(TILES, required=True, readonly=True)
    sequence = fields.Integer(default=10, readonly=True)
    group_id = fields.Many2one(
        "res.groups",
        string="Shown To",
        readonly=True,
        ondelete="cascade",
        help="Only members of this group see the tile.",
    )
    description = fields.Char(translate=True, readonly=True)
    count = fields.Integer(compute="_compute_figures")
    subtitle = fields.Char(compute="_compute_figures")
    status = fields.Selection(
        [
            ("ok", "Fine"),
            ("info", "To look at"),
            ("warning", "Needs attention"),
            ("danger", "Urgent"),
        ],
        compute="_compute_figures",
    )

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------
    @api.depends_context("uid")
    def _compute_figures(self):
        for tile in self:
            count, subtitle, status = getattr(self, f"_figures_{tile.tile}")()
            tile.count = count
            tile.subtitle = subtitle
            tile.status = status

    def _tile_domain(self, tile):
        """The domain of the list behind a tile (the caller's rights apply)."""
        now = fields.Datetime.now()
        uid = self.env.uid
        return {
            "my_approvals": [("pending_approver_ids", "in", [uid])],
            "my_reviews": [
                ("reviewer_id", "=", uid),
                ("decision", "=", False),
                ("review_id.state", "=", "in_progress"),
            ],
            "my_access": [("user_id", "=", uid)],
            "active_elevations": [("state", "=", "active")],
            "ending_soon": [
                ("state", "=", "active"),
                ("date_end", "!=", False),
                ("date_end", "<=", now + timedelta(hours=24)),
            ],
            "requests_waiting": [("state", "=", "submitted")],
            "open_findings": [("state", "=", "open")],
            "campaigns": [("state", "=", "in_progress")],
            "integrity": [("event", "in", ("chain_verified", "chain_broken"))],
        }[tile]

    def _count(self, model, tile):
        return self.env[model].search_count(self._tile_domain(tile))

    def _figures_my_approvals(self):
        count = self._count("access.governance.grant", "my_approvals")
        return count, _("requests wait for your decision"), "warning" if count else "ok"

    def _figures_my_reviews(self):
        count = self._count("access.governance.review.line", "my_reviews")
        return count, _("access lines to certify"), "warning" if count else "ok"

    def _figures_my_access(self):
        count = self._count("access.governance.claim", "my_access")
        return count, _("groups you hold, with why"), "info"

    def _figures_active_elevations(self):
        count = self._count("access.governance.grant", "active_elevations")
        return count, _("grants active now"), "info"

    def _figures_ending_soon(self):
        count = self._count("access.governance.grant", "ending_soon")
        return count, _("end within 24 hours"), "warning" if count else "ok"

    def _figures_requests_waiting(self):
        count = self._count("access.governance.grant", "requests_waiting")
        return count, _("requests submitted, not decided yet"), "info"

    def _figures_open_findings(self):
        Finding = self.env["access.governance.finding"]
        counts = dict.fromkeys(SEVERITY_LEVELS, 0)
        for severity, number in Finding._read_group(
            self._tile_domain("open_findings"), ["severity"], ["__count"]
        ):
            counts[severity] = number
        labels = dict(Finding._fields["severity"]._description_selection(self.env))
        subtitle = ", ".join(
            f"{counts[level]} {labels.get(level, level).lower()}"
            for level in SEVERITY_LEVELS
            if counts[level]
        ) or _("nothing open")
        if counts["critical"] or counts["high"]:
            status = "danger"
        elif counts["medium"] or counts["low"]:
            status = "warning"
        else:
            status = "ok"
        return sum(counts.values()), subtitle, status

    def _figures_campaigns(self):
        reviews = self.env["access.governance.review"].search(
            self._tile_domain("campaigns")
        )
        lines = sum(reviews.mapped("line_count"))
        decided = sum(reviews.mapped("decided_count"))
        if not reviews:
            return 0, _("no campaign running"), "ok"
        percent = round(100 * decided / lines) if lines else 100
        return (
            len(reviews),
            _(
                "%(percent)s%% decided (%(decided)s of %(lines)s lines)",
                percent=percent,
                decided=decided,
                lines=lines,
            ),
            "info" if percent < 100 else "ok",
        )

    def _figures_integrity(self):
        last = self.env["access.governance.audit"].search(
            self._tile_domain("integrity"), order="date desc, id desc", limit=1
        )
        if not last:
            return 0, _("never verified: run Verify Integrity"), "warning"
        when = fields.Datetime.context_timestamp(self, last.date).strftime(
            "%Y-%m-%d %H:%M"
        )
        if last.event == "chain_broken":
            return (
                0,
                _(
                    "BROKEN (%(when)s): %(what)s",
                    when=when,
                    what=last.description or "",
                ),
                "danger",
            )
        return 0, _("intact, verified %(when)s", when=when), "ok"

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open(self):
        """Open the list behind the tile's figure."""
        self.ensure_one()
        models_by_tile = {
            "my_approvals": "access.governance.grant",
            "my_reviews": "access.governance.review.line",
            "my_access": "access.governance.claim",
            "active_elevations": "access.governance.grant",
            "ending_soon": "access.governance.grant",
            "requests_waiting": "access.governance.grant",
            "open_findings": "access.governance.finding",
            "campaigns": "access.governance.review",
            "integrity": "access.governance.audit",
        }
        if self.tile == "my_access":
            return self.env["ir.actions.actions"]._for_xml_id(
                "access_governance.access_governance_claim_action_my_access"
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": models_by_tile[self.tile],
            "domain": self._tile_domain(self.tile),
            "views": [(False, "list"), (False, "form")],
            "context": {"create": False},
        }
