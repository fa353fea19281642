# The kubectl-netpol_check binary alone, static (musl), on an empty image, as a non-root user.
#   docker build -t netpol-check .
#   docker run --rm -v "$PWD/k8s:/manifests:ro" netpol-check -f /manifests
# See docs/ci.md.

FROM rust:1.95-alpine3.22 AS build
# cc and musl's headers for ring and mimalloc; ca-certificates for the final image. Not pinned:
# Alpine drops old package versions from its mirrors, so a pin breaks the build within months.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin kubectl-netpol_check \
    && strip target/release/kubectl-netpol_check

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /src/target/release/kubectl-netpol_check /usr/local/bin/kubectl-netpol_check
# 65532: distroless's "nonroot"; nothing in the image needs a name for it.
USER 65532:65532
WORKDIR /manifests
ENTRYPOINT ["/usr/local/bin/kubectl-netpol_check"]
CMD ["--help"]
