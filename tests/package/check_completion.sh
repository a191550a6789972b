#!/usr/bin/env bash
# Checks distillery-cli's bash completion against the program's own help text: every command of the overview
# and every option each command's help names is offered; shipped recipe names, recipe files, choices and
# architecture names complete.
#   check_completion.sh DISTILLERY_CLI COMPLETION_SCRIPT
set -euo pipefail
cli="$(readlink -f "$1")"
script="$2"
PATH="$(dirname "$cli"):$PATH"
# shellcheck source=/dev/null
source "$script"
fail=0

# The completions offered for a command line whose last word is being typed, with the variables bash sets:
# COMP_WORDS split at spaces and at COMP_WORDBREAKS' '=' (so `--set a=b` is three words), COMP_LINE, COMP_POINT.
COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
complete_line() {
    local spaced="${1//=/ = }"
    read -r -a COMP_WORDS <<<"$spaced"
    [[ $1 == *" " || $1 == *= ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$1"
    COMP_POINT=${#1}
    COMPREPLY=()
    _distillery_cli
    printf '%s\n' "${COMPREPLY[@]}"
}

# (The completions are captured before grep reads them: with pipefail, grep -q closing the pipe early would
# make a found word look missing.)
expect() {  # LINE WORD: WORD is among the completions of LINE
    local offered
    offered=$(complete_line "$1")
    if ! grep -qxF -- "$2" <<<"$offered"; then
        echo "completion: '$1' does not offer '$2' (offers: $(tr '\n' ' ' <<<"$offered"))"
        fail=1
    fi
}

refuse() {  # LINE WORD: WORD is not among the completions of LINE
    local offered
    offered=$(complete_line "$1")
    if grep -qxF -- "$2" <<<"$offered"; then
        echo "completion: '$1' offers '$2'"
        fail=1
    fi
}

# One completion in this shell first: it keeps the recipe and architecture lists, which the completions below
# (each in a subshell) inherit instead of asking the program again.
complete_line "distillery-cli train x.yaml --set model.arch=" >/dev/null

commands=$(distillery-cli --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] || { echo "completion: no commands in distillery-cli --help"; exit 1; }
for command in $commands; do
    expect "distillery-cli " "$command"
    expect "distillery-cli help " "$command"
    # The options of the usage lines and of the option list (prose may name other commands' options).
    options=$(distillery-cli help "$command" | awk '/^usage:/ {u = 1} u && /^$/ {u = 0} u || /^  +--/' |
        grep -o -- '--[a-z][a-z0-9-]*' | sort -u || true)
    [ -n "$options" ] || { echo "completion: no options in 'distillery-cli help $command'"; fail=1; }
    for option in $options; do
        expect "distillery-cli $command --" "$option"
    done
done
expect "distillery-cli --" "--version"

# Shipped recipes by name, recipe files, choices, architecture names.
names=$(distillery-cli recipes --json | sed -n 's/^ *"name": "\([^"]*\)".*/\1/p')
[ -n "$names" ] || { echo "completion: distillery-cli recipes --json lists no recipe"; exit 1; }
for name in $names; do
    expect "distillery-cli train ${name:0:3}" "$name"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/mine.yaml" "$tmp/notes.txt" "$tmp/model.onnx"
mkdir "$tmp/runs"
expect "distillery-cli train $tmp/" "$tmp/mine.yaml"
refuse "distillery-cli train $tmp/" "$tmp/notes.txt"
expect "distillery-cli eval $tmp/" "$tmp/model.onnx"
expect "distillery-cli resume $tmp/" "$tmp/runs"
refuse "distillery-cli resume $tmp/" "$tmp/mine.yaml"
expect "distillery-cli models --onnx $tmp/" "$tmp/model.onnx"
expect "distillery-cli export $tmp/runs --format " "onnx-int8"
expect "distillery-cli eval $tmp/runs --checkpoint " "last"
archs=$(distillery-cli models --names)
[ -n "$archs" ] || { echo "completion: distillery-cli models --names lists no architecture"; exit 1; }
# After '=' bash completes the part behind it.
for arch in $archs; do
    expect "distillery-cli train x.yaml --set model.arch=" "$arch"
    expect "distillery-cli train x.yaml --set teacher.arch=${arch:0:4}" "$arch"
done
expect "distillery-cli quantize $tmp/runs --budget " "size="
# The program is asked once per shell (the lists are kept between completions).
complete_line "distillery-cli train x.yaml --set model.arch=" >/dev/null
[[ -n ${_distillery_cli_recipe_cache:-} && -n ${_distillery_cli_arch_cache:-} ]] ||
    { echo "completion: the recipe and architecture lists are not kept between completions"; fail=1; }
expect "distillery-cli train x.yaml --set train.ma" "train.max_steps="

[ "$fail" = 0 ] && echo "completion: every command, option, recipe name and architecture completes"
exit "$fail"
