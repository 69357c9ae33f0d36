"""Shared by the tritonclient tests (tests/ipc/tritonclient_test.py,
tests/daemon/tritonclient_inferd_test.py): imports numpy and
tritonclient[grpc], exiting 77 (skipped) when they are not installed, and
expect_error for checking a refused call.

The tests run as scripts from any folder, so they put this folder on
sys.path themselves before importing it.
"""
import sys

try:
    import numpy as np  # noqa: F401  (re-exported for the tests)
    import tritonclient.grpc as grpcclient  # noqa: F401
    from tritonclient.utils import InferenceServerException
except ImportError as e:  # not installed here: skip, do not fail
    print(f"skipped: {e}")
    sys.exit(77)


def expect_error(fn, status, *parts):
    """fn() must raise InferenceServerException with `status` (e.g.
    "StatusCode.NOT_FOUND") and a message containing every one of `parts`."""
    try:
        fn()
    except InferenceServerException as e:
        assert e.status() == status, (e.status(), e.message())
        for p in parts:
            assert p in e.message(), (p, e.message())
        return
    raise AssertionError(f"expected {status}")
