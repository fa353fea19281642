#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` of mimalloc.h, which the Rust binding does not name: the option
/// right before `mi_option_use_numa_nodes`, checked below so that a reordering cannot pass
/// unnoticed.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const _: () = assert!(libmimalloc_sys::mi_option_use_numa_nodes == MI_OPTION_PURGE_DELAY + 1);

fn main() {
    // Freed memory goes back to the system after 50 ms (mimalloc 3's default is a second,
    // longer than a run): the input's text and the parse's leftovers no longer count in the
    // peak. SAFETY: sets a documented option to a valid value, before any thread is started.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 50) };
    std::process::exit(netpol_check::cli::main());
}
