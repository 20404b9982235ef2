# The bot itself, as compose.yaml runs it (`docker compose up -d`; `npm run bot-image:build` builds it
# alone). Debian trixie's Node.js 20 (the bot needs 20.12 or later) runs the TypeScript sources
# through tsx, as `npm start` does. Where Docker Hub cannot be reached, scripts/bot-image.ts makes
# the same base with debootstrap (src/sandbox/base-image.ts) and passes it as BASE_IMAGE.
ARG BASE_IMAGE=debian:trixie-slim

# Production dependencies only. better-sqlite3 is native: its prebuilt binary comes from GitHub,
# and where that cannot be reached it is compiled against Debian's Node.js headers. The compilers
# and Debian's npm stay in this stage.
FROM ${BASE_IMAGE} AS dependencies
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        nodejs npm libnode-dev python3 make g++ ca-certificates; \
    rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# PEM certificates npm should trust besides the usual ones, for networks whose proxy inspects TLS
# (scripts/bot-image.ts passes those the host trusts and Node does not know). Not used past this stage.
ARG BUILD_CA_CERTS=
# Debian's npm 9 knows neither package.json's allowScripts nor the libc of optional packages, so
# scripts run only where allowScripts allows them, and sharp's builds for musl and WebAssembly go.
# Of better-sqlite3's build only the addon is kept. Then both native modules must load.
RUN set -eux; \
    printenv BUILD_CA_CERTS > /tmp/build-ca-certs.pem || true; \
    if grep -q 'BEGIN CERTIFICATE' /tmp/build-ca-certs.pem; then \
        export NODE_EXTRA_CA_CERTS=/tmp/build-ca-certs.pem; \
    fi; \
    export npm_config_nodedir=/usr; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund; \
    npm rebuild better-sqlite3 esbuild; \
    addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node; \
    mv "$addon" /tmp/; \
    rm -rf node_modules/better-sqlite3/build node_modules/better-sqlite3/deps; \
    mkdir -p "$(dirname "$addon")"; \
    mv /tmp/better_sqlite3.node "$addon"; \
    rm -rf node_modules/@img/*-linuxmusl-* node_modules/@img/sharp-wasm32; \
    node -e 'new (require("better-sqlite3"))(":memory:").close(); require("sharp")'

FROM ${BASE_IMAGE}

LABEL org.opencontainers.image.title=code-interpreter-bot \
      org.opencontainers.image.description="An LLM code interpreter for Slack, Discord and a web chat" \
      org.opencontainers.image.licenses=MIT

# docker-cli: when the sandbox image is missing, the bot builds it (and pulls its base) with the
# Docker CLI, through the same Docker engine it starts sandboxes on.
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends nodejs ca-certificates docker-cli; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log; \
    node -e 'const [major, minor] = process.versions.node.split(".").map(Number); \
        if (major < 20 || (major === 20 && minor < 12)) throw new Error(`Node.js ${process.version} is older than 20.12`)'; \
    groupadd --system --gid 10001 bot; \
    useradd --system --uid 10001 --gid bot --home-dir /home/bot --create-home --shell /usr/sbin/nologin bot; \
    install -d -o bot -g bot -m 0750 /data

WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
# sandbox-image/ comes along so the bot can build its sandbox image when it is missing; its tag is a
# hash of that directory, so an image already built from the same sources is found instead.
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY sandbox-image ./sandbox-image
COPY src ./src
COPY adapters ./adapters
COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint
# `docker compose exec bot code-interpreter-bot usage`: the admin command line, as the bot's user.
RUN printf '#!/bin/sh\nexec docker-entrypoint node /app/bin/code-interpreter-bot.js "$@"\n' \
        > /usr/local/bin/code-interpreter-bot; \
    chmod 0755 /usr/local/bin/code-interpreter-bot /usr/local/bin/docker-entrypoint

# The operators' endpoint stays on the container's loopback unless compose.yaml publishes it;
# the healthcheck asks it from inside. The web chat's address is set by compose.yaml.
ENV DATA_DIR=/data \
    METRICS_HOST=127.0.0.1 \
    METRICS_PORT=9464
VOLUME /data
EXPOSE 8080 9464

# /readyz: the store takes a write, Docker answers, the sandbox image exists, each platform is
# connected. The first start builds the sandbox image (minutes), hence the long start period.
# Node's fetch, since the image has no curl; the answer names what is failing.
HEALTHCHECK --interval=15s --timeout=5s --start-period=15m --retries=3 CMD ["node", "-e", "\
const port = process.env.METRICS_PORT || '9464';\
if (port === '0') { console.log('METRICS_PORT=0 turns /readyz off'); process.exit(1); }\
fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(4000) }).then(\
  async (response) => { console.log(await response.text()); process.exit(response.ok ? 0 : 1); },\
  (error) => { console.log(String(error.cause ?? error)); process.exit(1); });"]

ENTRYPOINT ["docker-entrypoint"]
CMD ["node", "--import", "tsx", "src/main.ts"]
