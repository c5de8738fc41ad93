# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

_logger = logging.getLogger(__name__)


def post_init_hook(env):
    """Record a baseline claim for every governed group each existing user
    holds explicitly. Groups were classified earlier in the install, by
    data/res_groups_data.xml, before any user was created."""
    users = env["res.users"].with_context(active_test=False).search([])
    claims = env["access.governance.claim"]._claims_capture_baseline(users)
    env["access.governance.audit"]._audit_log(
        "install",
        description=f"Access Governance installed: {len(users)} users, "
        f"{len(claims)} baseline claims.",
        details={"users": len(users), "claims": len(claims)},
    )
    _logger.info(
        "access_governance: baseline captured for %d users (%d claims)",
        len(users),
        len(claims),
    )
