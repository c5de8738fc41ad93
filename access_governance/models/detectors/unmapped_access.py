# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import SUPERUSER_ID, _, api, models

from .base import LIVE, highest_risk


class AccessGovernanceDetectorUnmappedAccess(models.AbstractModel):
    """Governed groups held only through baseline claims: nothing (role or
    grant) justifies them. Also the hook of the job mapping: an employee
    whose job position maps to no role (subject ``job:<id>``)."""

    _name = "access.governance.detector.unmapped_access"
    _inherit = "access.governance.detector"
    _description = "Detector: Unmapped Access"
    _finding_type = "unmapped_access"
    _batch_size = 5000

    @api.model
    def _unmapped_groups(self, user_ids=None):
        """{uid: [gid]} of governed groups held by baseline claims only."""
        self.env["access.governance.claim"].flush_model()
        self.env.cr.execute(
            """
            SELECT c.user_id, array_agg(DISTINCT c.group_id ORDER BY c.group_id)
            FROM (
                SELECT user_id, group_id
                FROM access_governance_claim
                WHERE active AND (%(all)s OR user_id = ANY(%(ids)s))
                GROUP BY user_id, group_id
                HAVING bool_and(kind = 'baseline')
            ) c
            JOIN res_users u ON u.id = c.user_id
            JOIN res_groups g ON g.id = c.group_id
            WHERE u.active AND NOT u.share AND u.id != %(root)s
              AND g.governance_scope = 'governed'
            GROUP BY c.user_id
            ORDER BY c.user_id
            """,
            {
                "all": user_ids is None,
                "ids": list(user_ids or []),
                "root": SUPERUSER_ID,
            },
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _detect_scope(self, after=0):
        return list(self._unmapped_groups())

    @api.model
    def _detect(self, ids):
        rows = self._unmapped_groups(ids)
        results = []
        for user in self._detector_users(sorted(rows)):
            groups = self._detector_by_risk(rows[user.id])
            results.append(
                {
                    "user": user,
                    "subject": "baseline",
                    "severity": highest_risk(groups.mapped("governance_risk")),
                    "groups": groups,
                    "explanation": _(
                        "%(user)s holds %(groups)s with no role or grant "
                        "justifying them (baseline only).",
                        user=user.name,
                        groups=", ".join(groups.mapped("full_name")),
                    ),
                    "remedy": _(
                        "Map the user's job position to a role that contains "
                        "this access, have it requested, or revoke it."
                    ),
                }
            )
        return results

    @api.model
    def _detect_resolve_domain(self):
        return [("subject", "=", "baseline")]

    @api.model
    def _detect_finish(self, run):
        resolved = super()._detect_finish(run)
        # An unmapped job is fixed once a role justifies the user's access.
        # sudo: the detector answers for every finding of its type.
        jobs = (
            self.env["access.governance.finding"]
            .sudo()
            .search(
                [
                    ("finding_type", "=", self._finding_type),
                    ("subject", "=like", "job:%"),
                    ("state", "in", LIVE),
                ]
            )
        )
        with_role = set(
            self.env["access.governance.claim"]
            .sudo()
            .search([("user_id", "in", jobs.user_id.ids), ("kind", "=", "role")])
            .user_id.ids
        )
        return resolved | jobs.filtered(
            lambda f: f.user_id.id in with_role
        )._finding_resolve("not_seen")

    @api.model
    def _unmapped_employee(self, employee):
        """Hook of the job mapping: the employee's job maps to no role."""
        # sudo: the HR officer mapping the employee may not read claims or
        # findings; the detection is recorded on behalf of governance.
        user = employee.sudo().user_id
        if not user:
            return 0
        job = employee.sudo().job_id
        return self._detector_report(
            [
                {
                    "user": user,
                    "subject": f"job:{job.id}",
                    "severity": "low",
                    "groups": self.env["res.groups"],
                    "explanation": _(
                        "The job position %(job)s of %(user)s maps to no role: "
                        "the user keeps only their baseline access.",
                        job=job.name or "",
                        user=user.name,
                    ),
                    "remedy": _(
                        "Map the job position to a role (Configuration > Roles)."
                    ),
                    "record": employee.sudo(),
                }
            ]
        )
