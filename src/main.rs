//! The `sprout` binary: everything happens in the library.

fn main() {
    std::process::exit(sprout::cli::main());
}
