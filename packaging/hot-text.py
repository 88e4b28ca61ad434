#!/usr/bin/env python3
"""Writes packaging/hot-text.ld: the code steward runs, laid out together.

The kernel maps a binary's pages 64 KiB at a time around each page a process
touches (fault-around), so what is resident is every 64 KiB window that holds
one function the process ran. Spread over 1.4 MiB of code, a few hundred
functions touch nearly every window. The linker script this writes puts
them together, the code first, in three groups, in this order:

  1. what wrapper mode runs (`steward -- PROGRAM`, start, signal, exit),
  2. what PID 1 runs on top of that with a services directory,
  3. what the log forwarder (steward executed again as steward-log) runs;

and, after .rodata, steward's constants and those of the C library code of
group 1. The script only orders sections; a name that no longer exists matches
nothing and costs nothing but its place. Run this after a change that moves
much code (docs/BENCHMARKS.md shows the RSS it buys), on purpose, never from
the build. It needs valgrind and a Release build directory, whose steward
it links again, unstripped and with a map, to profile:

  packaging/hot-text.py --build build
"""
import argparse
import bisect
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def relink(build, out, mapfile):
    """The steward link command of BUILD, unstripped, with a map, to OUT."""
    with open(os.path.join(build, "CMakeFiles/steward.dir/link.txt")) as f:
        cmd = shlex.split(f.read())
    cmd = [a for a in cmd if a != "-s" and not a.startswith("-Wl,-T,")]
    i = cmd.index("-o")
    cmd[i + 1] = out
    cmd.append("-Wl,-Map=" + mapfile)
    subprocess.run(cmd, cwd=build, check=True)


def callgrind(outdir, tag, argv, stop_after=None, pidns=False, children=False):
    """Runs argv under callgrind; returns the profile files it wrote.
    children: follow execs too (the forwarder is steward executed again)."""
    base = os.path.join(outdir, tag)
    cmd = ["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no",
           "--callgrind-out-file=" + base + ".%p"]
    if children:
        cmd.append("--trace-children=yes")
    cmd += argv
    if pidns:
        cmd = ["unshare", "--pid", "--fork", "--mount-proc"] + cmd
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    if stop_after is not None:
        time.sleep(stop_after)
        target = p.pid
        if pidns:  # the init is unshare's child
            target = int(subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                                        text=True).stdout.split()[0])
        os.kill(target, 15)
    p.wait(timeout=120)
    return sorted(os.path.join(outdir, f) for f in os.listdir(outdir) if f.startswith(tag + "."))


def command(profile):
    """The command line a profile was taken of (callgrind's "cmd:" line)."""
    with open(profile) as f:
        for line in f:
            if line.startswith("cmd:"):
                return line[4:].strip()
    return ""


def functions(profile):
    names = set()
    with open(profile) as f:
        for line in f:
            if line.startswith(("fn=", "cfn=")):
                names.add(line.split("=", 1)[1].strip())
    return names


def symbols(binary):
    """Function name -> address, from the unstripped binary."""
    out = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True,
                         check=True).stdout
    addr = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwWiI":
            addr.setdefault(parts[2], int(parts[0], 16))
    return addr


def text_sections(mapfile, output=".text"):
    """Input sections of an output section: (start, size, name, file)."""
    rows = []
    inside = False
    pending = None
    entry = re.compile(r"^ (\.\S+)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*))?$")
    cont = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    with open(mapfile) as f:
        for line in f:
            line = line.rstrip("\n")
            if re.match(r"^%s\s" % re.escape(output), line):
                inside = True
                continue
            if inside and re.match(r"^\.\S", line):
                break
            if not inside:
                continue
            m = entry.match(line)
            if m:
                if m.group(2):
                    rows.append((int(m.group(2), 16), int(m.group(3), 16), m.group(1), m.group(4)))
                    pending = None
                else:
                    pending = m.group(1)
                continue
            m = cont.match(line)
            if m and pending:
                rows.append((int(m.group(1), 16), int(m.group(2), 16), pending, m.group(3)))
                pending = None
    return rows


# Run but not seen by callgrind: the child between clone() and exec() (it
# shares steward's memory, so what it touches is resident in PID 1), and
# the first and last instructions of the process.
CHILD_SIDE = ["_ZN7steward12_GLOBAL__N_18RunChildEPv.lto_priv.0",
              "_ZN7steward12_GLOBAL__N_18RunChildEPv",
              "_ZN7steward12_GLOBAL__N_17SetUpFdsEPNS0_5ChildE",
              "_ZN7steward12_GLOBAL__N_114SwitchIdentityERKNS_8IdentityEPNS0_5ChildE",
              "_ZN7steward12_GLOBAL__N_14FailEPNS0_5ChildENS0_5StageEi",
              "_ZNK7steward16InheritedSignals14RestoreInChildEv",
              "execvp", "execvpe", "__execvpe", "execve", "setpgid", "getpgrp", "tcsetpgrp",
              "isatty", "tcgetattr", "dup2", "fcntl", "__fcntl64_nocancel", "open", "__open",
              "setrlimit", "umask", "chdir", "prctl", "syscall", "getuid", "geteuid", "getgid",
              "getegid", "sigaction", "__libc_sigaction", "sigprocmask", "_exit", "__strchrnul",
              "_start", "_dl_new_object", "_dl_relocate_static_pie", "exit", "__run_exit_handlers",
              "_IO_cleanup", "_dl_fini", "frame_dummy", "register_tm_clones",
              "deregister_tm_clones", "__do_global_dtors_aux", "__libc_alloca_cutoff",
              "_dl_setup_hash"]


VARIANT = re.compile(r"^([a-z0-9_]+)-(sse|ssse3|avx|evex|erms|rtm|unaligned|vec)")


def family(member):
    """memmove-evex-unaligned-erms.o -> memmove, strcmp.o (the resolver) ->
    strcmp: glibc picks a string function's variant for the CPU at start,
    and valgrind's CPU is not the machine's."""
    m = VARIANT.match(member)
    return m.group(1) if m else member.split(".", 1)[0]


def variant(member):
    """The variants today's machines pick (AVX2, AVX-512), not every one."""
    return bool(VARIANT.match(member)) and re.search(r"-(avx|evex)", member) is not None \
        and "-rtm" not in member


def pattern(section, obj):
    """The linker script's input section description, or None if ambiguous."""
    m = re.match(r"^.*/(lib[^/]+\.a)\(([^)]+)\)$", obj)
    if m:
        return "*%s:%s(%s)" % (m.group(1), m.group(2), section)
    m = re.match(r"^.*/(crt[^/]*\.o)$", obj)
    if m:
        return "*%s(%s)" % (m.group(1), section)
    # Code of steward's own (LTO partitions, temporary file names): the
    # section name alone, unique with -ffunction-sections.
    if section.startswith((".text.", ".rodata.")) and section not in (".text.unlikely", ".text.startup",
                                                        ".text.hot", ".text.exit"):
        return "*(%s)" % section
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="a Release build directory")
    ap.add_argument("--out", default=os.path.join(HERE, "hot-text.ld"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="steward-hot-")
    binary = os.path.join(work, "steward")
    mapfile = os.path.join(work, "steward.map")
    relink(os.path.abspath(args.build), binary, mapfile)

    # valgrind runs a child it follows with the binary's path as argv[0],
    # whatever argv[0] the exec gave: so the binary of the run with services
    # is named steward-log, which the forwarder, executed from the
    # descriptor PID 1 holds, is then called by; PID 1 itself is started
    # through a link named steward.
    forwarder_named = os.path.join(work, "steward-log")
    os.link(binary, forwarder_named)
    as_init = os.path.join(work, "init", "steward")
    os.mkdir(os.path.dirname(as_init))
    os.symlink(forwarder_named, as_init)

    services = os.path.join(work, "services")
    os.mkdir(services)
    for i in range(1, 21):
        dep = 'depends_on = ["s%d"]\n' % (i - 1) if i > 1 else ""
        with open(os.path.join(services, "s%d.toml" % i), "w") as f:
            f.write('command = ["/bin/sleep", "1000"]\n' + dep)
    wrapper = [binary, "--services", "/nonexistent", "--config", ""]
    # Wrapper mode both as a plain process and as PID 1 of a namespace (as
    # in a container), which takes paths of its own.
    runs = {"true": callgrind(work, "true", wrapper + ["--", "/bin/true"]),
            "sleep": callgrind(work, "sleep", wrapper + ["--", "/bin/sleep", "60"], stop_after=3),
            "true-ns": callgrind(work, "true-ns", wrapper + ["--", "/bin/true"], pidns=True),
            "sleep-ns": callgrind(work, "sleep-ns", wrapper + ["--", "/bin/sleep", "60"],
                                  stop_after=3, pidns=True),
            "set": callgrind(work, "set", [as_init, "--services", services, "--config", ""],
                             stop_after=15, pidns=True, children=True)}
    # In the PID namespace the init is pid 1; the forwarder is the process
    # that runs as steward-log (the services, /bin/sleep, are left out).
    pid1 = [p for p in runs["set"] if p.endswith(".1")]
    forwarder = [p for p in runs["set"]
                 if not p.endswith(".1") and
                 os.path.basename(command(p).split()[0] if command(p) else "") == "steward-log"]
    wrapper_runs = runs["true"] + runs["sleep"] + runs["true-ns"] + runs["sleep-ns"]
    groups = [set(CHILD_SIDE).union(*(functions(p) for p in wrapper_runs)),
              set().union(*(functions(p) for p in pid1)),
              set().union(*(functions(p) for p in forwarder))]
    # valgrind 3.19 runs an execveat(fd, "", ...) child with the binary's
    # path as argv[0], so steward cannot know it as steward-log and no
    # forwarder profile comes out: its group is then kept from the file.
    kept = []
    if not groups[2] and os.path.exists(args.out):
        print("no profile of the forwarder (valgrind does not keep its argv[0]): "
              "its group is kept from " + args.out)
        with open(args.out) as f:
            text = f.read()
        m = re.search(r"/\* 3: [^*]*\*/\n(.*?)\n  \}", text, re.S)
        if m:
            kept = [l.strip() for l in m.group(1).split("\n") if l.strip()]
        groups[2] = {"(kept)"}
    if not all(groups):
        sys.exit("hot-text.py: a run left no profile (is valgrind installed? %s)" % work)

    addr = symbols(binary)
    sections = text_sections(mapfile)
    rodata = text_sections(mapfile, ".rodata")
    starts = [s[0] for s in sections]
    seen = set()
    lines = []
    hot_objects = set()  # of group 1, for their read-only data
    for n, group in enumerate(groups, 1):
        picked = set()
        for name in group:
            a = addr.get(name)
            if a is None:
                continue
            i = bisect.bisect_right(starts, a) - 1
            if i < 0 or not sections[i][0] <= a < sections[i][0] + max(sections[i][1], 1):
                continue
            p = pattern(sections[i][2], sections[i][3])
            if p and p not in seen:
                picked.add(p)
                if n == 1:
                    hot_objects.add(sections[i][3])
            m = re.match(r"^.*/libc\.a\(([^)]+)\)$", sections[i][3])
            if m:  # every variant of a string function
                for _, _, sec, obj in sections:
                    o = re.match(r"^.*/libc\.a\(([^)]+)\)$", obj)
                    if o and variant(o.group(1)) and family(o.group(1)) == family(m.group(1)):
                        q = pattern(sec, obj)
                        if q not in seen:
                            picked.add(q)
        seen |= picked
        size = sum(sz for _, sz, sec, obj in sections if pattern(sec, obj) in picked)
        print("group %d: %d sections, %d bytes" % (n, len(picked), size))
        lines.append("    /* %d: %s */" % (n, ["wrapper mode", "PID 1 with services",
                                                 "the log forwarder"][n - 1]))
        if n == 3 and kept:
            picked = {p for p in kept if p not in seen}
            seen |= picked
            print("group 3: %d sections kept" % len(picked))
        lines += ["    " + p for p in sorted(picked)]

    # Wrapper mode's constants: those of the C library's objects it runs, and
    # all of steward's own (36 KB): the linker merges equal strings, so a
    # string of a hot function may be any function's copy.
    ro = set()
    for _, _, sec, obj in rodata:
        if re.match(r"^.*/lib[^/]+\.a\([^)]+\)$", obj):
            if obj in hot_objects:
                ro.add(pattern(sec, obj))
        elif sec.startswith(".rodata."):
            ro.add("*(%s)" % sec)
    ro.discard(None)
    size = sum(sz for _, sz, sec, obj in rodata if pattern(sec, obj) in ro or "*(%s)" % sec in ro)
    print("read-only data of group 1: %d sections, %d bytes" % (len(ro), size))

    with open(args.out, "w") as f:
        f.write("/* Generated by packaging/hot-text.py: the code steward runs, first and\n"
                "   together, so that fewer 64 KiB windows of the binary become resident.\n"
                "   Regenerate after a change that moves much code. */\n"
                "SECTIONS\n{\n  .text.steward.hot :\n  {\n")
        f.write("\n".join(lines) + "\n  }\n}\nINSERT BEFORE .text;\n")
        # After .rodata, not before: the statements before .rodata start the
        # read-only segment, and what is inserted before them would land in
        # the executable one.
        f.write("SECTIONS\n{\n  .rodata.steward.hot :\n  {\n")
        f.write("\n".join("    " + p for p in sorted(ro)) + "\n  }\n}\nINSERT AFTER .rodata;\n")
    print("%s: %d sections (%s)" % (args.out, len(seen) + len(ro), work))


if __name__ == "__main__":
    main()
