from . import access_governance_audit_verify
