#!/usr/bin/env python3
"""Unmodified Python tritonclient[grpc] against inferd's gRPC service.

Starts ipc_fake_server (GrpcServer over the tests' scripted backend) on a
Unix socket in a temporary folder and drives it with tritonclient: health,
metadata, config, inference with typed numpy inputs, requested outputs,
priority/timeout, errors, repository and statistics. Exit 77 (skipped)
when tritonclient is not installed.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from tritonclient_util import expect_error, grpcclient, np  # noqa: E402  (exits 77 without tritonclient)


def main():
    server_exe = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="inferd-tc-") as tmp:
        sock = os.path.join(tmp, "inferd.sock")
        proc = subprocess.Popen([server_exe, sock], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "READY"
            run(f"unix://{sock}")
        finally:
            proc.stdin.close()
            assert proc.wait(timeout=30) == 0
    print("tritonclient: all checks passed")


def run(url):
    c = grpcclient.InferenceServerClient(url=url)
    assert c.is_server_live()
    assert c.is_server_ready()
    assert c.is_model_ready("add")
    assert not c.is_model_ready("loading")

    md = c.get_server_metadata(as_json=True)
    assert md["name"] == "inferd", md
    assert "model_repository" in md["extensions"], md

    mm = c.get_model_metadata("add", as_json=True)
    assert mm["platform"] == "tflite", mm
    assert [i["name"] for i in mm["inputs"]] == ["a", "b"], mm
    assert mm["inputs"][0]["datatype"] == "FP32", mm
    assert mm["inputs"][0]["shape"] == ["1", "4"], mm  # int64 in JSON

    cfg = c.get_model_config("add", as_json=True)["config"]
    assert cfg["name"] == "add", cfg
    assert cfg["input"][0]["data_type"] == "TYPE_FP32", cfg

    a = np.array([[1, 2, 3, 4]], dtype=np.float32)
    b = np.array([[10, 20, 30, 40]], dtype=np.float32)
    inputs = [grpcclient.InferInput("a", [1, 4], "FP32"),
              grpcclient.InferInput("b", [1, 4], "FP32")]
    inputs[0].set_data_from_numpy(a)
    inputs[1].set_data_from_numpy(b)

    r = c.infer("add", inputs, request_id="r1")
    assert r.get_response().id == "r1"
    np.testing.assert_array_equal(r.as_numpy("sum"), a + b)
    np.testing.assert_array_equal(r.as_numpy("diff"), a - b)

    outputs = [grpcclient.InferRequestedOutput("diff")]
    r = c.infer("add", inputs, outputs=outputs, priority=3, timeout=5000)
    assert r.as_numpy("sum") is None
    np.testing.assert_array_equal(r.as_numpy("diff"), a - b)

    # Every numpy type tritonclient maps, through the echo models.
    for dt, arr in [("INT8", np.array([-128, 0, 127], np.int8)),
                    ("UINT8", np.array([0, 255], np.uint8)),
                    ("INT16", np.array([-5, 5], np.int16)),
                    ("INT32", np.array([-7, 7], np.int32)),
                    ("INT64", np.array([-(1 << 40)], np.int64)),
                    ("FP16", np.array([1.5, -2], np.float16)),
                    ("FP64", np.array([0.1], np.float64)),
                    ("BOOL", np.array([True, False, True]))]:
        x = grpcclient.InferInput("x", list(arr.shape), dt)
        x.set_data_from_numpy(arr)
        out = c.infer("echo_" + dt, [x]).as_numpy("y")
        np.testing.assert_array_equal(out, arr)
        assert out.dtype == arr.dtype, (dt, out.dtype)

    expect_error(lambda: c.infer("nope", inputs), "StatusCode.NOT_FOUND", "'nope'")
    wrong = [grpcclient.InferInput("a", [1, 4], "FP32"),
             grpcclient.InferInput("b", [1, 3], "FP32")]
    wrong[0].set_data_from_numpy(a)
    wrong[1].set_data_from_numpy(b[:, :3])
    expect_error(lambda: c.infer("add", wrong), "StatusCode.INVALID_ARGUMENT",
                 "input 'b'", "[1, 4]", "[1, 3]")
    expect_error(lambda: c.infer("fail", inputs), "StatusCode.RESOURCE_EXHAUSTED", "full")

    index = c.get_model_repository_index(as_json=True)
    names = {m["name"] for m in index["models"]}
    assert {"add", "loading"} <= names, index
    c.load_model("add")
    c.unload_model("add")
    expect_error(lambda: c.load_model("missing"), "StatusCode.NOT_FOUND", "'missing'")

    stats = c.get_inference_statistics("add", as_json=True)
    s = stats["model_stats"][0]
    assert s["name"] == "add", stats
    assert s["inference_stats"]["success"]["count"] == "7", stats
    c.close()


if __name__ == "__main__":
    main()
