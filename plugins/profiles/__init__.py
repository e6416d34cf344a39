"""Built-in expert cue profiles, stored as JSON data with a citation per cell."""

from bsbench_plugins.profiles.data_profile import builtin_profiles

from bsbench.plugin import hookimpl


@hookimpl
def bsbench_register_expert_profiles(register):
    for profile in builtin_profiles():
        register(profile)
