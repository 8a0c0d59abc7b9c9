"""A process's peak resident memory, on every OS: what a training worker needs of a host.

Windows reports the peak working set (psutil's `peak_wset`). Linux reports the high-water mark of the process's own
memory (VmHWM in /proc), not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec, so a worker
started by a 2 GB process reported 2 GB after training a 1 GB epoch. macOS reports ru_maxrss through `resource`, in
bytes. A system with none of these gets the resident memory now, a lower bound of the peak.
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
    if (high_water := _linux_high_water_mb(process.pid)) is not None:
        return high_water
    if resource is not None and process.pid == psutil.Process().pid:
        kilobytes_per_unit = 1 / 1024 if sys.platform == "darwin" else 1
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kilobytes_per_unit / 1024
    return info.rss / 2**20


def _linux_high_water_mb(pid):
    """VmHWM from /proc/PID/status in MB, or None where there is no such file (not Linux) or no such line."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kilobytes
    except (OSError, ValueError, IndexError):
        return None
    return None
