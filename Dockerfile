# Faultline: a static, cgo-free binary (the embedded SQLite driver is pure
# Go) in a distroless image, running as a non-root user.
#
#   docker build -t faultline .
#   docker run -e SLACK_BOT_TOKEN=… -e SLACK_SIGNING_SECRET=… \
#     -e DATABASE_URL=postgres://… -v $PWD/faultline.yaml:/etc/faultline/faultline.yaml:ro \
#     -p 8080:8080 faultline
#
# Ping permission: the bot sends ICMP echo through unprivileged datagram
# sockets, which the kernel allows for the groups in the sysctl
# net.ipv4.ping_group_range. Docker (20.10+) sets it to "0 2147483647" in
# every container, so nothing is needed; on Kubernetes add the safe sysctl
#   securityContext: {sysctls: [{name: net.ipv4.ping_group_range, value: "0 2147483647"}]}
# Without it the bot falls back to raw sockets, which need CAP_NET_RAW and
# root: run with --cap-add NET_RAW --user 0 only if the sysctl is impossible.
# `faultline ping 127.0.0.1` inside the container says which applies.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/faultline ./cmd/faultline \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/faultline /usr/local/bin/faultline
COPY faultline.example.yaml /etc/faultline/faultline.example.yaml
# The embedded SQLite file lives here when DATABASE_URL is empty; mount a
# volume on it to keep it, or use PostgreSQL in production.
COPY --from=build --chown=65532:65532 /out/data /var/lib/faultline
WORKDIR /var/lib/faultline
ENV FAULTLINE_CONFIG=/etc/faultline/faultline.yaml \
    LISTEN_ADDR=:8080
EXPOSE 8080
# The image has no shell or curl: the binary asks its own /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/faultline", "healthcheck"]
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/faultline"]
CMD ["serve"]
