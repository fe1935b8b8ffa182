#!/usr/bin/env python3
"""Peak resident memory of one command, and of the guest program when the command is qemu-user.

    tools/peakrss.py [--guest] [--runs N] -- CMD [ARG...]

Prints one line: the command's peak RSS, the kernel's own count (VmHWM in /proc/PID/status, a
high-water mark, read every 2 ms until the process ends: only a rise in its last 2 ms is
missed; wait4's ru_maxrss would be no better, as it counts the forked Python before the exec);
with --guest, also the peak of the guest's own pages, sampled. With --runs N it runs the command
N times and prints the median of each.

--guest (CMD is qemu-aarch64 or qemu-arm and a static binary): under qemu-user the guest's
memory is part of the qemu process, beside qemu's own (its code, glib, the translated-code
buffer, one host thread per guest thread). A 64-bit guest's qemu is started with -R 4G, which
makes it reserve one 4 GiB range and map everything the guest maps inside it, as qemu always
does for a 32-bit guest; the guest is then the sum of Rss over the process's mappings in that
range, read from /proc/PID/smaps every 2 ms. Sampling can miss a short peak, so the figure is a lower bound, close
when the peak is a plateau (volley's: the index parsed, then the connections).
"""
import os
import re
import statistics
import subprocess
import sys
import time

MAPPING = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) ")
GUEST_SPAN = 4 << 30


def guest_rss_kb(pid, exe, load):
    """Sum of Rss over the mappings inside the guest's range, or None if not found. qemu maps
    the guest's executable `exe` at guest_base + its link address `load`, and every other guest
    mapping within GUEST_SPAN of guest_base."""
    try:
        with open(f"/proc/{pid}/smaps") as f:
            text = f.read()
    except OSError:
        return None
    regions, base = [], None
    for line in text.splitlines():
        m = MAPPING.match(line)
        if m:
            regions.append([int(m.group(1), 16), int(m.group(2), 16), 0])
            if base is None and line.rstrip().endswith(exe):
                base = regions[-1][0] - load
        elif line.startswith("Rss:") and regions:
            regions[-1][2] = int(line.split()[1])
    if base is None:
        return None
    return sum(r for lo, hi, r in regions if lo >= base and hi <= base + GUEST_SPAN)


def first_load_vaddr(path):
    """The virtual address of an ELF file's first PT_LOAD segment (readelf -l)."""
    out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            return int(f[2], 16) - int(f[1], 16)  # VirtAddr - Offset: where offset 0 lands
    raise SystemExit(f"peakrss: no LOAD segment in {path}")


def elf32(path):
    with open(path, "rb") as f:
        return f.read(5)[4] == 1  # EI_CLASS: ELFCLASS32


def vmhwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_once(cmd, guest):
    """Run cmd once; guest is None or (exe, load). Returns peak KB, guest peak KB, status."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak, peak_guest = 0, 0
    while True:
        # Read before reaping: a zombie's /proc entry has no memory figures left.
        peak = max(peak, vmhwm_kb(proc.pid))
        if guest:
            peak_guest = max(peak_guest, guest_rss_kb(proc.pid, *guest) or 0)
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            return peak, peak_guest if guest else None, status
        time.sleep(0.002)


def main(argv):
    guest, runs = None, 1
    while argv and argv[0] != "--":
        if argv[0] == "--guest":
            guest = ()
            argv = argv[1:]
        elif argv[0] == "--runs" and len(argv) > 1:
            runs = int(argv[1])
            argv = argv[2:]
        else:
            raise SystemExit(__doc__)
    cmd = argv[1:]
    if not cmd:
        raise SystemExit(__doc__)
    if guest is not None:
        exe = os.path.realpath(cmd[1])
        guest = (exe, first_load_vaddr(exe))
        if not elf32(exe):  # a 32-bit guest gets its 4 GiB reservation anyway
            cmd = [cmd[0], "-R", str(GUEST_SPAN)] + cmd[1:]
    totals, guests = [], []
    for _ in range(runs):
        total, g, status = run_once(cmd, guest)
        if status != 0:
            raise SystemExit(f"peakrss: {' '.join(cmd)} exited with status {status >> 8}")
        if total == 0:
            raise SystemExit(f"peakrss: {' '.join(cmd)} ended before its memory could be read")
        totals.append(total)
        guests.append(g)
    line = f"peak rss {statistics.median(totals) / 1024:.1f} MB"
    if guest is not None:
        line += f", guest {statistics.median(guests) / 1024:.1f} MB (sampled)"
    print(f"{line}  ({runs} run(s): {' '.join(str(t) for t in totals)} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
