from . import access_governance_audit_verify
from . import access_governance_offboard
