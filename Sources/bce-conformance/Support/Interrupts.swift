import BCEConformance
import Dispatch
import Foundation
import Synchronization

/// SIGINT, SIGTERM and SIGHUP while a run is under way: the port's whole tree is killed (its group
/// and any setsid'd descendant, see `PortProcessTree`), the partial report is written by the
/// command's handler, and the runner exits 128 + the signal number, as a shell reports a command
/// killed by that signal. Ctrl-C reaches only the runner's process group, not the port's, so this
/// is what stops the port then.
enum Interrupts {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    private static let handler = Mutex<(@Sendable (Int32) -> Void)?>(nil)
    private static let sources = Mutex<[DispatchSourceSignal]>([])
    private static let queue = DispatchQueue(label: "bce-conformance.interrupts")
    private static let started = Mutex(false)

    /// Called before the command writes its own report: once a signal is being handled, the
    /// port's death is the handler's doing and the handler writes the report; this never returns then.
    static func deferToHandlerIfInterrupted() {
        while started.withLock({ $0 }) { sleep(1) }
    }

    static func name(_ signal: Int32) -> String { PortProcessTree.signalName(signal) }

    /// Installs the handlers once; `onSignal` (writing what was found so far) runs after the port
    /// tree is killed, then the process exits.
    static func install(_ onSignal: @escaping @Sendable (Int32) -> Void) {
        handler.withLock { $0 = onSignal }
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for sig in signals {
                signal(sig, SIG_IGN)   // delivered to the dispatch source instead
                let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                source.setEventHandler {
                    // Set before the port is killed: the run notices the kill only afterwards.
                    started.withLock { $0 = true }
                    PortProcessTree.killAll()
                    printError("bce-conformance: interrupted by \(name(sig)); the port and its children were killed")
                    handler.withLock { $0 }?(sig)
                    exit(128 + sig)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
