# msgbus — the two commands a newcomer needs are `make demo` and `make test`.
# Later surfaces (the C library, the Python package, the C++ wrapper) add
# their targets to `test` as they land.

CARGO ?= cargo

.PHONY: all demo test lint test-rust clean

all: test

## Runs the seed scenario (N8K5Baker → N8K5CharlieMessageListener → reply).
demo:
	$(CARGO) run --quiet -p msgbus --example seed

## Everything CI checks.
test: lint test-rust

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust:
	$(CARGO) test --workspace

clean:
	$(CARGO) clean
