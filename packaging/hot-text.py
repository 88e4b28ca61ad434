#!/usr/bin/env python3
"""Writes packaging/hot-text.list: the code and constants steward runs, by name.

The kernel maps a binary's pages 64 KiB at a time around each page a process
touches (fault-around), so what is resident is every 64 KiB window that holds
one function or constant the process used. Spread over 1.5 MiB, a few hundred
functions touch nearly every window. The build (cmake/hot_text.cmake) turns
the list into a linker script that puts them together, in this order:

  1. what only the log forwarder (steward executed again as steward-log) runs,
  2. what the forwarder and PID 1 both run (the C library's start, malloc),
  3. what wrapper mode runs (`steward -- PROGRAM`: start, signal, exit),
  4. what PID 1 runs on top of that with a services directory,
  5. the other CPUs' variants of the C library's string functions,

so that each process's code is one run of windows: the forwarder 1-2,
wrapper mode 2-3, PID 1 with services 2-4. Constants the same way, after
.rodata (next to .eh_frame, whose start every process reads). A name is a
section without the suffixes compilers give clones (.isra.0, .lto_priv.0),
so the list survives a compiler update; the build fails when under 90 % of
the list is laid out. Run this after a change that moves much code, on
purpose, never from the build (docs/BENCHMARKS.md shows the RSS it buys).
It needs valgrind and a Release build directory, whose steward it links
again, without the layout, unstripped and with a map, to profile:

  packaging/hot-text.py --build build
"""
import argparse
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

from hot_text_map import VARIANT, entry, family, locate, symbols, text_sections, variant, write

HERE = os.path.dirname(os.path.abspath(__file__))


def relink(build, out, mapfile, script=None):
    """The steward link command of BUILD, unstripped, with a map, to OUT;
    laid out by SCRIPT, or not at all."""
    with open(os.path.join(build, "CMakeFiles/steward.dir/link.txt")) as f:
        cmd = shlex.split(f.read())
    cmd = [a for a in cmd if a != "-s" and not a.startswith(("-Wl,-T,", "-Wl,-Map="))]
    i = cmd.index("-o")
    cmd[i + 1] = out
    cmd.append("-Wl,-Map=" + mapfile)
    if script:
        cmd.append("-Wl,-T," + script)
    subprocess.run(cmd, cwd=build, check=True)


def named(work, binary):
    """BINARY linked as WORK/steward-log and started through WORK/init/steward:
    valgrind runs a child it follows with the binary's path as argv[0],
    whatever argv[0] the exec gave, so the forwarder, executed from the
    descriptor PID 1 holds, is called steward-log that way too."""
    forwarder_named = os.path.join(work, "steward-log")
    as_init = os.path.join(work, "init", "steward")
    for path in (forwarder_named, as_init):
        if os.path.lexists(path):
            os.unlink(path)
    os.makedirs(os.path.dirname(as_init), exist_ok=True)
    os.link(binary, forwarder_named)
    os.symlink(forwarder_named, as_init)
    return as_init


def commands(work, binary, as_init):
    """Wrapper mode, and PID 1 with the 20 services of WORK/services."""
    wrapper = [binary, "--services", "/nonexistent", "--config", ""]
    with_services = [as_init, "--services", os.path.join(work, "services"), "--config",
                     os.path.join(work, "global.toml")]
    return wrapper, with_services


def valgrind(outdir, tag, tool, argv, stop_after=None, pidns=False, children=False):
    """Runs argv under a valgrind tool (callgrind: the functions run; lackey:
    every load and store), which writes a file per process, TAG.PID.
    children: follow execs too (the forwarder is steward executed again)."""
    base = os.path.join(outdir, tag)
    if tool == "callgrind":
        cmd = ["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no",
               "--callgrind-out-file=" + base + ".%p"]
    else:
        cmd = ["valgrind", "--tool=lackey", "--trace-mem=yes", "--log-file=" + base + ".%p"]
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
    p.wait(timeout=300)


def command(profile):
    """The command line a profile was taken of (callgrind's "cmd:" line,
    lackey's "Command:" line)."""
    with open(profile, errors="replace") as f:
        for line in f:
            if line.startswith("cmd:"):
                return line[4:].strip()
            m = re.match(r"^==\d+== Command: (.*)$", line)
            if m:
                return m.group(1).strip()
    return ""


def program(profile):
    words = command(profile).split()
    return os.path.basename(words[0]) if words else ""


def loads(log, lo, hi):
    """Addresses in [lo, hi) that a lackey log shows read or written."""
    seen = set()
    access = re.compile(r"^ [LSM] ([0-9a-f]+),")
    with open(log, errors="replace") as f:
        for line in f:
            m = access.match(line)
            if m:
                a = int(m.group(1), 16)
                if lo <= a < hi:
                    seen.add(a)
    return seen


def functions(profile):
    names = set()
    with open(profile) as f:
        for line in f:
            if line.startswith(("fn=", "cfn=")):
                names.add(line.split("=", 1)[1].strip())
    return names


# Run but not seen by callgrind: the child between clone() and exec() (it
# shares steward's memory, so what it touches is resident in PID 1).
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
              "sigfillset",
              # the string functions of execvpe's PATH walk, as today's
              # machines pick them (perf: page-faults -d)
              "__strchrnul_avx2", "__strchrnul_evex", "__strnlen_avx2", "__strnlen_evex"]

# Run by every process but not seen by callgrind: the first and last
# instructions, and what valgrind's process lacks: it has no vDSO, whose
# clock functions a static binary's C library looks up by name.
START_UNSEEN = ["_start", "_dl_new_object", "_dl_relocate_static_pie", "exit",
                "__run_exit_handlers", "_IO_cleanup", "_dl_fini", "frame_dummy",
                "register_tm_clones", "deregister_tm_clones", "__do_global_dtors_aux",
                "__libc_alloca_cutoff", "_dl_setup_hash", "_dl_lookup_symbol_x"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="a Release build directory")
    ap.add_argument("--out", default=os.path.join(HERE, "hot-text.list"))
    ap.add_argument("--again", metavar="DIR",
                    help="write the list again from the profiles an earlier run left in DIR")
    args = ap.parse_args()
    work = args.again or tempfile.mkdtemp(prefix="steward-hot-")
    binary = os.path.join(work, "steward")
    mapfile = os.path.join(work, "steward.map")
    if args.again:
        return write_list(args, work, binary, mapfile)
    relink(os.path.abspath(args.build), binary, mapfile)

    as_init = named(work, binary)
    services = os.path.join(work, "services")
    os.mkdir(services)
    for i in range(1, 21):
        dep = 'depends_on = ["s%d"]\n' % (i - 1) if i > 1 else ""
        with open(os.path.join(services, "s%d.toml" % i), "w") as f:
            f.write('command = ["/bin/sleep", "1000"]\n' + dep)
    with open(os.path.join(work, "global.toml"), "w") as f:  # not the host's /dev/log
        f.write('[log]\nsyslog_socket = "%s"\n' % os.path.join(work, "dev-log"))
    wrapper, with_services = commands(work, binary, as_init)
    # Wrapper mode both as a plain process and as PID 1 of a namespace (as
    # in a container), which takes paths of its own.
    valgrind(work, "true", "callgrind", wrapper + ["--", "/bin/true"])
    valgrind(work, "sleep", "callgrind", wrapper + ["--", "sleep", "60"], stop_after=3)
    valgrind(work, "true-ns", "callgrind", wrapper + ["--", "/bin/true"], pidns=True)
    valgrind(work, "sleep-ns", "callgrind", wrapper + ["--", "sleep", "60"], stop_after=3,
             pidns=True)
    valgrind(work, "set", "callgrind", with_services, stop_after=15, pidns=True, children=True)
    # What it reads, for the constants: lackey, which is slower.
    valgrind(work, "data-sleep-ns", "lackey", wrapper + ["--", "sleep", "60"], stop_after=4,
             pidns=True)
    valgrind(work, "data-set", "lackey", with_services, stop_after=20, pidns=True, children=True)
    write_list(args, work, binary, mapfile)


def compiler(build):
    """"GNU 12": the compiler of BUILD and its major version, as the build's
    check compares them (CMakeLists.txt, STEWARD_COMPILER)."""
    found = {}
    for path in glob.glob(os.path.join(build, "CMakeFiles", "*", "CMakeCXXCompiler.cmake")):
        with open(path) as f:
            for line in f:
                m = re.match(r'^set\((CMAKE_CXX_COMPILER_(?:ID|VERSION)) "([^"]*)"\)$', line.strip())
                if m:
                    found[m.group(1)] = m.group(2)
    version = found.get("CMAKE_CXX_COMPILER_VERSION", "")
    return "%s %s" % (found.get("CMAKE_CXX_COMPILER_ID", "?"), version.split(".")[0])


def profiles(work, tag):
    return sorted(os.path.join(work, f) for f in os.listdir(work) if f.startswith(tag + "."))


def write_list(args, work, binary, mapfile):
    code = {tag: profiles(work, tag) for tag in ("true", "sleep", "true-ns", "sleep-ns", "set")}
    data = {tag: profiles(work, "data-" + tag) for tag in ("sleep-ns", "set")}
    # In the PID namespace the init is pid 1; the forwarder is the process
    # that runs as steward-log (the services, /bin/sleep, are left out).
    def split(files):
        pid1 = [p for p in files if p.endswith(".1")]
        forwarder = [p for p in files if not p.endswith(".1") and program(p) == "steward-log"]
        return pid1, forwarder
    code_pid1, code_forwarder = split(code["set"])
    data_pid1, data_forwarder = split(data["set"])
    if not (code_pid1 and code_forwarder and data_pid1 and data_forwarder):
        sys.exit("hot-text.py: a run left no profile of PID 1 or of the forwarder "
                 "(is valgrind installed? %s)" % work)

    sections = sorted(text_sections(mapfile))
    starts = [s[0] for s in sections]
    addr = symbols(binary)

    def code_entries(names):
        out = set()
        for name in names:
            a = addr.get(name)
            sec = locate(sections, starts, a) if a is not None else None
            if sec:
                e = entry(sec[2], sec[3])
                if e:
                    out.add(e)
        return out

    def union(files, read):
        return set().union(*(read(name) for name in files))

    wrapper_runs = code["true"] + code["sleep"] + code["true-ns"] + code["sleep-ns"]
    w = code_entries(union(wrapper_runs, functions) | set(CHILD_SIDE) | set(START_UNSEEN))
    p = code_entries(union(code_pid1, functions) | set(CHILD_SIDE) | set(START_UNSEEN))
    f = code_entries(union(code_forwarder, functions) | set(START_UNSEEN))
    # glibc picks a string function's variant for the CPU at start, and
    # valgrind's CPU is not the machine's: where a process ran one variant
    # of a family, the variants today's machines pick (AVX2, AVX-512) go in
    # its group instead, and the others (SSE2, RTM, ...) last of all.
    modern, others = {}, set()
    for _, _, sec, obj in sections:
        m = re.match(r"^.*/libc\.a\(([^)]+)\)$", obj)
        if m and VARIANT.match(m.group(1)):
            e = entry(sec, obj)
            if variant(m.group(1)):
                modern.setdefault(family(m.group(1)), set()).add(e)
            else:
                others.add(e)
    for group in (w, p, f):
        ran = {family(m.group(1)) for m in (re.match(r"^libc\.a:([^(]+)\(", e) for e in group)
               if m and VARIANT.match(m.group(1))}
        group -= others
        for fam in ran:
            group |= modern.get(fam, set())
    variants = others & set().union(*(code_entries(union(files, functions)) for files in
                                      (wrapper_runs, code_pid1, code_forwarder)))

    rodata = sorted(text_sections(mapfile, ".rodata"))
    ro_starts = [s[0] for s in rodata]
    lo, hi = rodata[0][0], rodata[-1][0] + rodata[-1][1]

    def data_entries(logs):
        out = set()
        for log in logs:
            for a in loads(log, lo, hi):
                sec = locate(rodata, ro_starts, a)
                if sec:
                    e = entry(sec[2], sec[3])
                    if e:
                        out.add(e)
        return out

    # The constants a process reads (lackey), and those of the code it runs:
    # strings are merged, so one read shows in whichever section's copy was
    # kept, and a function finds its own copy only next to it.
    present = set()
    member_ro = {}
    for _, _, sec, obj in rodata:
        e = entry(sec, obj)
        if e:
            present.add(e)
            m = re.match(r"^([^:]+:[^(]+)\(", e)
            if m:
                member_ro.setdefault(m.group(1), []).append(e)

    def constants(text, logs):
        out = data_entries(logs)
        for e in text:
            m = re.match(r"^\.text(?:\.unlikely|\.startup|\.hot|\.exit)?\.(.+)$", e)
            if m:
                out.add(".rodata." + m.group(1))
                continue
            m = re.match(r"^([^:]+:[^(]+)\(", e)
            if m:
                out.update(member_ro.get(m.group(1), []))
        return out & present

    # steward's own constants of no function (merged strings, 8-byte
    # numbers): few, and every process reads some.
    own = {e for e in present if e.startswith(":")}
    dw = constants(w, data["sleep-ns"])
    dp = constants(p, data_pid1)
    df = constants(f, data_forwarder) | own
    dw |= own

    sets = {"w": w, "p": p, "f": f, "dw": dw, "dp": dp, "df": df, "variants": variants}
    if shutil.which("perf"):
        refine(args, work, sets)
    else:
        print("no perf: the list is valgrind's view only (apt-get install linux-perf)")
    write(args.out, sets, compiler(args.build), verbose=True)
    print("%s (%s)" % (args.out, work))


def faults(work, tag, argv, stop_after):
    """(pid, comm, address) of every page fault of argv as PID 1 of a PID
    namespace, on this machine's CPU (perf: page-faults -d). With
    fault-around, only the first fault of each 64 KiB window shows."""
    data = os.path.join(work, tag + ".perf")
    p = subprocess.Popen(["perf", "record", "-q", "-e", "page-faults", "-c", "1", "-d", "-o", data,
                          "--", "unshare", "--pid", "--fork", "--mount-proc"] + argv,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    time.sleep(stop_after)
    pgrep = lambda parent: subprocess.run(["pgrep", "-P", str(parent)], capture_output=True,
                                          text=True).stdout.split()
    init = pgrep(pgrep(p.pid)[0])[0]  # perf -> unshare -> the init
    os.kill(int(init), 15)
    p.wait(timeout=60)
    out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,addr"],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            rows.append((int(parts[1]), parts[0], int(parts[2], 16)))
    return rows


def refine(args, work, sets):
    """Lays the list out, runs it on this machine's CPU and adds what each
    process touched outside its groups (what valgrind does not show: the
    string functions' variants this CPU picks, the child between clone()
    and exec(), strings the linker merged into another's copy, code LTO
    inlined elsewhere in the profiled binary), until nothing is left
    outside, or five rounds."""
    build = os.path.abspath(args.build)
    laid = os.path.join(work, "laid")
    os.makedirs(laid, exist_ok=True)
    binary, mapfile = os.path.join(laid, "steward"), os.path.join(laid, "steward.map")
    script = os.path.join(laid, "hot-text.ld")
    for n in range(1, 6):
        write(args.out, sets, compiler(args.build))
        subprocess.run(["cmake", "-DMODE=generate", "-DLIST=" + args.out, "-DOUT=" + script,
                        "-P", os.path.join(HERE, os.pardir, "cmake", "hot_text.cmake")],
                       check=True)
        relink(build, binary, mapfile, script)
        wrapper, with_services = commands(work, binary, named(laid, binary))
        laid_out = sorted(sum((text_sections(mapfile, out) for out in
                               (".text.steward.hot", ".text", ".rodata.steward.hot", ".rodata")),
                              []))
        starts = [c[0] for c in laid_out]
        me = os.path.basename(binary)
        added = 0
        for tag, argv, stop in (("wrapper", wrapper + ["--", "sleep", "60"], 2),
                                ("set", with_services, 4)):
            for pid, comm, a in faults(laid, "%s-%d" % (tag, n), argv, stop):
                sec = locate(laid_out, starts, a)
                e = entry(sec[2], sec[3]) if sec else None
                if not e or comm == "sleep":
                    continue
                # steward's comm: PID 1, or its child before exec (the
                # forwarder's fork, a service's clone, sharing its memory)
                who = "w" if tag == "wrapper" else ("p" if comm == me else "f")
                key = who if sec[2].startswith(".text") else "d" + who
                if e not in sets[key]:
                    sets[key].add(e)
                    added += 1
                    print("round %d: %s touches %s" % (n, {"w": "wrapper mode", "p": "PID 1",
                                                           "f": "the forwarder"}[who], e))
        if not added:
            break


if __name__ == "__main__":
    main()
