"""Where student code runs: the backends (bubblewrap, or the weak unsandboxed mode), the
channel to one sandboxed worker, the zygote that forks them, the pool that hands them
out, a scripted fake for tests, and inside/ (the code that runs in the sandbox)."""
