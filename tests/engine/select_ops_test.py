#!/usr/bin/env python3
"""Tests of scripts/select_ops.py, the op selection of meson -Dops / -Dops_from.

    select_ops_test.py SCRIPT SCHEMA MODELS_DIR
"""
import os
import subprocess
import sys
import tempfile

SCRIPT, SCHEMA, MODELS = sys.argv[1:4]
failures = []


def select(*args):
    r = subprocess.run([sys.executable, SCRIPT, "--schema", SCHEMA, *args], capture_output=True, text=True)
    return r.returncode, r.stdout.split(), r.stderr.strip()


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))
    if not cond:
        failures.append(name)


model = lambda n: os.path.join(MODELS, n + ".tflite")  # noqa: E731

rc, ops, err = select("--list")
check("no selection means every op", rc == 0 and ops == ["(all)"], (rc, ops, err))

rc, ops, err = select("--models", model("face_detection_short_range"), "--list")
check("a model's ops are read from its operators",
      rc == 0 and sorted(ops) == sorted("ADD CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEQUANTIZE MAX_POOL_2D "
                                        "RELU RESHAPE PAD".split()), (rc, ops, err))

rc, ops, err = select("--models", model("selfie_segmentation"), "--list")
check("a model's custom ops are selected by name", rc == 0 and "Convolution2DTransposeBias" in ops, (rc, ops))

rc, ops, err = select("--ops", "SOFTMAX", "--models", model("hand_landmark_lite") + "," + model("face_detection_short_range"),
                      "--list")
check("-Dops and several models add up", rc == 0 and {"SOFTMAX", "FULLY_CONNECTED", "CONCATENATION"} <= set(ops),
      (rc, ops))

rc, ops, err = select("--ops", "CONV_2D,conv2d", "--list")
check("an unknown op name is refused, naming it", rc == 1 and "unknown operator 'conv2d'" in err, (rc, err))

rc, ops, err = select("--ops", "relu", "--list")
check("a wrongly cased op name gets a hint", rc == 1 and "did you mean RELU?" in err, (rc, err))

rc, ops, err = select("--ops", "CUSTOM", "--list")
check("CUSTOM is not an op name", rc == 1 and "not an operator" in err, (rc, err))

with tempfile.TemporaryDirectory() as tmp:
    with open(model("face_detection_short_range"), "rb") as f:
        data = f.read()
    cut = os.path.join(tmp, "cut.tflite")
    with open(cut, "wb") as f:
        f.write(data[:2000])
    rc, ops, err = select("--models", cut, "--list")
    check("a truncated model is refused without a traceback", rc == 1 and "cut.tflite" in err and
          "Traceback" not in err, (rc, err))

    rc, ops, err = select("--models", SCRIPT, "--list")
    check("a file that is not a model is refused", rc == 1 and "not a .tflite model" in err, (rc, err))

    rc, ops, err = select("--models", os.path.join(tmp, "missing.tflite"), "--list")
    check("a missing model is refused", rc == 1 and "cannot read model" in err, (rc, err))

    header = os.path.join(tmp, "op_selection_config.h")
    rc, ops, err = select("--ops", "ADD,Convolution2DTransposeBias", "--header", header)
    text = open(header).read() if rc == 0 else ""
    check("the header holds the selection", rc == 0 and "kAllOps = false" in text and
          "BuiltinOperator::ADD," in text and '"Convolution2DTransposeBias",' in text, (rc, err, text))

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
