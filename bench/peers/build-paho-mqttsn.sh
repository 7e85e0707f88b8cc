#!/bin/sh
# Builds the Eclipse Paho MQTT-SN gateway (MQTT-SNGateway, UDP sensor network) optimised, for
# bench/compare's MQTT-SN scenarios. Nothing of it enters this repository and no test or CI step
# needs it: get the sources yourself (see bench/peers/README.md), then
#
#   bench/peers/build-paho-mqttsn.sh <paho.mqtt-sn.embedded-c source dir> <install dir>
#
# installs <install dir>/MQTT-SNGateway (and the upstream gateway.conf sample next to it), where
# bench/compare finds it through GATEMQ_BENCH_PAHO_SN or its default path.
#
# Upstream's MQTTSNGateway/build.sh runs cmake without a build type (no optimisation at all) and
# writes into the source tree; this does the same build with -DCMAKE_BUILD_TYPE=Release (-O3
# -DNDEBUG) in a build directory of its own. The binary itself still lands in
# <source>/MQTTSNGateway/bin (upstream's CMAKE_RUNTIME_OUTPUT_DIRECTORY) before it is copied.
# Needs cmake, make or ninja, a C++ compiler and libssl-dev (the gateway links OpenSSL even for UDP).
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 <paho.mqtt-sn.embedded-c source dir> <install dir>" >&2
  exit 2
fi
source_dir=$(cd "$1" && pwd)
install_dir=$2
if [ ! -f "$source_dir/MQTTSNGateway/src/mainGateway.cpp" ]; then
  echo "$0: $source_dir is not a paho.mqtt-sn.embedded-c checkout (no MQTTSNGateway/src)" >&2
  exit 2
fi
build_dir=${PAHO_SN_BUILD_DIR:-$source_dir/build.gateway-release}
jobs=${PAHO_SN_JOBS:-2}

cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSENSORNET=udp >/dev/null
cmake --build "$build_dir" --target MQTT-SNGateway -j "$jobs"

mkdir -p "$install_dir"
cp "$source_dir/MQTTSNGateway/bin/MQTT-SNGateway" "$install_dir/"
cp "$source_dir/MQTTSNGateway/gateway.conf" "$install_dir/gateway.conf.sample"
version=$(sed -n 's/^SET(GW_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\))/\2/p' \
  "$source_dir/MQTTSNGateway/src/CMakeLists.txt" | paste -sd.)
commit="unknown commit"  # a snapshot without .git: bench/peers/README.md names the one used
if [ -e "$source_dir/.git" ]; then commit=$(git -C "$source_dir" rev-parse --short HEAD); fi
echo "MQTT-SNGateway $version ($commit), Release, UDP" >"$install_dir/VERSION"
echo "installed $install_dir/MQTT-SNGateway: $(cat "$install_dir/VERSION")"
