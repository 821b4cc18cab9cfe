"""Test-wide set-up: moto in-process, fake credentials, the `test` stage.

The environment is set before any service module is imported, because settings are read
once at start-up as they are on Lambda.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.update(
    CRM_STAGE="test",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    CRM_OPERATOR_KEY="test-operator-key",
    POWERTOOLS_METRICS_NAMESPACE="CRM",
    POWERTOOLS_LOG_LEVEL="WARNING",
    POWERTOOLS_DEV="false",
)
for name in ("CRM_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL", "CRM_USER_POOL_ID",
             "CRM_USER_POOL_CLIENT_ID", "CRM_JWKS_URL"):
    os.environ.pop(name, None)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import moto  # noqa: E402,F401  (before boto3 clients exist, so moto can intercept them)

from infra.local.moto_patches import apply_all, serialize_dynamodb  # noqa: E402

apply_all()
serialize_dynamodb()

pytest_plugins = ["tests.support.fixtures"]

# CI runs each property test on the same examples every time (a failure there is always
# reproducible); developers get fresh random examples on every run.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
