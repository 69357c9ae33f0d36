#!/usr/bin/env python3
"""Unmodified Python tritonclient[grpc] against a real inferd.

Starts the inferd executable on a Unix socket in a temporary folder, over a
repository that links to models of tests/data, and drives it with
tritonclient through unix://PATH: health, server and model metadata, model
config, inference (sync and async) with numpy inputs, requested outputs,
repository load/unload, statistics and errors. Every answer is compared
with local mode (`inferctl run MODEL.tflite --local`) on the same inputs,
exactly. Exit 77 (skipped) when tritonclient is not installed.

Usage: tritonclient_inferd_test.py INFERD INFERCTL   (INFERD_TEST_DATA set)
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from tritonclient_util import expect_error, grpcclient, np  # noqa: E402  (exits 77 without tritonclient)

DATA = os.environ.get("INFERD_TEST_DATA", "tests/data")
MODELS = {
    "face_detection_short_range": "models",
    "hand_landmark_lite": "models",
    "seq_mlp": "converter_models",
}


def model_path(name):
    return os.path.abspath(os.path.join(DATA, MODELS[name], name + ".tflite"))


def listening(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Local:
    """Local mode: inferctl runs the .tflite file in its own process."""

    def __init__(self, inferctl, tmp):
        self.inferctl = inferctl
        self.tmp = tmp
        self.runs = 0

    def run(self, model, inputs):
        """inputs: {name: array}; returns the outputs in model order."""
        self.runs += 1
        folder = os.path.join(self.tmp, f"local{self.runs}")
        os.makedirs(folder)
        args = [self.inferctl, "run", model_path(model), "--local", "--output-dir", folder]
        for name, arr in inputs.items():
            path = os.path.join(folder, name + ".npy")
            np.save(path, arr)
            args += ["--input", f"{name}={path}"]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, timeout=120)
        outs = []
        while os.path.exists(os.path.join(folder, f"output_{len(outs)}.npy")):
            outs.append(np.load(os.path.join(folder, f"output_{len(outs)}.npy")))
        return outs


def random_inputs(metadata, seed):
    rng = np.random.default_rng(seed)
    out = {}
    for t in metadata["inputs"]:
        assert t["datatype"] == "FP32", t
        shape = [int(d) for d in t["shape"]]
        out[t["name"]] = rng.uniform(-1, 1, shape).astype(np.float32)
    return out


def triton_inputs(arrays):
    inputs = []
    for name, arr in arrays.items():
        i = grpcclient.InferInput(name, list(arr.shape), "FP32")
        i.set_data_from_numpy(arr)
        inputs.append(i)
    return inputs


def check_same(result, metadata, expected, only=None):
    names = [t["name"] for t in metadata["outputs"]]
    assert len(expected) == len(names), (len(expected), names)
    for k, name in enumerate(names):
        got = result.as_numpy(name)
        if only is not None and name not in only:
            assert got is None, name
            continue
        assert got is not None, name
        assert got.dtype == expected[k].dtype and got.shape == expected[k].shape, (name, got.dtype, got.shape)
        assert np.array_equal(got, expected[k]), f"{name}: differs from local mode"


def run(url, local):
    c = grpcclient.InferenceServerClient(url=url)
    assert c.is_server_live()
    assert c.is_server_ready()
    md = c.get_server_metadata(as_json=True)
    assert md["name"] == "inferd", md
    assert "model_repository" in md["extensions"], md
    assert c.is_model_ready("seq_mlp")
    assert not c.is_model_ready("hand_landmark_lite")

    infers = {"seq_mlp": 0, "face_detection_short_range": 0}
    meta = {}
    for model in infers:
        m = c.get_model_metadata(model, as_json=True)
        assert m["name"] == model and m["platform"] == "tflite", m
        meta[model] = m
        cfg = c.get_model_config(model, as_json=True)["config"]
        assert cfg["name"] == model, cfg
        assert [i["name"] for i in cfg["input"]] == [i["name"] for i in m["inputs"]], cfg

    for model in infers:
        for seed in range(3):
            arrays = random_inputs(meta[model], seed)
            expected = local.run(model, arrays)
            r = c.infer(model, triton_inputs(arrays), request_id=f"{model}-{seed}")
            assert r.get_response().id == f"{model}-{seed}"
            assert r.get_response().model_version == "1"
            check_same(r, meta[model], expected)
            infers[model] += 1

    # Requested outputs, priority and timeout parameters.
    arrays = random_inputs(meta["seq_mlp"], 7)
    expected = local.run("seq_mlp", arrays)
    second = meta["seq_mlp"]["outputs"][1]["name"]
    r = c.infer("seq_mlp", triton_inputs(arrays), outputs=[grpcclient.InferRequestedOutput(second)],
                priority=2, timeout=60_000_000)
    check_same(r, meta["seq_mlp"], expected, only={second})
    infers["seq_mlp"] += 1

    # Concurrent async requests, each checked against its own input.
    lock = threading.Lock()
    answers = {}
    done = threading.Semaphore(0)

    def callback(seed, result, error):
        with lock:
            answers[seed] = (result, error)
        done.release()

    cases = {seed: random_inputs(meta["face_detection_short_range"], seed) for seed in range(10, 18)}
    wanted = {seed: local.run("face_detection_short_range", a) for seed, a in cases.items()}
    for seed, arrays in cases.items():
        c.async_infer("face_detection_short_range", triton_inputs(arrays),
                      lambda result, error, seed=seed: callback(seed, result, error))
    for _ in cases:
        assert done.acquire(timeout=120)
    for seed, (result, error) in answers.items():
        assert error is None, error
        check_same(result, meta["face_detection_short_range"], wanted[seed])
        infers["face_detection_short_range"] += 1

    # Repository: load a model, run it, unload it.
    index = {m["name"]: m.get("state", "") for m in c.get_model_repository_index(as_json=True)["models"]}
    assert index == {"face_detection_short_range": "READY", "hand_landmark_lite": "UNAVAILABLE",
                     "seq_mlp": "READY"}, index
    c.load_model("hand_landmark_lite")
    assert c.is_model_ready("hand_landmark_lite")
    hand = c.get_model_metadata("hand_landmark_lite", as_json=True)
    arrays = {hand["inputs"][0]["name"]: np.load(os.path.join(DATA, "golden/hand_landmark_lite/input_0.npy"))}
    check_same(c.infer("hand_landmark_lite", triton_inputs(arrays)), hand, local.run("hand_landmark_lite", arrays))
    c.unload_model("hand_landmark_lite")
    assert not c.is_model_ready("hand_landmark_lite")
    expect_error(lambda: c.infer("hand_landmark_lite", triton_inputs(arrays)), "StatusCode.UNAVAILABLE",
                 "'hand_landmark_lite'")
    expect_error(lambda: c.load_model("missing"), "StatusCode.NOT_FOUND", "'missing'")

    # Errors name the model, the tensor, what was expected and what came.
    expect_error(lambda: c.infer("nope", triton_inputs(arrays)), "StatusCode.NOT_FOUND", "'nope'")
    seq_in = meta["seq_mlp"]["inputs"]
    bad = random_inputs(meta["seq_mlp"], 1)
    bad[seq_in[1]["name"]] = bad[seq_in[1]["name"]][:, :-1]
    expect_error(lambda: c.infer("seq_mlp", triton_inputs(bad)), "StatusCode.INVALID_ARGUMENT",
                 "'seq_mlp'", f"'{seq_in[1]['name']}'", "[1, 10]", "[1, 9]")

    # Statistics count exactly the successful requests.
    for model, n in infers.items():
        s = c.get_inference_statistics(model, as_json=True)["model_stats"][0]
        assert s["name"] == model, s
        assert int(s["inference_stats"]["success"]["count"]) == n, (model, n, s)
        assert int(s["inference_stats"]["compute_infer"]["ns"]) > 0, s
    c.close()


def main():
    inferd, inferctl = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="inferd-tci-") as tmp:
        repo = os.path.join(tmp, "models")
        os.makedirs(repo)
        for name in MODELS:
            # copied: the daemon does not follow links in its model directory
            shutil.copyfile(model_path(name), os.path.join(repo, name + ".tflite"))
        sock = os.path.join(tmp, "inferd.sock")
        conf = os.path.join(tmp, "inferd.conf")
        with open(conf, "w") as f:
            f.write(f'socket_path: "{sock}"\nmodel_dir: "{repo}"\nlog_level: "warn"\n'
                    'models { name: "seq_mlp" }\nmodels { name: "face_detection_short_range" }\n')
        with open(os.path.join(tmp, "inferd.log"), "w") as log:
            proc = subprocess.Popen([inferd, "--config", conf], stdout=log, stderr=log)
        try:
            end = time.monotonic() + 60
            while not listening(sock):
                assert proc.poll() is None, "inferd exited: " + open(os.path.join(tmp, "inferd.log")).read()
                assert time.monotonic() < end, "inferd did not start listening"
                time.sleep(0.02)
            run(f"unix://{sock}", Local(inferctl, tmp))
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print("tritonclient against inferd: all checks passed")


if __name__ == "__main__":
    main()
