"""Ready-made pytest suites of the contract kit (run with ``pytest --pyargs contract_tests.suites``)."""
