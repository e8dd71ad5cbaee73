import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every process a port started, found and killed: the port's own process group, and (on Linux)
/// every descendant that left it.
///
/// A port runs in a process group of its own, which a kill of the group reaches; a child that
/// called `setsid` (a daemon) is in another group and would survive. So the runner makes itself
/// a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`): an orphan anywhere below it is re-parented
/// to the runner instead of init, and `killAll` kills the groups, then every child of the runner's
/// that is still alive, round after round, until none is left (each round's dead leave their
/// orphans to the runner for the next).
public enum PortProcessTree {
    private static let groups = Mutex(Set<pid_t>())

    /// The name of the signals the runner handles (SIGINT, SIGTERM, SIGHUP), for messages.
    public static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }

    /// Call before starting a port (idempotent).
    public static func becomeSubreaper() {
        #if os(Linux)
        // prctl is variadic, which Swift cannot call; its integer arguments pass the same way
        // through a fixed five-argument prototype (x86-64 and AArch64 Linux calling conventions).
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        let PR_SET_CHILD_SUBREAPER: Int32 = 36   // <linux/prctl.h>
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return }
        _ = unsafeBitCast(symbol, to: Prctl.self)(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        #endif
    }

    /// Ports running now (`live --port A --against B` runs two, one inside the other's run).
    private static let running = Mutex(0)

    /// Before a port starts.
    static func portStarting() { running.withLock { $0 += 1 } }

    /// After a port's group is dead: sweeps the orphans, unless another port is still running
    /// (it is a live child of the runner too); the last one to finish sweeps for all.
    static func portFinished() {
        let last = running.withLock { n -> Bool in
            n -= 1
            return n <= 0
        }
        if last { sweepOrphans() }
    }

    static func register(group: pid_t) {
        _ = groups.withLock { $0.insert(group) }
    }

    /// SIGKILL to every registered port group, then to every live descendant left (see above).
    /// Safe to call from a signal-handling queue; returns when no live child is left or after
    /// about 2 s.
    public static func killAll() {
        for group in groups.withLock({ Array($0) }) where group > 1 {
            killpg(group, SIGKILL)
        }
        sweepOrphans()
    }

    /// Kills the runner's live children (ports, their re-parented orphans) until none is left.
    public static func sweepOrphans(rounds: Int = 200) {
        #if os(Linux)
        for _ in 0..<rounds {
            let children = liveChildren(of: getpid())
            if children.isEmpty { return }
            for child in children {
                // Its group too: a daemon's own children in its session go with it at once.
                kill(child, SIGKILL)
                let group = getpgid(child)
                if group > 1, group != getpgrp() { killpg(group, SIGKILL) }
            }
            usleep(10_000)
        }
        #endif
    }

    /// Live (not zombie) processes whose parent is `parent`, from /proc.
    static func liveChildren(of parent: pid_t) -> [pid_t] {
        var found = [pid_t]()
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        for name in entries {
            guard let pid = pid_t(name), pid > 1 else { continue }
            guard let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "(comm) ": state ppid ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, fields[0] != "Z", fields[0] != "X", pid_t(fields[1]) == parent else { continue }
            found.append(pid)
        }
        return found
    }
}
