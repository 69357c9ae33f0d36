#!/usr/bin/env python3
"""Real architectures for the conformance suite, with LiteRT goldens.

Builds Keras architectures offline (keras.applications with weights=None,
or defined here), overwrites every weight from RandomState(crc32(<name>))
(tools/make_float_models.py's randomize: He-normal kernels, random batch-norm
statistics), and converts each in the three forms of
tools/make_conformance.py (fp32, full-integer int8 with a representative
dataset from a fixed seed, dynamic-range). Inputs are random with a fixed
seed. Each (model, form) becomes <out>/<model>_<form>/ with model.tflite,
input_<i>.npy, output_<i>.npy, and <out>/manifest.{json,tsv} list them in the
format tests/accel_hal/conformance_test.cpp reads.

  python3 tools/make_arch_models.py                 all models into build/arch_models
  python3 tools/make_arch_models.py --commit-small  the small ones into tests/data/arch_models
  INFERD_CONFORMANCE_DIRS=build/arch_models build-h/tests/accel_hal/conformance_test
                                                    report on the cache

Models (SMALL ones are committed):
  mobilenet_v2_035_96     MobileNetV2 alpha 0.35, 96x96, 8 classes (small)
  transformer_encoder     one Transformer encoder block on a 16x32 sequence (small)
  lstm_classifier         LSTM(24, unrolled) over a 12x8 sequence, dense head (small)
  lstm_loop_classifier    the same LSTM as a WHILE loop, fp32 and dynamic only (small)
  mobilenet_v2_100_224    MobileNetV2 alpha 1.0, 224x224, 1000 classes (logits and softmax out)
  mobilenet_v3_small_224  MobileNetV3Small, 224x224, 1000 classes (logits and softmax out)
  efficientnet_b0_224     EfficientNetB0, 224x224, 1000 classes (logits and softmax out)
"""

from __future__ import annotations

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_conformance as mc  # noqa: E402  (imports TensorFlow, quiets its logs)
import make_float_models as mfm  # noqa: E402
from conformance_cases import f32  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.framework.convert_to_constants import (  # noqa: E402
    convert_variables_to_constants_v2)

L = keras.layers
DEFAULT_OUT = mc.REPO_ROOT / "build" / "arch_models"
COMMIT_OUT = mc.REPO_ROOT / "tests" / "data" / "arch_models"
SMALL = ("mobilenet_v2_035_96", "transformer_encoder", "lstm_classifier", "lstm_loop_classifier")
COMMIT_BUDGET = 3 * 1024 * 1024


def image(size):
    return [f32(1, size, size, 3)]


def mobilenet_v2_035_96():
    # tools/make_float_models.py's model (softmax and pooled features out):
    # same seed, same graph, so the fp32 file is byte-identical to
    # tests/data/converter_models/mobilenet_v2_035_96.tflite (one git blob).
    return mfm.mobilenet_v2()


def logits_and_softmax(base):
    # With random weights a 1000-way softmax is nearly flat (every value
    # ~0.001), which says little; the logits carry the comparison.
    return keras.Model(base.input, [base.output, L.Softmax()(base.output)], name=base.name)


def mobilenet_v2_100_224():
    return logits_and_softmax(keras.applications.MobileNetV2(
        input_shape=(224, 224, 3), alpha=1.0, weights=None, classifier_activation=None))


def mobilenet_v3_small_224():
    return logits_and_softmax(keras.applications.MobileNetV3Small(
        input_shape=(224, 224, 3), weights=None, classifier_activation=None))


def efficientnet_b0_224():
    return logits_and_softmax(keras.applications.EfficientNetB0(
        input_shape=(224, 224, 3), weights=None, classifier_activation=None))


def transformer_encoder():
    x = keras.Input((16, 32), batch_size=1, name="tokens")
    a = L.MultiHeadAttention(num_heads=2, key_dim=16)(x, x)
    h = L.LayerNormalization(epsilon=1e-5)(x + a)
    f = L.Dense(32)(L.Dense(64, activation="relu")(h))
    h = L.LayerNormalization(epsilon=1e-5)(h + f)
    out = L.Dense(4)(L.GlobalAveragePooling1D()(h))
    return keras.Model(x, out, name="transformer_encoder")


def lstm_classifier(unroll=True):
    # Unrolled: one FULLY_CONNECTED/LOGISTIC/TANH/MUL/ADD chain per step. The
    # looped form becomes a WHILE op, which the int8 converter cannot take
    # (TensorFlow 2.21 crashes), so that one is made in fp32/dynamic only.
    x = keras.Input((12, 8), batch_size=1, name="sequence")
    h = L.LSTM(24, unroll=unroll)(x)
    out = L.Dense(5, activation="softmax")(h)
    return keras.Model(x, out, name="lstm_classifier")


def lstm_loop_classifier():
    return lstm_classifier(unroll=False)


# name -> (builder, input specs, representative samples[, forms])
MODELS = {
    "mobilenet_v2_035_96": (mobilenet_v2_035_96, image(96), 16),
    "transformer_encoder": (transformer_encoder, [f32(1, 16, 32, lo=-2, hi=2)], 32),
    "lstm_classifier": (lstm_classifier, [f32(1, 12, 8, lo=-2, hi=2)], 32),
    "lstm_loop_classifier": (lstm_loop_classifier, [f32(1, 12, 8, lo=-2, hi=2)], 32, ("fp32", "dynamic")),
    "mobilenet_v2_100_224": (mobilenet_v2_100_224, image(224), 8),
    "mobilenet_v3_small_224": (mobilenet_v3_small_224, image(224), 8),
    "efficientnet_b0_224": (efficientnet_b0_224, image(224), 8),
}


def frozen(model, inputs, specs=None):
    specs = specs or [tf.TensorSpec(i.shape, tf.float32, name=f"in{k}") for k, i in enumerate(inputs)]
    fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False),
                     input_signature=specs)
    return convert_variables_to_constants_v2(fn.get_concrete_function()), fn


def build(name: str, out: pathlib.Path, schema, forms: tuple) -> list[dict]:
    builder, inputs, n_samples, *only = MODELS[name]
    forms = tuple(f for f in forms if not only or f in only[0])
    seed = mc.seed_of(name)
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = builder()
    model, specs = model if isinstance(model, tuple) else (model, None)
    mfm.randomize(model, np.random.RandomState(seed))
    cf, trackable = frozen(model, inputs, specs)
    entries = []
    for form in forms:
        label = f"{name}_{form}"
        print(f"  converting {label}", flush=True)
        data = mc.convert(cf, form, lambda: mc.repr_samples(inputs, seed, n_samples), trackable=trackable)
        entry = mc.make_case(label, name, form, data, inputs, seed, out, schema)
        entries.append(entry)
        ops = sorted(set(entry["ops"]))
        print(f"  {label:<36} {entry['bytes']:>9} B  {len(entry['ops'])} ops: {' '.join(ops)}", flush=True)
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--commit-small", action="store_true",
                        help=f"build the small models {SMALL} into {COMMIT_OUT}")
    parser.add_argument("--forms", default=",".join(mc.FORMS), help="comma-separated subset of fp32,int8,dynamic")
    parser.add_argument("--flatc", default="flatc", help="flatc binary (default: %(default)s)")
    parser.add_argument("models", nargs="*", help=f"only these (default: all, or the small ones); known: {list(MODELS)}")
    args = parser.parse_args(argv)

    names = args.models or (list(SMALL) if args.commit_small else list(MODELS))
    unknown = set(names) - set(MODELS)
    if unknown:
        parser.error(f"unknown model(s) {sorted(unknown)}; known: {list(MODELS)}")
    if args.commit_small and set(names) - set(SMALL):
        parser.error(f"--commit-small takes only the small models {SMALL}")
    forms = tuple(f for f in args.forms.split(",") if f)
    if set(forms) - set(mc.FORMS):
        parser.error(f"unknown form(s) in --forms {args.forms}")
    out = args.out or (COMMIT_OUT if args.commit_small else DEFAULT_OUT)
    schema = mc.rtcb.load_schema(mc.rtcb.DEFAULT_SCHEMA, args.flatc)
    out.mkdir(parents=True, exist_ok=True)

    rebuilt = {f"{n}_{f}" for n in names for f in forms}
    entries = [e for e in mc.read_manifest(out) if e["case"] not in rebuilt]
    for k, name in enumerate(names, 1):
        print(f"[{k}/{len(names)}] {name}", flush=True)
        entries += build(name, out, schema, forms)
    mc.write_manifest(out, entries, "tools/make_arch_models.py" + (" --commit-small" if args.commit_small else ""),
                      "Real architectures (Keras applications, random weights)")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"{len(entries)} model(s) in {out}, {total} bytes in all")
    if args.commit_small and total > COMMIT_BUDGET:
        print(f"warning: {total} bytes is over the {COMMIT_BUDGET}-byte budget for committed models",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
