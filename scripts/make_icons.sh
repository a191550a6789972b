#!/usr/bin/env bash
# Renders the application icon (resources/desktop/distillery.svg) to the PNG sizes installed under
# share/icons/hicolor and embedded as the window icon. Run after editing the SVG; needs rsvg-convert
# (librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/.."
for size in 16 24 32 48 64 128 256 512; do
  rsvg-convert -w "$size" -h "$size" resources/desktop/distillery.svg -o "resources/desktop/icons/distillery-$size.png"
done
