# bash completion for distillery-cli: commands, each command's options, recipe files (and the shipped recipes'
# names), run folders, ONNX files, choices and architecture names (for --set model.arch= / teacher.arch=).
# Installed as share/bash-completion/completions/distillery-cli; tests/package/check_completion.sh checks
# that it offers every option the help text names.

_distillery_cli_options() {
    case "$1" in
    models) echo "--json --names --onnx --input --verify --subset --threads --help" ;;
    recipes) echo "--json --help" ;;
    cache) echo "--json --clear --dir --help" ;;
    train) echo "--out --max-steps --subset --threads --set --baseline --no-baseline --nproc --dist-timeout \
--bucket-mb --help" ;;
    resume) echo "--threads --max-steps --nproc --dist-timeout --bucket-mb --help" ;;
    eval) echo "--checkpoint --subset --threads --json --data --detections --help" ;;
    inspect) echo "--tap --out --model --sample --split --checkpoint --tau --help" ;;
    diagnostics) echo "--target --json --help" ;;
    generate) echo "--out --per-class --seed --initial --json --threads --help" ;;
    distributions) echo "--tap --teacher-tap --student-tap --samples --bins --tau --split --checkpoint --out --json \
--help" ;;
    quantize) echo "--out --method --observer --percentile --calib-batches --bits --layer-bits --budget \
--teacher --epochs --lr --lsq --subset --threads --max-steps --no-int8 --sensitivity --json --vertical --seed --help" ;;
    extract) echo "--bits --out --threads --help" ;;
    export) echo "--format --out --verify --subset --threads --help" ;;
    pipeline) echo "--out --threads --max-steps --help" ;;
    suggest-hints) echo "--clusters --samples --metrics --method --write --threads --json --help" ;;
    prune) echo "--out --budget --criterion --scope --min-keep --checkpoint --data --calib-batches --subset --threads \
--json --help" ;;
    esac
}

# Shipped recipes by name, and architecture names: asked of the program once per shell and kept (filled in
# the completing shell itself, not in a $(...) subshell, so the next TAB does not start the program again).
_distillery_cli_fill_caches() {  # $1: the program as typed
    if [[ -z ${_distillery_cli_recipe_cache+x} ]]; then
        _distillery_cli_recipe_cache=$("$1" recipes --json 2>/dev/null |
            sed -n 's/^ *"name": "\([^"]*\)".*/\1/p')
    fi
    if [[ -z ${_distillery_cli_arch_cache+x} ]]; then
        _distillery_cli_arch_cache=$("$1" models --names 2>/dev/null)
    fi
}

_distillery_cli_recipe_files() {
    local IFS=$'\n'
    COMPREPLY=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur") $(compgen -d -- "$cur"))
    COMPREPLY+=($(compgen -W "$_distillery_cli_recipe_cache" -- "$cur"))
    compopt -o filenames 2>/dev/null
}

_distillery_cli_dirs() {
    local IFS=$'\n'
    COMPREPLY=($(compgen -d -- "$cur"))
    compopt -o filenames 2>/dev/null
}

_distillery_cli_files() {  # $1: the extension, e.g. onnx
    local IFS=$'\n'
    COMPREPLY=($(compgen -f -X "!*.$1" -- "$cur") $(compgen -d -- "$cur"))
    compopt -o filenames 2>/dev/null
}

_distillery_cli() {
    # The words as typed, split at spaces only: bash also splits at '=' (COMP_WORDBREAKS), which would cut
    # `--set model.arch=res` into three words.
    local line="${COMP_LINE:0:COMP_POINT}" words
    read -r -a words <<<"$line"
    [[ -z $line || $line == *[[:space:]] ]] && words+=("")
    local cword=$((${#words[@]} - 1))
    local cur="${words[cword]}" prev="" program="${words[0]:-distillery-cli}" command="" i
    ((cword > 0)) && prev="${words[cword - 1]}"
    local commands="models recipes cache train resume eval inspect generate diagnostics distributions quantize extract prune suggest-hints pipeline export help"
    COMPREPLY=()
    # The command is the first word that is not an option.
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} != -* ]]; then
            command=${words[i]}
            break
        fi
    done
    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return 0
    fi
    _distillery_cli_fill_caches "$program"
    _distillery_cli_complete
    # Bash replaces only the part of the word after its last '=': offer that part.
    if [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then
        local prefix="${cur%=*}=" k
        for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]=${COMPREPLY[k]#"$prefix"}; done
    fi
    return 0
}

# Fills COMPREPLY for the word `cur` of `command` after `prev` (the caller's locals).
_distillery_cli_complete() {
    case "$prev" in
    --onnx) _distillery_cli_files onnx; return 0 ;;
    --data | --verify)
        if [[ $command != export ]]; then _distillery_cli_recipe_files; return 0; fi ;;
    --out)
        case $command in
        export) _distillery_cli_files onnx ;;
        prune) _distillery_cli_files pt ;;
        generate) _distillery_cli_files png ;;
        inspect | distributions) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null ;;
        *) _distillery_cli_dirs ;;
        esac
        return 0 ;;
    --format) COMPREPLY=($(compgen -W "onnx onnx-int8" -- "$cur")); return 0 ;;
    --checkpoint) COMPREPLY=($(compgen -W "best last" -- "$cur")); return 0 ;;
    --method)
        if [[ $command == suggest-hints ]]; then COMPREPLY=($(compgen -W "fitnet at cwd nst sp vid ft" -- "$cur"))
        else COMPREPLY=($(compgen -W "ptq qat" -- "$cur")); fi
        return 0 ;;
    --observer) COMPREPLY=($(compgen -W "minmax percentile mse" -- "$cur")); return 0 ;;
    --bits) COMPREPLY=($(compgen -W "8 6 4 2" -- "$cur")); return 0 ;;
    --vertical) COMPREPLY=($(compgen -W "8,6,4,2 8,4,2 8,4" -- "$cur")); return 0 ;;
    --teacher) COMPREPLY=($(compgen -W "recipe self none" -- "$cur")); return 0 ;;
    --model) COMPREPLY=($(compgen -W "student teacher" -- "$cur")); return 0 ;;
    --split) COMPREPLY=($(compgen -W "val train" -- "$cur")); return 0 ;;
    --budget)
        if [[ $command == prune ]]; then COMPREPLY=($(compgen -W "params= macs=" -- "$cur"))
        else COMPREPLY=($(compgen -W "size= bops=" -- "$cur")); fi
        compopt -o nospace 2>/dev/null; return 0 ;;
    --metrics) COMPREPLY=($(compgen -W "linear_cka rbf_cka rsa linear_cka,rbf_cka,rsa" -- "$cur")); return 0 ;;
    --write) _distillery_cli_files yaml; return 0 ;;
    --criterion) COMPREPLY=($(compgen -W "bn l1" -- "$cur")); return 0 ;;
    --scope) COMPREPLY=($(compgen -W "global layer" -- "$cur")); return 0 ;;
    --set)
        local keys="model.arch= teacher.arch= model.width= train.epochs= train.batch_size= train.max_steps= \
data.subset= data.root= data.workers= optim.lr= optim.weight_decay= seed= threads= name="
        case "$cur" in
        model.arch=* | teacher.arch=*)
            local key="${cur%%=*}="
            COMPREPLY=($(compgen -P "$key" -W "$_distillery_cli_arch_cache" -- "${cur#*=}")) ;;
        *) COMPREPLY=($(compgen -W "$keys" -- "$cur")); compopt -o nospace 2>/dev/null ;;
        esac
        return 0 ;;
    --baseline) _distillery_cli_dirs; return 0 ;;
    --detections) _distillery_cli_files json; return 0 ;;
    --input | --subset | --threads | --max-steps | --nproc | --dist-timeout | --bucket-mb | --tap | --sample | \
    --tau | --percentile | --calib-batches | --seed | \
        --layer-bits | --epochs | --lr | --min-keep | --clusters | --target | --teacher-tap | --student-tap | --samples | --bins | \
        --per-class)
        return 0 ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_distillery_cli_options "$command")" -- "$cur"))
        return 0
    fi
    case $command in
    help) COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
    train | suggest-hints | pipeline) _distillery_cli_recipe_files ;;
    eval)
        local IFS=$'\n'
        COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.onnx' -- "$cur") $(compgen -f -X '!*.pt' -- "$cur"))
        compopt -o filenames 2>/dev/null ;;
    resume | inspect | diagnostics | distributions | quantize | extract | export) _distillery_cli_dirs ;;
    prune)
        local IFS=$'\n'
        COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.pt' -- "$cur"))
        compopt -o filenames 2>/dev/null ;;
    esac
    return 0
}

complete -F _distillery_cli distillery-cli
