#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root, or with sudo available):
#   scripts/dev.sh run    install build dependencies, build, start gatemq in the foreground
#   scripts/dev.sh test   install build and test dependencies, build, run every test suite:
#                         unit + end-to-end on a normal build, then again under ASan/UBSan
# Extra arguments after `run` go to gatemq (e.g. --config etc/gatemq.conf).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PACKAGES=(cmake ninja-build g++ ccache libasio-dev libspdlog-dev nlohmann-json3-dev
                libmbedtls-dev libgtest-dev libcrypt-dev libcpp-httplib-dev libcoap3-dev
                libtinyxml2-dev pkg-config)
TEST_PACKAGES=(mosquitto mosquitto-clients python3 python3-paho-mqtt python3-pytest
               python3-pytest-xdist python3-stomp openssl curl libcoap3-bin)
JOBS=$(nproc)

install_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# MQTT.js (npm) for the WebSocket tests. Node.js and npm come from Debian unless the machine
# already has them (a NodeSource nodejs bundles its own npm, which Debian's npm would fight).
install_mqttjs() {
  command -v npm >/dev/null || install_packages nodejs npm
  (cd tests/e2e/js && npm ci --no-audit --no-fund --loglevel=error)
}

build() {  # build <dir> [cmake options...]
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

run_tests() {  # run_tests <dir>
  echo "== unit and end-to-end tests in $1"
  ctest --test-dir "$1" --output-on-failure -j "$JOBS" --timeout 2400
}

case "${1:-}" in
  run)
    shift
    install_packages "${BUILD_PACKAGES[@]}"
    build build -DGATEMQ_TESTS=OFF
    exec build/app/gatemq "$@"
    ;;
  test)
    install_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    install_mqttjs
    build build -DGATEMQ_TESTS=ON
    run_tests build
    # ASan reports leaks and memory errors as a non-zero exit, which the tests check.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
    build build-asan -DGATEMQ_TESTS=ON -DGATEMQ_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    run_tests build-asan
    echo "== all tests passed"
    ;;
  *)
    sed -n '2,6p' "$0"
    exit 2
    ;;
esac
