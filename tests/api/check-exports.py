#!/usr/bin/env python3
"""check-exports.py LIBRILL_SO INCLUDE_DIR — the shared library's exported
symbols are exactly the public API.

Fails when librill exports a rill__ (internal) symbol, any rill_ name that no
header under include/rill declares, or any other name of its own; when a
RILL_API declaration has no exported definition (a declared function users
cannot link); or when a public header lacks RILL_API on a function
declaration or G_BEGIN_DECLS/G_END_DECLS. Reads `nm -D` output, so it checks
the real ELF, not the sources' intent.
"""
import pathlib
import re
import subprocess
import sys

lib, include = sys.argv[1], pathlib.Path(sys.argv[2]) / "rill"
problems = []

out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
exported = set()
for line in out.splitlines():
    parts = line.split()
    if len(parts) == 3:
        exported.add(parts[2].split("@")[0])
if not exported:
    sys.exit(f"{lib}: nm -D lists no defined symbols")

declared = set()  # every rill_ identifier a public header mentions
api = set()       # names declared with RILL_API
# A top-level function declaration: a line at column 0 naming rill_x( with a
# return type before it, outside typedefs and macros.
func_decl = re.compile(r"^(?!typedef|#|\s|/\*|\*)([A-Za-z_].*?)\b(rill_[a-z0-9_]+)\s*\(")
for h in sorted(include.glob("*.h")):
    text = h.read_text()
    declared.update(re.findall(r"\brill_[a-z0-9_]+\b", text))
    api.update(re.findall(r"^RILL_API\b[^;{]*?\b(rill_[a-z0-9_]+)\s*\(", text, re.M | re.S))
    api.update(re.findall(r"^RILL_API\s+extern\b[^;]*?\b(rill_[a-z0-9_]+)\s*[\[;]", text, re.M))
    code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    if all(not l.strip() or l.startswith("#") for l in code.splitlines()):
        continue  # macros and includes only (export.h, the rill.h umbrella)
    if "G_BEGIN_DECLS" not in text or "G_END_DECLS" not in text:
        problems.append(f"{h.name}: no G_BEGIN_DECLS/G_END_DECLS")
    for n, line in enumerate(text.splitlines(), 1):
        m = func_decl.match(line)
        if m and not line.startswith(("RILL_API", "static inline")) and "(*" not in line and not line.rstrip().endswith("\\"):
            problems.append(f"{h.name}:{n}: function declaration without RILL_API: {line.strip()}")

for sym in sorted(exported):
    if sym.startswith("_") or sym in ("_init", "_fini"):
        continue  # toolchain and sanitizer runtime symbols
    if sym.startswith("rill__"):
        problems.append(f"exported internal symbol: {sym}")
    elif not sym.startswith("rill_"):
        problems.append(f"exported symbol outside the rill_ namespace: {sym}")
    elif sym not in declared:
        problems.append(f"exported but declared in no public header: {sym}")
for name in sorted(api - exported):
    problems.append(f"declared RILL_API but not exported (no definition?): {name}")

print(f"1..1")
if problems:
    for p in problems:
        print(f"# {p}")
    print(f"not ok 1 - {len(exported)} exported symbols, {len(problems)} problems")
    sys.exit(1)
print(f"ok 1 - {len(exported)} exported symbols, {len(api)} RILL_API declarations, all public")
