import os

from hypothesis import HealthCheck, settings

# CI: bounded examples, no deadline (shared machines stall), seeds printed so a
# failure can be replayed; local: more examples.
settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("local", max_examples=300, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "local"))
