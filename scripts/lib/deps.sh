# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages in scripts/packages.txt that are missing
# (apt-get update first, only when something is missing). Sourced by scripts/run and scripts/test.
ensure_packages() {
  local root=$1 missing=() pkg
  while read -r pkg; do
    case "$pkg" in ''|'#'*) continue ;; esac
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done <"$root/scripts/packages.txt"
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  # Postfix only for its smtp-sink/smtp-source test tools: no mail system
  # of its own, so installing it never starts a listener on port 25.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}"
}

# Builds everything with CMake + Ninja (ccache shared across clones).
build_all() {
  local root=$1 dir=$2
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$root")}
  export CCACHE_DIR=${CCACHE_DIR:-/var/cache/mail-ccache}
  export CCACHE_NOHASHDIR=true
  mkdir -p "$CCACHE_DIR" 2>/dev/null || export CCACHE_DIR=$HOME/.cache/mail-ccache
  [ -f "$dir/build.ninja" ] || cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C "$dir" ${MAIL_BUILD_TARGETS:-}
}
