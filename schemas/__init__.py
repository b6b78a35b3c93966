"""The dfmock contract: JSON Schema files (installed as ``dfmock_schemas``)."""
