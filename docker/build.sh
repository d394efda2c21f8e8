#!/bin/sh
# Builds the static chatbotd binary. docker/Dockerfile runs this script and
# so does `make docker-binary`, so CI builds exactly what the image holds.
set -eu
OUT="${OUT:-/out/chatbotd}"
VERSION="${VERSION:-dev}"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o "$OUT" ./cmd/chatbotd
