# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Audit trail sealed after commit instead of in the writing transaction.

Entries written by 18.0.1.0.0 were sealed as they were written, under a
row lock on the head: their sequence, previous hash and hash stay as they
are, the head already holds the last of them, so the chain carries over
unchanged. What changes is the schema around it:

- ``writer_txid``, the transaction that wrote an entry, is added; it stays
  empty for the entries of the previous version (they are sealed already,
  so the sealer never looks at them);
- the model's ``init()`` then replaces the protection trigger (which now
  also lets the sealer fill the seal of an entry once, checked) and guards
  the head table.
"""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "ALTER TABLE access_governance_audit ADD COLUMN IF NOT EXISTS writer_txid bigint"
    )
    cr.execute(
        "SELECT count(*), count(*) FILTER (WHERE hash IS NULL) "
        "FROM access_governance_audit"
    )
    total, unsealed = cr.fetchone()
    _logger.info(
        "access_governance: %s audit entries carried over (%s without a seal)",
        total,
        unsealed,
    )
