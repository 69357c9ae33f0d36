#!/bin/sh
# Writes the seed corpus of the ModelInferRequest fuzz target
# (tests/fuzz/corpus/infer_request/*.bin) from protobuf text with protoc.
# The model target's seeds are the conformance and control-flow models
# already in tests/data; the config target's seeds are committed as text.
# usage: tools/make_fuzz_seeds.sh   (from the source root)
set -eu
out=tests/fuzz/corpus/infer_request
mkdir -p "$out"
enc() { protoc --proto_path=ipc/proto --encode=inference.ModelInferRequest inference.proto > "$out/$1"; }
printf 'model_name: "add"\ninputs { name: "a" datatype: "FP32" shape: 1 shape: 4 }\ninputs { name: "b" datatype: "FP32" shape: 1 shape: 4 }\nraw_input_contents: "\\000\\000\\200?\\000\\000\\000@\\000\\000@@\\000\\000\\200@"\nraw_input_contents: "\\000\\000\\200?\\000\\000\\200?\\000\\000\\200?\\000\\000\\200?"\n' | enc add_raw.bin
printf 'model_name: "add"\nid: "req-7"\ninputs { name: "a" datatype: "FP32" shape: 1 shape: 4 contents { fp32_contents: 1 fp32_contents: 2 fp32_contents: 3 fp32_contents: 4 } }\ninputs { name: "b" datatype: "FP32" shape: 1 shape: 4 contents { fp32_contents: 0.5 fp32_contents: 0.5 fp32_contents: 0.5 fp32_contents: 0.5 } }\noutputs { name: "sum" }\nparameters { key: "priority" value { int64_param: 3 } }\nparameters { key: "timeout" value { uint64_param: 1000 } }\n' | enc add_typed.bin
for t in INT8:int_contents UINT8:uint_contents INT16:int_contents INT32:int_contents INT64:int64_contents \
         BOOL:bool_contents FP64:fp64_contents UINT32:uint_contents UINT64:uint64_contents; do
  dt=${t%%:*}; f=${t#*:}; v=1; [ "$f" = bool_contents ] && v=true
  printf 'model_name: "echo"\ninputs { name: "x" datatype: "%s" shape: 2 shape: 2 contents { %s: %s %s: %s %s: %s %s: %s } }\n' \
    "$dt" "$f" "$v" "$f" "$v" "$f" "$v" "$f" "$v" | enc "echo_$dt.bin"
done
printf 'model_name: "echo"\ninputs { name: "x" datatype: "FP16" shape: 1 shape: 2 }\nraw_input_contents: "\\000<\\000@"\n' | enc echo_fp16_raw.bin
printf 'model_name: "echo"\ninputs { name: "x" datatype: "FP32" shape: 0 shape: 3 }\n' | enc echo_empty.bin
echo "wrote $(ls "$out" | wc -l) seeds to $out"
