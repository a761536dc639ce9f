//! Builds libmsgbus (crate msgbus-ffi) with a cargo of its own and stages
//! it, with the C and C++ headers, in OUT_DIR, from where pyproject.toml's
//! `from = "out-dir"` includes put them into the wheel as
//! `msgbus/libmsgbus.so.0` and `msgbus/include/`: shipped as package data
//! under the library's SONAME, not as a dependency of the extension (which
//! loads it at import, see src/core.rs), so no wheel repair renames it.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    for path in [
        "ffi",
        "core",
        "bridge",
        "Cargo.lock",
        "include/msgbus.h",
        "bindings/cpp/msgbus.hpp",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    // maturin sets it for the extension's build; `cargo check`, `clippy`
    // and `test` of the workspace build no library here.
    println!("cargo:rerun-if-env-changed=PYO3_BUILD_EXTENSION_MODULE");
    if env::var_os("PYO3_BUILD_EXTENSION_MODULE").is_none() {
        return;
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let target = env::var("TARGET").unwrap();
    let release = env::var("PROFILE").as_deref() != Ok("debug");
    // A target (and build) directory of its own: the outer cargo holds
    // the lock on the workspace's, and waiting for it would never end.
    let nested = out_dir.join("ffi-target");
    let mut cargo = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .current_dir(&root)
        .args(["build", "-p", "msgbus-ffi", "--lib", "--target", &target])
        .arg("--target-dir")
        .arg(&nested)
        .env("CARGO_BUILD_BUILD_DIR", &nested)
        // The flags maturin gives the extension are not the library's.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    if release {
        cargo.arg("--release");
    }
    // CARGO_MAKEFLAGS stays: the inner cargo shares the outer's jobs.
    let built = cargo.status().expect("cargo runs");
    assert!(built.success(), "cargo build -p msgbus-ffi failed");
    let profile = nested
        .join(&target)
        .join(if release { "release" } else { "debug" });
    stage(
        &profile.join("libmsgbus.so"),
        &out_dir.join("libmsgbus.so.0"),
    );
    stage(
        &root.join("include/msgbus.h"),
        &out_dir.join("include/msgbus.h"),
    );
    stage(
        &root.join("bindings/cpp/msgbus.hpp"),
        &out_dir.join("include/msgbus.hpp"),
    );
}

fn stage(from: &Path, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
}
