from contract_tests.hypothesis_profiles import load_default_profile

# "ci" when CI is set, else "local"; HYPOTHESIS_PROFILE overrides (see the module).
load_default_profile()
