from contract_tests.hypothesis_profiles import load_default_profile

# One place for Hypothesis settings: "ci" (bounded, no deadline, printed blobs) when
# CI is set, else "local"; HYPOTHESIS_PROFILE names one explicitly.
load_default_profile()
