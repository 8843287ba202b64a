#!/usr/bin/env python3
"""gen-messages.py — turns messages.def into the codec's C tables and the
support matrix of docs/protocol.md.

  gen-messages.py messages.def OUTDIR          writes OUTDIR/wire-messages.h,
                                               OUTDIR/wire-messages.c
  gen-messages.py messages.def --doc FILE      rewrites FILE's generated section
  gen-messages.py messages.def --check FILE    fails if FILE's section differs

The table format is described at the top of messages.def. Everything emitted
is data (schemas) plus thin typed wrappers; runtime/wire/codec.c interprets
the schemas. Output is deterministic so the doc check is stable.
"""
import os
import re
import sys

PRIMS = {
    "int8": ("int8_t", "RILL__WT_INT8"),
    "int16": ("int16_t", "RILL__WT_INT16"),
    "int32": ("int32_t", "RILL__WT_INT32"),
    "int64": ("int64_t", "RILL__WT_INT64"),
    "uint16": ("uint16_t", "RILL__WT_UINT16"),
    "uint32": ("uint32_t", "RILL__WT_UINT32"),
    "float64": ("double", "RILL__WT_FLOAT64"),
    "bool": ("bool", "RILL__WT_BOOL"),
    "uuid": ("rill__wire_uuid", "RILL__WT_UUID"),
    "string": ("rill__wire_str", "RILL__WT_STRING"),
    "bytes": ("rill__wire_bytes", "RILL__WT_BYTES"),
    "records": ("rill__wire_bytes", "RILL__WT_RECORDS"),
}
NULLABLE_KINDS = ("string", "bytes", "records", "array")
DOC_BEGIN = "<!-- BEGIN GENERATED: runtime/wire/gen-messages.py (do not edit) -->"
DOC_END = "<!-- END GENERATED -->"


class DefError(Exception):
    pass


def snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def parse_versions(text, lineno):
    m = re.fullmatch(r"(\d+)(\+|-(\d+))?", text)
    if not m:
        raise DefError(f"line {lineno}: bad version range {text!r}")
    lo = int(m.group(1))
    if m.group(2) == "+":
        return lo, 127
    if m.group(3) is not None:
        return lo, int(m.group(3))
    return lo, lo


class Field:
    def __init__(self, lineno, name, typ, versions, opts):
        self.lineno, self.name, self.type = lineno, name, typ
        self.vmin, self.vmax = versions
        self.nullable = None
        self.tag = -1
        self.default = None
        self.children = []
        i = 0
        while i < len(opts):
            key = opts[i]
            if i + 1 >= len(opts):
                raise DefError(f"line {lineno}: option {key!r} needs a value")
            val = opts[i + 1]
            if key == "null":
                self.nullable = parse_versions(val, lineno)
            elif key == "tag":
                self.tag = int(val)
            elif key == "default":
                self.default = val
            else:
                raise DefError(f"line {lineno}: unknown option {key!r}")
            i += 2

    @property
    def is_array(self):
        return self.type.startswith("[]")

    @property
    def base(self):
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self):
        return self.base not in PRIMS

    @property
    def kind(self):
        return "array" if self.is_array else self.base


class Struct:
    def __init__(self, name, cname, fields):
        self.name, self.cname, self.fields = name, cname, fields


class Api:
    def __init__(self, key, name, vmin, vmax, flex):
        self.key, self.name, self.vmin, self.vmax, self.flex = key, name, vmin, vmax, flex
        self.request = []
        self.response = []

    @property
    def snake(self):
        return snake(self.name)


def parse(path):
    apis = []
    api = None
    stack = None  # [(indent, children list)]
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].rstrip()
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip(" "))
            words = line.split()
            if indent == 0 and words[0] == "api":
                if len(words) != 6 or words[4] != "flex":
                    raise DefError(f"line {lineno}: expected 'api KEY Name VERSIONS flex N+|none'")
                lo, hi = parse_versions(words[3], lineno)
                flex = -1 if words[5] == "none" else parse_versions(words[5], lineno)[0]
                api = Api(int(words[1]), words[2], lo, hi, flex)
                apis.append(api)
                stack = None
                continue
            if indent == 0 and words[0] in ("request", "response") and len(words) == 1:
                if api is None:
                    raise DefError(f"line {lineno}: {words[0]} outside an api block")
                stack = [(0, getattr(api, words[0]))]
                continue
            if stack is None or indent == 0 or indent % 2:
                raise DefError(f"line {lineno}: unexpected line")
            while stack and stack[-1][0] >= indent:
                stack.pop()
            if not stack or stack[-1][0] != indent - 2:
                raise DefError(f"line {lineno}: bad indentation")
            if len(words) < 3:
                raise DefError(f"line {lineno}: expected 'Name Type Versions ...'")
            fld = Field(lineno, words[0], words[1], parse_versions(words[2], lineno), words[3:])
            stack[-1][1].append(fld)
            stack.append((indent, fld.children))
    for a in apis:
        for side in ("request", "response"):
            check_fields(a, getattr(a, side))
    return apis


def check_fields(api, fields):
    tags = []
    for f in fields:
        if f.is_struct and not f.children:
            raise DefError(f"line {f.lineno}: struct {f.base} has no fields")
        if not f.is_struct and f.children:
            raise DefError(f"line {f.lineno}: {f.type} cannot have fields")
        if f.nullable and f.kind not in NULLABLE_KINDS:
            raise DefError(f"line {f.lineno}: {f.type} cannot be nullable")
        if f.tag >= 0:
            if api.flex < 0 or f.vmin < api.flex:
                raise DefError(f"line {f.lineno}: tagged field outside flexible versions")
            tags.append(f.tag)
        check_fields(api, f.children)
    if tags != sorted(set(tags)):
        raise DefError(f"{api.name}: tags must be unique and ascending in table order")


def struct_suffix(api, side, base):
    """The part of a nested struct's .def name that the C prefix does not
    already say: JoinGroupRequestProtocol in JoinGroup's request becomes
    Protocol (rill__wire_join_group_request_protocol), never a stutter."""
    for lead in (f"{api.name}{side.capitalize()}", api.name):
        if base.startswith(lead) and len(base) > len(lead) and base[len(lead)].isupper():
            return base[len(lead):]
    return base


def collect_structs(api, side):
    """Returns [Struct] innermost first; the top-level struct last."""
    out = []
    prefix = f"rill__wire_{api.snake}_{side}"
    names = set()

    def walk(fields):
        for f in fields:
            if f.is_struct:
                walk(f.children)
                if f.base in names:
                    raise DefError(f"line {f.lineno}: struct name {f.base} used twice in {api.name}{side}")
                names.add(f.base)
                f.cname = f"{prefix}_{snake(struct_suffix(api, side, f.base))}"
                out.append(Struct(f.base, f.cname, f.children))

    fields = getattr(api, side)
    walk(fields)
    out.append(Struct(f"{api.name}{side.capitalize()}", prefix, fields))
    return out


def c_default(f):
    d = f.default
    if d is None:
        return "false", "0"
    if d == "null":
        if f.kind not in NULLABLE_KINDS:
            raise DefError(f"line {f.lineno}: null default on {f.type}")
        return "true", "0"
    if d in ("true", "false"):
        return "false", "1" if d == "true" else "0"
    try:
        v = int(d, 0)
    except ValueError:
        raise DefError(f"line {f.lineno}: bad default {d!r}")
    return "false", f"INT64_C({v})"


def emit_header(apis):
    o = []
    o.append("/* wire-messages.h — GENERATED by runtime/wire/gen-messages.py from")
    o.append(" * runtime/wire/messages.def. Do not edit.")
    o.append(" *")
    o.append(" * One C struct per Kafka message (and per nested struct), with")
    o.append(" * encode/decode/init wrappers over the schema engine in codec.h.")
    o.append(" * Field names are Kafka's, in snake_case; arrays are `T *x; int32_t n_x;`")
    o.append(" * (n_x == -1: null). Ownership of decoded data: see arena.h. */")
    o.append("#pragma once\n")
    o.append('#include "runtime/wire/codec.h"\n')
    o.append("typedef enum {")
    for a in apis:
        o.append(f"  RILL_WIRE_API_{a.snake.upper()} = {a.key},")
    o.append("} rill__wire_api_key;\n")
    for a in apis:
        for side in ("request", "response"):
            for s in collect_structs(a, side):
                o.append(f"typedef struct {s.cname} {{")
                if not s.fields:
                    o.append("  char unused_; /* no fields in any version */")
                for f in s.fields:
                    ctype = f.cname if f.is_struct else PRIMS[f.base][0]
                    vers = f"v{f.vmin}+" if f.vmax == 127 else (f"v{f.vmin}" if f.vmin == f.vmax else f"v{f.vmin}-{f.vmax}")
                    extra = []
                    if f.nullable:
                        extra.append("nullable")
                    if f.tag >= 0:
                        extra.append(f"tag {f.tag}")
                    if f.default is not None:
                        extra.append(f"default {f.default}")
                    note = f"/* {f.name}: {vers}{'; ' if extra else ''}{', '.join(extra)} */"
                    if f.is_array:
                        o.append(f"  {ctype} *{snake(f.name)}; {note}")
                        o.append(f"  int32_t n_{snake(f.name)};")
                    else:
                        o.append(f"  {ctype} {snake(f.name)}; {note}")
                o.append(f"}} {s.cname};\n")
            p = f"rill__wire_{a.snake}_{side}"
            o.append(f"extern const rill__wire_schema rill__wire_schema_{a.snake}_{side};")
            o.append(f"/* Sets every field to its default. */")
            o.append(f"void {p}_init({p} *m);")
            o.append(f"/* Writes the body (no header) at @version; false on a value the version")
            o.append(f" * cannot carry or an unsupported version (w->err says which). */")
            o.append(f"bool {p}_encode(rill__wire_writer *w, int16_t version, const {p} *m);")
            o.append(f"/* Reads the body at @version into @m; arrays go to @arena, strings and")
            o.append(f" * bytes reference the reader's buffer. false with r->err on failure. */")
            o.append(f"bool {p}_decode(rill__wire_reader *r, int16_t version, rill__wire_arena *arena, {p} *m);\n")
    for side in ("request", "response"):
        o.append(f"/* Any {side} body; the member is named after the API (snake_case). */")
        o.append("typedef union {")
        for a in apis:
            o.append(f"  rill__wire_{a.snake}_{side} {a.snake};")
        o.append(f"}} rill__wire_{side}_body;\n")
    o.append("/* The dispatch table: one row per API, sorted by key. */")
    o.append("typedef struct {")
    o.append("  int16_t api_key;")
    o.append("  const char *name;          /* Kafka's name, e.g. \"Produce\" */")
    o.append("  int16_t min_version;       /* lowest version the codec speaks */")
    o.append("  int16_t max_version;       /* highest version the codec speaks */")
    o.append("  int16_t first_flexible;    /* first flexible (KIP-482) version, -1: none */")
    o.append("  const rill__wire_schema *request, *response;")
    o.append("} rill__wire_api_info;\n")
    o.append(f"#define RILL_WIRE_N_APIS {len(apis)}")
    o.append("/* The highest API key the codec knows: tables indexed by key have this + 1 rows. */")
    o.append(f"#define RILL_WIRE_MAX_API_KEY {max(a.key for a in apis)}")
    o.append("extern const rill__wire_api_info rill__wire_apis[RILL_WIRE_N_APIS];")
    o.append("/* The row for @api_key, or NULL when the codec does not know the API. */")
    o.append("const rill__wire_api_info *rill__wire_api_lookup(int16_t api_key);")
    return "\n".join(o) + "\n"


def emit_source(apis):
    o = []
    o.append("/* wire-messages.c — GENERATED by runtime/wire/gen-messages.py from")
    o.append(" * runtime/wire/messages.def. Do not edit. */")
    o.append("#include \"wire-messages.h\"\n")
    o.append("#include <stddef.h>\n")
    for a in apis:
        for side in ("request", "response"):
            structs = collect_structs(a, side)
            for s in structs:
                top = s is structs[-1]
                sname = f"rill__wire_schema_{a.snake}_{side}" if top else f"schema_{s.cname}"
                s.sname = sname
                if not top:
                    o.append(f"static const rill__wire_schema {sname};")
            for s in structs:
                top = s is structs[-1]
                rows = []
                for f in s.fields:
                    member = snake(f.name)
                    def_null, def_val = c_default(f)
                    nmin, nmax = f.nullable if f.nullable else (-1, -1)
                    if f.is_array:
                        typ, elem = "RILL__WT_ARRAY", ("RILL__WT_STRUCT" if f.is_struct else PRIMS[f.base][1])
                        cnt = f"offsetof({s.cname}, n_{member})"
                    else:
                        typ, elem, cnt = ("RILL__WT_STRUCT" if f.is_struct else PRIMS[f.base][1]), "0", "0"
                    sub = f"&schema_{f.cname}" if f.is_struct else "NULL"
                    rows.append(f'  {{"{s.name}.{f.name}", offsetof({s.cname}, {member}), {cnt}, {typ}, {elem}, '
                                f"{f.vmin}, {f.vmax}, {nmin}, {nmax}, {f.tag}, {def_null}, {def_val}, {sub}}},")
                arr = f"fields_{s.cname}"
                if rows:
                    o.append(f"static const rill__wire_field {arr}[] = {{")
                    o.extend(rows)
                    o.append("};")
                storage = "" if top else "static "
                o.append(f"{storage}const rill__wire_schema {s.sname} = {{\"{s.name}\", sizeof({s.cname}), "
                         f"{arr if rows else 'NULL'}, {len(rows)}}};\n")
            p = f"rill__wire_{a.snake}_{side}"
            sch = f"rill__wire_schema_{a.snake}_{side}"
            flex = f"{a.flex} >= 0 && version >= {a.flex}" if a.flex >= 0 else "false"
            o.append(f"void {p}_init({p} *m) {{ rill__wire_init(&{sch}, m); }}\n")
            o.append(f"bool {p}_encode(rill__wire_writer *w, int16_t version, const {p} *m)\n{{")
            o.append(f"  if (version < {a.vmin} || version > {a.vmax})")
            o.append(f"    return rill__wire_writer_fail(w, \"{a.name}{side.capitalize()}\", \"unsupported version\");")
            o.append(f"  return rill__wire_encode(w, &{sch}, version, {flex}, m);\n}}\n")
            o.append(f"bool {p}_decode(rill__wire_reader *r, int16_t version, rill__wire_arena *arena, {p} *m)\n{{")
            o.append(f"  if (version < {a.vmin} || version > {a.vmax})")
            o.append(f"    return rill__wire_reader_fail(r, \"{a.name}{side.capitalize()}\", \"unsupported version\");")
            o.append(f"  return rill__wire_decode(r, &{sch}, version, {flex}, arena, m);\n}}\n")
    o.append("const rill__wire_api_info rill__wire_apis[RILL_WIRE_N_APIS] = {")
    for a in sorted(apis, key=lambda a: a.key):
        o.append(f'  {{{a.key}, "{a.name}", {a.vmin}, {a.vmax}, {a.flex}, '
                 f"&rill__wire_schema_{a.snake}_request, &rill__wire_schema_{a.snake}_response}},")
    o.append("};\n")
    o.append("const rill__wire_api_info *rill__wire_api_lookup(int16_t api_key)\n{")
    o.append("  switch (api_key) {")
    for i, a in enumerate(sorted(apis, key=lambda a: a.key)):
        o.append(f"  case {a.key}: return &rill__wire_apis[{i}];")
    o.append("  default: return NULL;")
    o.append("  }\n}")
    return "\n".join(o) + "\n"


def emit_doc(apis):
    o = [DOC_BEGIN, ""]
    o.append("| API | Key | Versions | Flexible from | Request header | Response header |")
    o.append("|---|---:|---|---|---|---|")
    for a in sorted(apis, key=lambda a: a.key):
        flex = f"v{a.flex}" if a.flex >= 0 else "never"
        if a.flex < 0:
            rq, rs = "v1", "v0"
        else:
            rq = f"v1 (v{a.vmin}–{a.flex - 1}), v2 (v{a.flex}+)" if a.flex > a.vmin else "v2"
            if a.key == 18:
                rs = "v0 (always)"
            else:
                rs = f"v0 (v{a.vmin}–{a.flex - 1}), v1 (v{a.flex}+)" if a.flex > a.vmin else "v1"
        o.append(f"| {a.name} | {a.key} | {a.vmin}–{a.vmax} | {flex} | {rq} | {rs} |")
    o.append("")
    o.append("Fields per version (request / response), from `runtime/wire/messages.def`:")
    o.append("")
    for a in sorted(apis, key=lambda a: a.key):
        o.append(f"- **{a.name}**: request {field_summary(a.request)}; response {field_summary(a.response)}")
    o.append("")
    o.append(DOC_END)
    return "\n".join(o)


def field_summary(fields):
    parts = []
    for f in fields:
        vers = f"{f.vmin}+" if f.vmax == 127 else (f"{f.vmin}" if f.vmin == f.vmax else f"{f.vmin}-{f.vmax}")
        s = f"{f.name}<sub>{vers}{', tag ' + str(f.tag) if f.tag >= 0 else ''}</sub>"
        if f.children:
            s += "[" + field_summary(f.children) + "]"
        parts.append(s)
    return ", ".join(parts) if parts else "(empty)"


def splice_doc(text, section):
    if DOC_BEGIN not in text or DOC_END not in text:
        raise DefError("doc has no generated-section markers")
    head, rest = text.split(DOC_BEGIN, 1)
    _, tail = rest.split(DOC_END, 1)
    return head + section + tail


def write_if_changed(path, content):
    try:
        with open(path) as f:
            if f.read() == content:
                return
    except FileNotFoundError:
        pass
    with open(path, "w") as f:
        f.write(content)


def main(argv):
    if len(argv) != 3 and not (len(argv) == 4 and argv[2] in ("--doc", "--check")):
        sys.stderr.write(__doc__)
        return 2
    try:
        apis = parse(argv[1])
        if len(argv) == 3:
            os.makedirs(argv[2], exist_ok=True)
            write_if_changed(os.path.join(argv[2], "wire-messages.h"), emit_header(apis))
            write_if_changed(os.path.join(argv[2], "wire-messages.c"), emit_source(apis))
            return 0
        with open(argv[3]) as f:
            text = f.read()
        new = splice_doc(text, emit_doc(apis))
        if argv[2] == "--doc":
            write_if_changed(argv[3], new)
            return 0
        if new != text:
            sys.stderr.write(f"{argv[3]} is out of date: run runtime/wire/gen-messages.py "
                             f"runtime/wire/messages.def --doc {argv[3]}\n")
            return 1
        return 0
    except DefError as e:
        sys.stderr.write(f"{argv[1]}: {e}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
