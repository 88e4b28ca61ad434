"""The parts of packaging/hot-text.py that read the binary and write the
list: the link map's input sections, the list's names for them, and the
list itself (cmake/hot_text.cmake turns it into the linker script)."""
import bisect
import os
import re
import subprocess


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
            if re.match(r"^%s(\s|$)" % re.escape(output), line):
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


# Section names that say nothing of whose they are: an LTO partition's
# merged strings and constants (.rodata.str1.1, .rodata.cst8) or a
# compiler-numbered table (.rodata.CSWTCH.1292).
ANONYMOUS = {"str1", "str2", "str4", "str8", "cst4", "cst8", "cst16", "cst32", "CSWTCH"}


def entry(section, obj):
    """The list's name for an input section, or None if it has no stable one:
    ARCHIVE:MEMBER(SECTION) for the libraries' (names fixed by the archive),
    the section name without clone suffixes for steward's own (-ffunction-
    sections: one per function; LTO partitions have temporary file names)."""
    m = re.match(r"^.*/(lib[^/]+\.a)\(([^)]+)\)$", obj)
    if m:
        return "%s:%s(%s)" % (m.group(1), m.group(2), section)
    m = re.match(r"^.*/(crt[^/]*\.o)$", obj)
    if m:
        return "%s(%s)" % (m.group(1), section)
    for prefix in (".text.unlikely.", ".text.startup.", ".text.hot.", ".text.exit.", ".text.",
                   ".rodata."):
        if section.startswith(prefix):
            name = section[len(prefix):].split(".", 1)[0]
            if not name:
                return None
            if name in ANONYMOUS:  # of no function: all of steward's own, or none
                if not section.startswith(".rodata."):
                    return None
                return ":*(.rodata.CSWTCH.*)" if name == "CSWTCH" else ":*(%s)" % section
            return prefix + name
    return None


def locate(sections, starts, a):
    """The input section (start, size, name, file) holding address a, or None."""
    i = bisect.bisect_right(starts, a) - 1
    if i < 0 or not sections[i][0] <= a < sections[i][0] + max(sections[i][1], 1):
        return None
    return sections[i]


def order(w, p, f):
    """What the forwarder and PID 1 share first (next to .init, which every
    process runs), then PID 1's, then the forwarder's: each process's code
    is one run of windows, or two for the forwarder."""
    shared = f & (w | p)
    return [("the forwarder and PID 1", sorted(shared)),
            ("wrapper mode (PID 1)", sorted(w - f)),
            ("PID 1 with services", sorted(p - w - f)),
            ("forwarder only", sorted(f - shared))]


def write(path, sets, compiler, verbose=False):
    groups = [("text",) + g for g in order(sets["w"], sets["p"], sets["f"])]
    groups.append(("text", "variants of the C library's string functions others pick",
                   sorted(sets["variants"] - sets["w"] - sets["p"] - sets["f"])))
    groups += [("rodata",) + g for g in order(sets["dw"], sets["dp"], sets["df"])]
    with open(path, "w") as out:
        out.write("# Written by packaging/hot-text.py (profiles of this machine, %s): the\n"
                  "# sections steward uses, by the process that uses them. The build makes\n"
                  "# the linker script from it (cmake/hot_text.cmake). Regenerate after a\n"
                  "# change that moves much code.\n" % os.uname().machine)
        out.write("arch %s\ncompiler %s\n" % (os.uname().machine, compiler))
        for kind, title, names in groups:
            out.write("[%s] %s\n" % (kind, title))
            out.writelines(n + "\n" for n in names)
            if verbose:
                print("%-6s %-58s %4d sections" % (kind, title, len(names)))
