from . import test_audit_trail
from . import test_claims_engine
from . import test_group_governance
from . import test_security
from . import test_ui
from . import test_roles
from . import test_lifecycle
