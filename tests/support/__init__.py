"""What the tests and the benchmarks (scripts/bench_parts) both run the daemon with: a
real journald (`journald`) and the `kiosk run` process watched from outside (`harness`).
Also `chroot.remove_tree`, the one way a tree that held a chroot is deleted (the system
test's guest image): it never crosses a mount point.

A package of its own so that the benchmarks import it and nothing else of the tests, and
it imports nothing of the tests or of scripts/: tests may run the benchmarks without an
import loop between the two trees. Only `kiosk` and the standard library here.
"""
