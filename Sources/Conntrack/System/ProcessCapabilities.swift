import CConntrackShim
import Glibc

/// The capabilities of a ctaudit that does not run as root.
///
/// Container runtimes give a non-root container process none of the
/// capabilities its securityContext adds (they reach only the bounding set);
/// the image's ctaudit therefore carries permitted-only file capabilities
/// (`setcap ...=p`), which execve grants within that bounding set. They land
/// in the permitted set alone: nothing is usable until the process raises
/// them, and the listing commands `check` and `audit` run (nft,
/// iptables-save, nsenter) would get none. As root nothing changes.
public enum ProcessCapabilities {
    /// Raises what the process holds: effective = inheritable = permitted,
    /// and each permitted capability ambient, so children inherit exactly
    /// these (never more: a capability outside the permitted set cannot be
    /// raised). Capabilities belong to a thread and are copied to threads it
    /// creates: call this first thing in `main`, before any other thread exists.
    /// Returns the permitted set (bit n = capability n), nil if capget failed.
    @discardableResult
    public static func adoptPermitted() -> UInt64? {
        var permitted: UInt64 = 0
        return ctaudit_adopt_permitted_capabilities(&permitted) == 0 ? permitted : nil
    }

    /// The calling thread's effective and ambient sets.
    public static func current() -> (effective: UInt64, ambient: UInt64)? {
        var effective: UInt64 = 0
        var ambient: UInt64 = 0
        guard ctaudit_capabilities(&effective, &ambient) == 0 else { return nil }
        return (effective, ambient)
    }
}
