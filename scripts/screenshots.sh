#!/usr/bin/env bash
# Starts the kiosk under Xvfb with the demo data, walks it through every
# screen (self-service, then operated checkout), and writes one PNG per
# screen to assets/screenshots/ plus measurements.txt. Fails (non-zero) when
# the window does not come up or a screenshot is missing or blank.
#
#   scripts/screenshots.sh [OUT_DIR]
#
# Needs: xvfb (apt-get install -y xvfb). Uses the debug build that
# `cargo test` already made; the software renderer keeps it GPU-free.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-assets/screenshots}"
work="$(mktemp -d)"
trap 'kill "${xvfb_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

display=":${KASSE_XVFB_DISPLAY:-97}"
Xvfb "$display" -screen 0 1280x1024x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do
  [ -e "/tmp/.X11-unix/X${display#:}" ] && break
  sleep 0.1
done
export DISPLAY="$display" ICED_BACKEND=tiny-skia XDG_RUNTIME_DIR="$work/xdg"
mkdir -m 700 "$XDG_RUNTIME_DIR"

cargo build --locked --quiet
# A copy: another build sharing the target dir must not swap the binary
# between the two runs.
cp "${CARGO_TARGET_DIR:-target}/debug/kasse" "$work/kasse"
bin="$work/kasse"
mkdir -p "$out"
rm -f "$out"/*.png "$out"/measurements*.txt

# Each run on its own fresh database (the demo seed), so the pictures are the
# same every time; the cashier run uses the same config in cashier mode.
for mode in self cashier; do
  sed -e "s|^mode = .*|mode = \"$mode\"|" \
      -e "s|^path = \"kasse.sqlite\"|path = \"$work/$mode.sqlite\"|" \
      -e "s|^seed = \"|seed = \"$PWD/|" \
      -e "s|^signing_key = \"|signing_key = \"$PWD/|" \
      -e "s|^fixture_folder = \"|fixture_folder = \"$PWD/|" \
      config.toml >"$work/$mode.toml"
  echo "== kiosk tour, mode $mode"
  timeout 300 "$bin" kiosk --config "$work/$mode.toml" --tour "$work/$mode" 2>&1 | sed 's/^/   /'
  cp "$work/$mode"/*.png "$out"/
  cp "$work/$mode/measurements.txt" "$out/measurements-$mode.txt"
done

expected=24
got=$(ls "$out"/*.png | wc -l)
if [ "$got" -lt "$expected" ]; then
  echo "screenshots: expected $expected, got $got" >&2
  exit 1
fi
echo "screenshots: $got in $out"
