#!/usr/bin/env python3
"""Docs.NamesExist: every path and code symbol that docs/*.md, README.md and
packaging/*.md name in `code spans` exists in the tree, so the prose cannot
drift from the code unnoticed.

  docs_names_test.py SOURCE_DIR

- a span that looks like a repository path (src/..., include/..., tests/...,
  packaging/..., bench/..., docs/..., examples/..., cmake/..., .ci/...)
  must exist (a trailing ':LINE' or '/' is allowed; '*' globs);
- a bare file name with a source extension (hub.cpp, run.sh) must be some
  file's name in the tree;
- a C++ name (CamelCase, Outer::Inner, Name()) must appear as a word in
  src/, include/ or tests/, unless it names something outside steward (the list
  below, each with its reason).
"""
import glob
import os
import re
import subprocess
import sys

# Names the docs use that are not steward's own code.
EXTERNAL = {
    # Kubernetes and container engines
    "ConfigMap", "ConfigMaps", "PodSpec", "StatefulSet", "DaemonSet", "CrashLoopBackOff",
    "ENTRYPOINT", "StopSignal", "HEALTHCHECK", "OOMKilled", "PreStop", "HostPath",
    # peers and collectors
    "ExecStart", "ExecStop", "KillMode", "TimeoutStopSec", "RestartSec",
    # the kernel's /proc fields
    "VmRSS", "VmHWM", "RssAnon", "RssFile",
}

TOP = ("src/", "include/", "tests/", "packaging/", "bench/", "docs/", "examples/",
       "cmake/", ".ci/")
SOURCE_EXT = (".cpp", ".hpp", ".sh", ".cmake", ".py", ".ld", ".md")


def main():
    root = sys.argv[1]
    files = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True, text=True,
                           check=False).stdout.split()
    if not files:  # not a git checkout: walk the tree
        for d, _, names in os.walk(root):
            if "/build" in d or "/.git" in d:
                continue
            files += [os.path.relpath(os.path.join(d, n), root) for n in names]
    basenames = {os.path.basename(f) for f in files}
    code = []
    for f in files:
        if f.startswith(("src/", "include/", "tests/")) and f.endswith((".cpp", ".hpp")):
            with open(os.path.join(root, f), encoding="utf-8", errors="replace") as h:
                code.append(h.read())
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(code)))

    docs = sorted(glob.glob(os.path.join(root, "docs", "*.md")) +
                  [os.path.join(root, "README.md")] +
                  glob.glob(os.path.join(root, "packaging", "*.md")))
    problems = []
    checked = 0
    for doc in docs:
        rel = os.path.relpath(doc, root)
        with open(doc, encoding="utf-8") as h:
            text = h.read()
        # Fenced blocks are examples (commands, configuration), not names.
        text = re.sub(r"```.*?```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
        for lineno, line in enumerate(text.split("\n"), 1):
            for span in re.findall(r"`([^`\n]+)`", line):
                span = span.strip()
                why = check(span, root, basenames, words)
                if why is None:
                    continue
                checked += 1
                if why:
                    problems.append(f"{rel}:{lineno}: `{span}`: {why}")
    for p in problems:
        print(p)
    print(f"{checked} names checked in {len(docs)} documents, {len(problems)} missing")
    return 1 if problems else 0


def check(span, root, basenames, words):
    """None: not a name this test checks; "": it exists; else why not."""
    path = re.sub(r":\d+(-\d+)?$", "", span).rstrip("/")
    if path.startswith(TOP) and " " not in path:
        # {a,b} lists alternatives; an upper-case word (N, TARGET,
        # STAMP-COMMIT) is a placeholder for any name.
        m = re.search(r"\{([^}]*)\}", path)
        alternatives = ([path[:m.start()] + a + path[m.end():] for a in m.group(1).split(",")]
                        if m else [path])
        for alt in alternatives:
            pattern = re.sub(r"\b[A-Z][A-Z0-9]*(-[A-Z0-9]+)*\b", "*", alt)
            if not glob.glob(os.path.join(root, pattern)):
                return f"no such path in the tree ({alt})" if m else "no such path in the tree"
        return ""
    if re.fullmatch(r"[\w.+-]+", path) and path.endswith(SOURCE_EXT) and "/" not in path:
        return "" if path in basenames else "no file of that name in the tree"
    m = re.fullmatch(r"((?:[A-Z][A-Za-z0-9]*::)*[A-Z][A-Za-z0-9]*)(\(\))?", span)
    if m and re.search(r"[a-z]", span) and re.search(r"[A-Z].*[A-Z]|::|\(\)", span):
        name = m.group(1)
        if name in EXTERNAL or name.split("::")[0] in EXTERNAL:
            return None
        missing = [p for p in name.split("::") if p not in words]
        return "" if not missing else f"{', '.join(missing)} not found in src/, include/ or tests/"
    return None


if __name__ == "__main__":
    sys.exit(main())
