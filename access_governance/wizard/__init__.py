from . import access_governance_audit_verify
from . import access_governance_offboard
from . import access_governance_explain
from . import access_governance_explain_line
from . import access_governance_effective_access
from . import access_governance_effective_access_line
from . import access_governance_elevated_access
from . import access_governance_grant_reason
