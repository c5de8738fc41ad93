from . import access_governance_audit
from . import access_governance_claim
from . import res_groups
from . import res_users
