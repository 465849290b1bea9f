#!/usr/bin/env bash
# Builds berth's container image (localhost/berth:dev) from the Dockerfile, and the sandbox ("pause")
# image the end-to-end node pins, with podman, on a machine that has no Docker engine and reaches no
# container registry. Saves both as docker-archive tarballs for `ctr -n k8s.io images import`.
#
# The Dockerfile's public bases cannot be pulled here, so this script makes two local ones FROM
# scratch, out of the Node 24 binary the project already installs from the npm registry
# (scripts/lib/node.sh), the shared libraries it links, Debian's public CA bundle and a minimal /etc;
# the build base adds npm (from the npm registry) and a static busybox for the RUN steps' shell. They
# are tagged by Node version and rebuilt only when what they are made of changes. See
# docs/adr/012-container-image.md. Prints how long each phase took and the image sizes.
#
# Usage: scripts/image/build.sh [--cold | --print-paths]
#   --cold         first remove what earlier runs made (images, archives, the cached npm tarball, the
#                  build's npm cache mount) and build without podman's layer cache, to measure a cold
#                  build. Go's build cache (shared with other builds) is kept.
#   --print-paths  print image names, archive paths and CONTAINERS_CONF as KEY=value, build nothing.
# Environment: BERTH_CACHE_DIR; BERTH_IMAGE_BUILD_BASE and BERTH_IMAGE_RUNTIME_BASE to build on other
# bases instead of the local ones; BERTH_IMAGE_SOURCE for the org.opencontainers.image.source label.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source-path=SCRIPTDIR source=../lib/node.sh
source scripts/lib/node.sh

PAUSE_VERSION=1.0.0
# npm in the local build base: the version the lockfile is written with (npm is not part of the
# node-<os>-<arch> package).
NPM_VERSION=11.19.1
# Bump when the base assembly below changes, so cached bases are rebuilt.
BASE_RECIPE=1

images="$berth_cache_dir/images"
build_base="localhost/berth-base/node-build:$BERTH_NODE_VERSION"
runtime_base="localhost/berth-base/node-runtime:$BERTH_NODE_VERSION"
berth_image=localhost/berth:dev
pause_image="localhost/berth/pause:$PAUSE_VERSION"
berth_archive="$images/berth-dev.tar"
pause_archive="$images/pause-$PAUSE_VERSION.tar"
# podman's configuration lives in the cache, not in the repository or /etc: crun fails on this
# machine's hybrid cgroup layout, so runc with cgroupfs, and an empty default_ulimits, without which
# containers do not start here.
podman_conf="$images/podman/containers.conf"

cold=false
case "${1:-}" in
  "") ;;
  --cold) cold=true ;;
  --print-paths)
    printf 'BERTH_IMAGE=%s\nBERTH_IMAGE_ARCHIVE=%s\nPAUSE_IMAGE=%s\nPAUSE_IMAGE_ARCHIVE=%s\nCONTAINERS_CONF=%s\n' \
      "$berth_image" "$berth_archive" "$pause_image" "$pause_archive" "$podman_conf"
    exit 0
    ;;
  *) echo "usage: $0 [--cold | --print-paths]" >&2; exit 2 ;;
esac

log() { printf '[image] %s\n' "$*" >&2; }

# timed NAME CMD...: runs CMD and reports how long it took, so cold and warm costs are visible.
timed() {
  local name="$1" start=$SECONDS
  shift
  "$@"
  log "$name done in $((SECONDS - start))s"
}

# Temporary files (the npmrc handed to the build, scratch build contexts) live outside the
# repository and go away on exit, also when a build fails.
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT
new_scratch() { # new_scratch NAME: sets work to a fresh private directory
  work="$(mktemp -d "${TMPDIR:-/tmp}/berth-image.$1.XXXXXX")"
  scratch+=("$work")
}

# --- Tools -----------------------------------------------------------------------------------------
# podman builds, runc runs the RUN steps, busybox-static is the build base's shell, ca-certificates
# holds the public CA bundle the bases get.
packages=(podman runc busybox-static ca-certificates)

ensure_packages() {
  local p missing=()
  command -v dpkg-query >/dev/null || { log "not a Debian system: install ${packages[*]} yourself"; return 1; }
  for p in "${packages[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return
  local -a as_root=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || { log "missing ${missing[*]}: install them as root"; return 1; }
    as_root=(sudo)
  fi
  log "installing ${missing[*]} with apt-get (the machine's configured sources)"
  # apt-get writes progress to stdout; keep this script's stdout for --print-paths callers.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq update >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q install --no-install-recommends \
    "${missing[@]}" >&2
}

write_podman_conf() {
  mkdir -p "$(dirname "$podman_conf")"
  local want
  want="$(
    cat <<'EOF'
# Written by scripts/image/build.sh; used through CONTAINERS_CONF, so nothing in /etc changes.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
# No journald for podman's events on these machines.
events_logger = "file"
EOF
  )"
  [[ -f "$podman_conf" && "$(cat "$podman_conf")" == "$want" ]] || printf '%s\n' "$want" >"$podman_conf"
  export CONTAINERS_CONF="$podman_conf"
}

# --- Keeping registry hosts out of logs, layers, args and labels ------------------------------------
# Hosts of the npm registries and proxies this machine's npm uses. They reach the build only inside
# the npmrc secret; anything podman prints passes through `redact`, so a failing download cannot
# print them either.
secret_hosts=()

url_host() { # url_host URL: the host part of a URL, without user info or port
  local u="$1"
  u="${u#*://}" && u="${u##*@}" && u="${u%%/*}" && u="${u%%:*}"
  printf '%s' "$u"
}

add_secret_host() {
  local h
  h="$(url_host "$1")"
  [[ -n "$h" && "$h" != null ]] && secret_hosts+=("$h")
  return 0
}

redact() { # a filter: replaces every secret host with <npm-host>
  local h expr=()
  for h in "${secret_hosts[@]}"; do
    # Escape what sed would read as regular expression syntax; the host is matched literally.
    expr+=(-e "s/$(printf '%s' "$h" | sed 's/[][\.*^$/]/\\&/g')/<npm-host>/g")
  done
  if ((${#expr[@]} == 0)); then cat; else sed -u "${expr[@]}"; fi
}

# write_npm_secrets DIR: writes DIR/npmrc (and DIR/ca when npm uses its own CA file) for the build's
# npm: the user's npmrc (auth for private registries lives there) with ${VAR} expanded and
# host-specific paths dropped, plus the effective registry, proxies and TLS settings of this machine's
# npm. Sets npm_secret_args to the matching `podman build --secret` flags.
write_npm_secrets() {
  local dir="$1" line key value user_rc="" cafile="" extra guard
  : >"$dir/npmrc"
  # One npm call for the effective settings (flags, environment, every npmrc), as key=value lines.
  local -A conf=()
  # shellcheck disable=SC2016 # the JavaScript's template literal, not a shell expansion
  while IFS='=' read -r key value; do conf[$key]="$value"; done < <(
    npm config ls -l --json | node -e '
      const c = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
      for (const k of process.argv.slice(1)) {
        const v = c[k];
        if (v !== null && v !== undefined && v !== "") console.log(`${k}=${v}`);
      }' userconfig cafile registry proxy https-proxy noproxy strict-ssl
  )
  user_rc="${conf[userconfig]:-}"
  if [[ -n "$user_rc" && -f "$user_rc" ]]; then
    while IFS= read -r line || [[ -n "$line" ]]; do
      # Paths of this machine mean nothing in the build container.
      [[ "$line" =~ ^[[:space:]]*(nodedir|cafile|capath|prefix|cache|userconfig|globalconfig|tmp|init-module)[[:space:]]*= ]] && continue
      # npm expands ${VAR} from its environment; the build container does not have this one.
      guard=0
      while [[ "$line" =~ \$\{([A-Za-z_][A-Za-z0-9_]*)\} ]] && ((guard++ < 20)); do
        line="${line//"${BASH_REMATCH[0]}"/${!BASH_REMATCH[1]:-}}"
      done
      printf '%s\n' "$line" >>"$dir/npmrc"
    done <"$user_rc"
  fi
  for key in registry proxy https-proxy noproxy strict-ssl; do
    [[ -n "${conf[$key]:-}" ]] && printf '%s=%s\n' "$key" "${conf[$key]}" >>"$dir/npmrc"
  done
  # Every registry and proxy host named anywhere in it is redacted from what this script prints.
  while IFS= read -r value; do add_secret_host "$value"; done \
    < <(grep -oE '(https?:)?//[^/[:space:]"'\'']+' "$dir/npmrc" || true)
  for value in "${HTTPS_PROXY:-}" "${https_proxy:-}" "${HTTP_PROXY:-}" "${http_proxy:-}"; do
    [[ -n "$value" ]] && add_secret_host "$value"
  done
  # npm's cafile replaces the built-in CAs; NODE_EXTRA_CA_CERTS adds to them. Either way the build's
  # npm gets the same trust as this machine's, as a secret, so no machine-local CA enters a layer.
  cafile="${conf[cafile]:-}"
  extra="${NODE_EXTRA_CA_CERTS:-}"
  if [[ -n "$cafile" && -r "$cafile" ]]; then
    cat "$cafile" >"$dir/ca"
  elif [[ -n "$extra" && -r "$extra" ]]; then
    cat /etc/ssl/certs/ca-certificates.crt "$extra" >"$dir/ca" 2>/dev/null || cat "$extra" >"$dir/ca"
  fi
  npm_secret_args=(--secret "id=npmrc,src=$dir/npmrc")
  if [[ -f "$dir/ca" ]]; then
    printf 'cafile=/run/secrets/npm_ca\n' >>"$dir/npmrc"
    npm_secret_args+=(--secret "id=npm_ca,src=$dir/ca")
  fi
}

# --- Local base images --------------------------------------------------------------------------
mozilla_certs=/usr/share/ca-certificates/mozilla
node_dir=""
node_libs=()

find_node() {
  berth_ensure_node
  node_dir="$(dirname "$(dirname "$(command -v node)")")"
  # The libraries the dynamic loader resolves for node, and the loader itself; linux-vdso is the
  # kernel's. Copied from this machine, so the bases run what the host's Node runs.
  mapfile -t node_libs < <(ldd "$node_dir/bin/node" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
  ((${#node_libs[@]} > 0)) || { log "ldd found no libraries for $node_dir/bin/node"; return 1; }
}

# base_key KIND: a digest of what a base is made of; a cached base with another key is rebuilt.
base_key() {
  {
    echo "recipe $BASE_RECIPE kind $1 node $BERTH_NODE_VERSION"
    sha256sum "${node_libs[@]}"
    cat "$mozilla_certs"/*.crt | sha256sum
    if [[ "$1" == build ]]; then
      echo "npm $NPM_VERSION"
      sha256sum /bin/busybox
    fi
  } | sha256sum | cut -c1-16
}

image_label() { # image_label IMAGE LABEL: prints the label's value, nothing if the image is absent
  podman image inspect --format "{{index .Labels \"$2\"}}" "$1" 2>/dev/null || true
}

npm_tarball() { # the npm package for the build base, fetched once into the cache
  local tgz="$images/npm/npm-$NPM_VERSION.tgz"
  if [[ ! -f "$tgz" ]]; then
    local tmp
    mkdir -p "$images/npm"
    tmp="$(mktemp -d "$images/npm/tmp.XXXXXX")"
    # `npm pack` only downloads: no install scripts run. Its output names the registry's tarball.
    (cd "$tmp" && npm pack --silent "npm@$NPM_VERSION" >/dev/null) || { rm -rf "$tmp"; return 1; }
    mv "$tmp"/npm-*.tgz "$tgz" && rm -rf "$tmp"
  fi
  printf '%s' "$tgz"
}

# assemble_rootfs DIR KIND: the base's file system. Both kinds: node at /nodejs/bin/node (the path
# distroless uses, so the Dockerfile's ENTRYPOINT fits either base), its libraries, the public CA
# bundle, users root, nonroot (65532) and nobody, and a world-writable /tmp. The build kind adds
# npm and busybox.
assemble_rootfs() {
  local dir="$1" kind="$2" lib pkg applet
  mkdir -p "$dir"/{nodejs/bin,etc/ssl/certs,tmp,root,home/nonroot}
  install -m 0755 "$node_dir/bin/node" "$dir/nodejs/bin/node"
  install -m 0644 "$node_dir/LICENSE" "$dir/nodejs/LICENSE"
  for lib in "${node_libs[@]}"; do
    mkdir -p "$dir$(dirname "$lib")"
    cp -L "$lib" "$dir$lib"
  done
  # The libraries' Debian copyright files travel with them, as in Debian and distroless images.
  while IFS= read -r pkg; do
    [[ -f "/usr/share/doc/$pkg/copyright" ]] || continue
    mkdir -p "$dir/usr/share/doc/$pkg"
    cp "/usr/share/doc/$pkg/copyright" "$dir/usr/share/doc/$pkg/"
  done < <(for lib in "${node_libs[@]}"; do dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || true; done |
    cut -d: -f1 | sort -u)
  # Only the public (Mozilla) CAs Debian ships: CAs this machine adds locally stay out of the image.
  cat "$mozilla_certs"/*.crt >"$dir/etc/ssl/certs/ca-certificates.crt"
  cat >"$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat >"$dir/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
EOF
  # glibc resolves names from /etc/hosts (which the runtime mounts) before DNS.
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$dir/etc/nsswitch.conf"
  chmod 1777 "$dir/tmp"
  chmod 0700 "$dir/root" "$dir/home/nonroot"
  chown 65532:65532 "$dir/home/nonroot"
  if [[ "$kind" == build ]]; then
    mkdir -p "$dir/bin" "$dir/usr/bin"
    install -m 0755 /bin/busybox "$dir/bin/busybox"
    for applet in $(/bin/busybox --list); do
      [[ -e "$dir/bin/$applet" ]] || ln -s busybox "$dir/bin/$applet"
    done
    # npm's launchers start with #!/usr/bin/env node.
    ln -s /bin/busybox "$dir/usr/bin/env"
    mkdir -p "$dir/nodejs/lib/node_modules/npm"
    tar xzf "$(npm_tarball)" -C "$dir/nodejs/lib/node_modules/npm" --strip-components=1 --no-same-owner
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir/nodejs/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dir/nodejs/bin/npx"
  fi
}

# make_base KIND TAG: imports the assembled file system as TAG unless TAG already has this key.
make_base() {
  local kind="$1" tag="$2" key
  key="$(base_key "$kind")"
  if [[ "$(image_label "$tag" dev.berth.base.key)" == "$key" ]]; then
    log "$tag is up to date"
    return
  fi
  new_scratch "base-$kind"
  assemble_rootfs "$work/rootfs" "$kind"
  # podman import keeps the tar's owners (COPY in a build would make /home/nonroot root's). A fixed
  # mtime and sorted names make the layer the same for the same inputs.
  tar --numeric-owner --sort=name --mtime=@0 -C "$work/rootfs" -cf "$work/rootfs.tar" .
  local -a changes=(
    --change 'ENV PATH=/nodejs/bin:/usr/bin:/bin'
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'
    --change "LABEL dev.berth.base.key=$key"
  )
  if [[ "$kind" == build ]]; then
    changes+=(--change 'ENV HOME=/root' --change 'WORKDIR /root' --change 'USER 0:0')
  else
    changes+=(--change 'ENV HOME=/home/nonroot' --change 'WORKDIR /home/nonroot' --change 'USER 65532:65532'
      --change 'ENTRYPOINT ["/nodejs/bin/node"]')
  fi
  podman import --quiet "${changes[@]}" "$work/rootfs.tar" "$tag" >/dev/null
  log "$tag made ($(du -sm "$work/rootfs" | cut -f1) MB)"
}

# --- berth's image -------------------------------------------------------------------------------
build_berth() {
  local version revision source dirty
  version="$(node -p 'require("./package.json").version')"
  revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  # A build from uncommitted changes says so, rather than claiming to be the commit.
  dirty="$(git status --porcelain -- Dockerfile .dockerignore package.json package-lock.json .npmrc src scripts/image 2>/dev/null || true)"
  [[ -n "$dirty" ]] && version="$version+dirty"
  source="${BERTH_IMAGE_SOURCE:-}"
  if [[ -z "$source" ]]; then
    source="$(git remote get-url origin 2>/dev/null || true)"
    # Only a public forge's address is a useful label; credentials and mirrors are not.
    [[ "$source" =~ ^(https://|git@)(github\.com|gitlab\.com)[:/]([^[:space:]]+)$ ]] &&
      source="https://${BASH_REMATCH[2]}/${BASH_REMATCH[3]%.git}" || source=""
  fi
  new_scratch npm
  chmod 0700 "$work"
  write_npm_secrets "$work"
  local -a args=(
    build --network host --layers
    "${npm_secret_args[@]}"
    --build-arg "BUILD_BASE=${BERTH_IMAGE_BUILD_BASE:-$build_base}"
    --build-arg "RUNTIME_BASE=${BERTH_IMAGE_RUNTIME_BASE:-$runtime_base}"
    --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source"
    -f Dockerfile -t "$berth_image" -t berth:dev
  )
  $cold && args+=(--no-cache)
  podman "${args[@]}" . 2>&1 | redact >&2
}

# --- The pause image -----------------------------------------------------------------------------
build_pause() {
  local key
  command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || { log "go is not on PATH (the pause image is a Go program)"; return 1; }
  key="$( (echo "$PAUSE_VERSION" && go version && cat tools/pause/go.mod tools/pause/main.go) | sha256sum | cut -c1-16)"
  if [[ "$(image_label "$pause_image" dev.berth.source.key)" == "$key" ]]; then
    log "$pause_image is up to date"
    return
  fi
  new_scratch pause
  # Static (no cgo), reproducible (no paths, no build id). It has no dependencies; the module
  # source stays the machine's configured default.
  CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS='' \
    go build -C tools/pause -trimpath -ldflags "-s -w -buildid= -X main.version=$PAUSE_VERSION" -o "$work/pause" .
  cat >"$work/Containerfile" <<EOF
FROM scratch
COPY pause /pause
# The upstream pause image's user: it needs no privileges at all.
USER 65535:65535
ENTRYPOINT ["/pause"]
LABEL org.opencontainers.image.title="berth-pause" \\
      org.opencontainers.image.description="Sandbox container for berth's end-to-end node (tools/pause)" \\
      org.opencontainers.image.licenses="Apache-2.0" \\
      org.opencontainers.image.version="$PAUSE_VERSION" \\
      dev.berth.source.key="$key"
EOF
  podman build --network none --layers -t "$pause_image" "$work" 2>&1 | redact >&2
}

# save_archive IMAGE FILE: a docker-archive for ctr, written again only when the image changed.
save_archive() {
  local image="$1" file="$2" id
  id="$(podman image inspect --format '{{.Id}}' "$image")"
  if [[ -f "$file" && "$(cat "$file.id" 2>/dev/null)" == "$id" ]]; then
    log "$file is up to date"
    return
  fi
  mkdir -p "$(dirname "$file")"
  rm -f "$file.tmp"
  podman save --quiet --format docker-archive -o "$file.tmp" "$image"
  mv "$file.tmp" "$file" && printf '%s\n' "$id" >"$file.id"
  log "saved $image to $file ($(du -m "$file" | cut -f1) MB)"
}

save_archives() {
  save_archive "$berth_image" "$berth_archive"
  save_archive "$pause_image" "$pause_archive"
}

remove_previous() { # for --cold: what earlier runs made, and nothing else
  local image
  for image in "$berth_image" "$pause_image" "$build_base" "$runtime_base"; do
    podman image exists "$image" && podman rmi --force "$image" >/dev/null
  done
  rm -f "$berth_archive" "$berth_archive.id" "$pause_archive" "$pause_archive.id" "$images/npm/npm-$NPM_VERSION.tgz"
  # Where podman 4 keeps the Dockerfile's npm cache mount (id=berth-npm), so npm downloads again.
  rm -rf "/var/tmp/buildah-cache/berth-npm" "/var/tmp/buildah-cache-$EUID/berth-npm"
  log "removed earlier images, archives, the cached npm tarball and the build's npm cache"
}

start=$SECONDS
timed "debian packages" ensure_packages
write_podman_conf
timed "node $BERTH_NODE_VERSION" find_node
$cold && remove_previous
if [[ -z "${BERTH_IMAGE_BUILD_BASE:-}" ]]; then
  timed "build base" make_base build "$build_base"
fi
if [[ -z "${BERTH_IMAGE_RUNTIME_BASE:-}" ]]; then
  timed "runtime base" make_base runtime "$runtime_base"
fi
timed "berth image" build_berth
timed "pause image" build_pause
timed "archives" save_archives

log "images (podman images):"
podman images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' |
  grep -E "^($berth_image|$pause_image|$build_base|$runtime_base)  " | sed 's/^/[image]   /' >&2
size_mb=$(($(podman image inspect --format '{{.Size}}' "$berth_image") / 1000000))
log "$berth_image is $size_mb MB; $($cold && echo cold || echo this) build took $((SECONDS - start))s"
log "import into containerd: ctr -n k8s.io images import $berth_archive (and $pause_archive)"
log "check it: bash scripts/image/verify.sh (CONTAINERS_CONF=$podman_conf for podman by hand)"
