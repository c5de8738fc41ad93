from . import test_grants
from . import test_sod
