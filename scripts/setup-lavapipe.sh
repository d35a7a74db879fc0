#!/usr/bin/env bash
# Mesa's lavapipe (a CPU Vulkan driver), unpacked under .cache/lavapipe, so that the WebGPU backend
# (Dawn, npm `webgpu`) finds an adapter on a machine without a GPU and its tests can run in CI.
# Nothing is installed into the system: the .debs are fetched with `apt-get download` through a
# private apt state (its own sources and lists, in the cache) and unpacked with `dpkg-deb -x`.
#
# Debian bookworm's own lavapipe (Mesa 22.3) is rejected by Dawn; bookworm-backports' Mesa 25 is
# accepted, so on bookworm the backports suite is added (same mirror as the system's sources).
# Elsewhere the distribution's own mesa-vulkan-drivers is tried, and the adapter probe decides.
#
#   bash scripts/setup-lavapipe.sh           # prepare if needed; prints a one-line status on stderr
#   bash scripts/setup-lavapipe.sh --env     # also print `export VK_ICD_FILENAMES=... LD_LIBRARY_PATH=...`
#   bash scripts/setup-lavapipe.sh --force   # forget an earlier result (or failure) and prepare again
#   HOLLM_LAVAPIPE=0                         # skip entirely
#
# Never fails (exit status 0): on any problem it prints one line saying why, and the WebGPU tests
# then skip with that reason. tests/helpers/lavapipe.ts reads the result, .cache/lavapipe/env.json.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

CACHE="$PWD/.cache/lavapipe"
ENV_JSON="$CACHE/env.json"
FAILED="$CACHE/failed.txt"
print_env=0
force=0
for arg in "$@"; do
  case "$arg" in
    --env) print_env=1 ;;
    --force) force=1 ;;
    *) log "lavapipe: unknown option '$arg' (expected --env or --force)"; exit 0 ;;
  esac
done

json_field() { # json_field FILE KEY -> the string value (our own flat JSON, one key per line)
  sed -n "s/^ *\"$2\": \"\(.*\)\",\{0,1\}$/\1/p" "$1" | head -n 1
}

report_ready() {
  local icd libs
  icd=$(json_field "$ENV_JSON" VK_ICD_FILENAMES)
  libs=$(json_field "$ENV_JSON" LD_LIBRARY_PATH)
  log "lavapipe: ready ($(json_field "$ENV_JSON" adapter)); VK_ICD_FILENAMES=$icd LD_LIBRARY_PATH=$libs"
  if ((print_env)); then
    printf 'export VK_ICD_FILENAMES=%q\n' "$icd"
    [[ -n "$libs" ]] && printf 'export LD_LIBRARY_PATH=%q\n' "$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
}

# One line, never an error exit. A failure that will not change by retrying and costs a download to
# find (Dawn rejects the driver) is remembered in failed.txt so later runs stay fast; --force retries.
skip() {
  log "lavapipe: skipped — $1 (WebGPU tests will skip)"
  exit 0
}
give_up() {
  mkdir -p "$CACHE" && printf '%s\n' "$1" >"$FAILED"
  skip "$1"
}

[[ "${HOLLM_LAVAPIPE:-1}" == "0" ]] && skip "HOLLM_LAVAPIPE=0"
if ((force)); then rm -rf "$ENV_JSON" "$FAILED"; fi
# Fast path: prepared earlier and still there.
if [[ -f "$ENV_JSON" && -f "$(json_field "$ENV_JSON" VK_ICD_FILENAMES)" ]]; then report_ready; exit 0; fi
[[ -f "$FAILED" ]] && skip "$(head -n 1 "$FAILED") (earlier run; --force to retry)"

[[ "$(uname -s)" == "Linux" ]] || skip "only prepared on Linux (this is $(uname -s))"
for tool in apt-get apt-cache dpkg-deb dpkg; do
  command -v "$tool" >/dev/null || skip "no $tool here (not a Debian-like system)"
done

mkdir -p "$CACHE" || skip "cannot create $CACHE"
# Serialise concurrent setups (they would download into the same folder).
if command -v flock >/dev/null; then
  exec 9>"$CACHE/.lock"
  flock -w 300 9 || skip "another setup-lavapipe.sh holds $CACHE/.lock"
  if [[ -f "$ENV_JSON" && -f "$(json_field "$ENV_JSON" VK_ICD_FILENAMES)" ]]; then report_ready; exit 0; fi
fi

t0=$(date +%s.%N)
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")

# Private apt state: the system's Debian/Ubuntu suites for this codename (same mirrors), plus
# backports on bookworm. Seeded with the system's lists so that only changed indexes are fetched.
work="$CACHE/.work"
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root" || skip "cannot write under $CACHE"
apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=$work/none"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=$(id -un)" -o "Acquire::Retries=2")
keyring=""
for k in /usr/share/keyrings/debian-archive-keyring.gpg /usr/share/keyrings/ubuntu-archive-keyring.gpg; do
  [[ -f "$k" ]] && { keyring="[signed-by=$k] "; break; }
done
targets=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(TARGET_OF)' 2>/dev/null | awk '$3 == "deb" {print $1, $2}' | sort -u)
main_mirror=$(awk -v c="$codename" '$2 == c {print $1; exit}' <<<"$targets")
[[ -n "$codename" && -n "$main_mirror" ]] || skip "no apt source for this system's suite ('${codename:-unknown}') found in apt-get indextargets"
awk -v c="$codename" '$2 == c || $2 == c"-updates" || $2 == c"-security" || $2 == c"-backports"' <<<"$targets" |
  while read -r uri suite; do echo "deb ${keyring}${uri} ${suite} main"; done >"$work/sources.list"
target_release=()
if [[ "$codename" == "bookworm" ]]; then
  grep -q " bookworm-backports " "$work/sources.list" || echo "deb ${keyring}${main_mirror} bookworm-backports main" >>"$work/sources.list"
  target_release=(-t bookworm-backports)
fi
cp -p /var/lib/apt/lists/*Release /var/lib/apt/lists/*_Packages* "$work/lists/" 2>/dev/null || true

if ! apt-get "${apt_opts[@]}" -qq update >"$work/update.log" 2>&1; then
  skip "apt-get update failed: $(grep -m1 -E '^(E|W):' "$work/update.log" || tail -n 1 "$work/update.log")"
fi

# What installing mesa-vulkan-drivers (+ the Vulkan loader) would add or upgrade, restricted to its
# own dependency closure (a simulated install also upgrades unrelated Mesa packages in lockstep).
sim=$(apt-get "${apt_opts[@]}" -s install --no-install-recommends "${target_release[@]}" mesa-vulkan-drivers libvulkan1 2>&1) ||
  skip "apt cannot resolve mesa-vulkan-drivers: $(grep -m1 -E '^E:' <<<"$sim")"
inst=$(awk '/^Inst /{v = $0; sub(/^[^(]*\(/, "", v); sub(/ .*/, "", v); print $2 "=" v}' <<<"$sim")
mesa=$(grep -m1 '^mesa-vulkan-drivers=' <<<"$inst")
if [[ -n "$mesa" ]]; then
  closure=$(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$mesa" "$(grep -m1 '^libvulkan1=' <<<"$inst" || echo libvulkan1)" 2>/dev/null | grep -v '^ ' | sort -u)
  wanted=$(awk -F= 'NR == FNR {keep[$1] = 1; next} ($1 in keep)' <(echo "$closure") <(echo "$inst") | sed 's/:[a-z0-9]*=/=/')
  # shellcheck disable=SC2086
  (cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download $wanted >"$work/download.log" 2>&1) ||
    skip "apt-get download failed: $(grep -m1 -E '^(E|W):' "$work/download.log" || tail -n 1 "$work/download.log")"
  download_mb=$(du -sm "$work/debs" | cut -f1)
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root" || skip "dpkg-deb -x failed on $(basename "$deb")"
  done
  rm -rf "$CACHE/root"
  mv "$work/root" "$CACHE/root" || skip "cannot move the unpacked files into $CACHE"
  libdir="$CACHE/root/usr/lib/$multiarch"
  # Keep only the lavapipe driver: the hardware drivers in the same .deb are of no use here.
  find "$libdir" -maxdepth 1 -name 'libvulkan_*.so' ! -name libvulkan_lvp.so -delete 2>/dev/null
  icd_in=$(ls "$CACHE"/root/usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n 1)
  [[ -f "$libdir/libvulkan_lvp.so" && -n "$icd_in" ]] || give_up "mesa-vulkan-drivers ($mesa) has no lavapipe (libvulkan_lvp.so / lvp_icd.json)"
  # The shipped ICD names the library by file name only; the loader needs an absolute path.
  sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$libdir/libvulkan_lvp.so\"#" "$icd_in" >"$CACHE/lvp_icd.json"
  icd="$CACHE/lvp_icd.json"
  libs="$libdir"
  mesa_version=${mesa#*=}
else
  # Already installed system-wide at the wanted version: use it as it is.
  download_mb=0
  icd=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n 1)
  [[ -n "$icd" ]] || give_up "mesa-vulkan-drivers is installed but has no lvp_icd.json"
  libs=""
  mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null)
fi

# Does Dawn accept it? (Mesa 22's lavapipe is found but rejected.) Needs the npm packages.
adapter="not probed (npm package webgpu not installed)"
if [[ -d node_modules/webgpu && -d node_modules/tsx ]]; then
  probe=$(VK_ICD_FILENAMES="$icd" LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    timeout 60 node --import tsx -e 'require("./lib/engine/webgpu").probeWebGpu().then((p) => console.log(JSON.stringify(p)))' 2>/dev/null | tail -n 1)
  if [[ "$probe" != *'"adapter":true'* ]]; then
    give_up "Dawn found no adapter with lavapipe from mesa-vulkan-drivers $mesa_version: $(sed -n 's/.*"detail":"\([^"]*\)".*/\1/p' <<<"$probe")"
  fi
  adapter=$(sed -n 's/.*"detail":"\([^"]*\)".*/\1/p' <<<"$probe")
fi

seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
cat >"$ENV_JSON" <<EOF
{
  "VK_ICD_FILENAMES": "$icd",
  "LD_LIBRARY_PATH": "$libs",
  "mesa": "$mesa_version",
  "adapter": "$adapter",
  "prepared": "$(date -u +%Y-%m-%dT%H:%M:%SZ) in ${seconds} s, ${download_mb} MB downloaded"
}
EOF
rm -rf "$work" "$FAILED"
log "lavapipe: prepared Mesa $mesa_version in ${seconds} s (${download_mb} MB of .debs)"
report_ready
exit 0
