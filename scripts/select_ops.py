#!/usr/bin/env python3
"""The operator selection of a selective build (meson -Dops / -Dops_from).

    select_ops.py --schema engine/schema/tflite.fbs [--ops CONV_2D,ADD]
                  [--models a.tflite,b.tflite] [--header OUT.h] [--list]

Names in --ops are BuiltinOperator names from the schema (CONV_2D, ADD, ...)
or the names of built-in custom ops (Convolution2DTransposeBias,
TFLite_Detection_PostProcess). --models adds the operators that the given
.tflite files use (every subgraph, read with the small FlatBuffers reader
below: no packages needed). With neither, every op is selected.

--header writes the C++ header the kernels include (op_selection_config.h);
--list prints the selection, one name a line. An unknown op name, an
unreadable model or a custom op that has no built-in kernel is an error:
exit status 1 and one line on stderr that says which and why (meson shows
it as the configure error).
"""
import argparse
import re
import struct
import sys

# Custom ops with a kernel in engine/src/kernels (addCustom(...) there; the
# kernels' customOpSelected() refuses to compile a name missing here).
BUILTIN_CUSTOM_OPS = ("Convolution2DTransposeBias", "TFLite_Detection_PostProcess")


class Fail(Exception):
    pass


def read_schema_ops(path):
    """{name: code} of `enum BuiltinOperator` in the schema file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"enum\s+BuiltinOperator\s*:\s*\w+\s*\{(.*?)\}", text, re.S)
    if not m:
        raise Fail(f"{path}: no 'enum BuiltinOperator' found")
    ops = {}
    for line in m.group(1).splitlines():
        line = line.split("//")[0].strip()
        em = re.match(r"(\w+)\s*=\s*(-?\d+)", line)
        if em:
            ops[em.group(1)] = int(em.group(2))
    return ops


class FlatBuffer:
    """Just enough of the FlatBuffers wire format to walk tables and vectors."""

    def __init__(self, data, name):
        self.d = data
        self.name = name

    def _u32(self, pos):
        if pos < 0 or pos + 4 > len(self.d):
            raise Fail(f"{self.name}: offset {pos} is outside the file ({len(self.d)} bytes)")
        return struct.unpack_from("<I", self.d, pos)[0]

    def root(self):
        if len(self.d) < 8 or self.d[4:8] != b"TFL3":
            raise Fail(f"{self.name}: not a .tflite model (no 'TFL3' file identifier)")
        return self._u32(0)

    def field(self, table, index):
        """Absolute position of field `index` of the table at `table`, or None."""
        vtable = table - struct.unpack_from("<i", self.d, table)[0]
        vsize = struct.unpack_from("<H", self.d, vtable)[0]
        slot = 4 + 2 * index
        if slot + 2 > vsize:
            return None
        off = struct.unpack_from("<H", self.d, vtable + slot)[0]
        return table + off if off else None

    def scalar(self, table, index, fmt, default):
        pos = self.field(table, index)
        return default if pos is None else struct.unpack_from("<" + fmt, self.d, pos)[0]

    def ref(self, pos):
        return pos + self._u32(pos)

    def table_vector(self, table, index):
        pos = self.field(table, index)
        if pos is None:
            return []
        vec = self.ref(pos)
        n = self._u32(vec)
        return [self.ref(vec + 4 + 4 * i) for i in range(n)]

    def string(self, table, index):
        pos = self.field(table, index)
        if pos is None:
            return ""
        s = self.ref(pos)
        n = self._u32(s)
        return self.d[s + 4:s + 4 + n].decode("utf-8", "replace")


def model_ops(path, code_names):
    """Names of the operators that the model's operators use (all subgraphs)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise Fail(f"cannot read model '{path}': {e.strerror}") from None
    fb = FlatBuffer(data, path)
    try:
        model = fb.root()
        codes = []
        for oc in fb.table_vector(model, 1):  # Model.operator_codes
            deprecated = fb.scalar(oc, 0, "b", 0)  # OperatorCode.deprecated_builtin_code
            builtin = fb.scalar(oc, 3, "i", 0)  # OperatorCode.builtin_code
            code = max(deprecated, builtin)
            if code == code_names.get("CUSTOM", 32):
                codes.append(fb.string(oc, 1) or "CUSTOM")  # OperatorCode.custom_code
            elif code in code_names:
                codes.append(code_names[code])
            else:
                raise Fail(f"{path}: operator code {code} is not in the schema's BuiltinOperator enum")
        used = set()
        for sg in fb.table_vector(model, 2):  # Model.subgraphs
            for op in fb.table_vector(sg, 3):  # SubGraph.operators
                index = fb.scalar(op, 0, "I", 0)  # Operator.opcode_index
                if index >= len(codes):
                    raise Fail(f"{path}: an operator uses opcode {index} of {len(codes)}")
                used.add(codes[index])
        return used
    except struct.error:
        raise Fail(f"{path}: truncated or malformed FlatBuffer") from None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schema", required=True)
    ap.add_argument("--ops", default="")
    ap.add_argument("--models", default="")
    ap.add_argument("--header")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    try:
        by_name = read_schema_ops(args.schema)
        by_code = {v: k for k, v in by_name.items()}
        selected = set()
        for name in filter(None, (n.strip() for n in args.ops.split(","))):
            if name not in by_name and name not in BUILTIN_CUSTOM_OPS:
                close = [n for n in list(by_name) + list(BUILTIN_CUSTOM_OPS) if n.upper() == name.upper()]
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise Fail(f"-Dops: unknown operator '{name}'{hint}: use BuiltinOperator names of the "
                           f"tflite schema (CONV_2D, ADD, ...) or a built-in custom op "
                           f"({', '.join(BUILTIN_CUSTOM_OPS)})")
            if name == "CUSTOM":
                raise Fail("-Dops: 'CUSTOM' is not an operator; name the custom op "
                           f"({', '.join(BUILTIN_CUSTOM_OPS)})")
            selected.add(name)
        for path in filter(None, (p.strip() for p in args.models.split(","))):
            for name in model_ops(path, by_code):
                if name not in by_name and name not in BUILTIN_CUSTOM_OPS:
                    raise Fail(f"-Dops_from: model '{path}' uses custom op '{name}', which has no built-in "
                               "kernel (register it with OpResolver::addCustom in the application)")
                selected.add(name)
    except Fail as e:
        print(e, file=sys.stderr)
        return 1

    every = not args.ops.strip() and not args.models.strip()
    builtins = sorted((n for n in selected if n in by_name), key=lambda n: by_name[n])
    customs = sorted(n for n in selected if n not in by_name)
    if args.header:
        text = header(every, builtins, customs, args)
        try:
            with open(args.header, encoding="utf-8") as f:
                unchanged = f.read() == text
        except OSError:
            unchanged = False
        if not unchanged:  # a reconfigure with the same selection recompiles nothing
            with open(args.header, "w", encoding="utf-8") as f:
                f.write(text)
    if args.list:
        print("\n".join(["(all)"] if every else builtins + customs))
    return 0


def header(every, builtins, customs, args):
    how = "every op (no -Dops or -Dops_from)" if every else \
        f"-Dops={args.ops or '(none)'} -Dops_from={args.models or '(none)'}"
    lines = [
        "// Generated by scripts/select_ops.py at meson configure time; do not edit.",
        f"// Selection: {how}.",
        "#pragma once",
        "",
        "#include <array>",
        "#include <string_view>",
        "",
        '#include "tflite_generated.h"',
        "",
        "namespace inferd::engine::kernels::selection {",
        "",
        f"inline constexpr bool kAllOps = {'true' if every else 'false'};",
        f"inline constexpr std::array<::inferd::tflite::BuiltinOperator, {len(builtins)}> kBuiltins = {{{{",
    ]
    lines += [f"    ::inferd::tflite::BuiltinOperator::{n}," for n in builtins]
    lines += [
        "}};",
        f"inline constexpr std::array<std::string_view, {len(customs)}> kCustom = {{{{",
    ]
    lines += [f'    "{n}",' for n in customs]
    lines += [
        "}};",
        "// Every built-in custom op, selected or not.",
        f"inline constexpr std::array<std::string_view, {len(BUILTIN_CUSTOM_OPS)}> kKnownCustom = {{{{",
    ]
    lines += [f'    "{n}",' for n in BUILTIN_CUSTOM_OPS]
    lines += [
        "}};",
        "",
        "}  // namespace inferd::engine::kernels::selection",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
