"""Published samples and scenario files (installed as ``dfmock_fixtures``)."""
