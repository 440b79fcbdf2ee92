# syntax=docker/dockerfile:1
# awardtracker image: a cgo build (mattn/go-sqlite3 needs a C compiler and
# links against glibc) on Debian bookworm, run on distroless base-debian12,
# which has the same glibc and nothing else (no shell).
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg REVISION=$(git rev-parse HEAD) -t awardtracker .

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so that source changes do not invalidate the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
# .git is not in the build context (.dockerignore), so the version comes from
# the build args into prometheus/common/version, which --version,
# awardtracker_build_info and the LoTW/DCL User-Agent all read.
RUN CGO_ENABLED=1 GOFLAGS=-buildvcs=false go build -trimpath \
      -ldflags "-s -w \
        -X github.com/prometheus/common/version.Version=${VERSION} \
        -X github.com/prometheus/common/version.Revision=${REVISION}" \
      -o /out/awardtracker ./cmd/awardtracker \
 && mkdir -p /out/data

FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/awardtracker /usr/local/bin/awardtracker
# The database lives on a volume; the directory must belong to nonroot so
# that a fresh named volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
VOLUME ["/data"]
EXPOSE 3001
ENTRYPOINT ["/usr/local/bin/awardtracker"]
CMD ["--web.listen-address=:3001", "--db.path=/data/awardtracker.db"]
