"""HTTP API fixtures (defined in ``api_support``, shared with the schema and serving tests)."""

from api_support import api, api_clock, org

__all__ = ["api", "api_clock", "org"]
