# exposure-audit in a container: the daemon as a non-root user, the
# database on a volume. Build: docker build -t exposure-audit .
# Run: see deploy/README.md ("In a container").

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin exposure-audit

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 exposure-audit \
 && useradd --system --uid 10001 --gid exposure-audit --home /data --shell /usr/sbin/nologin exposure-audit \
 && install -d -m 0700 -o exposure-audit -g exposure-audit /data \
 && install -d -m 0755 /etc/exposure-audit
COPY --from=build /src/target/release/exposure-audit /usr/local/bin/exposure-audit
COPY config/exposure-audit.toml /etc/exposure-audit/exposure-audit.toml
USER exposure-audit
WORKDIR /data
VOLUME ["/data"]
# The database path in the config should be under /data, e.g.
# storage.database = "/data/exposure-audit.db".
ENTRYPOINT ["/usr/local/bin/exposure-audit"]
CMD ["daemon", "--config", "/etc/exposure-audit/exposure-audit.toml"]
