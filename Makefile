# Convenience targets; npm scripts are the source of truth.
.PHONY: build test bench bench-crc32c clean

build:
	npm run build

test:
	npm test

bench: build
	node dist/src/cli/main.js bench transfer --strace

bench-crc32c: build
	node dist/src/cli/main.js bench crc32c

clean:
	rm -rf build dist data
