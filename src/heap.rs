//! Giving freed heap memory back to the system.
//!
//! A worker (or a `serve` connection) that met a long line frees the per-line buffers it grew
//! (several times the line), but glibc's allocator keeps what a thread freed in that thread's
//! arena for its next allocations, and each arena may keep up to about twice the largest block
//! it has freed. With many workers and lines of a megabyte, the arenas together then hold several
//! times what loganon itself counts (over 120 MB at 16 threads, against a 24 MiB budget). Asking
//! glibc to trim hands that memory back, at the price of faulting it in again on the next long
//! line, so it is asked only when what was freed is more than the holder's share of the memory
//! budget (`LineScratch::shrink_after`). Other allocators and C libraries are left to their own
//! policy.

/// Returns the free memory of every arena to the system where the allocator allows it (glibc's
/// `malloc_trim`); elsewhere does nothing.
pub fn return_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases memory that is free; it takes the arenas' locks itself
    // and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The heap bytes a vector holds, used or not.
pub fn held<T>(v: &Vec<T>) -> usize {
    v.capacity() * std::mem::size_of::<T>()
}

/// Frees a vector's heap memory; returns the bytes it held.
pub fn free<T>(v: &mut Vec<T>) -> usize {
    held(&std::mem::take(v))
}
