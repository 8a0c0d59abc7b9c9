"""A process's peak resident memory, on every OS: what a training worker needs of a host.

Windows reports the peak working set (psutil's `peak_wset`); POSIX systems report ru_maxrss through `resource`, in
kilobytes on Linux and bytes on macOS. A system with neither (none we know of) gets the resident memory now, a lower
bound of the peak.
"""

import sys

import psutil

try:
    import resource
except ImportError:  # Windows: no `resource` module, and psutil has the peak instead
    resource = None


def peak_memory_mb(process=None):
    """The peak resident memory of `process` (this one by default), in MB (2**20 bytes)."""
    process = process or psutil.Process()
    info = process.memory_info()
    if getattr(info, "peak_wset", None) is not None:
        return info.peak_wset / 2**20
    if resource is not None and process.pid == psutil.Process().pid:
        kilobytes_per_unit = 1 / 1024 if sys.platform == "darwin" else 1
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kilobytes_per_unit / 1024
    return info.rss / 2**20
