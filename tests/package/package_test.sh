#!/usr/bin/env bash
# Builds the Debian package from a build folder, unpacks it into a fresh root and runs the installed copy alone:
# no source tree, no build folder, no environment variables pointing anywhere. Checks
#  - the package's dependencies are runtime packages (no -dev), every one installed here, and apt would
#    install the .deb (simulated);
#  - distillery-cli --version, models, recipes (from the installed share/distillery), a short distillation of
#    a shipped recipe from its shipped teacher, and an export verified in the installed onnxruntime checker;
#  - the workbench offscreen: --version, and the one-click demo project trained to the end (--quit-after-run);
#  - the desktop entry (desktop-file-validate), the AppStream metadata (appstreamcli validate), the icons, the
#    man pages (man --warnings) and the bash completion against the installed program's help.
#   package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$(readlink -f "$1")"
source_dir="$(readlink -f "$2")"
work=$(mktemp -d /tmp/distillery-package.XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
step() { echo "package: $*"; }
die() { echo "package: FAILED: $*" >&2; exit 1; }

step "cpack -G DEB"
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1) ||
    { cat "$work/cpack.log"; die "cpack failed"; }
deb=$(ls "$work"/out/distillery_*.deb)
[ -f "$deb" ] || die "no distillery_*.deb in $work/out"
echo "  $(basename "$deb"): $(du -h "$deb" | cut -f1)"

step "dependencies"
depends=$(dpkg-deb -f "$deb" Depends)
echo "  Depends: $depends"
[ -n "$depends" ] || die "the package declares no dependencies"
for need in libtorch libqt6widgets6 libopencv-core libonnx libyaml-cpp libqcustomplot libopenblas0 \
    dataset-fashion-mnist; do
    grep -q "$need" <<<"$depends" || die "Depends lacks $need"
done
IFS=',' read -r -a entries <<<"$depends"
for entry in "${entries[@]}"; do
    satisfied=0
    IFS='|' read -r -a alternatives <<<"$entry"
    for alternative in "${alternatives[@]}"; do
        name=$(awk '{print $1}' <<<"$alternative")
        [[ $name == *-dev ]] && die "Depends names a development package: $name"
        dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed" && satisfied=1
    done
    [ "$satisfied" = 1 ] || die "dependency not installed on this machine: $entry"
done
if apt-get -s install "$deb" >"$work/apt.log" 2>&1; then
    echo "  apt-get -s install: $(grep -c '^Inst' "$work/apt.log" || true) package(s) to install"
else
    cat "$work/apt.log"
    die "apt would not install $deb"
fi

step "dpkg -x into a fresh root"
root="$work/root"
dpkg-deb -x "$deb" "$root"
prefix="$root/usr"
for f in bin/distillery bin/distillery-cli share/distillery/resources/recipes share/distillery/resources/teachers \
    share/distillery/ort/run.js share/distillery/doc/README.md share/distillery/doc/docs/METHODS.md \
    share/applications/org.distillery.Distillery.desktop share/metainfo/org.distillery.Distillery.metainfo.xml \
    share/icons/hicolor/scalable/apps/distillery.svg share/icons/hicolor/48x48/apps/distillery.png \
    share/icons/hicolor/256x256/apps/distillery.png share/man/man1/distillery-cli.1.gz \
    share/man/man1/distillery.1.gz share/bash-completion/completions/distillery-cli; do
    [ -e "$prefix/$f" ] || die "the package lacks usr/$f"
done
if dpkg-deb -c "$deb" | grep -E '\.(h|hpp|cmake|a)$'; then die "the package ships build files"; fi
# Installed files are read-only to the programs, as under /usr: nothing may write beside them (root ignores
# the modes, so the tree's listing is also compared at the end).
chmod -R a-w "$root/usr"
manifest() { (cd "$root" && find usr -printf '%p %s %T@\n' | sort); }
manifest >"$work/manifest.before"

# The installed copy alone: a clean environment, a scratch home, and a working directory outside any tree.
home="$work/home"
mkdir -p "$home" "$work/runtime"
chmod 700 "$work/runtime"
installed() {
    (cd "$work" && env -i PATH=/usr/bin:/bin HOME="$home" XDG_RUNTIME_DIR="$work/runtime" LANG=C.UTF-8 \
        QT_QPA_PLATFORM=offscreen DISTILLERY_THREADS="${DISTILLERY_THREADS:-2}" "$@")
}
cli="$prefix/bin/distillery-cli"

step "distillery-cli --version, models, recipes"
installed "$cli" --version | grep -qx "distillery-cli [0-9.]*" || die "distillery-cli --version"
installed "$cli" models >"$work/models.txt" || die "distillery-cli models"
grep -q '^resnet8 ' "$work/models.txt" || { cat "$work/models.txt"; die "models does not list resnet8"; }
installed "$cli" recipes >"$work/recipes.txt" || die "distillery-cli recipes"
head -1 "$work/recipes.txt" | grep -qF "$prefix/share/distillery/resources/recipes" ||
    { head -3 "$work/recipes.txt"; die "recipes are not read from the installed copy"; }
grep -q '^fmnist_kd ' "$work/recipes.txt" || die "recipes does not list fmnist_kd"

step "a shipped recipe distilled from its shipped teachers"
for recipe in fmnist_kd fmnist_onnx_kd; do
    installed "$cli" train "$recipe" --out "$work/runs/$recipe" --max-steps 8 --subset 256 \
        >"$work/$recipe.log" 2>&1 || { tail -20 "$work/$recipe.log"; die "train $recipe"; }
    grep -q "kd\[logits\]" "$work/runs/$recipe/metrics.jsonl" || die "$recipe logged no KD term"
    grep -q '"status": *"finished"' "$work/runs/$recipe/summary.json" || die "$recipe did not finish"
done
if ! command -v node >/dev/null; then
    echo "  export --verify skipped: no node on PATH (the package recommends nodejs)"
else
    installed "$cli" export "$work/runs/fmnist_kd" --format onnx --out "$work/student.onnx" --verify --subset 64 \
        >"$work/export.log" 2>&1 || { tail -20 "$work/export.log"; die "export --verify"; }
    grep -q "onnxruntime" "$work/export.log" || die "export --verify did not run onnxruntime"
    echo "  $(grep onnxruntime "$work/export.log" | head -1 | sed 's/^ *//')"
fi

step "the workbench, offscreen"
installed "$prefix/bin/distillery" --version | grep -q "Distillery [0-9.]*" || die "distillery --version"
installed timeout 600 "$prefix/bin/distillery" --demo --quit-after-run --set train.max_steps=8 \
    --set data.subset=256 >"$work/gui.log" 2>&1 || { tail -20 "$work/gui.log"; die "the demo did not finish"; }
project=$(compgen -G "$home/Distillery/demo-*" | head -1 || true)
[ -n "$project" ] && [ -f "$project/recipe.yaml" ] || die "the demo created no project under $home/Distillery"
ls "$project"/runs/*/summary.json >/dev/null || die "the demo project holds no run"
echo "  $(tail -1 "$work/gui.log")"

step "desktop entry, AppStream, icons, man pages, completion"
desktop-file-validate "$prefix/share/applications/org.distillery.Distillery.desktop" ||
    die "desktop-file-validate"
grep -qx "Icon=distillery" "$prefix/share/applications/org.distillery.Distillery.desktop" || die "desktop Icon"
appstreamcli validate --no-net --pedantic "$prefix/share/metainfo/org.distillery.Distillery.metainfo.xml" ||
    die "appstreamcli validate"
for size in 16 24 32 48 64 128 256 512; do
    file "$prefix/share/icons/hicolor/${size}x${size}/apps/distillery.png" | grep -q "$size x $size" ||
        die "icon ${size}x${size} has the wrong size"
done
for page in distillery-cli distillery; do
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -l "$prefix/share/man/man1/$page.1.gz" 2>&1 >/dev/null)
    [ -z "$warnings" ] || { echo "$warnings"; die "man page $page has warnings"; }
    LC_ALL=C.UTF-8 MANWIDTH=100 man -l "$prefix/share/man/man1/$page.1.gz" 2>/dev/null | grep -- "--version" >/dev/null ||
        die "man page $page does not document --version"
done
zcat "$prefix/share/man/man1/distillery-cli.1.gz" | grep "quantize" >/dev/null || die "the CLI man page lacks quantize"
bash "$source_dir/tests/package/check_completion.sh" "$cli" "$prefix/share/bash-completion/completions/distillery-cli"

manifest >"$work/manifest.after"
diff "$work/manifest.before" "$work/manifest.after" || die "the programs changed files in the installed tree"

step "passed"
