#!/usr/bin/env bash
# Installs every Debian package inferd needs to build, test and run.
# Idempotent: apt-get skips what is already installed. Needs root (or sudo).
set -euo pipefail

packages=(
  # build tools
  meson ninja-build g++ pkg-config cmake python3
  # engine
  libflatbuffers-dev flatbuffers-compiler libxnnpack-dev libpthreadpool-dev libcpuinfo-dev
  # daemon, ipc, clients
  libspdlog-dev libfmt-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libboost-dev libcli11-dev libsystemd-dev prometheus-cpp-dev
  # accelerator HAL: OpenCL ICD loader and PoCL as the CPU OpenCL device for tests
  ocl-icd-opencl-dev opencl-c-headers opencl-clhpp-headers pocl-opencl-icd
  # tests
  catch2
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
echo "setup: done"
