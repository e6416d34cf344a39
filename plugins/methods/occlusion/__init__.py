"""Occlusion methods: captum's occlusion map, computed by incremental inference."""

from bsbench_plugins.methods.occlusion.plugin import OcclusionMethod, OcclusionTimeMethod

__all__ = ["OcclusionMethod", "OcclusionTimeMethod"]
