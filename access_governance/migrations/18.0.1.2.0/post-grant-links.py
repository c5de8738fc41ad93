# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Backfill the real links added in 18.0.1.2.0.

* claim ``grant_id`` / ``role_assignment_id`` from ``source_ref``
  ('model,id'), where the record still exists;
* grant ``approved_group_ids`` (what was approved) for grants approved
  before the field existed: the groups the grant was for at the time
  (its stored ``group_ids``).

Plain SQL: claims and approved grants are evidence, the ORM refuses to
write them outside the flow, and the backfill only completes links.
"""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE access_governance_claim c
           SET grant_id = g.id
          FROM access_governance_grant g
         WHERE c.grant_id IS NULL
           AND c.source_ref = 'access.governance.grant,' || g.id
        """
    )
    grants = cr.rowcount
    cr.execute(
        """
        UPDATE access_governance_claim c
           SET role_assignment_id = a.id
          FROM access_governance_role_assignment a
         WHERE c.role_assignment_id IS NULL
           AND c.source_ref = 'access.governance.role.assignment,' || a.id
        """
    )
    assignments = cr.rowcount
    cr.execute(
        """
        INSERT INTO access_governance_grant_approved_group_rel (grant_id, group_id)
        SELECT r.grant_id, r.group_id
          FROM access_governance_grant_group_rel r
          JOIN access_governance_grant g ON g.id = r.grant_id
         WHERE g.state IN ('approved', 'active', 'expired', 'revoked')
           AND NOT EXISTS (
               SELECT 1 FROM access_governance_grant_approved_group_rel x
                WHERE x.grant_id = g.id
           )
        ON CONFLICT DO NOTHING
        """
    )
    _logger.info(
        "access_governance: linked %s grant claims and %s role claims to their "
        "source; %s approved groups recorded on past grants",
        grants,
        assignments,
        cr.rowcount,
    )
