#!/usr/bin/env bash
# Installs the Debian packages the library links against when any is missing:
#   libopenblas-dev (fast BLAS behind libblas.so.3 / liblapack.so.3), libblas-dev, liblapack-dev,
#   libpng-dev, libturbojpeg0-dev (TurboJPEG), zlib1g-dev; and, with --fashion-mnist, the real-image dataset package.
set -euo pipefail
packages=(libopenblas-dev libblas-dev liblapack-dev libpng-dev libturbojpeg0-dev zlib1g-dev)
if [[ "${1:-}" == "--fashion-mnist" ]]; then packages+=(dataset-fashion-mnist); fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if (( ${#missing[@]} > 0 )); then
    echo "Installing Debian packages: ${missing[*]}"
    sudo_cmd=""
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
