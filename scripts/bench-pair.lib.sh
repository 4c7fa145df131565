# Shared by scripts/bench-live.sh and scripts/bench-eta-load.sh (sourced,
# not run): a benchmark of this checkout against a BASE commit, both test
# binaries built first, then run alternately in one series.
#
#   bench_setup PACKAGE DEFAULT_BASE "$@"   parses [-n PAIRS] [BASE], builds
#                                           $tmp/base.test (BASE, from git
#                                           archive) and $tmp/head.test
#   bench_alternate RUN                     calls RUN base DIR, RUN head DIR
#                                           PAIRS times, base first; DIR is
#                                           the tree whose PACKAGE folder the
#                                           binary runs from
# The caller's own help is its comment's lines 2..17, printed on a bad flag.

bench_setup() {
  local pkg=$1 default_base=$2
  shift 2
  pairs=3
  local opt OPTIND=1
  while getopts "n:" opt; do
    case $opt in
      n) pairs=$OPTARG ;;
      *) sed -n '2,17p' "$0" >&2; exit 2 ;;
    esac
  done
  shift $((OPTIND - 1))
  base=${1:-$default_base}
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir "$tmp/base"
  git archive "$base" | tar -x -C "$tmp/base"
  (cd "$tmp/base" && go test -c -o "$tmp/base.test" "./$pkg")
  go test -c -o "$tmp/head.test" "./$pkg"
  echo "load average before: $(cat /proc/loadavg)"
}

bench_alternate() {
  local run=$1
  for _ in $(seq "$pairs"); do
    "$run" base "$tmp/base"
    "$run" head "$PWD"
  done
  echo "load average after: $(cat /proc/loadavg)"
}
