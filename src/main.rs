fn main() {
    std::process::exit(netpol_check::cli::main());
}
