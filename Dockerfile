# hookgate: one image for `serve` (default) and `worker`.
#   docker build -t hookgate .
#   docker run --rm -p 8080:8080 -e REDIS_URL=redis://host:6379 hookgate            # serve
#   docker run --rm -e REDIS_URL=redis://host:6379 hookgate worker                  # worker
# test/deploy/image-steps.test.ts replays this file's COPY/RUN steps outside Docker, and
# tools/lint checks it; keep both green when changing it.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: dev dependencies + tsc --------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first so the dependency layer is cached until the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies only, non-root --------------------------------
FROM ${NODE_IMAGE} AS runtime
# The config baked in as /app/config/hookgate.yaml; deployments that cannot mount a file
# (ECS/Fargate) build with --build-arg HOOKGATE_CONFIG_SRC=path/in/repo.yaml.
ARG HOOKGATE_CONFIG_SRC=config/hookgate.example.yaml
# HOOKGATE_ADMIN_HOST: the example config's admin.host. `-p 9090:9090` forwards to the
# container's interface, not its loopback; the admin API still starts only with
# HOOKGATE_ADMIN_TOKEN set (deploy/README.md: what that exposes).
ENV NODE_ENV=production \
    HOOKGATE_CONFIG=/app/config/hookgate.yaml \
    HOOKGATE_ADMIN_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY ${HOOKGATE_CONFIG_SRC} ./config/hookgate.yaml
# Files stay root-owned and read-only to the process; the `node` user (uid 1000) ships
# with the official image.
USER node
# webhooks (serve), admin API + dashboard (serve), a worker's own admin API (/metrics)
EXPOSE 8080 9090 9091
# Node as PID 1 is fine here: hookgate installs its own SIGTERM/SIGINT handlers (stop
# accepting, drain, close Redis, exit 0) and spawns no children to reap. Compose sets
# `init: true` and ECS `initProcessEnabled` anyway. No curl in slim images: use node.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
