//! Sets the SONAME of libmsgbus.so and renders include/msgbus.h into
//! OUT_DIR (`make header` copies it into the source tree).

use std::env;
use std::path::PathBuf;

use msgbus_abi::MSGBUS_ABI_VERSION as ABI_VERSION;

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmsgbus.so.{ABI_VERSION}");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=abi/src");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let version = |part: &str| env::var(format!("CARGO_PKG_VERSION_{part}")).unwrap();
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml is readable");
    config.after_includes = Some(format!(
        "\n#define MSGBUS_VERSION_MAJOR {}\n#define MSGBUS_VERSION_MINOR {}\n#define MSGBUS_VERSION_PATCH {}\n\
         #define MSGBUS_VERSION \"{}\"\n",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH"),
        env::var("CARGO_PKG_VERSION").unwrap(),
    ));
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("abi/src/lib.rs"))
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen renders the header")
        .write_to_file(out_dir.join("msgbus.h"));
}
