# berth's container image: one esbuild bundle on a distroless Node 24, run as UID/GID 65532.
# Why a bundle, which bases and how it is built without a registry: docs/adr/012-container-image.md.
#
# Anywhere with access to public registries:  docker build -t berth .   (or podman build)
# On our machines (no registry reachable):    npm run image   (scripts/image/build.sh makes local
#   bases from the Node 24 the project already installs and passes them as BUILD_BASE/RUNTIME_BASE).
#
# npm configuration (registry, auth, CA) reaches the build only as BuildKit/podman secrets, so it is
# in no layer, build arg or label: --secret id=npmrc,src=<npmrc> [--secret id=npm_ca,src=<CA file>].
# Without them npm uses its defaults.

# Bases are arguments with public defaults so the same file builds anywhere. The build base needs
# node and npm on PATH and a POSIX shell; the runtime base needs /nodejs/bin/node (distroless' layout).
ARG BUILD_BASE=docker.io/library/node:24-bookworm-slim
ARG RUNTIME_BASE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_BASE} AS build
WORKDIR /src

# The bundler first, from its own lockfile (scripts/image/bundler): this layer survives every change
# to berth's dependencies and sources. Scripts are ignored; esbuild's launcher finds its platform
# package without its postinstall step.
COPY scripts/image/bundler/package.json scripts/image/bundler/package-lock.json scripts/image/bundler/
RUN --mount=type=secret,id=npmrc,target=/run/secrets/npmrc \
    --mount=type=secret,id=npm_ca,target=/run/secrets/npm_ca \
    --mount=type=cache,id=berth-npm,target=/root/.npm \
    cd scripts/image/bundler \
 && NPM_CONFIG_USERCONFIG=/run/secrets/npmrc npm ci --ignore-scripts --no-audit --no-fund \
      --no-update-notifier --logs-max=0

# Only the operator's runtime dependencies: devDependencies (TypeScript, vitest, Biome) are never
# installed, so nothing has to be pruned and the bundle cannot pick one up by accident. No package
# has an install script. npm's cache stays in a cache mount, out of every layer, and npm writes no
# log files (they would name the registry).
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=secret,id=npmrc,target=/run/secrets/npmrc \
    --mount=type=secret,id=npm_ca,target=/run/secrets/npm_ca \
    --mount=type=cache,id=berth-npm,target=/root/.npm \
    NPM_CONFIG_USERCONFIG=/run/secrets/npmrc npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      --no-update-notifier --logs-max=0

# One ESM file (scripts/image/bundle.sh says how; the benchmarks measure the same bundle).
COPY src/ src/
COPY scripts/image/bundle.sh scripts/image/licenses.ts scripts/image/
RUN sh scripts/image/bundle.sh /out

FROM ${RUNTIME_BASE}
# Owned by root and not writable by the operator's user: the code cannot be changed at run time.
COPY --from=build /out/ /app/
WORKDIR /app
# Numeric, so Kubernetes' runAsNonRoot can verify it. The root filesystem can be read-only: the
# operator writes nothing; /tmp (an emptyDir in the chart) is the only place that may be writable.
USER 65532:65532
# /metrics, /healthz and /readyz (--metrics-addr, default :8080).
EXPOSE 8080
# Exec form with node itself as PID 1: SIGTERM from the kubelet reaches berth, whose handler drains
# and releases the Lease (src/main.ts), with no shell or init in between. Arguments are berth's flags.
ENTRYPOINT ["/nodejs/bin/node", "/app/main.mjs"]
CMD []

# Last, so a new commit only changes this metadata and every layer above stays cached.
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="berth" \
      org.opencontainers.image.description="Kubernetes operator for container registries at IONOS Cloud, Selectel and Red Hat Quay, and the pull credentials for them" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
