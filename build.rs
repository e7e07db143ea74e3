//! The lean wasm's stack: 128 KB instead of the linker's default 1 MB, so a page's
//! engine instance starts at ~0.2 MB of linear memory instead of ~1.1 MB. The deepest
//! recursion the lean engine has is evaluation, bounded by `limits::MAX_DEPTH` (32
//! nodes), and the binary reader, bounded the same way; the tests in
//! tests/node/stack.test.mjs measure the high-water mark of the deepest bundle the
//! compiler accepts (well under 128 KB). The tools' build (`full`: serde_json's
//! parser, the compiler) keeps the default.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    let lean = std::env::var_os("CARGO_FEATURE_STD").is_none();
    if wasm && lean {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=131072");
    }
}
